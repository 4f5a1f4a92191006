/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink datagrams as pure data: nl_parse() walks one buffer received from a
 * NETLINK_ROUTE socket, checks every header and attribute length, and hands
 * each link or address message it understands to a callback as a bounded
 * struct.  No socket here, so unit tests and the fuzz target feed it bytes. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* From <linux/if.h>, which cannot be included beside <net/if.h>. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1U << 16)
#endif

#define NL_HWADDR_MAX 32        /* MAX_ADDR_LEN in the kernel */

typedef enum NlEventType {
        NL_EVENT_NEW_LINK,
        NL_EVENT_DEL_LINK,
        NL_EVENT_NEW_ADDR,
        NL_EVENT_DEL_ADDR,
        NL_EVENT_DONE,          /* end of a dump */
        NL_EVENT_ERROR,         /* NLMSG_ERROR: error is 0 (ack) or -errno */
} NlEventType;

typedef struct NlLink {
        int ifindex;
        char name[IFNAMSIZ];    /* NUL-terminated; "" when the message had none */
        uint8_t hwaddr[NL_HWADDR_MAX];
        size_t hwaddr_len;
        unsigned flags;         /* IFF_* */
} NlLink;

typedef struct NlAddr {
        int ifindex;
        int family;             /* AF_INET or AF_INET6 */
        uint8_t prefixlen;
        uint8_t addr[16];       /* 4 bytes used for AF_INET */
} NlAddr;

typedef struct NlEvent {
        NlEventType type;
        uint32_t seq;
        bool dump_interrupted;  /* NLM_F_DUMP_INTR: the dump changed while it ran */
        int error;
        union {
                NlLink link;
                NlAddr addr;
        };
} NlEvent;

typedef int (*nl_event_cb)(const NlEvent *event, void *userdata);

/* Parse one datagram.  Messages of other types, and link/address messages of
 * families other than IPv4/IPv6, are skipped.  Returns the number of events
 * delivered, -EBADMSG when a header or attribute does not fit (events before it
 * were delivered), or the first negative value the callback returned. */
int nl_parse(const void *buf, size_t size, nl_event_cb cb, void *userdata);

/* Canonical text: "aa:bb:..." for a hardware address ("" for none),
 * "10.0.0.2/24" or "fd00::1/64" for an address. */
#define NL_ADDR_TEXT_MAX 64     /* "ffff:...:ffff/128" and a NUL fit */

/* An interface name as the kernel allows it: 1..15 bytes, printable, no space or '/'. */
bool nl_ifname_is_valid(const char *s, size_t n);

void nl_format_hwaddr(const uint8_t *hw, size_t len, char *buf, size_t buf_size);
int nl_format_addr(const NlAddr *a, char *buf, size_t buf_size);
