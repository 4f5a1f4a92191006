/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dom0 end: demultiplexes each link's connections, runs an sd-bus server
 * on each (so sd-bus parses the guest's D-Bus messages), answers the bus
 * driver's Hello/AddMatch/RemoveMatch itself, checks every method call against
 * the rules and forwards allowed ones to dom0's bus, and passes allowed signals
 * back. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "link.h"
#include "rules.h"

#define RPC_CONNS_PER_LINK_MAX 64u
#define RPC_PENDING_PER_CONN_MAX 64u
#define RPC_MATCHES_PER_CONN_MAX 64u
#define RPC_CONN_QUEUE_MAX (2u * 1024u * 1024u)
/* Send buffer of the sd-bus server's end of each connection's socketpair. */
#define RPC_CONN_SOCKBUF (128 * 1024)
/* Messages queued toward a guest connection that is not reading them. */
#define RPC_UNREAD_PER_CONN_MAX 256u
#define RPC_DENY_LOG_BURST 50u
#define RPC_DENY_LOG_INTERVAL_SEC 10

typedef struct RpcDom0 RpcDom0;

/* Called after a link of domain has died and been freed. */
typedef void (*RpcDom0LinkClosed)(RpcDom0 *d, const char *domain, void *userdata);

/* Loads rules_path (refusing a bad file) and subscribes to the signals it allows. */
int rpc_dom0_new(sd_event *event, sd_bus *bus, const char *rules_path, RpcDom0 **ret);
/* Reloads the rules file; on error keeps the current rules and returns < 0. */
int rpc_dom0_reload(RpcDom0 *d);
const RpcRules *rpc_dom0_rules(RpcDom0 *d);
/* Serves a link from domain (takes the link, also on failure). */
int rpc_dom0_add_link(RpcDom0 *d, RpcLink *link, const char *domain);
void rpc_dom0_set_link_closed(RpcDom0 *d, RpcDom0LinkClosed cb, void *userdata);
RpcDom0 *rpc_dom0_free(RpcDom0 *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcDom0 *, rpc_dom0_free);
