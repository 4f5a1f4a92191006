/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "nl.h"

/* Headers and attributes are read through memcpy: a buffer handed to us is not
 * guaranteed to be aligned for the structs the kernel headers describe. */

typedef struct Attr {
        uint16_t type;
        const uint8_t *data;
        size_t len;
} Attr;

/* RTA_ALIGN(len), but never past what is left (the last padding may be missing). */
static size_t align_within(size_t len, size_t left) {
        size_t a = RTA_ALIGN(len);
        return a < left ? a : left;
}

/* The next attribute at *off in p[0..size), 0 at the end, -EBADMSG on a bad length. */
static int next_attr(const uint8_t *p, size_t size, size_t *off, Attr *ret) {
        struct rtattr rta;

        if (*off >= size)
                return 0;
        if (size - *off < sizeof(rta))
                return -EBADMSG;
        memcpy(&rta, p + *off, sizeof(rta));
        if (rta.rta_len < sizeof(rta) || rta.rta_len > size - *off)
                return -EBADMSG;
        ret->type = rta.rta_type & NLA_TYPE_MASK;
        ret->data = p + *off + sizeof(rta);
        ret->len = rta.rta_len - sizeof(rta);
        *off += align_within(rta.rta_len, size - *off);
        return 1;
}

bool nl_ifname_is_valid(const char *s, size_t n) {
        if (n == 0 || n >= IFNAMSIZ)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f || s[i] == '/' || s[i] == ':')
                        return false;
        return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* payload: the message after its nlmsghdr, len bytes. Returns 1 with *ret filled,
 * 0 to skip, -EBADMSG. */
static int parse_link(const uint8_t *payload, size_t len, NlLink *ret) {
        struct ifinfomsg ifi;
        size_t off;
        Attr a;
        int r;

        if (len < sizeof(ifi))
                return -EBADMSG;
        memcpy(&ifi, payload, sizeof(ifi));
        if (ifi.ifi_index <= 0)
                return -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        ret->ifindex = ifi.ifi_index;
        ret->flags = ifi.ifi_flags;

        off = NLMSG_ALIGN(sizeof(ifi));
        if (off > len)
                off = len;
        while ((r = next_attr(payload, len, &off, &a)) > 0)
                switch (a.type) {
                case IFLA_IFNAME: {
                        /* NUL-terminated in the kernel's messages; take up to the NUL. */
                        size_t n = strnlen((const char *) a.data, a.len);
                        if (!nl_ifname_is_valid((const char *) a.data, n))
                                return -EBADMSG;
                        memcpy(ret->name, a.data, n);
                        ret->name[n] = 0;
                        break;
                }
                case IFLA_ADDRESS:
                        if (a.len > NL_HWADDR_MAX)
                                return -EBADMSG;
                        memcpy(ret->hwaddr, a.data, a.len);
                        ret->hwaddr_len = a.len;
                        break;
                default:
                        break;
                }
        return r < 0 ? r : 1;
}

static int parse_addr(const uint8_t *payload, size_t len, NlAddr *ret) {
        struct ifaddrmsg ifa;
        const uint8_t *address = NULL, *local = NULL;
        size_t alen, off;
        Attr a;
        int r;

        if (len < sizeof(ifa))
                return -EBADMSG;
        memcpy(&ifa, payload, sizeof(ifa));
        if (ifa.ifa_family == AF_INET)
                alen = 4;
        else if (ifa.ifa_family == AF_INET6)
                alen = 16;
        else
                return 0;
        if (ifa.ifa_index == 0 || ifa.ifa_index > INT32_MAX || ifa.ifa_prefixlen > alen * 8)
                return -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        ret->ifindex = (int) ifa.ifa_index;
        ret->family = ifa.ifa_family;
        ret->prefixlen = ifa.ifa_prefixlen;

        off = NLMSG_ALIGN(sizeof(ifa));
        if (off > len)
                off = len;
        while ((r = next_attr(payload, len, &off, &a)) > 0) {
                if (a.type != IFA_ADDRESS && a.type != IFA_LOCAL)
                        continue;
                if (a.len != alen)
                        return -EBADMSG;
                if (a.type == IFA_ADDRESS)
                        address = a.data;
                else
                        local = a.data;
        }
        if (r < 0)
                return r;
        /* IPv4: IFA_LOCAL is our address, IFA_ADDRESS the peer's on point-to-point links. */
        if (local)
                memcpy(ret->addr, local, alen);
        else if (address)
                memcpy(ret->addr, address, alen);
        else
                return -EBADMSG;
        return 1;
}

int nl_parse(const void *buf, size_t size, nl_event_cb cb, void *userdata) {
        const uint8_t *p = buf;
        size_t off = 0;
        int n = 0, r;

        while (size - off >= sizeof(struct nlmsghdr)) {
                struct nlmsghdr h;
                const uint8_t *payload;
                size_t len;
                NlEvent ev = {};

                memcpy(&h, p + off, sizeof(h));
                if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > size - off)
                        return -EBADMSG;
                payload = p + off + NLMSG_HDRLEN;
                len = h.nlmsg_len - NLMSG_HDRLEN;
                ev.seq = h.nlmsg_seq;
                ev.dump_interrupted = h.nlmsg_flags & NLM_F_DUMP_INTR;

                switch (h.nlmsg_type) {
                case RTM_NEWLINK:
                case RTM_DELLINK:
                        ev.type = h.nlmsg_type == RTM_NEWLINK ? NL_EVENT_NEW_LINK : NL_EVENT_DEL_LINK;
                        r = parse_link(payload, len, &ev.link);
                        break;
                case RTM_NEWADDR:
                case RTM_DELADDR:
                        ev.type = h.nlmsg_type == RTM_NEWADDR ? NL_EVENT_NEW_ADDR : NL_EVENT_DEL_ADDR;
                        r = parse_addr(payload, len, &ev.addr);
                        break;
                case NLMSG_DONE:
                        ev.type = NL_EVENT_DONE;
                        r = 1;
                        break;
                case NLMSG_ERROR: {
                        struct nlmsgerr e;

                        if (len < sizeof(e.error))
                                return -EBADMSG;
                        memcpy(&e.error, payload, sizeof(e.error));
                        if (e.error > 0 || e.error < -4095)
                                return -EBADMSG;
                        ev.type = NL_EVENT_ERROR;
                        ev.error = e.error;
                        r = 1;
                        break;
                }
                default:
                        r = 0;  /* NLMSG_NOOP, NLMSG_OVERRUN, other families' messages */
                        break;
                }
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = cb(&ev, userdata);
                        if (r < 0)
                                return r;
                        n++;
                }
                off += NLMSG_ALIGN(h.nlmsg_len) < size - off ? NLMSG_ALIGN(h.nlmsg_len) : size - off;
        }
        return off == size ? n : -EBADMSG;
}

void nl_format_hwaddr(const uint8_t *hw, size_t len, char *buf, size_t buf_size) {
        size_t o = 0;

        if (buf_size == 0)
                return;
        buf[0] = 0;
        for (size_t i = 0; i < len; i++) {
                size_t need = i ? 3 : 2;

                if (o + need + 1 > buf_size)
                        break;
                o += (size_t) snprintf(buf + o, buf_size - o, i ? ":%02x" : "%02x", hw[i]);
        }
}

int nl_format_addr(const NlAddr *a, char *buf, size_t buf_size) {
        char text[INET6_ADDRSTRLEN];
        int n;

        if (a->family != AF_INET && a->family != AF_INET6)
                return -EAFNOSUPPORT;
        if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
                return -errno;
        n = snprintf(buf, buf_size, "%s/%u", text, a->prefixlen);
        return n < 0 || (size_t) n >= buf_size ? -ENOBUFS : 0;
}
