/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "cairn-tpm2" LUKS2 token: the sealed key and what it was sealed to.  Its JSON is
 * read back from a LUKS2 header, which an attacker with the disk can write: the parser
 * checks every field and bound (fuzzed: measurement/fuzz/fuzz-token.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "measlog.h"
#include "tpm2-util.h"

#define CAIRN_TOKEN_TYPE "cairn-tpm2"
#define CAIRN_TOKEN_MAX_JSON (512 * 1024)

typedef struct cairn_token {
        int keyslot;                /* the LUKS2 keyslot the sealed key opens */
        tpm2_sealed sealed;
        uint32_t pcr_mask;
        tpm2_pcr_values pcr_values; /* the values sealed to (for the PCRs in pcr_mask) */
        bool pin;
        meas_log events;            /* prediction inputs (PCR 8/9, firmware log), may be empty */
} cairn_token;

void cairn_token_done(cairn_token *t);
/* Returns a malloc'ed JSON string. */
int cairn_token_to_json(const cairn_token *t, char **ret);
/* -EBADMSG on anything malformed, -EMEDIUMTYPE when it is another type of token. */
int cairn_token_from_json(const char *json, size_t size, cairn_token *ret);

int base64_encode(const uint8_t *data, size_t size, char **ret);
int base64_decode(const char *s, uint8_t **ret, size_t *ret_size);
