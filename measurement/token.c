/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "token.h"
#include "util.h"

#define MAX_BLOB 4096
#define MAX_EVENTS 4096
#define MAX_TEXT 4096

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const uint8_t *d, size_t n, char **ret) {
        char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) d[i] << 16 | (i + 1 < n ? (uint32_t) d[i + 1] << 8 : 0) |
                             (i + 2 < n ? d[i + 2] : 0);

                *o++ = b64[v >> 18];
                *o++ = b64[(v >> 12) & 63];
                *o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? b64[v & 63] : '=';
        }
        *o = '\0';
        *ret = s;
        return 0;
}

int base64_decode(const char *s, uint8_t **ret, size_t *ret_size) {
        size_t len = strlen(s), n = 0;
        uint8_t *out;

        if (len % 4 != 0)
                return -EBADMSG;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i += 4) {
                uint32_t v = 0;
                int pad = 0;

                for (int k = 0; k < 4; k++) {
                        const char *p;
                        char ch = s[i + k];

                        if (ch == '=' && i + 4 == len && k >= 2) {
                                pad++;
                                v <<= 6;
                                continue;
                        }
                        p = ch ? strchr(b64, ch) : NULL;
                        if (!p || pad) {
                                free(out);
                                return -EBADMSG;
                        }
                        v = v << 6 | (uint32_t) (p - b64);
                }
                out[n++] = (uint8_t) (v >> 16);
                if (pad < 2)
                        out[n++] = (uint8_t) (v >> 8);
                if (pad < 1)
                        out[n++] = (uint8_t) v;
        }
        *ret = out;
        *ret_size = n;
        return 0;
}

void cairn_token_done(cairn_token *t) {
        if (!t)
                return;
        tpm2_sealed_done(&t->sealed);
        meas_log_done(&t->events);
        *t = (cairn_token) {};
}

static int add_b64(json_object *o, const char *key, const uint8_t *d, size_t n) {
        _cleanup_free_ char *s = NULL;
        int r = base64_encode(d, n, &s);

        if (r < 0)
                return r;
        return json_object_object_add(o, key, json_object_new_string(s)) < 0 ? -ENOMEM : 0;
}

int cairn_token_to_json(const cairn_token *t, char **ret) {
        json_object *o = json_object_new_object(), *slots, *pcrs, *values, *events;
        char hex[2 * MEAS_DIGEST_SIZE + 1], num[16];
        const char *s;
        int r;

        if (!o)
                return -ENOMEM;
        slots = json_object_new_array();
        pcrs = json_object_new_array();
        values = json_object_new_object();
        events = json_object_new_array();
        snprintf(num, sizeof(num), "%d", t->keyslot);
        json_object_array_add(slots, json_object_new_string(num));
        json_object_object_add(o, "type", json_object_new_string(CAIRN_TOKEN_TYPE));
        json_object_object_add(o, "keyslots", slots);
        json_object_object_add(o, "cairn-version", json_object_new_int(1));
        r = add_b64(o, "tpm2-private", t->sealed.private_blob, t->sealed.private_size);
        if (r >= 0)
                r = add_b64(o, "tpm2-public", t->sealed.public_blob, t->sealed.public_size);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        json_object_object_add(o, "tpm2-srk", json_object_new_string(t->sealed.srk));
        json_object_object_add(o, "tpm2-pcr-bank", json_object_new_string("sha256"));
        for (unsigned i = 0; i < MEAS_PCR_MAX; i++)
                if (t->pcr_mask & (1u << i)) {
                        json_object_array_add(pcrs, json_object_new_int((int) i));
                        hex_encode(t->pcr_values[i], MEAS_DIGEST_SIZE, hex);
                        snprintf(num, sizeof(num), "%u", i);
                        json_object_object_add(values, num, json_object_new_string(hex));
                }
        json_object_object_add(o, "tpm2-pcrs", pcrs);
        json_object_object_add(o, "tpm2-pcr-values", values);
        hex_encode(t->sealed.policy, MEAS_DIGEST_SIZE, hex);
        json_object_object_add(o, "tpm2-policy-hash", json_object_new_string(hex));
        json_object_object_add(o, "tpm2-pin", json_object_new_boolean(t->pin));
        for (size_t i = 0; i < t->events.n_events; i++) {
                const meas_event *e = &t->events.events[i];
                json_object *j = json_object_new_object();

                hex_encode(e->digest, MEAS_DIGEST_SIZE, hex);
                json_object_object_add(j, "pcr", json_object_new_int((int) e->pcr));
                json_object_object_add(j, "kind", json_object_new_string(meas_kind_to_string(e->kind)));
                json_object_object_add(j, "index", json_object_new_int((int) e->index));
                json_object_object_add(j, "digest", json_object_new_string(hex));
                /* Command lines and paths help the report; file contents are never stored. */
                if (e->text && e->kind != MEAS_KIND_GRUB_COMMAND)
                        json_object_object_add(j, "text", json_object_new_string_len(e->text, (int) strnlen(e->text, MAX_TEXT)));
                json_object_array_add(events, j);
        }
        json_object_object_add(o, "events", events);
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = s ? strdup(s) : NULL;
        json_object_put(o);
        return *ret ? 0 : -ENOMEM;
}

static json_object *get(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static int get_blob(json_object *o, const char *key, uint8_t **ret, size_t *ret_size) {
        json_object *v = get(o, key, json_type_string);
        const char *s = v ? json_object_get_string(v) : NULL;

        if (!s || strlen(s) > MAX_BLOB * 2)
                return -EBADMSG;
        return base64_decode(s, ret, ret_size);
}

static int get_uint(json_object *o, const char *key, unsigned max, unsigned *ret) {
        json_object *v = get(o, key, json_type_int);
        int64_t x;

        if (!v)
                return -EBADMSG;
        x = json_object_get_int64(v);
        if (x < 0 || x > (int64_t) max)
                return -EBADMSG;
        *ret = (unsigned) x;
        return 0;
}

int cairn_token_from_json(const char *json, size_t size, cairn_token *ret) {
        json_tokener *tok = NULL;
        json_object *o = NULL, *v, *slots, *pcrs, *values, *events;
        cairn_token t = {};
        const char *s;
        uint64_t slot;
        int r = -EBADMSG;

        if (size > CAIRN_TOKEN_MAX_JSON)
                return -EBADMSG;
        tok = json_tokener_new_ex(32);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, json, (int) size);
        if (!o || json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(o, json_type_object))
                goto out;
        v = get(o, "type", json_type_string);
        if (!v)
                goto out;
        if (strcmp(json_object_get_string(v), CAIRN_TOKEN_TYPE) != 0) {
                r = -EMEDIUMTYPE;
                goto out;
        }
        slots = get(o, "keyslots", json_type_array);
        if (!slots || json_object_array_length(slots) != 1)
                goto out;
        v = json_object_array_get_idx(slots, 0);
        if (!json_object_is_type(v, json_type_string) || parse_u64(json_object_get_string(v), &slot) < 0 ||
            slot > 31)
                goto out;
        t.keyslot = (int) slot;

        if (get_blob(o, "tpm2-private", &t.sealed.private_blob, &t.sealed.private_size) < 0 ||
            get_blob(o, "tpm2-public", &t.sealed.public_blob, &t.sealed.public_size) < 0)
                goto out;
        v = get(o, "tpm2-srk", json_type_string);
        if (!v || (strcmp(json_object_get_string(v), "ecc") != 0 && strcmp(json_object_get_string(v), "rsa") != 0))
                goto out;
        snprintf(t.sealed.srk, sizeof(t.sealed.srk), "%s", json_object_get_string(v));
        v = get(o, "tpm2-pcr-bank", json_type_string);
        if (!v || strcmp(json_object_get_string(v), "sha256") != 0)
                goto out;
        v = get(o, "tpm2-policy-hash", json_type_string);
        if (!v || hex_decode(json_object_get_string(v), t.sealed.policy, MEAS_DIGEST_SIZE) < 0)
                goto out;
        v = get(o, "tpm2-pin", json_type_boolean);
        if (!v)
                goto out;
        t.pin = json_object_get_boolean(v);

        pcrs = get(o, "tpm2-pcrs", json_type_array);
        values = get(o, "tpm2-pcr-values", json_type_object);
        if (!pcrs || !values || json_object_array_length(pcrs) == 0 || json_object_array_length(pcrs) > MEAS_PCR_MAX)
                goto out;
        for (size_t i = 0; i < json_object_array_length(pcrs); i++) {
                json_object *p = json_object_array_get_idx(pcrs, i), *hv;
                int64_t idx;
                char key[16];

                if (!json_object_is_type(p, json_type_int))
                        goto out;
                idx = json_object_get_int64(p);
                if (idx < 0 || idx >= MEAS_PCR_MAX || (t.pcr_mask & (1u << idx)))
                        goto out;
                t.pcr_mask |= 1u << idx;
                snprintf(key, sizeof(key), "%u", (unsigned) idx);
                hv = get(values, key, json_type_string);
                if (!hv || hex_decode(json_object_get_string(hv), t.pcr_values[idx], MEAS_DIGEST_SIZE) < 0)
                        goto out;
        }

        events = get(o, "events", json_type_array);
        if (events) {
                size_t n = json_object_array_length(events);

                if (n > MAX_EVENTS)
                        goto out;
                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(events, i), *tx;
                        uint8_t d[MEAS_DIGEST_SIZE];
                        unsigned pcr, index;
                        int kind;

                        if (!json_object_is_type(e, json_type_object) || get_uint(e, "pcr", MEAS_PCR_MAX - 1, &pcr) < 0 ||
                            get_uint(e, "index", 0xffff, &index) < 0)
                                goto out;
                        v = get(e, "kind", json_type_string);
                        kind = v ? meas_kind_from_string(json_object_get_string(v)) : -EINVAL;
                        if (kind < 0)
                                goto out;
                        v = get(e, "digest", json_type_string);
                        if (!v || hex_decode(json_object_get_string(v), d, sizeof(d)) < 0)
                                goto out;
                        tx = get(e, "text", json_type_string);
                        s = tx ? json_object_get_string(tx) : NULL;
                        if (s && strlen(s) > MAX_TEXT)
                                goto out;
                        r = meas_log_add(&t.events, pcr, (meas_kind) kind, index, s, d);
                        if (r < 0)
                                goto out;
                        r = -EBADMSG;
                }
        }
        *ret = t;
        t = (cairn_token) {};
        r = 0;
out:
        cairn_token_done(&t);
        json_object_put(o);
        json_tokener_free(tok);
        return r;
}
