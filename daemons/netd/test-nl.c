/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nl_parse() on datagrams built here byte by byte, as the kernel lays them out. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nl.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* ---- a tiny datagram builder ---- */

typedef struct Buf {
        uint8_t data[4096];
        size_t len;
        size_t msg;             /* offset of the open message */
} Buf;

static void put(Buf *b, const void *p, size_t n) {
        assert_true(b->len + n <= sizeof(b->data));
        memcpy(b->data + b->len, p, n);
        b->len += n;
}

static void pad(Buf *b) {
        while (b->len % 4)
                b->data[b->len++] = 0;
}

static void msg_begin(Buf *b, uint16_t type, uint32_t seq) {
        struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_seq = seq };

        b->msg = b->len;
        put(b, &h, sizeof(h));
}

static void msg_end(Buf *b) {
        uint32_t len = (uint32_t) (b->len - b->msg);

        memcpy(b->data + b->msg + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
        pad(b);
}

static void attr(Buf *b, uint16_t type, const void *p, size_t n) {
        struct rtattr a = { .rta_len = (unsigned short) RTA_LENGTH(n), .rta_type = type };

        put(b, &a, sizeof(a));
        put(b, p, n);
        pad(b);
}

static void add_link(Buf *b, uint16_t type, int ifindex, unsigned flags, const char *name, const uint8_t *mac) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags };

        msg_begin(b, type, 0);
        put(b, &ifi, sizeof(ifi));
        if (name)
                attr(b, IFLA_IFNAME, name, strlen(name) + 1);
        if (mac)
                attr(b, IFLA_ADDRESS, mac, 6);
        msg_end(b);
}

static void add_addr(Buf *b, uint16_t type, int family, int ifindex, uint8_t prefix, const char *address,
                     const char *local) {
        struct ifaddrmsg ifa = { .ifa_family = (uint8_t) family, .ifa_prefixlen = prefix, .ifa_index = (uint32_t) ifindex };
        uint8_t bytes[16];
        size_t n = family == AF_INET ? 4 : 16;

        msg_begin(b, type, 0);
        put(b, &ifa, sizeof(ifa));
        if (address) {
                assert_int_equal(inet_pton(family, address, bytes), 1);
                attr(b, IFA_ADDRESS, bytes, n);
        }
        if (local) {
                assert_int_equal(inet_pton(family, local, bytes), 1);
                attr(b, IFA_LOCAL, bytes, n);
        }
        msg_end(b);
}

/* ---- collecting events ---- */

typedef struct Seen {
        NlEvent ev[16];
        size_t n;
        int fail_at;            /* return -EIO on this event (1-based), 0: never */
} Seen;

static int collect(const NlEvent *e, void *userdata) {
        Seen *s = userdata;

        assert_true(s->n < ELEMENTSOF(s->ev));
        s->ev[s->n++] = *e;
        return s->fail_at && (int) s->n == s->fail_at ? -EIO : 0;
}

static const uint8_t mac1[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

static void test_link_new_and_del(void **state) {
        Buf b = {};
        Seen s = {};
        char text[64];

        add_link(&b, RTM_NEWLINK, 3, IFF_UP | IFF_BROADCAST | IFF_LOWER_UP, "eth0", mac1);
        add_link(&b, RTM_DELLINK, 4, 0, "eth1", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), 2);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.ev[0].type, NL_EVENT_NEW_LINK);
        assert_int_equal(s.ev[0].link.ifindex, 3);
        assert_string_equal(s.ev[0].link.name, "eth0");
        assert_int_equal(s.ev[0].link.hwaddr_len, 6);
        assert_true(s.ev[0].link.flags & IFF_LOWER_UP);
        nl_format_hwaddr(s.ev[0].link.hwaddr, s.ev[0].link.hwaddr_len, text, sizeof(text));
        assert_string_equal(text, "02:00:5e:10:00:01");
        assert_int_equal(s.ev[1].type, NL_EVENT_DEL_LINK);
        assert_int_equal(s.ev[1].link.ifindex, 4);
        assert_int_equal(s.ev[1].link.hwaddr_len, 0);
}

static void test_addresses(void **state) {
        Buf b = {};
        Seen s = {};
        char text[NL_ADDR_TEXT_MAX];

        add_addr(&b, RTM_NEWADDR, AF_INET, 3, 24, "10.9.8.7", "10.9.8.7");
        add_addr(&b, RTM_NEWADDR, AF_INET6, 3, 64, "fd00::7", NULL);
        /* point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours */
        add_addr(&b, RTM_DELADDR, AF_INET, 5, 32, "192.0.2.1", "192.0.2.2");
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), 3);
        assert_int_equal(s.ev[0].type, NL_EVENT_NEW_ADDR);
        assert_int_equal(nl_format_addr(&s.ev[0].addr, text, sizeof(text)), 0);
        assert_string_equal(text, "10.9.8.7/24");
        assert_int_equal(nl_format_addr(&s.ev[1].addr, text, sizeof(text)), 0);
        assert_string_equal(text, "fd00::7/64");
        assert_int_equal(s.ev[2].type, NL_EVENT_DEL_ADDR);
        assert_int_equal(s.ev[2].addr.ifindex, 5);
        assert_int_equal(nl_format_addr(&s.ev[2].addr, text, sizeof(text)), 0);
        assert_string_equal(text, "192.0.2.2/32");
        /* too small a buffer is refused, not truncated */
        assert_int_equal(nl_format_addr(&s.ev[1].addr, text, 5), -ENOBUFS);
}

static void test_done_error_and_skipped(void **state) {
        Buf b = {};
        Seen s = {};
        int32_t err = -EBUSY;
        struct rtmsg rtm = {};

        msg_begin(&b, RTM_NEWROUTE, 0);         /* another kind: skipped */
        put(&b, &rtm, sizeof(rtm));
        msg_end(&b);
        add_addr(&b, RTM_NEWADDR, AF_PACKET, 3, 0, NULL, NULL);        /* other family: skipped */
        msg_begin(&b, NLMSG_ERROR, 7);
        put(&b, &err, sizeof(err));
        msg_end(&b);
        msg_begin(&b, NLMSG_DONE, 8);
        put(&b, &(int32_t) { 0 }, 4);
        msg_end(&b);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), 2);
        assert_int_equal(s.ev[0].type, NL_EVENT_ERROR);
        assert_int_equal(s.ev[0].seq, 7);
        assert_int_equal(s.ev[0].error, -EBUSY);
        assert_int_equal(s.ev[1].type, NL_EVENT_DONE);
        assert_int_equal(s.ev[1].seq, 8);
}

static void test_malformed(void **state) {
        Buf b = {};
        Seen s = {};
        struct nlmsghdr h;

        /* a good message, then one whose length runs past the buffer */
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", mac1);
        add_link(&b, RTM_NEWLINK, 4, IFF_UP, "eth1", mac1);
        assert_int_equal(nl_parse(b.data, b.len - 1, collect, &s), -EBADMSG);
        assert_int_equal(s.n, 1);      /* the first was delivered */

        /* attribute longer than its message */
        memset(&b, 0, sizeof(b));
        s.n = 0;
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", NULL);
        b.data[NLMSG_HDRLEN + sizeof(struct ifinfomsg)] = 200;
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        assert_int_equal(s.n, 0);

        /* names: empty, too long, with '/' */
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "abcdefghijklmnop", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "a/b", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);

        /* ifindex 0, prefix past the family's width, address of the wrong size, no address */
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 0, IFF_UP, "eth0", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        add_addr(&b, RTM_NEWADDR, AF_INET, 3, 33, "10.0.0.1", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        add_addr(&b, RTM_NEWADDR, AF_INET6, 3, 64, NULL, NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        {
                struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = 64, .ifa_index = 3 };
                msg_begin(&b, RTM_NEWADDR, 0);
                put(&b, &ifa, sizeof(ifa));
                attr(&b, IFA_ADDRESS, "\x0a\0\0\x01", 4);
                msg_end(&b);
        }
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);

        /* header shorter than itself; trailing bytes that are no header */
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", NULL);
        h = (struct nlmsghdr) { .nlmsg_len = 8, .nlmsg_type = RTM_NEWLINK };
        put(&b, &h, sizeof(h));
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
        memset(&b, 0, sizeof(b));
        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", NULL);
        put(&b, "xyz", 3);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);

        /* the NLMSG_ERROR code must be a negative errno (or 0) */
        memset(&b, 0, sizeof(b));
        msg_begin(&b, NLMSG_ERROR, 1);
        put(&b, &(int32_t) { 5 }, 4);
        msg_end(&b);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EBADMSG);
}

static void test_dump_interrupted(void **state) {
        Buf b = {};
        Seen s = {};
        struct nlmsghdr h;

        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", NULL);
        add_link(&b, RTM_NEWLINK, 4, IFF_UP, "eth1", NULL);
        memcpy(&h, b.data, sizeof(h));
        h.nlmsg_flags |= NLM_F_MULTI | NLM_F_DUMP_INTR;
        memcpy(b.data, &h, sizeof(h));
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), 2);
        assert_true(s.ev[0].dump_interrupted);
        assert_false(s.ev[1].dump_interrupted);
}

static void test_callback_error_stops(void **state) {
        Buf b = {};
        Seen s = { .fail_at = 1 };

        add_link(&b, RTM_NEWLINK, 3, IFF_UP, "eth0", NULL);
        add_link(&b, RTM_NEWLINK, 4, IFF_UP, "eth1", NULL);
        assert_int_equal(nl_parse(b.data, b.len, collect, &s), -EIO);
        assert_int_equal(s.n, 1);
}

static void test_unaligned_and_empty(void **state) {
        Buf b = {};
        Seen s = {};
        uint8_t shifted[4097];

        assert_int_equal(nl_parse(b.data, 0, collect, &s), 0);
        add_link(&b, RTM_NEWLINK, 9, IFF_UP, "veth0", mac1);
        memcpy(shifted + 1, b.data, b.len);
        assert_int_equal(nl_parse(shifted + 1, b.len, collect, &s), 1);
        assert_string_equal(s.ev[0].link.name, "veth0");
}

static void test_ifname_valid(void **state) {
        assert_true(nl_ifname_is_valid("eth0", 4));
        assert_true(nl_ifname_is_valid("abcdefghijklmno", 15));
        assert_false(nl_ifname_is_valid("abcdefghijklmnop", 16));
        assert_false(nl_ifname_is_valid("", 0));
        assert_false(nl_ifname_is_valid("..", 2));
        assert_false(nl_ifname_is_valid("a b", 3));
        assert_false(nl_ifname_is_valid("a:1", 3));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_link_new_and_del),
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_done_error_and_skipped),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_dump_interrupted),
                cmocka_unit_test(test_callback_error_stops),
                cmocka_unit_test(test_unaligned_and_empty),
                cmocka_unit_test(test_ifname_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
