/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "xenbus-state.h"

static void test_step(void **state) {
        /* Fresh device: features, InitWait. */
        assert_int_equal(xenbus_backend_step(XENBUS_UNKNOWN, XENBUS_INITIALISING), XENBUS_ACTION_INIT);
        assert_int_equal(xenbus_backend_step(XENBUS_INITIALISING, XENBUS_UNKNOWN), XENBUS_ACTION_INIT);
        /* Waiting for the frontend. */
        assert_int_equal(xenbus_backend_step(XENBUS_INIT_WAIT, XENBUS_INITIALISING), XENBUS_ACTION_NONE);
        assert_int_equal(xenbus_backend_step(XENBUS_INIT_WAIT, XENBUS_INITIALISED), XENBUS_ACTION_CONNECT);
        assert_int_equal(xenbus_backend_step(XENBUS_INIT_WAIT, XENBUS_CONNECTED), XENBUS_ACTION_CONNECT);
        /* Connected: stays, until the frontend closes, vanishes or restarts. */
        assert_int_equal(xenbus_backend_step(XENBUS_CONNECTED, XENBUS_CONNECTED), XENBUS_ACTION_NONE);
        assert_int_equal(xenbus_backend_step(XENBUS_CONNECTED, XENBUS_CLOSING), XENBUS_ACTION_DISCONNECT);
        assert_int_equal(xenbus_backend_step(XENBUS_CONNECTED, XENBUS_UNKNOWN), XENBUS_ACTION_DISCONNECT);
        assert_int_equal(xenbus_backend_step(XENBUS_CONNECTED, XENBUS_INITIALISING), XENBUS_ACTION_DISCONNECT);
        /* Closed: a frontend starting over gets a new back end; otherwise nothing. */
        assert_int_equal(xenbus_backend_step(XENBUS_CLOSED, XENBUS_CLOSED), XENBUS_ACTION_NONE);
        assert_int_equal(xenbus_backend_step(XENBUS_CLOSED, XENBUS_CONNECTED), XENBUS_ACTION_NONE);
        assert_int_equal(xenbus_backend_step(XENBUS_CLOSED, XENBUS_INITIALISING), XENBUS_ACTION_INIT);
        assert_int_equal(xenbus_backend_step(XENBUS_RECONFIGURING, XENBUS_CONNECTED), XENBUS_ACTION_DISCONNECT);
}

static void test_parse(void **state) {
        XenbusState s;
        uint64_t v;

        assert_int_equal(xenbus_state_parse("4", 1, &s), 0);
        assert_int_equal(s, XENBUS_CONNECTED);
        assert_int_equal(xenbus_state_parse("9", 1, &s), -EINVAL);
        assert_int_equal(xenbus_state_parse("-1", 2, &s), -EINVAL);
        assert_int_equal(xenbus_state_parse("4 ", 2, &s), -EINVAL);
        assert_int_equal(xenbus_state_parse("", 0, &s), -EINVAL);
        assert_int_equal(xenbus_state_parse("00000000000000000000004", 23, &s), -EINVAL);

        assert_int_equal(xenbus_parse_uint("18446744073709551615", 20, UINT64_MAX, &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(xenbus_parse_uint("18446744073709551616", 20, UINT64_MAX, &v), -ERANGE);
        assert_int_equal(xenbus_parse_uint("4096", 4, 4095, &v), -ERANGE);
        assert_int_equal(xenbus_parse_uint("12a", 3, 4095, &v), -EINVAL);
        /* Length is what counts, not a NUL (xenstore values are not terminated). */
        assert_int_equal(xenbus_parse_uint("12\0" "3", 4, 4095, &v), -EINVAL);

        assert_int_equal(xenbus_protocol_word_size(NULL, 0), 8);
        assert_int_equal(xenbus_protocol_word_size("x86_64-abi", 10), 8);
        assert_int_equal(xenbus_protocol_word_size("x86_32-abi", 10), 4);
        assert_int_equal(xenbus_protocol_word_size("arm-abi", 7), -EPROTONOSUPPORT);
        assert_int_equal(xenbus_protocol_word_size("x86_64-abiX", 11), -EPROTONOSUPPORT);
        assert_string_equal(xenbus_state_to_string(XENBUS_INIT_WAIT), "InitWait");
        assert_string_equal(xenbus_state_to_string(42), "invalid");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_step),
                cmocka_unit_test(test_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
