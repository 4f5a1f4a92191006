/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"

struct meas_sha256 {
        EVP_MD_CTX *ctx;
};

void meas_sha256_buf(const void *data, size_t size, uint8_t ret[MEAS_DIGEST_SIZE]) {
        unsigned len = MEAS_DIGEST_SIZE;

        /* EVP_Digest only fails on allocation failure; treat as fatal. */
        if (EVP_Digest(data, size, ret, &len, EVP_sha256(), NULL) != 1)
                abort();
}

int meas_sha256_new(meas_sha256 **ret) {
        meas_sha256 *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->ctx = EVP_MD_CTX_new();
        if (!c->ctx || EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL) != 1) {
                meas_sha256_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void meas_sha256_update(meas_sha256 *c, const void *data, size_t size) {
        if (EVP_DigestUpdate(c->ctx, data, size) != 1)
                abort();
}

void meas_sha256_final(meas_sha256 *c, uint8_t ret[MEAS_DIGEST_SIZE]) {
        unsigned len = MEAS_DIGEST_SIZE;

        if (EVP_DigestFinal_ex(c->ctx, ret, &len) != 1)
                abort();
}

void meas_sha256_free(meas_sha256 *c) {
        if (!c)
                return;
        EVP_MD_CTX_free(c->ctx);
        free(c);
}

void pcr_extend(uint8_t pcr[MEAS_DIGEST_SIZE], const uint8_t digest[MEAS_DIGEST_SIZE]) {
        uint8_t buf[2 * MEAS_DIGEST_SIZE];

        memcpy(buf, pcr, MEAS_DIGEST_SIZE);
        memcpy(buf + MEAS_DIGEST_SIZE, digest, MEAS_DIGEST_SIZE);
        meas_sha256_buf(buf, sizeof(buf), pcr);
}

void hex_encode(const uint8_t *data, size_t size, char *ret) {
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < size; i++) {
                ret[2 * i] = hex[data[i] >> 4];
                ret[2 * i + 1] = hex[data[i] & 15];
        }
        ret[2 * size] = '\0';
}

int hex_decode(const char *s, uint8_t *ret, size_t size) {
        if (!s || strlen(s) != 2 * size)
                return -EINVAL;
        for (size_t i = 0; i < size; i++) {
                int a = unhexchar(s[2 * i]), b = unhexchar(s[2 * i + 1]);

                if (a < 0 || b < 0)
                        return -EINVAL;
                ret[i] = (uint8_t) (a << 4 | b);
        }
        return 0;
}

int pcr_mask_from_string(const char *s, uint32_t *ret) {
        uint32_t mask = 0;
        const char *p = s;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "none") == 0 || s[0] == '\0') {
                *ret = 0;
                return 0;
        }
        while (*p) {
                char *end;
                unsigned long a, b;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                a = strtoul(p, &end, 10);
                b = a;
                if (*end == '-') {
                        p = end + 1;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                }
                if (a >= MEAS_PCR_MAX || b >= MEAS_PCR_MAX || b < a)
                        return -EINVAL;
                for (unsigned long i = a; i <= b; i++)
                        mask |= 1u << i;
                if (*end == ',' || *end == '+')
                        end++;
                else if (*end != '\0')
                        return -EINVAL;
                p = end;
        }
        *ret = mask;
        return 0;
}

char *pcr_mask_to_string(uint32_t mask, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++) {
                if (!(mask & (1u << i)))
                        continue;
                n += (size_t) snprintf(buf + n, n < size ? size - n : 0, "%s%u", n ? "," : "", i);
        }
        if (n == 0)
                snprintf(buf, size, "none");
        return buf;
}
