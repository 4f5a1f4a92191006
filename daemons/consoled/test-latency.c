/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "latency.h"

static void test_empty(void **state) {
        LatencyStats *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        assert_int_equal(latency_percentile(s, 50), 0);
        assert_int_equal(latency_percentile(s, 99), 0);
        free(s);
}

static void test_percentiles(void **state) {
        LatencyStats *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        /* 100 samples, 1..100 us, added in a scrambled order. */
        for (unsigned i = 0; i < 100; i++)
                latency_add(s, 1000, 1000 + 1 + (i * 37) % 100);
        assert_int_equal(s->count, 100);
        assert_int_equal(latency_percentile(s, 0), 1);
        assert_int_equal(latency_percentile(s, 50), 50);
        assert_int_equal(latency_percentile(s, 99), 99);
        assert_int_equal(latency_percentile(s, 100), 100);
        assert_int_equal(latency_percentile(s, 250), 100);
        /* One sample: every percentile is that sample. */
        latency_reset(s);
        latency_add(s, 5, 12);
        assert_int_equal(latency_percentile(s, 1), 7);
        assert_int_equal(latency_percentile(s, 99), 7);
        free(s);
}

static void test_no_sample(void **state) {
        LatencyStats *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        latency_add(s, 0, 500);         /* no timestamp */
        latency_add(s, 600, 500);       /* a timestamp from the future */
        assert_int_equal(s->count, 0);
        latency_add(s, 1, UINT64_MAX);  /* clamped, not wrapped */
        assert_int_equal(latency_percentile(s, 50), UINT32_MAX);
        free(s);
}

static void test_keeps_the_last(void **state) {
        LatencyStats *s = calloc(1, sizeof(*s));

        assert_non_null(s);
        /* A slow start, then LATENCY_SAMPLES fast ones: only the fast ones count. */
        for (unsigned i = 0; i < 100; i++)
                latency_add(s, 1, 1 + 900000);
        for (unsigned i = 0; i < LATENCY_SAMPLES; i++)
                latency_add(s, 1, 1 + 200 + i % 10);
        assert_int_equal(s->count, 100 + LATENCY_SAMPLES);
        assert_int_equal(latency_percentile(s, 100), 209);
        assert_int_equal(latency_percentile(s, 0), 200);
        free(s);
}

static void test_frames(void **state) {
        FrameStats f;

        frames_reset(&f, 1234);
        assert_int_equal(f.since, 1234);
        assert_int_equal(f.presents, 0);
        frames_add(&f, 1024, 768, true, 10, 4010);
        frames_add(&f, 16, 16, false, 5000, 5100);
        frames_add(&f, 16, 16, false, 6000, 5000);      /* the clock went back: no time */
        assert_int_equal(f.presents, 3);
        assert_int_equal(f.full, 1);
        assert_int_equal(f.pixels, 1024 * 768 + 2 * 256);
        assert_int_equal(f.busy_usec, 4100);
        frames_add(&f, UINT32_MAX, UINT32_MAX, false, 0, 0);  /* no overflow of the product */
        assert_int_equal(f.pixels, 1024 * 768 + 2 * 256 + (uint64_t) UINT32_MAX * UINT32_MAX);
        frames_reset(&f, 99);
        assert_int_equal(f.since, 99);
        assert_int_equal(f.full, 0);
        assert_int_equal(f.pixels, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_percentiles),
                cmocka_unit_test(test_no_sample),
                cmocka_unit_test(test_keeps_the_last),
                cmocka_unit_test(test_frames),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
