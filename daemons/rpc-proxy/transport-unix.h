/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unix sockets: the guest end's listening socket for local D-Bus clients, and
 * the test transport (`--transport unix:PATH`), where the dom0 end listens and
 * treats each accepted connection as one link from the domain given by --domain. */
#pragma once

#include <sys/types.h>

#include <systemd/sd-event.h>

#include "dom0.h"

/* Creates the parent directory if needed, replaces a stale socket, listens. */
int rpc_unix_listen(const char *path, mode_t mode, int *ret_fd);
/* Connects, retrying for up to timeout_sec while the socket is not there yet. */
int rpc_unix_connect(const char *path, unsigned timeout_sec, int *ret_fd);

typedef struct RpcUnixServer RpcUnixServer;
int rpc_unix_server_new(sd_event *event, RpcDom0 *d, const char *path, const char *domain,
                        RpcUnixServer **ret);
RpcUnixServer *rpc_unix_server_free(RpcUnixServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcUnixServer *, rpc_unix_server_free);
