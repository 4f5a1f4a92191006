/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known-answer tests: PCR extend, policy digests (values computed independently with
 * Python's hashlib; the swtpm test shows a real TPM agrees), hex, PCR lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "tpm2-util.h"

static void test_extend(void **state) {
        uint8_t pcr[MEAS_DIGEST_SIZE] = {}, d[MEAS_DIGEST_SIZE];
        char hex[65];

        meas_sha256_buf("abc", 3, d);
        pcr_extend(pcr, d);
        hex_encode(pcr, sizeof(pcr), hex);
        assert_string_equal(hex, "589f9ffed4c477966bfb8d41f37895b08c69047df8f911d6f3b57fbe08faee8d");
}

static void test_policy(void **state) {
        tpm2_pcr_values v = {};
        uint8_t d[MEAS_DIGEST_SIZE];
        char hex[65];

        memset(v[8], 1, MEAS_DIGEST_SIZE);
        memset(v[9], 0xee, MEAS_DIGEST_SIZE); /* not in the mask: must not matter */
        tpm2_policy_digest((1u << 7) | (1u << 8), v, false, d);
        hex_encode(d, sizeof(d), hex);
        assert_string_equal(hex, "7d337b5abad7d1e8b8c8cc4de8f511323aa719cfa13c4cf55c25e421ffbdecb5");
        tpm2_policy_digest((1u << 7) | (1u << 8), v, true, d);
        hex_encode(d, sizeof(d), hex);
        assert_string_equal(hex, "0116acb47855ddd1bec843656f3b0d5d8ebac3dc5ca086515ef9d66153ea5204");
}

static void test_hex(void **state) {
        uint8_t b[4];

        assert_int_equal(hex_decode("00fFa5", b, 3), 0);
        assert_int_equal(b[1], 0xff);
        assert_int_equal(b[2], 0xa5);
        assert_int_equal(hex_decode("00f", b, 2), -EINVAL);
        assert_int_equal(hex_decode("zz", b, 1), -EINVAL);
}

static void test_mask(void **state) {
        uint32_t m;
        char buf[64];

        assert_int_equal(pcr_mask_from_string("0,2,4,7-9", &m), 0);
        assert_int_equal(m, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 7) | (1u << 8) | (1u << 9));
        assert_string_equal(pcr_mask_to_string(m, buf, sizeof(buf)), "0,2,4,7,8,9");
        assert_int_equal(pcr_mask_from_string("24", &m), -EINVAL);
        assert_int_equal(pcr_mask_from_string("3-1", &m), -EINVAL);
        assert_int_equal(pcr_mask_from_string("1,,", &m), -EINVAL);
        assert_int_equal(pcr_mask_from_string("none", &m), 0);
        assert_int_equal(m, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_extend),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_hex),
                cmocka_unit_test(test_mask),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
