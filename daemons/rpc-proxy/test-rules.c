/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rules parser: golden files (tests/rules/NAME.rules -> NAME.expected: the error
 * message, or the rules in canonical form), matching, and the shipped file. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "util.h"

static void test_golden(void **state) {
        DIR *d = opendir(RULES_DIR);
        struct dirent *de;
        unsigned n = 0, n_good = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *exp_path = NULL, *text = NULL, *expected = NULL,
                                    *error = NULL, *got = NULL;
                _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
                size_t len = strlen(de->d_name), size = 0, exp_size = 0;
                int r;

                if (len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0)
                        continue;
                assert_true(asprintf(&path, "%s/%s", RULES_DIR, de->d_name) > 0);
                assert_true(asprintf(&exp_path, "%s/%.*s.expected", RULES_DIR, (int) (len - 6), de->d_name) > 0);
                assert_int_equal(read_full_file(path, 1 << 20, &text, &size), 0);
                assert_int_equal(read_full_file(exp_path, 1 << 20, &expected, &exp_size), 0);

                r = rpc_rules_parse(text, size, de->d_name, &rules, &error);
                if (r < 0) {
                        assert_int_equal(r, -EINVAL);
                        assert_non_null(error);
                        assert_true(asprintf(&got, "%s\n", error) > 0);
                } else {
                        _cleanup_(rpc_rules_freep) RpcRules *again = NULL;
                        _cleanup_free_ char *got2 = NULL;

                        assert_null(error);
                        assert_int_equal(rpc_rules_format(rules, &got), 0);
                        /* The canonical form parses to the same rules. */
                        assert_int_equal(rpc_rules_parse(got, strlen(got), "again", &again, NULL), 0);
                        assert_int_equal(rpc_rules_format(again, &got2), 0);
                        assert_string_equal(got, got2);
                        n_good++;
                }
                if (strcmp(got, expected) != 0)
                        fail_msg("%s: expected \"%s\", got \"%s\"", de->d_name, expected, got);
                n++;
        }
        closedir(d);
        assert_true(n >= 20);
        assert_int_equal(n_good, 3);
}

static const char sample[] =
        "allow uivm call destination=org.cairn.VMManager1 interface=org.cairn.VMManager1 member=ListVMs,Start path=/org/cairn/VMManager1\n"
        "allow uivm call destination=org.cairn.VMManager1 interface=org.freedesktop.DBus.Properties member=Get path=/org/cairn/VMManager1/vm/*\n"
        "allow ndvm call destination=org.example.Any interface=* member=*\n"
        "allow uivm signal sender=org.cairn.VMManager1 interface=org.cairn.VMManager1 member=StateChanged\n";

static void test_match(void **state) {
        _cleanup_(rpc_rules_freep) RpcRules *r = NULL;
        const char *mgr = "org.cairn.VMManager1", *root = "/org/cairn/VMManager1";
        const RpcRule *rule;

        assert_int_equal(rpc_rules_parse(sample, strlen(sample), "sample", &r, NULL), 0);
        assert_int_equal(r->n_rules, 4);

        rule = rpc_rules_match_call(r, "uivm", mgr, root, mgr, "Start");
        assert_non_null(rule);
        assert_int_equal(rule->line, 1);
        assert_non_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, "ListVMs"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, "Stop"));           /* not listed */
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, "StartX"));         /* no prefix match */
        assert_null(rpc_rules_match_call(r, "ndvm", mgr, root, mgr, "Start"));          /* other domain */
        assert_null(rpc_rules_match_call(r, "uivm", "org.cairn.Other", root, mgr, "Start"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/x", mgr, "Start"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, NULL, "Start"));         /* no interface */
        assert_null(rpc_rules_match_call(r, "uivm", NULL, root, mgr, "Start"));         /* no destination */
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, NULL));
        assert_null(rpc_rules_match_call(NULL, "uivm", mgr, root, mgr, "Start"));

        /* path globs do not cross '/' */
        assert_non_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/vm/win10",
                                             "org.freedesktop.DBus.Properties", "Get"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/vm/a/b",
                                         "org.freedesktop.DBus.Properties", "Get"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/vm/win10",
                                         "org.freedesktop.DBus.Properties", "Set"));

        /* wildcards: any interface (or none), member, path */
        assert_non_null(rpc_rules_match_call(r, "ndvm", "org.example.Any", "/x/y", NULL, "Anything"));
        assert_non_null(rpc_rules_match_call(r, "ndvm", "org.example.Any", "/", "a.b", "M"));

        /* calls and signals are separate */
        assert_non_null(rpc_rules_match_signal(r, "uivm", NULL, mgr, root, mgr, "StateChanged"));
        assert_non_null(rpc_rules_match_signal(r, "uivm", NULL, mgr, "/any/path", mgr, "StateChanged"));
        assert_null(rpc_rules_match_signal(r, "uivm", NULL, mgr, root, mgr, "Start"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, "StateChanged"));
        assert_null(rpc_rules_match_signal(r, "uivm", NULL, "org.cairn.Other", root, mgr, "StateChanged"));

        assert_true(rpc_rules_has_domain(r, "uivm"));
        assert_true(rpc_rules_has_domain(r, "ndvm"));
        assert_false(rpc_rules_has_domain(r, "win10"));
        assert_false(rpc_rules_has_via(r, "ndvm"));
}

static const char sample_via[] =
        "allow uivm call destination=org.cairn.Network1 interface=org.cairn.Network1 member=ListInterfaces via=ndvm\n"
        "allow uivm signal sender=org.cairn.Network1 interface=org.cairn.Network1 member=Changed via=ndvm\n"
        "allow uivm signal sender=org.cairn.Network1 interface=org.cairn.Network1 member=Dom0Only\n";

static void test_match_via(void **state) {
        _cleanup_(rpc_rules_freep) RpcRules *r = NULL;
        const char *net = "org.cairn.Network1", *root = "/org/cairn/Network1";
        const RpcRule *rule;

        assert_int_equal(rpc_rules_parse(sample_via, strlen(sample_via), "sample", &r, NULL), 0);
        rule = rpc_rules_match_call(r, "uivm", net, root, net, "ListInterfaces");
        assert_non_null(rule);
        assert_string_equal(rule->via, "ndvm");
        assert_null(rpc_rules_match_call(r, "ndvm", net, root, net, "ListInterfaces"));

        /* a signal rule names the bus the signal comes from */
        assert_non_null(rpc_rules_match_signal(r, "uivm", "ndvm", net, root, net, "Changed"));
        assert_null(rpc_rules_match_signal(r, "uivm", NULL, net, root, net, "Changed"));
        assert_null(rpc_rules_match_signal(r, "uivm", "other", net, root, net, "Changed"));
        assert_non_null(rpc_rules_match_signal(r, "uivm", NULL, net, root, net, "Dom0Only"));
        assert_null(rpc_rules_match_signal(r, "uivm", "ndvm", net, root, net, "Dom0Only"));

        /* a domain that is only routed through still gets a link */
        assert_true(rpc_rules_has_domain(r, "ndvm"));
        assert_true(rpc_rules_has_via(r, "ndvm"));
        assert_false(rpc_rules_has_via(r, "uivm"));
}

static void test_limits(void **state) {
        _cleanup_free_ char *big = NULL, *error = NULL, *line = NULL;
        RpcRules *r = NULL;
        size_t n = RPC_RULES_FILE_MAX + 1;

        big = malloc(n);
        assert_non_null(big);
        memset(big, '#', n);
        assert_int_equal(rpc_rules_parse(big, n, "big", &r, &error), -EFBIG);
        assert_string_equal(error, "big: file larger than 1048576 bytes");
        free(error);
        error = NULL;

        line = malloc(5000);
        assert_non_null(line);
        memset(line, '#', 5000);
        line[4999] = '\n';
        assert_int_equal(rpc_rules_parse(line, 5000, "long", &r, &error), -EINVAL);
        assert_string_equal(error, "long:1: line longer than 4096 bytes");
        free(error);
        error = NULL;

        /* no ret_error: still refused */
        assert_int_equal(rpc_rules_parse("allow x", 7, "f", &r, NULL), -EINVAL);
        assert_int_equal(rpc_rules_load("/nonexistent/rules", &r, &error), -ENOENT);
        assert_string_equal(error, "/nonexistent/rules: cannot read: No such file or directory");
        assert_null(r);
}

static void test_shipped(void **state) {
        _cleanup_(rpc_rules_freep) RpcRules *r = NULL;
        _cleanup_free_ char *error = NULL;
        const char *mgr = "org.cairn.VMManager1", *root = "/org/cairn/VMManager1",
                   *props = "org.freedesktop.DBus.Properties";

        assert_int_equal(rpc_rules_load(SHIPPED_RULES, &r, &error), 0);
        for (const char *const *m = (const char *const[]) { "ListVMs", "GetVM", "Start", "Stop", "Restart", NULL }; *m; m++)
                assert_non_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, *m));
        assert_non_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/vm/ndvm", props, "GetAll"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, "/org/cairn/VMManager1/vm/ndvm", props, "Set"));
        assert_null(rpc_rules_match_call(r, "uivm", mgr, root, mgr, "SetConfig"));
        assert_null(rpc_rules_match_call(r, "uivm", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                         "org.freedesktop.systemd1.Manager", "StartUnit"));
        assert_non_null(rpc_rules_match_call(r, "uivm", "org.cairn.Console1", "/org/cairn/Console1",
                                             "org.cairn.Console1", "Lock"));
        assert_non_null(rpc_rules_match_signal(r, "uivm", NULL, mgr, root, mgr, "StateChanged"));
        /* the UIVM reads the NDVM's network status on the NDVM's own bus */
        for (const char *const *m = (const char *const[]) { "ListInterfaces", "GetLease", NULL }; *m; m++) {
                const RpcRule *rule = rpc_rules_match_call(r, "uivm", "org.cairn.Network1", "/org/cairn/Network1",
                                                           "org.cairn.Network1", *m);
                assert_non_null(rule);
                assert_string_equal(rule->via, "ndvm");
        }
        assert_non_null(rpc_rules_match_signal(r, "uivm", "ndvm", "org.cairn.Network1", "/org/cairn/Network1",
                                               "org.cairn.Network1", "Changed"));
        /* the NDVM gets nothing on dom0's bus, and nothing of the UIVM's */
        assert_null(rpc_rules_match_call(r, "ndvm", mgr, root, mgr, "ListVMs"));
        for (size_t i = 0; i < r->n_rules; i++)
                assert_string_not_equal(r->rules[i].domain, "ndvm");
        assert_true(rpc_rules_has_via(r, "ndvm"));
        assert_false(rpc_rules_has_via(r, "uivm"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_match_via),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_shipped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
