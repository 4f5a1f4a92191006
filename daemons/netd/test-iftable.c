/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The interface table: what changes what ListInterfaces shows, and what does not. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "iftable.h"

static NlEvent link_ev(NlEventType type, int ifindex, const char *name, unsigned flags, uint8_t mac_last) {
        NlEvent e = { .type = type };

        e.link.ifindex = ifindex;
        if (name)
                snprintf(e.link.name, sizeof(e.link.name), "%s", name);
        e.link.flags = flags;
        if (mac_last) {
                uint8_t mac[6] = { 0x02, 0, 0, 0, 0, mac_last };
                memcpy(e.link.hwaddr, mac, 6);
                e.link.hwaddr_len = 6;
        }
        return e;
}

static NlEvent addr_ev(NlEventType type, int ifindex, int family, const char *a, uint8_t prefix) {
        NlEvent e = { .type = type };

        e.addr.ifindex = ifindex;
        e.addr.family = family;
        e.addr.prefixlen = prefix;
        assert_int_equal(inet_pton(family, a, e.addr.addr), 1);
        return e;
}

static void addr_text(const NetLink *l, size_t i, char *buf) {
        assert_true(i < l->n_addrs);
        assert_int_equal(nl_format_addr(&l->addrs[i], buf, NL_ADDR_TEXT_MAX), 0);
}

static void test_links_sorted_and_states(void **state) {
        NetTable t = {};
        NlEvent e;

        e = link_ev(NL_EVENT_NEW_LINK, 5, "eth1", IFF_UP, 5);
        assert_int_equal(net_table_apply(&t, &e), 1);
        e = link_ev(NL_EVENT_NEW_LINK, 2, "eth0", IFF_UP | IFF_LOWER_UP, 2);
        assert_int_equal(net_table_apply(&t, &e), 1);
        e = link_ev(NL_EVENT_NEW_LINK, 9, "eth2", 0, 9);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_int_equal(t.n_links, 3);
        assert_int_equal(t.links[0].link.ifindex, 2);
        assert_int_equal(t.links[1].link.ifindex, 5);
        assert_int_equal(t.links[2].link.ifindex, 9);
        assert_string_equal(net_link_state(&t.links[0]), "up");
        assert_string_equal(net_link_state(&t.links[1]), "no-carrier");
        assert_string_equal(net_link_state(&t.links[2]), "down");
        assert_ptr_equal(net_table_find_name(&t, "eth1"), &t.links[1]);
        assert_null(net_table_find_name(&t, "eth7"));

        /* same again: no news; a flag nobody shows: no news; carrier lost: news */
        e = link_ev(NL_EVENT_NEW_LINK, 5, "eth1", IFF_UP, 5);
        assert_int_equal(net_table_apply(&t, &e), 0);
        e = link_ev(NL_EVENT_NEW_LINK, 5, "eth1", IFF_UP | IFF_PROMISC, 5);
        assert_int_equal(net_table_apply(&t, &e), 0);
        e = link_ev(NL_EVENT_NEW_LINK, 2, "eth0", IFF_UP, 2);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_string_equal(net_link_state(&t.links[0]), "no-carrier");

        /* a message without name or MAC keeps them */
        e = link_ev(NL_EVENT_NEW_LINK, 2, NULL, IFF_UP, 0);
        assert_int_equal(net_table_apply(&t, &e), 0);
        assert_string_equal(t.links[0].link.name, "eth0");
        assert_int_equal(t.links[0].link.hwaddr_len, 6);
        /* a rename is news */
        e = link_ev(NL_EVENT_NEW_LINK, 2, "wan", IFF_UP, 2);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_string_equal(t.links[0].link.name, "wan");

        e = link_ev(NL_EVENT_DEL_LINK, 5, NULL, 0, 0);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_int_equal(net_table_apply(&t, &e), 0);   /* already gone */
        assert_int_equal(t.n_links, 2);
        assert_int_equal(t.links[1].link.ifindex, 9);
        net_table_clear(&t);
        assert_int_equal(t.n_links, 0);
}

static void test_loopback_not_news(void **state) {
        NetTable t = {};
        NlEvent e;

        e = link_ev(NL_EVENT_NEW_LINK, 1, "lo", IFF_UP | IFF_LOOPBACK | IFF_LOWER_UP, 0);
        assert_int_equal(net_table_apply(&t, &e), 0);
        assert_false(net_link_is_listed(&t.links[0]));
        e = addr_ev(NL_EVENT_NEW_ADDR, 1, AF_INET, "127.0.0.1", 8);
        assert_int_equal(net_table_apply(&t, &e), 0);
        assert_int_equal(t.links[0].n_addrs, 1);
        assert_null(net_table_find_name(&t, "lo"));
        e = link_ev(NL_EVENT_DEL_LINK, 1, NULL, 0, 0);
        assert_int_equal(net_table_apply(&t, &e), 0);
        net_table_clear(&t);
}

static void test_addresses(void **state) {
        NetTable t = {};
        NlEvent e;
        char text[NL_ADDR_TEXT_MAX];

        e = link_ev(NL_EVENT_NEW_LINK, 3, "eth0", IFF_UP, 3);
        assert_int_equal(net_table_apply(&t, &e), 1);
        e = addr_ev(NL_EVENT_NEW_ADDR, 3, AF_INET6, "fd00::7", 64);
        assert_int_equal(net_table_apply(&t, &e), 1);
        e = addr_ev(NL_EVENT_NEW_ADDR, 3, AF_INET, "10.9.8.7", 24);
        assert_int_equal(net_table_apply(&t, &e), 1);
        e = addr_ev(NL_EVENT_NEW_ADDR, 3, AF_INET, "10.1.0.1", 16);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_int_equal(net_table_apply(&t, &e), 0);   /* known */
        /* IPv4 first, then by address */
        addr_text(&t.links[0], 0, text);
        assert_string_equal(text, "10.1.0.1/16");
        addr_text(&t.links[0], 1, text);
        assert_string_equal(text, "10.9.8.7/24");
        addr_text(&t.links[0], 2, text);
        assert_string_equal(text, "fd00::7/64");

        /* of an unknown link: ignored */
        e = addr_ev(NL_EVENT_NEW_ADDR, 42, AF_INET, "10.0.0.1", 8);
        assert_int_equal(net_table_apply(&t, &e), 0);

        e = addr_ev(NL_EVENT_DEL_ADDR, 3, AF_INET, "10.9.8.7", 24);
        assert_int_equal(net_table_apply(&t, &e), 1);
        assert_int_equal(net_table_apply(&t, &e), 0);
        e = addr_ev(NL_EVENT_DEL_ADDR, 3, AF_INET, "10.1.0.1", 8);     /* other prefix: not it */
        assert_int_equal(net_table_apply(&t, &e), 0);
        assert_int_equal(t.links[0].n_addrs, 2);
        net_table_clear(&t);
}

static void test_limits(void **state) {
        NetTable t = {};
        NlEvent e;
        char a[32];

        for (int i = 1; i <= NET_LINKS_MAX; i++) {
                char name[IFNAMSIZ];
                snprintf(name, sizeof(name), "e%d", i);
                e = link_ev(NL_EVENT_NEW_LINK, i, name, 0, 1);
                assert_int_equal(net_table_apply(&t, &e), 1);
        }
        e = link_ev(NL_EVENT_NEW_LINK, NET_LINKS_MAX + 1, "one-more", 0, 1);
        assert_int_equal(net_table_apply(&t, &e), -E2BIG);
        for (int i = 0; i < NET_ADDRS_MAX; i++) {
                snprintf(a, sizeof(a), "10.0.%d.%d", i / 200, i % 200 + 1);
                e = addr_ev(NL_EVENT_NEW_ADDR, 1, AF_INET, a, 24);
                assert_int_equal(net_table_apply(&t, &e), 1);
        }
        e = addr_ev(NL_EVENT_NEW_ADDR, 1, AF_INET, "10.9.9.9", 24);
        assert_int_equal(net_table_apply(&t, &e), -E2BIG);
        net_table_clear(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_links_sorted_and_states),
                cmocka_unit_test(test_loopback_not_news),
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
