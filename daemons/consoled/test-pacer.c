/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "pacer.h"

static void test_first_at_once(void **state) {
        Pacer p = {};
        uint32_t x, y, w, h;
        uint64_t at = 0;

        assert_false(pacer_due(&p, 5, &at));            /* nothing pending */
        assert_false(pacer_take(&p, &x, &y, &w, &h));
        assert_true(pacer_add(&p, 10, 20, 30, 40, 800, 600));
        assert_true(pacer_due(&p, 5, &at));             /* an idle display presents at once */
        assert_true(pacer_take(&p, &x, &y, &w, &h));
        assert_int_equal(x, 10);
        assert_int_equal(y, 20);
        assert_int_equal(w, 30);
        assert_int_equal(h, 40);
        assert_false(pacer_take(&p, &x, &y, &w, &h));   /* taken: nothing left */
}

static void test_paced_and_merged(void **state) {
        Pacer p = {};
        uint32_t x, y, w, h;
        uint64_t at = 0;

        pacer_presented(&p, 1000);
        /* A flood of updates right after a present: one rectangle, due later. */
        assert_true(pacer_add(&p, 100, 100, 10, 10, 800, 600));
        assert_true(pacer_add(&p, 0, 300, 5, 5, 800, 600));
        assert_true(pacer_add(&p, 700, 50, 100, 1, 800, 600));
        assert_false(pacer_due(&p, 2000, &at));
        assert_int_equal(at, 1000 + PACER_INTERVAL_USEC);
        assert_true(pacer_due(&p, at, NULL));
        assert_true(pacer_take(&p, &x, &y, &w, &h));
        assert_int_equal(x, 0);
        assert_int_equal(y, 50);
        assert_int_equal(w, 800);
        assert_int_equal(h, 255);
}

static void test_clipped(void **state) {
        Pacer p = {};
        uint32_t x, y, w, h;

        /* Rectangles from the guest: outside, empty, or past the edges. */
        assert_false(pacer_add(&p, 800, 0, 1, 1, 800, 600));
        assert_false(pacer_add(&p, 0, 600, 1, 1, 800, 600));
        assert_false(pacer_add(&p, 5, 5, 0, 10, 800, 600));
        assert_false(pacer_add(&p, 5, 5, 10, 0, 800, 600));
        assert_false(pacer_take(&p, &x, &y, &w, &h));
        assert_true(pacer_add(&p, 790, 590, UINT32_MAX, UINT32_MAX, 800, 600));
        assert_true(pacer_take(&p, &x, &y, &w, &h));
        assert_int_equal(x, 790);
        assert_int_equal(y, 590);
        assert_int_equal(w, 10);
        assert_int_equal(h, 10);
        /* Random rectangles always merge into one inside the framebuffer. */
        srand(7);
        for (int i = 0; i < 10000; i++) {
                uint32_t rx = (uint32_t) rand() % 1000, ry = (uint32_t) rand() % 1000;
                uint32_t rw = (uint32_t) rand() % 2000, rh = i % 3 ? (uint32_t) rand() % 2000 : UINT32_MAX;

                (void) pacer_add(&p, rx, ry, rw, rh, 800, 600);
                if (i % 7 == 0 && pacer_take(&p, &x, &y, &w, &h)) {
                        assert_true(w > 0 && h > 0);
                        assert_true(x + w <= 800);
                        assert_true(y + h <= 600);
                }
        }
}

static void test_drop(void **state) {
        Pacer p = {};
        uint32_t x, y, w, h;

        assert_true(pacer_add(&p, 0, 0, 800, 600, 800, 600));
        pacer_drop(&p);
        assert_false(pacer_due(&p, UINT64_MAX, NULL));
        assert_false(pacer_take(&p, &x, &y, &w, &h));
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_at_once),
                cmocka_unit_test(test_paced_and_merged),
                cmocka_unit_test(test_clipped),
                cmocka_unit_test(test_drop),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
