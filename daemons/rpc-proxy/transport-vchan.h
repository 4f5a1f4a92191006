/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The production transport: one libxenvchan per guest domain.
 *
 * dom0 is the vchan server.  It watches xenstore (@introduceDomain,
 * @releaseDomain), reads each domain's name from /local/domain/DOMID/name (written
 * by the toolstack, read-only to the guest), and for every running domain the
 * rules name it offers a vchan at
 *     /local/domain/0/data/cairn-rpc/DOMID
 * (libxenvchan_server_init writes ring-ref and event-channel there, readable by
 * that domain only).  The guest reads its own domid from xenstore ("domid") and
 * connects with libxenvchan_client_init(logger, 0, that path). */
#pragma once

#include <systemd/sd-event.h>

#include "dom0.h"
#include "link.h"

#define RPC_VCHAN_XS_DIR "/local/domain/0/data/cairn-rpc"
#define RPC_VCHAN_RING_SIZE (64u * 1024u)

typedef struct RpcVchanServer RpcVchanServer;

/* dom0: serve every running domain named in d's rules; follows domains coming and going. */
int rpc_vchan_server_new(sd_event *event, RpcDom0 *d, RpcVchanServer **ret);
/* After a rules reload: offer vchans to newly named domains. */
void rpc_vchan_server_rescan(RpcVchanServer *s);
RpcVchanServer *rpc_vchan_server_free(RpcVchanServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcVchanServer *, rpc_vchan_server_free);

/* guest: connect to dom0's vchan for this domain, waiting up to timeout_sec for it to appear. */
int rpc_vchan_client_connect(sd_event *event, unsigned timeout_sec, RpcLink **ret);
