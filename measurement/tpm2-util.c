/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "log.h"
#include "secret.h"
#include "tpm2-util.h"
#include "util.h"

struct tpm2_context {
        TSS2_TCTI_CONTEXT *tcti;
        ESYS_CONTEXT *esys;
};

/* TSS2_RC -> -errno, once, here. */
static int tpm2_rc_to_errno(TSS2_RC rc) {
        TSS2_RC layer = rc & TSS2_RC_LAYER_MASK, code;

        if (rc == TSS2_RC_SUCCESS)
                return 0;
        if (layer == TSS2_TCTI_RC_LAYER)
                return -ENODEV;
        if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) {
                code = rc & TSS2_RC_LAYER_MASK ? rc & 0xffff : rc;
                if (code == TSS2_BASE_RC_IO_ERROR || code == TSS2_BASE_RC_NO_CONNECTION)
                        return -ENODEV;
                return -EIO;
        }
        code = rc & 0xffff;
        if (code & TPM2_RC_FMT1)
                code &= TPM2_RC_FMT1 | 0x3f; /* drop the parameter/handle/session number */
        else
                code &= 0xfff;
        switch (code) {
        case TPM2_RC_POLICY_FAIL:
        case TPM2_RC_PCR_CHANGED:
                return -EKEYREJECTED;
        case TPM2_RC_AUTH_FAIL:
        case TPM2_RC_BAD_AUTH:
                return -EACCES;
        case TPM2_RC_LOCKOUT:
                return -ENOLCK;
        case TPM2_RC_INITIALIZE:
        case TPM2_RC_DISABLED:
        case TPM2_RC_HIERARCHY:
        case TPM2_RC_FAILURE:
                return -ENXIO;
        case TPM2_RC_INTEGRITY:
        case TPM2_RC_SIZE:
        case TPM2_RC_VALUE:
                return -EBADMSG;
        default:
                return -EIO;
        }
}

static int rc_fail(TSS2_RC rc, const char *what) {
        int r = tpm2_rc_to_errno(rc);

        log_debug("%s failed: %s (0x%x)", what, Tss2_RC_Decode(rc), (unsigned) rc);
        return r ?: -EIO;
}

const char *tpm2_strerror(int r) {
        switch (r) {
        case -ENODEV:
                return "no TPM was found";
        case -ENXIO:
                return "the TPM is disabled or not started (check the firmware's security settings)";
        case -EKEYREJECTED:
                return "the measured boot components differ from the ones the key was sealed to";
        case -EACCES:
                return "wrong PIN";
        case -ENOLCK:
                return "the TPM is in dictionary-attack lockout after too many wrong PINs";
        case -EBADMSG:
                return "the TPM does not accept the sealed key (another TPM, cleared, or damaged)";
        default:
                return strerror(-r);
        }
}

int tpm2_context_new(const char *tcti, tpm2_context **ret) {
        tpm2_context *c;
        TSS2_RC rc;

        if (!tcti)
                tcti = getenv("TPM2TOOLS_TCTI");
        if (!tcti)
                tcti = getenv("TCTI");
        if (!tcti)
                tcti = "device:/dev/tpmrm0";
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        rc = Tss2_TctiLdr_Initialize(tcti, &c->tcti);
        if (rc != TSS2_RC_SUCCESS) {
                free(c);
                log_debug("TCTI \"%s\" failed: %s", tcti, Tss2_RC_Decode(rc));
                return -ENODEV;
        }
        rc = Esys_Initialize(&c->esys, c->tcti, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                Tss2_TctiLdr_Finalize(&c->tcti);
                free(c);
                return rc_fail(rc, "Esys_Initialize");
        }
        *ret = c;
        return 0;
}

void tpm2_context_free(tpm2_context *c) {
        if (!c)
                return;
        if (c->esys)
                Esys_Finalize(&c->esys);
        if (c->tcti)
                Tss2_TctiLdr_Finalize(&c->tcti);
        free(c);
}

static void pcr_selection(uint32_t mask, TPML_PCR_SELECTION *ret) {
        *ret = (TPML_PCR_SELECTION) {
                .count = 1,
                .pcrSelections[0] = {
                        .hash = TPM2_ALG_SHA256,
                        .sizeofSelect = 3,
                        .pcrSelect = { mask & 0xff, (mask >> 8) & 0xff, (mask >> 16) & 0xff },
                },
        };
}

int tpm2_pcr_read(tpm2_context *c, uint32_t mask, tpm2_pcr_values values) {
        uint32_t left = mask;

        /* TPM2_PCR_Read returns at most 8 digests per call; ask until all are in. */
        while (left) {
                TPML_PCR_SELECTION sel, *out_sel = NULL;
                TPML_DIGEST *digests = NULL;
                UINT32 counter;
                uint32_t got = 0;
                size_t k = 0;
                TSS2_RC rc;

                pcr_selection(left, &sel);
                rc = Esys_PCR_Read(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
                                   &out_sel, &digests);
                if (rc != TSS2_RC_SUCCESS)
                        return rc_fail(rc, "Esys_PCR_Read");
                for (unsigned i = 0; i < MEAS_PCR_MAX && out_sel->count > 0; i++) {
                        if (!(out_sel->pcrSelections[0].pcrSelect[i / 8] & (1u << (i % 8))))
                                continue;
                        if (k >= digests->count || digests->digests[k].size != MEAS_DIGEST_SIZE)
                                break;
                        memcpy(values[i], digests->digests[k].buffer, MEAS_DIGEST_SIZE);
                        got |= 1u << i;
                        k++;
                }
                Esys_Free(out_sel);
                Esys_Free(digests);
                if (got == 0 || (got & ~left))
                        return -EIO; /* bank not allocated, or a confused TPM */
                left &= ~got;
        }
        return 0;
}

int tpm2_pcr_extend(tpm2_context *c, unsigned pcr, const uint8_t digest[MEAS_DIGEST_SIZE]) {
        TPML_DIGEST_VALUES v = { .count = 1, .digests[0].hashAlg = TPM2_ALG_SHA256 };
        TSS2_RC rc;

        if (pcr >= MEAS_PCR_MAX)
                return -EINVAL;
        memcpy(v.digests[0].digest.sha256, digest, MEAS_DIGEST_SIZE);
        rc = Esys_PCR_Extend(c->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v);
        return rc == TSS2_RC_SUCCESS ? 0 : rc_fail(rc, "Esys_PCR_Extend");
}

static void put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

void tpm2_policy_digest(uint32_t mask, const tpm2_pcr_values values, bool pin,
                        uint8_t ret[MEAS_DIGEST_SIZE]) {
        _cleanup_(meas_sha256_freep) meas_sha256 *h = NULL;
        uint8_t pcr_digest[MEAS_DIGEST_SIZE], buf[MEAS_DIGEST_SIZE + 4 + 4 + 2 + 1 + 3 + MEAS_DIGEST_SIZE];
        size_t o = 0;

        if (meas_sha256_new(&h) < 0)
                abort();
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++)
                if (mask & (1u << i))
                        meas_sha256_update(h, values[i], MEAS_DIGEST_SIZE);
        meas_sha256_final(h, pcr_digest);

        /* policyDigest' = H(policyDigest || TPM_CC_PolicyPCR || pcrs || digest(PCR values)) */
        memset(buf, 0, MEAS_DIGEST_SIZE);
        o = MEAS_DIGEST_SIZE;
        put32(buf + o, TPM2_CC_PolicyPCR);
        o += 4;
        put32(buf + o, 1); /* TPML_PCR_SELECTION.count */
        o += 4;
        buf[o++] = TPM2_ALG_SHA256 >> 8;
        buf[o++] = TPM2_ALG_SHA256 & 0xff;
        buf[o++] = 3;
        buf[o++] = mask & 0xff;
        buf[o++] = (mask >> 8) & 0xff;
        buf[o++] = (mask >> 16) & 0xff;
        memcpy(buf + o, pcr_digest, MEAS_DIGEST_SIZE);
        o += MEAS_DIGEST_SIZE;
        meas_sha256_buf(buf, o, ret);

        if (pin) {
                uint8_t b2[MEAS_DIGEST_SIZE + 4];

                memcpy(b2, ret, MEAS_DIGEST_SIZE);
                put32(b2 + MEAS_DIGEST_SIZE, TPM2_CC_PolicyAuthValue);
                meas_sha256_buf(b2, sizeof(b2), ret);
        }
}

void tpm2_sealed_done(tpm2_sealed *s) {
        if (!s)
                return;
        free(s->public_blob);
        free(s->private_blob);
        *s = (tpm2_sealed) {};
}

/* The TCG "SRK template" (as systemd and tpm2-tools use): deterministic for a given TPM, so a
 * transient copy always has the same name and sealed objects load under it. */
static int create_srk(tpm2_context *c, bool rsa, ESYS_TR *ret) {
        TPM2B_SENSITIVE_CREATE sens = {};
        TPM2B_PUBLIC pub = {
                .publicArea = {
                        .nameAlg = TPM2_ALG_SHA256,
                        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                            TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                            TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
                },
        };
        TPM2B_DATA outside = {};
        TPML_PCR_SELECTION creation_pcr = {};
        TSS2_RC rc;

        if (rsa) {
                pub.publicArea.type = TPM2_ALG_RSA;
                pub.publicArea.parameters.rsaDetail = (TPMS_RSA_PARMS) {
                        .symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
                        .scheme.scheme = TPM2_ALG_NULL,
                        .keyBits = 2048,
                };
                pub.publicArea.unique.rsa.size = 256;
        } else {
                pub.publicArea.type = TPM2_ALG_ECC;
                pub.publicArea.parameters.eccDetail = (TPMS_ECC_PARMS) {
                        .symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
                        .scheme.scheme = TPM2_ALG_NULL,
                        .curveID = TPM2_ECC_NIST_P256,
                        .kdf.scheme = TPM2_ALG_NULL,
                };
                pub.publicArea.unique.ecc.x.size = 32;
                pub.publicArea.unique.ecc.y.size = 32;
        }
        rc = Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                &sens, &pub, &outside, &creation_pcr, ret, NULL, NULL, NULL, NULL);
        return rc == TSS2_RC_SUCCESS ? 0 : rc_fail(rc, "Esys_CreatePrimary");
}

static void flush(tpm2_context *c, ESYS_TR *h) {
        if (*h != ESYS_TR_NONE)
                (void) Esys_FlushContext(c->esys, *h);
        *h = ESYS_TR_NONE;
}

/* A session salted with the SRK, so that parameters (the secret) travel encrypted. */
static int start_session(tpm2_context *c, ESYS_TR srk, TPM2_SE type, ESYS_TR *ret) {
        TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB };
        TSS2_RC rc;

        rc = Esys_StartAuthSession(c->esys, srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                                   type, &sym, TPM2_ALG_SHA256, ret);
        if (rc != TSS2_RC_SUCCESS)
                return rc_fail(rc, "Esys_StartAuthSession");
        rc = Esys_TRSess_SetAttributes(c->esys, *ret,
                                       TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION,
                                       0xff);
        return rc == TSS2_RC_SUCCESS ? 0 : rc_fail(rc, "Esys_TRSess_SetAttributes");
}

static void pin_auth(const char *pin, TPM2B_AUTH *ret) {
        *ret = (TPM2B_AUTH) { .size = MEAS_DIGEST_SIZE };
        meas_sha256_buf(pin, strlen(pin), ret->buffer);
}

int tpm2_seal(tpm2_context *c, uint32_t mask, const tpm2_pcr_values values, const char *pin,
              const void *secret, size_t secret_size, tpm2_sealed *ret) {
        ESYS_TR srk = ESYS_TR_NONE, session = ESYS_TR_NONE;
        TPM2B_SENSITIVE_CREATE *sens = NULL;
        TPM2B_PUBLIC pub = {
                .publicArea = {
                        .type = TPM2_ALG_KEYEDHASH,
                        .nameAlg = TPM2_ALG_SHA256,
                        /* No userWithAuth: only the policy can release it.  Without a PIN
                         * there is nothing to guess, so no dictionary-attack accounting. */
                        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                            (pin ? 0 : TPMA_OBJECT_NODA),
                        .parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
                        .authPolicy.size = MEAS_DIGEST_SIZE,
                },
        };
        TPM2B_DATA outside = {};
        TPML_PCR_SELECTION creation_pcr = {};
        TPM2B_PRIVATE *out_priv = NULL;
        TPM2B_PUBLIC *out_pub = NULL;
        tpm2_sealed s = {};
        size_t off;
        TSS2_RC rc;
        int r;

        if (secret_size == 0 || secret_size > 128 || mask == 0)
                return -EINVAL;
        tpm2_policy_digest(mask, values, !!pin, s.policy);
        memcpy(pub.publicArea.authPolicy.buffer, s.policy, MEAS_DIGEST_SIZE);

        sens = secret_alloc(sizeof(*sens));
        if (!sens)
                return -ENOMEM;
        if (pin)
                pin_auth(pin, &sens->sensitive.userAuth);
        sens->sensitive.data.size = (UINT16) secret_size;
        memcpy(sens->sensitive.data.buffer, secret, secret_size);

        r = create_srk(c, false, &srk);
        if (r == -EIO) {
                /* A TPM without ECC P-256: the RSA 2048 template. */
                r = create_srk(c, true, &srk);
                snprintf(s.srk, sizeof(s.srk), "rsa");
        } else
                snprintf(s.srk, sizeof(s.srk), "ecc");
        if (r < 0)
                goto out;
        r = start_session(c, srk, TPM2_SE_HMAC, &session);
        if (r < 0)
                goto out;
        rc = Esys_Create(c->esys, srk, session, ESYS_TR_NONE, ESYS_TR_NONE, sens, &pub, &outside, &creation_pcr,
                         &out_priv, &out_pub, NULL, NULL, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_fail(rc, "Esys_Create");
                goto out;
        }

        s.private_blob = malloc(sizeof(TPM2B_PRIVATE));
        s.public_blob = malloc(sizeof(TPM2B_PUBLIC));
        if (!s.private_blob || !s.public_blob) {
                r = -ENOMEM;
                goto out;
        }
        off = 0;
        rc = Tss2_MU_TPM2B_PRIVATE_Marshal(out_priv, s.private_blob, sizeof(TPM2B_PRIVATE), &off);
        s.private_size = off;
        off = 0;
        if (rc == TSS2_RC_SUCCESS)
                rc = Tss2_MU_TPM2B_PUBLIC_Marshal(out_pub, s.public_blob, sizeof(TPM2B_PUBLIC), &off);
        s.public_size = off;
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_fail(rc, "Tss2_MU_Marshal");
                goto out;
        }
        *ret = s;
        s = (tpm2_sealed) {};
        r = 0;
out:
        tpm2_sealed_done(&s);
        Esys_Free(out_priv);
        Esys_Free(out_pub);
        flush(c, &session);
        flush(c, &srk);
        secret_free(sens);
        return r;
}

int tpm2_unseal(tpm2_context *c, uint32_t mask, const tpm2_sealed *sealed, const char *pin,
                void **ret_secret, size_t *ret_size) {
        ESYS_TR srk = ESYS_TR_NONE, session = ESYS_TR_NONE, policy = ESYS_TR_NONE, obj = ESYS_TR_NONE;
        TPM2B_PRIVATE priv = {};
        TPM2B_PUBLIC pub = {};
        TPM2B_DIGEST empty = {};
        TPML_PCR_SELECTION sel;
        TPM2B_SENSITIVE_DATA *data = NULL;
        size_t off = 0;
        void *out;
        TSS2_RC rc;
        int r;

        rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(sealed->private_blob, sealed->private_size, &off, &priv);
        if (rc != TSS2_RC_SUCCESS || off != sealed->private_size)
                return -EBADMSG;
        off = 0;
        rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(sealed->public_blob, sealed->public_size, &off, &pub);
        if (rc != TSS2_RC_SUCCESS || off != sealed->public_size)
                return -EBADMSG;

        r = create_srk(c, strcmp(sealed->srk, "rsa") == 0, &srk);
        if (r < 0)
                goto out;
        r = start_session(c, srk, TPM2_SE_HMAC, &session);
        if (r < 0)
                goto out;
        rc = Esys_Load(c->esys, srk, session, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &obj);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_fail(rc, "Esys_Load");
                if (r == -EIO || r == -EKEYREJECTED)
                        r = -EBADMSG;
                goto out;
        }
        flush(c, &session);

        r = start_session(c, srk, TPM2_SE_POLICY, &policy);
        if (r < 0)
                goto out;
        pcr_selection(mask, &sel);
        rc = Esys_PolicyPCR(c->esys, policy, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_fail(rc, "Esys_PolicyPCR");
                goto out;
        }
        if (pin) {
                TPM2B_AUTH auth;

                rc = Esys_PolicyAuthValue(c->esys, policy, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE);
                if (rc != TSS2_RC_SUCCESS) {
                        r = rc_fail(rc, "Esys_PolicyAuthValue");
                        goto out;
                }
                pin_auth(pin, &auth);
                rc = Esys_TR_SetAuth(c->esys, obj, &auth);
                erase_memory(&auth, sizeof(auth));
                if (rc != TSS2_RC_SUCCESS) {
                        r = rc_fail(rc, "Esys_TR_SetAuth");
                        goto out;
                }
        }
        rc = Esys_Unseal(c->esys, obj, policy, ESYS_TR_NONE, ESYS_TR_NONE, &data);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_fail(rc, "Esys_Unseal");
                goto out;
        }
        out = secret_alloc(data->size ?: 1);
        if (!out) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(out, data->buffer, data->size);
        *ret_secret = out;
        *ret_size = data->size;
        r = 0;
out:
        if (data) {
                erase_memory(data, sizeof(*data));
                Esys_Free(data);
        }
        flush(c, &obj);
        flush(c, &policy);
        flush(c, &session);
        flush(c, &srk);
        return r;
}

static int get_property(tpm2_context *c, TPM2_PT first, uint32_t count, uint32_t *values) {
        TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more;
        TSS2_RC rc;

        rc = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES, first,
                                count, &more, &cap);
        if (rc != TSS2_RC_SUCCESS)
                return rc_fail(rc, "Esys_GetCapability");
        for (uint32_t i = 0; i < count; i++) {
                values[i] = 0;
                for (uint32_t k = 0; k < cap->data.tpmProperties.count; k++)
                        if (cap->data.tpmProperties.tpmProperty[k].property == first + i)
                                values[i] = cap->data.tpmProperties.tpmProperty[k].value;
        }
        Esys_Free(cap);
        return 0;
}

int tpm2_get_lockout(tpm2_context *c, tpm2_lockout *ret) {
        uint32_t perm, v[4];
        int r;

        r = get_property(c, TPM2_PT_PERMANENT, 1, &perm);
        if (r < 0)
                return r;
        r = get_property(c, TPM2_PT_LOCKOUT_COUNTER, 4, v);
        if (r < 0)
                return r;
        *ret = (tpm2_lockout) {
                .in_lockout = perm & TPMA_PERMANENT_INLOCKOUT,
                .counter = v[0],
                .max_tries = v[1],
                .interval = v[2],
                .recovery = v[3],
        };
        return 0;
}

uint64_t tpm2_lockout_remaining(const tpm2_lockout *l) {
        /* failedTries drops by one every lockoutInterval seconds (of TPM power-on time);
         * authorizations work again once it is below maxTries. */
        if (!l->in_lockout && l->counter < l->max_tries)
                return 0;
        if (l->max_tries == 0)
                return l->interval ? 0 : UINT64_MAX; /* maxTries 0: locked until cleared */
        return ((uint64_t) l->counter - l->max_tries + 1) * l->interval;
}

int tpm2_check_enabled(tpm2_context *c) {
        uint32_t sc;
        int r;

        r = get_property(c, TPM2_PT_STARTUP_CLEAR, 1, &sc);
        if (r < 0)
                return r;
        return (sc & TPMA_STARTUP_CLEAR_SHENABLE) ? 0 : -ENXIO;
}
