/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.cairn.Network1 on the NDVM's system bus: ListInterfaces, GetLease, Changed. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "monitor.h"

#define NET_BUS_NAME "org.cairn.Network1"
#define NET_BUS_PATH "/org/cairn/Network1"
#define NET_BUS_INTERFACE "org.cairn.Network1"
#define NET_BUS_ERROR_NO_SUCH_INTERFACE "org.cairn.Error.NoSuchInterface"
#define NET_BUS_ERROR_NO_LEASE "org.cairn.Error.NoLease"
#define NET_BUS_ERROR_BAD_LEASE "org.cairn.Error.BadLease"

typedef struct NetBus NetBus;

/* Serves the monitor's table on bus; lease files are read from lease_dir/<ifindex>. */
int net_bus_new(sd_bus *bus, sd_event *e, Monitor *m, const char *lease_dir, NetBus **ret);
NetBus *net_bus_free(NetBus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetBus *, net_bus_free);

/* Emit Changed() once, after everything pending in this loop turn has run. */
void net_bus_queue_changed(NetBus *b);
