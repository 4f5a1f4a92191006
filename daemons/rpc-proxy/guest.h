/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest end: a dumb multiplexer.  Each client accepted on the listening
 * unix socket becomes one connection id on the link to dom0; its bytes go
 * through unchanged (dom0 does the checking).  When the link dies the event
 * loop exits with an error (systemd restarts the service). */
#pragma once

#include <systemd/sd-event.h>

#include "link.h"

#define RPC_GUEST_CLIENTS_MAX 64u
#define RPC_GUEST_CLIENT_QUEUE_MAX (8u * 1024u * 1024u)

typedef struct RpcGuest RpcGuest;

/* Takes the link and the listening socket (also on failure). */
int rpc_guest_new(sd_event *event, RpcLink *link, int listen_fd, RpcGuest **ret);
RpcGuest *rpc_guest_free(RpcGuest *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcGuest *, rpc_guest_free);
