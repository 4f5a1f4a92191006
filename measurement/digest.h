/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 helpers, PCR arithmetic and hex encoding shared by the measurement code. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEAS_DIGEST_SIZE 32
#define MEAS_PCR_MAX 24

typedef struct meas_sha256 meas_sha256;

void meas_sha256_buf(const void *data, size_t size, uint8_t ret[MEAS_DIGEST_SIZE]);
int meas_sha256_new(meas_sha256 **ret);
void meas_sha256_update(meas_sha256 *c, const void *data, size_t size);
void meas_sha256_final(meas_sha256 *c, uint8_t ret[MEAS_DIGEST_SIZE]);
void meas_sha256_free(meas_sha256 *c);
#include "macro.h"
DEFINE_TRIVIAL_CLEANUP_FUNC(meas_sha256 *, meas_sha256_free);

/* pcr = SHA256(pcr || digest), the TPM2_PCR_Extend rule for the SHA-256 bank. */
void pcr_extend(uint8_t pcr[MEAS_DIGEST_SIZE], const uint8_t digest[MEAS_DIGEST_SIZE]);

/* Lower-case hex; ret must hold 2 * size + 1 bytes. */
void hex_encode(const uint8_t *data, size_t size, char *ret);
/* Decode exactly `size` bytes of hex; returns 0 or -EINVAL. */
int hex_decode(const char *s, uint8_t *ret, size_t size);

/* A set of PCR indexes 0..23 as a bit mask. */
/* Parse "0,2,7-9" (also "none"); returns 0 or -EINVAL. */
int pcr_mask_from_string(const char *s, uint32_t *ret);
/* Format as "0,2,7,8,9" into buf (>= 64 bytes). */
char *pcr_mask_to_string(uint32_t mask, char *buf, size_t size);
