/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockpw.h"
#include "util.h"

static void test_hash_verify(void **state) {
        LockPw pw;

        assert_int_equal(lockpw_hash("correct horse", &pw), 0);
        assert_true(strncmp(pw.hash, "$y$", 3) == 0);
        assert_int_equal(lockpw_verify(&pw, "correct horse"), 1);
        assert_int_equal(lockpw_verify(&pw, "correct hors"), 0);
        assert_int_equal(lockpw_verify(&pw, "correct horse "), 0);
        assert_int_equal(lockpw_verify(&pw, ""), 0);
}

static void test_known_answer(void **state) {
        /* sha512crypt of "cairn" with salt "saltsalt" (made with `openssl passwd -6 -salt saltsalt cairn`). */
        LockPw pw;
        const char *h = "$6$saltsalt$lwOx7AVH3UsyJCkORWNbdOax23fo1AbGIhXH4t6j9LyIyjPIX9qmLoZhjJzDQV9tqskqV6d0wx2OeAjnr0ZRc0\n";

        assert_int_equal(lockpw_parse(h, strlen(h), &pw, NULL), 0);
        assert_int_equal(lockpw_verify(&pw, "cairn"), 1);
        assert_int_equal(lockpw_verify(&pw, "Cairn"), 0);
}

static void test_parse_bad(void **state) {
        LockPw pw;
        const char *reason = NULL;

        assert_int_equal(lockpw_parse("", 0, &pw, &reason), -EINVAL);
        assert_non_null(strstr(reason, "empty"));
        assert_int_equal(lockpw_parse("\n", 1, &pw, NULL), -EINVAL);
        assert_int_equal(lockpw_parse("$1$abc$def", 10, &pw, &reason), -EINVAL);   /* md5crypt: refused */
        assert_non_null(strstr(reason, "yescrypt"));
        assert_int_equal(lockpw_parse("plaintext", 9, &pw, NULL), -EINVAL);
        assert_int_equal(lockpw_parse("$y$j9T$a b", 10, &pw, &reason), -EINVAL);
        assert_non_null(strstr(reason, "one line"));
        assert_int_equal(lockpw_parse("$y$a\n$y$b", 9, &pw, NULL), -EINVAL);
}

static void test_load(void **state) {
        char path[] = "/tmp/test-lockpw-XXXXXX";
        LockPw pw, made;
        int fd;

        assert_int_equal(lockpw_load("/nonexistent/lock.hash", &pw), -ENOENT);
        assert_int_equal(lockpw_hash("s3cret", &made), 0);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_true(dprintf(fd, "%s\n", made.hash) > 0);
        close(fd);
        assert_int_equal(lockpw_load(path, &pw), 0);
        assert_int_equal(lockpw_verify(&pw, "s3cret"), 1);
        assert_int_equal(lockpw_verify(&pw, "secret"), 0);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash_verify),
                cmocka_unit_test(test_known_answer),
                cmocka_unit_test(test_parse_bad),
                cmocka_unit_test(test_load),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
