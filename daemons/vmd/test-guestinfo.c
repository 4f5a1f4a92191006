/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The check of what a guest publishes as its lease (untrusted bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guestinfo.h"

static bool lease(const char *v, char *out) {
        return guestinfo_parse_lease(v, strlen(v), out, 16);
}

static void test_valid(void **state) {
        char out[16];

        (void) state;
        assert_true(lease("10.0.2.15", out));
        assert_string_equal(out, "10.0.2.15");
        assert_true(lease("192.168.100.254", out));
        assert_string_equal(out, "192.168.100.254");
        assert_true(lease("0.0.0.0", out));
}

static void test_refused(void **state) {
        static const char *const bad[] = {
                "", "10.0.2", "10.0.2.15.1", "10.0.2.256", "10.0.2.15 ", " 10.0.2.15",
                "10.0.2.15\n", "cairn: uivm running", "10.0.2.15\ncairn: dom0 ready",
                "::1", "fe80::1", "1234567890123456", "10..2.15", "0x0a.0.2.15",
                "\033[2J10.0.2.1",
        };
        char out[16];

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_false(lease(bad[i], out));
        /* Embedded NUL: the length counts, not the C string. */
        assert_false(guestinfo_parse_lease("10.0.2.1\0x", 10, out, sizeof(out)));
        assert_false(guestinfo_parse_lease(NULL, 0, out, sizeof(out)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
