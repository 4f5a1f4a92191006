/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The offscreen script parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "script.h"

static void test_parse(void **state) {
        script s;
        const char *text =
                "# a comment\n"
                "\n"
                "wait-connected\n"
                "  key Down  \n"
                "click 10 20\n"
                "wait-state work running\n"
                "sleep 250\n"
                "screenshot /tmp/x.png\n"
                "quit";

        assert_int_equal(script_parse("t", text, &s), 0);
        assert_int_equal(s.n, 7);
        assert_int_equal(s.cmds[0].op, SCRIPT_WAIT_CONNECTED);
        assert_int_equal(s.cmds[0].line, 3);
        assert_int_equal(s.cmds[1].op, SCRIPT_KEY);
        assert_int_equal(s.cmds[1].key, UI_KEY_DOWN);
        assert_int_equal(s.cmds[2].op, SCRIPT_CLICK);
        assert_int_equal(s.cmds[2].x, 10);
        assert_int_equal(s.cmds[2].y, 20);
        assert_int_equal(s.cmds[3].op, SCRIPT_WAIT_STATE);
        assert_string_equal(s.cmds[3].arg, "work");
        assert_string_equal(s.cmds[3].arg2, "running");
        assert_int_equal(s.cmds[4].x, 250);
        assert_string_equal(s.cmds[5].arg, "/tmp/x.png");
        assert_int_equal(s.cmds[6].op, SCRIPT_QUIT);
        assert_int_equal(s.cmds[6].line, 9);
        script_done(&s);
}

static void test_errors(void **state) {
        static const char *const bad[] = {
                "key\n", "key Hyper\n", "click 1\n", "click a b\n", "click -1 5\n",
                "sleep 9999999\n", "frobnicate\n", "wait-signal now\n", "key Up Down\n",
                "click 1 2 3 4\n",
        };
        script s;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(script_parse("t", bad[i], &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
