/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The interface table: links and their addresses as the kernel last described
 * them, kept up to date from rtnetlink events.  Pure: no socket, no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nl.h"

#define NET_LINKS_MAX 256
#define NET_ADDRS_MAX 64        /* per link */

typedef struct NetLink {
        NlLink link;
        NlAddr *addrs;
        size_t n_addrs;
} NetLink;

typedef struct NetTable {
        NetLink *links;         /* sorted by ifindex */
        size_t n_links;
} NetTable;

/* Apply one event.  Returns 1 when what ListInterfaces shows changed, 0 when it
 * did not (an event repeating what we knew, or about a loopback link), -E2BIG
 * past the limits above, -ENOMEM. */
int net_table_apply(NetTable *t, const NlEvent *e);
void net_table_clear(NetTable *t);

const NetLink *net_table_find_name(const NetTable *t, const char *name);

/* Whether ListInterfaces shows it (not loopback, has a name). */
bool net_link_is_listed(const NetLink *l);

/* "up" (administratively up with carrier), "no-carrier" (up, no carrier) or "down". */
const char *net_link_state(const NetLink *l);
