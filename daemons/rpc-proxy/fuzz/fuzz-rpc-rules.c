/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rules parser: whatever parses must print in canonical form and parse
 * back to the same text; matching must not crash on what it accepted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        RpcRules *rules = NULL, *again = NULL;
        char *error = NULL, *text = NULL, *text2 = NULL;

        if (rpc_rules_parse((const char *) data, size, "fuzz", &rules, &error) < 0) {
                if (!error)
                        abort();
                free(error);
                return 0;
        }
        if (error)
                abort();
        if (rpc_rules_format(rules, &text) == 0) {
                if (rpc_rules_parse(text, strlen(text), "again", &again, NULL) != 0)
                        abort();
                if (rpc_rules_format(again, &text2) != 0 || strcmp(text, text2) != 0)
                        abort();
        }
        for (size_t i = 0; i < rules->n_rules; i++) {
                const RpcRule *r = &rules->rules[i];
                const char *member = r->members ? r->members[0] : "Any";
                const char *path = r->path ? "/org/cairn/VMManager1/vm/x" : "/";

                (void) rpc_rules_match_call(rules, r->domain, r->peer, path, r->interface, member);
                (void) rpc_rules_match_signal(rules, r->domain, r->via, r->peer, path, r->interface, member);
        }
        free(text);
        free(text2);
        rpc_rules_free(again);
        rpc_rules_free(rules);
        return 0;
}
