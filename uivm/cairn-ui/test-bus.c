/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The retry schedules of the bus client (bus.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus.h"

static void test_backoff(void **state) {
        uint64_t d = cbus_backoff_next(0);
        assert_int_equal(d, 250 * 1000);
        for (int i = 0; i < 20; i++) {
                uint64_t next = cbus_backoff_next(d);
                assert_true(next >= d);
                d = next;
        }
        assert_int_equal(d, 8 * 1000 * 1000); /* capped: a service coming back is seen soon */
}

static void test_backoff_denied(void **state) {
        /* Refused by dom0's rules: never sooner than 30 s, doubling up to 10 min, also
         * when the first failures were ordinary ones (short delays). */
        uint64_t d = cbus_backoff_denied_next(cbus_backoff_next(0));
        assert_int_equal(d, 30 * 1000 * 1000ULL);
        assert_int_equal(cbus_backoff_denied_next(d), 60 * 1000 * 1000ULL);
        for (int i = 0; i < 20; i++)
                d = cbus_backoff_denied_next(d);
        assert_int_equal(d, 10 * 60 * 1000 * 1000ULL);
        /* Reachable again, then refused: the schedule starts at 30 s again. */
        assert_int_equal(cbus_backoff_denied_next(0), 30 * 1000 * 1000ULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_backoff),
                cmocka_unit_test(test_backoff_denied),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
