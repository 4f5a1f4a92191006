/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cairn-tpm2 LUKS2 token JSON parser (the header is writable by whoever has the disk). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cairn_token t = {};
        char *json = NULL;

        if (cairn_token_from_json((const char *) data, size, &t) == 0) {
                /* What parses must serialize and parse again. */
                if (cairn_token_to_json(&t, &json) == 0) {
                        cairn_token u = {};

                        if (cairn_token_from_json(json, strlen(json), &u) != 0)
                                abort();
                        cairn_token_done(&u);
                        free(json);
                }
        }
        cairn_token_done(&t);
        return 0;
}
