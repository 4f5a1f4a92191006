/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rtnetlink monitor: one NETLINK_ROUTE socket in sd-event, subscribed to
 * link and IPv4/IPv6 address groups before it dumps links, then addresses.
 * Events (dump replies and pushed changes alike) go through nl_parse() into the
 * interface table.  A dump fills a fresh table that replaces the shown one when
 * the address dump ends: at start, and again after the socket overran
 * (ENOBUFS), so a lost event cannot leave a stale table behind. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "iftable.h"
#include "macro.h"

typedef struct Monitor Monitor;

typedef struct MonitorHooks {
        /* The shown table changed (coalesce before telling anyone). */
        void (*changed)(Monitor *m, void *userdata);
        /* The first complete table is there. */
        void (*ready)(Monitor *m, void *userdata);
} MonitorHooks;

#define MONITOR_RCVBUF_DEFAULT (4 * 1024 * 1024)

/* rcvbuf: the socket's receive buffer in bytes (tests make it tiny to force overruns). */
int monitor_new(sd_event *e, int rcvbuf, const MonitorHooks *hooks, void *userdata, Monitor **ret);
Monitor *monitor_free(Monitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Monitor *, monitor_free);

const NetTable *monitor_table(const Monitor *m);
bool monitor_is_ready(const Monitor *m);
