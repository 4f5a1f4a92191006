/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void test_parse_u64(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_u64("42", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_u64("0x1000", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(parse_u64("12abc", &v), -EINVAL);
        assert_int_equal(parse_u64("-1", &v), -EINVAL);
        assert_int_equal(parse_u64(" 1", &v), -EINVAL);
        assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
}

static void test_strstrip(void **state) {
        char buf[] = "  \thello world \n";
        assert_string_equal(strstrip(buf), "hello world");
}

static void test_read_write_file(void **state) {
        char dir[] = "/tmp/cairn-test-XXXXXX";
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&path, "%s/f", dir) > 0);
        assert_int_equal(write_file_atomic(path, "abc\n", 4, 0600), 0);
        assert_int_equal(read_full_file(path, 16, &data, &size), 0);
        assert_int_equal(size, 4);
        assert_string_equal(data, "abc\n");
        free(TAKE_PTR(data));
        /* A file over the limit is refused, not truncated. */
        assert_int_equal(read_full_file(path, 3, &data, &size), -EFBIG);
        assert_null(data);
        assert_int_equal(read_full_file("/nonexistent/x", 16, &data, &size), -ENOENT);
        unlink(path);
        rmdir(dir);
}

static void test_log_returns_negative_errno(void **state) {
        log_set_max_level(LOG_LEVEL_ERR - 1); /* silence */
        assert_int_equal(log_error_errno(EIO, "x"), -EIO);
        assert_int_equal(log_error_errno(-ENOENT, "x"), -ENOENT);
        assert_int_equal(log_error("x"), 0);
        assert_int_equal(log_level_from_string("debug"), LOG_LEVEL_DEBUG);
        assert_int_equal(log_level_from_string("3"), 3);
        assert_int_equal(log_level_from_string("loud"), -EINVAL);
}

static void test_unhexchar(void **state) {
        assert_int_equal(unhexchar('0'), 0);
        assert_int_equal(unhexchar('9'), 9);
        assert_int_equal(unhexchar('a'), 10);
        assert_int_equal(unhexchar('F'), 15);
        assert_int_equal(unhexchar('g'), -1);
        assert_int_equal(unhexchar('\0'), -1);
}

static void test_take_ptr(void **state) {
        _cleanup_free_ char *p = strdup("x");
        char *q = TAKE_PTR(p);
        assert_null(p);
        free(q);
}

static void test_now_monotonic_usec(void **state) {
        uint64_t a = now_monotonic_usec(), b;

        assert_true(a > 0);
        assert_int_equal(usleep(2000), 0);
        b = now_monotonic_usec();
        assert_true(b >= a + 2000);
        assert_true(b < a + 10 * 1000000ULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64),
                cmocka_unit_test(test_strstrip),
                cmocka_unit_test(test_read_write_file),
                cmocka_unit_test(test_log_returns_negative_errno),
                cmocka_unit_test(test_unhexchar),
                cmocka_unit_test(test_take_ptr),
                cmocka_unit_test(test_now_monotonic_usec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
