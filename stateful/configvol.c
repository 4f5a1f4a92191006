/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libcryptsetup.h>

#include "configvol.h"
#include "log.h"
#include "secret.h"
#include "util.h"

static inline void crypt_freep(struct crypt_device **cd) {
        if (*cd)
                crypt_free(*cd);
}

static int random_key(void **ret) {
        uint8_t *k = secret_alloc(CONFIGVOL_KEY_SIZE);
        size_t got = 0;

        if (!k)
                return -ENOMEM;
        while (got < CONFIGVOL_KEY_SIZE) {
                ssize_t n = getrandom(k + got, CONFIGVOL_KEY_SIZE - got, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        secret_free(k);
                        return negative_errno();
                }
                got += (size_t) n;
        }
        *ret = k;
        return 0;
}

static int set_fast_pbkdf(struct crypt_device *cd) {
        /* The TPM key is 256 random bits: a slow KDF adds nothing but boot time. */
        static const struct crypt_pbkdf_type fast = {
                .type = CRYPT_KDF_PBKDF2,
                .hash = "sha256",
                .iterations = 1000,
                .flags = CRYPT_PBKDF_NO_BENCHMARK,
        };
        return crypt_set_pbkdf_type(cd, &fast);
}

/* Seal key per s into a token (not yet written). */
static int seal_token(const void *key, const configvol_seal *s, cairn_token *ret) {
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        cairn_token t = { .keyslot = CONFIGVOL_SLOT_TPM, .pcr_mask = s->pcr_mask, .pin = !!s->pin };
        uint32_t current = s->pcr_mask & ~s->predicted_mask;
        int r;

        if (s->pcr_mask == 0)
                return -EINVAL;
        r = tpm2_context_new(s->tcti, &tpm);
        if (r < 0)
                return r;
        if (current) {
                r = tpm2_pcr_read(tpm, current, t.pcr_values);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++)
                if (s->pcr_mask & s->predicted_mask & (1u << i))
                        memcpy(t.pcr_values[i], s->predicted[i], MEAS_DIGEST_SIZE);
        r = tpm2_seal(tpm, t.pcr_mask, t.pcr_values, s->pin, key, CONFIGVOL_KEY_SIZE, &t.sealed);
        if (r < 0)
                return r;
        if (s->events)
                for (size_t i = 0; i < s->events->n_events; i++) {
                        const meas_event *e = &s->events->events[i];

                        if (!(s->pcr_mask & (1u << e->pcr)))
                                continue;
                        r = meas_log_add(&t.events, e->pcr, e->kind, e->index, e->text, e->digest);
                        if (r < 0) {
                                cairn_token_done(&t);
                                return r;
                        }
                }
        *ret = t;
        return 0;
}

static int find_token(struct crypt_device *cd, int *ret_id, cairn_token *ret) {
        for (int id = 0; id < 32; id++) {
                const char *json = NULL;
                int r = crypt_token_json_get(cd, id, &json);

                if (r < 0 || !json)
                        continue;
                r = cairn_token_from_json(json, strlen(json), ret);
                if (r == -EMEDIUMTYPE)
                        continue;
                if (r < 0)
                        return log_debug_errno(r, "Token %d is a damaged cairn-tpm2 token.", id);
                *ret_id = id;
                return 0;
        }
        return -ENOENT;
}

static int write_token(struct crypt_device *cd, const cairn_token *t) {
        _cleanup_free_ char *json = NULL;
        int r, id;

        r = cairn_token_to_json(t, &json);
        if (r < 0)
                return r;
        id = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
        return id < 0 ? id : 0;
}

static int load(const char *device, struct crypt_device **ret) {
        struct crypt_device *cd = NULL;
        int r;

        r = crypt_init(&cd, device);
        if (r < 0)
                return r;
        r = crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0) {
                crypt_free(cd);
                return r;
        }
        *ret = cd;
        return 0;
}

int configvol_format(const char *device, const char *recovery, size_t recovery_size,
                     const configvol_seal *seal, const configvol_format_options *opts) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        _cleanup_(secret_freep) void *key = NULL;
        cairn_token t = {};
        struct crypt_params_luks2 params = { .sector_size = 512, .label = "cairn-config" };
        struct crypt_pbkdf_type slow = {
                .type = CRYPT_KDF_ARGON2ID,
                .hash = "sha256",
                .time_ms = opts && opts->recovery_time_ms ? opts->recovery_time_ms : 2000,
                .max_memory_kb = opts && opts->recovery_memory_kb ? opts->recovery_memory_kb : 1024 * 1024,
                .parallel_threads = 4,
        };
        int r;

        if (!recovery || recovery_size == 0)
                return -EINVAL;
        if (opts && opts->label)
                params.label = opts->label;
        /* Seal first: a TPM problem must not leave a half-made volume. */
        if (seal) {
                r = random_key(&key);
                if (r < 0)
                        return r;
                r = seal_token(key, seal, &t);
                if (r < 0)
                        return r;
        }
        r = crypt_init(&cd, device);
        if (r < 0)
                goto out;
        /* Room for the token's event list (64 KiB JSON area); 2 MiB of keyslots (8 slots). */
        r = crypt_set_metadata_size(cd, 65536, 2 * 1024 * 1024);
        if (r < 0)
                goto out;
        r = crypt_set_pbkdf_type(cd, &slow);
        if (r < 0)
                goto out;
        r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL, 64, &params);
        if (r < 0)
                goto out;
        r = crypt_keyslot_add_by_volume_key(cd, CONFIGVOL_SLOT_RECOVERY, NULL, 0, recovery, recovery_size);
        if (r < 0)
                goto out;
        if (seal) {
                r = set_fast_pbkdf(cd);
                if (r < 0)
                        goto out;
                r = crypt_keyslot_add_by_volume_key(cd, CONFIGVOL_SLOT_TPM, NULL, 0, key, CONFIGVOL_KEY_SIZE);
                if (r < 0)
                        goto out;
                r = write_token(cd, &t);
        }
out:
        cairn_token_done(&t);
        return r < 0 ? r : 0;
}

int configvol_read_token(const char *device, cairn_token *ret) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        int id, r;

        r = load(device, &cd);
        if (r < 0)
                return r;
        return find_token(cd, &id, ret);
}

int configvol_unlock_tpm(const char *device, const char *name, const char *tcti, const char *pin,
                         configvol_unlock_result *ret) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
        _cleanup_(secret_freep) void *key = NULL;
        configvol_unlock_result res = {};
        cairn_token t = {};
        size_t key_size = 0;
        int id, r;

        r = load(device, &cd);
        if (r < 0)
                return r;
        r = find_token(cd, &id, &t);
        if (r < 0)
                return r;
        r = tpm2_context_new(tcti, &tpm);
        if (r < 0)
                goto out;
        r = tpm2_check_enabled(tpm);
        if (r < 0)
                goto out;
        /* Compare first: a changed measurement is reported without asking the TPM to
         * unseal (and without any dictionary-attack accounting). */
        r = tpm2_pcr_read(tpm, t.pcr_mask, res.current);
        if (r < 0)
                goto out;
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++)
                if ((t.pcr_mask & (1u << i)) && memcmp(res.current[i], t.pcr_values[i], MEAS_DIGEST_SIZE) != 0)
                        res.mismatch_mask |= 1u << i;
        if (res.mismatch_mask) {
                r = -EKEYREJECTED;
                goto out;
        }
        /* Only now: "a PIN is needed" means the measurements match and only the PIN is
         * missing (the caller asks for it; nothing was tried, the TPM counted nothing). */
        if (t.pin && !pin) {
                r = -ENOPKG;
                goto out;
        }
        r = tpm2_unseal(tpm, t.pcr_mask, &t.sealed, t.pin ? pin : NULL, &key, &key_size);
        if (r == -ENOLCK || r == -EACCES)
                (void) tpm2_get_lockout(tpm, &res.lockout);
        if (r < 0)
                goto out;
        r = crypt_activate_by_passphrase(cd, name, t.keyslot, key, key_size, 0);
        if (r == -EPERM)
                r = -ENOKEY;
out:
        if (ret)
                *ret = res;
        cairn_token_done(&t);
        return r < 0 ? r : 0;
}

int configvol_unlock_recovery(const char *device, const char *name, const char *passphrase, size_t size) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        int r;

        r = load(device, &cd);
        if (r < 0)
                return r;
        r = crypt_activate_by_passphrase(cd, name, CONFIGVOL_SLOT_RECOVERY, passphrase, size, 0);
        if (r == -EPERM)
                return -ENOKEY;
        return r < 0 ? r : 0;
}

int configvol_reseal(const char *device, const char *passphrase, size_t passphrase_size, const char *old_pin,
                     const configvol_seal *seal) {
        _cleanup_(crypt_freep) struct crypt_device *cd = NULL;
        _cleanup_(secret_freep) void *key = NULL;
        cairn_token old = {}, t = {};
        int id = -1, r;

        r = load(device, &cd);
        if (r < 0)
                return r;
        r = find_token(cd, &id, &old);
        if (r < 0 && r != -ENOENT)
                return r;

        if (passphrase) {
                /* New key; the recovery passphrase authorises the new keyslot. */
                r = crypt_activate_by_passphrase(cd, NULL, CONFIGVOL_SLOT_RECOVERY, passphrase, passphrase_size, 0);
                if (r < 0) {
                        r = r == -EPERM ? -ENOKEY : r;
                        goto out;
                }
                r = random_key(&key);
                if (r < 0)
                        goto out;
        } else {
                _cleanup_(tpm2_context_freep) tpm2_context *tpm = NULL;
                size_t size;

                if (id < 0) {
                        r = -ENOENT;
                        goto out;
                }
                r = tpm2_context_new(seal->tcti, &tpm);
                if (r < 0)
                        goto out;
                r = tpm2_unseal(tpm, old.pcr_mask, &old.sealed, old.pin ? old_pin : NULL, &key, &size);
                if (r < 0)
                        goto out;
                if (size != CONFIGVOL_KEY_SIZE) {
                        r = -EBADMSG;
                        goto out;
                }
        }
        r = seal_token(key, seal, &t);
        if (r < 0)
                goto out;
        if (passphrase) {
                if (crypt_keyslot_status(cd, CONFIGVOL_SLOT_TPM) != CRYPT_SLOT_INACTIVE) {
                        r = crypt_keyslot_destroy(cd, CONFIGVOL_SLOT_TPM);
                        if (r < 0)
                                goto out;
                }
                r = set_fast_pbkdf(cd);
                if (r < 0)
                        goto out;
                r = crypt_keyslot_add_by_passphrase(cd, CONFIGVOL_SLOT_TPM, passphrase, passphrase_size, key,
                                                    CONFIGVOL_KEY_SIZE);
                if (r < 0)
                        goto out;
        }
        if (id >= 0) {
                r = crypt_token_json_set(cd, id, NULL);
                if (r < 0)
                        goto out;
        }
        r = write_token(cd, &t);
out:
        cairn_token_done(&old);
        cairn_token_done(&t);
        return r < 0 ? r : 0;
}
