/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest end: a dumb multiplexer.  Each client accepted on the listening
 * unix socket becomes one connection id on the link to dom0; its bytes go
 * through unchanged (dom0 does the checking).  With an exported bus, each
 * connection dom0 opens (ids with RPC_CONN_DOM0) is joined to that bus the same way.  When the link dies the event
 * loop exits with an error (systemd restarts the service). */
#pragma once

#include <systemd/sd-event.h>

#include "link.h"

#define RPC_GUEST_CLIENTS_MAX 64u
#define RPC_GUEST_CLIENT_QUEUE_MAX (8u * 1024u * 1024u)

typedef struct RpcGuest RpcGuest;

/* Takes the link and the listening socket (also on failure).  export_path, when
 * not NULL, is this domain's own bus socket: dom0 may open connections to it
 * (for rules with via=this domain).  Without it such OPENs get a CLOSE. */
int rpc_guest_new(sd_event *event, RpcLink *link, int listen_fd, const char *export_path, RpcGuest **ret);
RpcGuest *rpc_guest_free(RpcGuest *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcGuest *, rpc_guest_free);
