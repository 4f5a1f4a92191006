/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firmware event log parsing: a synthetic crypto-agile log (SHA-1 + SHA-256, like
 * SeaBIOS writes), its replay, and truncated/garbled logs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eventlog.h"

static size_t put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
        p[2] = (uint8_t) (v >> 16);
        p[3] = (uint8_t) (v >> 24);
        return 4;
}

static size_t build(uint8_t *b) {
        size_t o = 0;
        uint8_t spec[32] = "Spec ID Event03";

        /* header event: pcr 0, EV_NO_ACTION, 20 zero bytes, spec ID with 2 algorithms */
        o += put32(b + o, 0);
        o += put32(b + o, 3);
        memset(b + o, 0, 20);
        o += 20;
        o += put32(b + o, 24 + 4 + 8 + 1);
        memcpy(b + o, spec, 24);
        o += 24;
        o += put32(b + o, 2);
        b[o++] = 0x04, b[o++] = 0, b[o++] = 20, b[o++] = 0;
        b[o++] = 0x0b, b[o++] = 0, b[o++] = 32, b[o++] = 0;
        b[o++] = 0; /* vendorInfoSize */
        for (uint32_t i = 0; i < 3; i++) {
                o += put32(b + o, i == 2 ? 4 : 0);      /* pcr */
                o += put32(b + o, i == 2 ? 0xd : 0x8); /* type */
                o += put32(b + o, 2);
                b[o++] = 0x04, b[o++] = 0;
                memset(b + o, 0x11, 20);
                o += 20;
                b[o++] = 0x0b, b[o++] = 0;
                memset(b + o, (int) (0x20 + i), 32);
                o += 32;
                o += put32(b + o, 3);
                memcpy(b + o, "abc", 3);
                o += 3;
        }
        return o;
}

static void test_parse(void **state) {
        uint8_t b[1024], v[MEAS_DIGEST_SIZE], want[MEAS_DIGEST_SIZE] = {}, d[MEAS_DIGEST_SIZE];
        size_t n = build(b);
        eventlog_info info;
        meas_log log = {};

        assert_int_equal(eventlog_parse(b, n, &log, &info), 0);
        assert_true(info.crypto_agile);
        assert_true(info.has_sha256);
        assert_int_equal(info.n_events, 4);
        assert_int_equal(log.n_events, 3);
        assert_string_equal(log.events[2].text, "EV_IPL");
        meas_log_replay(&log, 0, v);
        memset(d, 0x20, sizeof(d));
        pcr_extend(want, d);
        memset(d, 0x21, sizeof(d));
        pcr_extend(want, d);
        assert_memory_equal(v, want, MEAS_DIGEST_SIZE);
        meas_log_done(&log);

        /* Every truncation is refused or parsed without reading past the end. */
        for (size_t k = 0; k < n; k++) {
                int r = eventlog_parse(b, k, &log, NULL);

                assert_true(r == 0 || r == -EBADMSG);
                meas_log_done(&log);
        }
        b[32 + 24] = 9; /* absurd algorithm count */
        assert_int_equal(eventlog_parse(b, n, &log, NULL), -EBADMSG);
        meas_log_done(&log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
