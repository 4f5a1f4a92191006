/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cairn's encrypted configuration volume: LUKS2 (libcryptsetup) with
 *   keyslot 0: the recovery passphrase (argon2id),
 *   keyslot 1: a random 256-bit key sealed by the TPM (PBKDF2, minimal cost: the key has
 *              full entropy), its sealed blob in a "cairn-tpm2" token linked to keyslot 1.
 * A NULL activation name checks the key without creating a device (no device-mapper). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "measlog.h"
#include "token.h"
#include "tpm2-util.h"

#define CONFIGVOL_SLOT_RECOVERY 0
#define CONFIGVOL_SLOT_TPM 1
#define CONFIGVOL_KEY_SIZE 32

typedef struct configvol_seal {
        const char *tcti;
        uint32_t pcr_mask;
        /* Values to seal to for the PCRs in predicted_mask (e.g. 8 and 9 from a prediction);
         * the other PCRs of pcr_mask take the TPM's current values. */
        uint32_t predicted_mask;
        tpm2_pcr_values predicted;
        const meas_log *events;   /* recorded in the token for `report`; may be NULL */
        const char *pin;          /* NULL: no PIN */
} configvol_seal;

typedef struct configvol_format_options {
        uint32_t recovery_time_ms;   /* argon2id cost for keyslot 0; 0: libcryptsetup's default */
        uint32_t recovery_memory_kb; /* 0: default */
        const char *label;           /* LUKS2 label; NULL: "cairn-config" */
} configvol_format_options;

/* Format device (a block device or an image file) and enroll both keyslots. */
int configvol_format(const char *device, const char *recovery, size_t recovery_size,
                     const configvol_seal *seal, const configvol_format_options *opts);

/* Read the cairn-tpm2 token. -ENOENT when there is none. */
int configvol_read_token(const char *device, cairn_token *ret);

typedef struct configvol_unlock_result {
        uint32_t mismatch_mask;      /* PCRs whose current value differs from the sealed one */
        tpm2_pcr_values current;     /* current values of the token's PCRs */
        tpm2_lockout lockout;        /* filled on -ENOLCK / -EACCES */
} configvol_unlock_result;

/* Unseal with the TPM and activate as name (NULL: only verify the key).  Errors as in
 * tpm2-util.h, plus -ENOENT (no token), -ENOKEY (the unsealed key does not open the volume),
 * -ENOPKG (the token needs a PIN and pin is NULL; returned only when the TPM is usable and
 * the PCRs match, so it means "ask for the PIN", and nothing was tried). */
int configvol_unlock_tpm(const char *device, const char *name, const char *tcti, const char *pin,
                         configvol_unlock_result *ret);
/* -ENOKEY for a wrong passphrase. */
int configvol_unlock_recovery(const char *device, const char *name, const char *passphrase,
                              size_t size);
/* Replace the TPM keyslot and token with a new key sealed per seal.  Authorised by the
 * recovery passphrase, or (passphrase NULL) by unsealing the current key with the TPM
 * (old_pin for a PIN-protected token); the latter keeps the key and only reseals it. */
int configvol_reseal(const char *device, const char *passphrase, size_t passphrase_size,
                     const char *old_pin, const configvol_seal *seal);
