/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cairn-tpm2 token: JSON round trip and rejection of malformed tokens. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"

static void test_roundtrip(void **state) {
        cairn_token t = { .keyslot = 1, .pcr_mask = (1u << 7) | (1u << 9), .pin = true }, u = {};
        uint8_t d[MEAS_DIGEST_SIZE];
        char *json = NULL;

        t.sealed.private_blob = (uint8_t *) strdup("PRIV");
        t.sealed.private_size = 4;
        t.sealed.public_blob = (uint8_t *) strdup("PUBLIC");
        t.sealed.public_size = 6;
        snprintf(t.sealed.srk, sizeof(t.sealed.srk), "ecc");
        memset(t.pcr_values[9], 0x99, MEAS_DIGEST_SIZE);
        memset(d, 0x42, sizeof(d));
        assert_int_equal(meas_log_add(&t.events, 9, MEAS_KIND_KERNEL, 0, "/boot/xen.gz", d), 0);
        assert_int_equal(meas_log_add(&t.events, 8, MEAS_KIND_MODULE_CMDLINE, 0, "cairn.verity=ab", d), 0);

        assert_int_equal(cairn_token_to_json(&t, &json), 0);
        assert_non_null(strstr(json, "\"type\":\"cairn-tpm2\""));
        assert_non_null(strstr(json, "\"keyslots\":[\"1\"]"));
        assert_int_equal(cairn_token_from_json(json, strlen(json), &u), 0);
        assert_int_equal(u.keyslot, 1);
        assert_int_equal(u.pcr_mask, t.pcr_mask);
        assert_true(u.pin);
        assert_int_equal(u.sealed.private_size, 4);
        assert_memory_equal(u.sealed.public_blob, "PUBLIC", 6);
        assert_memory_equal(u.pcr_values[9], t.pcr_values[9], MEAS_DIGEST_SIZE);
        assert_int_equal(u.events.n_events, 2);
        assert_string_equal(u.events.events[1].text, "cairn.verity=ab");
        cairn_token_done(&u);
        cairn_token_done(&t);
        free(json);
}

static void test_reject(void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"type\":\"cairn-tpm2\"}",
                "{\"type\":\"cairn-tpm2\",\"keyslots\":[\"99\"]}",
                "{\"type\":\"cairn-tpm2\",\"keyslots\":[\"1\"],\"tpm2-private\":\"!!!!\",\"tpm2-public\":\"AA==\"}",
                "{\"type\":\"cairn-tpm2\",\"keyslots\":[\"1\"],\"tpm2-private\":\"AA==\",\"tpm2-public\":\"AA==\","
                "\"tpm2-srk\":\"ecc\",\"tpm2-pcr-bank\":\"sha256\",\"tpm2-policy-hash\":\"00\",\"tpm2-pin\":false}",
        };
        cairn_token t = {};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(cairn_token_from_json(bad[i], strlen(bad[i]), &t), -EBADMSG);
        assert_int_equal(cairn_token_from_json("{\"type\":\"systemd-tpm2\"}", 23, &t), -EMEDIUMTYPE);
}

static void test_base64(void **state) {
        static const char *const v[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
        static const char *const e[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

        for (size_t i = 0; i < 7; i++) {
                char *s;
                uint8_t *d;
                size_t n;

                assert_int_equal(base64_encode((const uint8_t *) v[i], strlen(v[i]), &s), 0);
                assert_string_equal(s, e[i]);
                assert_int_equal(base64_decode(s, &d, &n), 0);
                assert_int_equal(n, strlen(v[i]));
                assert_memory_equal(d, v[i], n);
                free(s);
                free(d);
        }
        {
                uint8_t *d;
                size_t n;

                assert_int_equal(base64_decode("Zg=a", &d, &n), -EBADMSG);
                assert_int_equal(base64_decode("Zg", &d, &n), -EBADMSG);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_reject),
                cmocka_unit_test(test_base64),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
