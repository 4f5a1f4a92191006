/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TPM 2.0 through tss2-esys: PCR reads, sealing a secret to a PCR policy (optionally with a
 * PIN) under a transient storage root key, unsealing, and the TPM's state (lockout,
 * disabled hierarchies).  TSS2 return codes are converted here, once:
 *   -ENODEV           no TPM (the TCTI cannot be opened)
 *   -ENXIO            the TPM is disabled, not started, or its storage hierarchy is off
 *   -EKEYREJECTED     the PCR policy does not match (measurements changed)
 *   -EACCES           wrong PIN (the lockout counter was incremented)
 *   -ENOLCK           dictionary-attack lockout
 *   -EBADMSG          a sealed blob the TPM does not accept (another TPM, or damaged)
 *   -EIO              anything else (logged at debug level with the TSS2 text) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "macro.h"

typedef struct tpm2_context tpm2_context;

typedef uint8_t tpm2_pcr_values[MEAS_PCR_MAX][MEAS_DIGEST_SIZE];

/* tcti: a TCTI configuration ("device:/dev/tpmrm0", "swtpm:path=/run/swtpm.sock"); NULL
 * takes $TPM2TOOLS_TCTI, then $TCTI, then "device:/dev/tpmrm0". */
int tpm2_context_new(const char *tcti, tpm2_context **ret);
void tpm2_context_free(tpm2_context *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(tpm2_context *, tpm2_context_free);

/* Read the SHA-256 bank for the PCRs in mask into values[pcr]. */
int tpm2_pcr_read(tpm2_context *c, uint32_t mask, tpm2_pcr_values values);
/* Extend PCR with a SHA-256 digest (tests, and to cap PCRs after unlocking). */
int tpm2_pcr_extend(tpm2_context *c, unsigned pcr, const uint8_t digest[MEAS_DIGEST_SIZE]);

/* The policy digest of PolicyPCR(SHA-256, mask, values) [+ PolicyAuthValue], computed
 * without a TPM. */
void tpm2_policy_digest(uint32_t mask, const tpm2_pcr_values values, bool pin,
                        uint8_t ret[MEAS_DIGEST_SIZE]);

typedef struct tpm2_sealed {
        uint8_t *public_blob, *private_blob; /* TPM2B_PUBLIC / TPM2B_PRIVATE, marshalled */
        size_t public_size, private_size;
        uint8_t policy[MEAS_DIGEST_SIZE];
        char srk[8];                          /* "ecc" or "rsa" */
} tpm2_sealed;

void tpm2_sealed_done(tpm2_sealed *s);

/* Seal secret (1..128 bytes) so that it unseals only when the PCRs in mask hold values
 * (and, with pin != NULL, the PIN is given). */
int tpm2_seal(tpm2_context *c, uint32_t mask, const tpm2_pcr_values values, const char *pin,
              const void *secret, size_t secret_size, tpm2_sealed *ret);
/* Returns the secret in a secret_alloc() buffer (free with secret_free()). */
int tpm2_unseal(tpm2_context *c, uint32_t mask, const tpm2_sealed *sealed, const char *pin,
                void **ret_secret, size_t *ret_size);

typedef struct tpm2_lockout {
        bool in_lockout;
        uint32_t counter, max_tries, interval, recovery;
} tpm2_lockout;

int tpm2_get_lockout(tpm2_context *c, tpm2_lockout *ret);
/* Seconds until an authorization may be tried again (upper bound, TPM powered on). */
uint64_t tpm2_lockout_remaining(const tpm2_lockout *l);
/* 0 if the storage hierarchy is usable, -ENXIO if disabled. */
int tpm2_check_enabled(tpm2_context *c);

/* A one-line explanation of one of the errors above. */
const char *tpm2_strerror(int r);
