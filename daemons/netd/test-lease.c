/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lease files as systemd-networkd writes them, and as they must not be. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lease.h"

static void parse_ok(const char *text, Lease *l) {
        char *err = NULL;
        int r = lease_parse("t.lease", text, strlen(text), l, &err);

        if (r < 0)
                fail_msg("unexpected: %s", err ?: "(no message)");
        assert_null(err);
}

static void parse_bad(const char *text, const char *expected_error) {
        Lease l = {};
        char *err = NULL;

        assert_int_equal(lease_parse("t.lease", text, strlen(text), &l, &err), -EBADMSG);
        assert_non_null(err);
        assert_string_equal(err, expected_error);
        free(err);
        /* and without asking for a message */
        assert_int_equal(lease_parse("t.lease", text, strlen(text), &l, NULL), -EBADMSG);
}

static void test_networkd_file(void **state) {
        Lease l = {};
        char *err = NULL;

        assert_int_equal(lease_load(LEASE_SAMPLE, &l, &err), 0);
        assert_string_equal(l.values[LEASE_ADDRESS], "10.0.2.15");
        assert_string_equal(l.values[LEASE_NETMASK], "255.255.255.0");
        assert_string_equal(l.values[LEASE_ROUTER], "10.0.2.2");
        assert_string_equal(l.values[LEASE_SERVER], "10.0.2.2");
        assert_string_equal(l.values[LEASE_BROADCAST], "10.0.2.255");
        assert_string_equal(l.values[LEASE_DNS], "10.0.2.3");
        assert_string_equal(l.values[LEASE_LIFETIME], "86400");
        assert_string_equal(l.values[LEASE_T1], "43200");
        assert_string_equal(l.values[LEASE_T2], "75600");
        assert_string_equal(l.values[LEASE_DOMAIN], "cairn.test");
        assert_string_equal(l.values[LEASE_HOSTNAME], "ndvm");
        assert_null(l.values[LEASE_NTP]);
        assert_null(l.values[LEASE_MTU]);
        assert_string_equal(lease_key_name(LEASE_LIFETIME), "lifetime");
        assert_string_equal(lease_key_name(LEASE_SERVER), "server");
        assert_null(lease_key_name(_LEASE_KEY_MAX));
        lease_done(&l);
        assert_null(l.values[LEASE_ADDRESS]);
        assert_int_equal(lease_load("/nonexistent/lease", &l, &err), -ENOENT);
}

static void test_lists_and_empty(void **state) {
        Lease l = {};

        parse_ok("ADDRESS=192.168.1.23\nDNS=1.1.1.1  9.9.9.9\nNTP=\nMTU=1500\nROUTER=192.168.1.1", &l);
        assert_string_equal(l.values[LEASE_ADDRESS], "192.168.1.23");
        assert_string_equal(l.values[LEASE_DNS], "1.1.1.1 9.9.9.9");
        assert_null(l.values[LEASE_NTP]);
        assert_string_equal(l.values[LEASE_MTU], "1500");
        assert_string_equal(l.values[LEASE_ROUTER], "192.168.1.1");
        lease_done(&l);
}

/* Later networkd writes T1/T2/LIFETIME with FORMAT_TIMESPAN: seconds either way. */
static void test_timespans(void **state) {
        Lease l = {};

        parse_ok("ADDRESS=10.0.0.1\nT1=12h\nT2=21h\nLIFETIME=1d\n", &l);
        assert_string_equal(l.values[LEASE_T1], "43200");
        assert_string_equal(l.values[LEASE_T2], "75600");
        assert_string_equal(l.values[LEASE_LIFETIME], "86400");
        lease_done(&l);
        parse_ok("ADDRESS=10.0.0.1\nLIFETIME=1d 2h 3min 4s\nT1=5min 500ms\nT2=infinity\n", &l);
        assert_string_equal(l.values[LEASE_LIFETIME], "93784");
        assert_string_equal(l.values[LEASE_T1], "300");
        assert_string_equal(l.values[LEASE_T2], "infinity");
        lease_done(&l);
        parse_ok("ADDRESS=10.0.0.1\nLIFETIME=4294967295\n", &l);     /* DHCP's "infinite", as 252 writes it */
        assert_string_equal(l.values[LEASE_LIFETIME], "4294967295");
        lease_done(&l);
}

static void test_malformed(void **state) {
        char big[LEASE_LINE_MAX + 32];

        parse_bad("ADDRESS=10.0.0.1\nROUTER\n", "t.lease:2: not KEY=VALUE");
        parse_bad("ADDRESS=10.0.0.300\n", "t.lease:1: ADDRESS: not an IPv4 address");
        parse_bad("ADDRESS=10.0.0.1\nDNS=1.1.1.1 ::1\n", "t.lease:2: DNS: not a list of IPv4 addresses");
        parse_bad("ADDRESS=10.0.0.1\nLIFETIME=4294967296\n",
                  "t.lease:2: LIFETIME: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nLIFETIME=-1\n", "t.lease:2: LIFETIME: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nT1=12 h\n", "t.lease:2: T1: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nT2=1x\n", "t.lease:2: T2: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nT2=h\n", "t.lease:2: T2: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nLIFETIME=200y\n", "t.lease:2: LIFETIME: not a number of seconds or a time span");
        parse_bad("ADDRESS=10.0.0.1\nMTU=70000\n", "t.lease:2: MTU: not a number up to 65535");
        parse_bad("ADDRESS=10.0.0.1\nHOSTNAME=a;rm -rf\n", "t.lease:2: HOSTNAME: not a DNS name");
        parse_bad("ADDRESS=10.0.0.1\nADDRESS=10.0.0.2\n", "t.lease:2: ADDRESS given twice");
        parse_bad("# nothing\nROUTER=10.0.0.1\n", "t.lease:2: no ADDRESS");
        parse_bad("", "t.lease:0: no ADDRESS");
        parse_bad("ADDRESS=10.0.0.1\nDNS=1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 "
                  "1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17\n",
                  "t.lease:2: DNS: more than 16 addresses");

        memset(big, 'x', sizeof(big));
        memcpy(big, "ADDRESS=10.0.0.1\nCLIENTID=", 26);
        big[sizeof(big) - 1] = 0;
        parse_bad(big, "t.lease:2: line longer than 4096 bytes");

        {
                static const char nul[] = "ADDRESS=10.0.0.1\nDNS=1.1\0.1.1\n";
                Lease l = {};
                char *err = NULL;

                assert_int_equal(lease_parse("t.lease", nul, sizeof(nul) - 1, &l, &err), -EBADMSG);
                assert_string_equal(err, "t.lease:2: NUL byte");
                free(err);
        }
}

static void test_too_large(void **state) {
        size_t n = LEASE_FILE_MAX + 1;
        char *text = malloc(n);
        Lease l = {};
        char *err = NULL;

        assert_non_null(text);
        memset(text, '\n', n);
        assert_int_equal(lease_parse("t.lease", text, n, &l, &err), -EBADMSG);
        assert_string_equal(err, "t.lease:0: larger than 65536 bytes");
        free(err);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_networkd_file),
                cmocka_unit_test(test_lists_and_empty),
                cmocka_unit_test(test_timespans),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_too_large),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
