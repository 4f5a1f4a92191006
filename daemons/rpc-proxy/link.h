/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A link: one byte stream between a guest end and the dom0 end that carries
 * frames (frame.h).  Transports plug in below it: a vchan in production
 * (transport-vchan.c), a unix stream socket under test.  Output is queued (up to
 * RPC_LINK_QUEUE_MAX, past which the link is dropped: the peer is not reading). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "frame.h"
#include "macro.h"

#define RPC_LINK_QUEUE_MAX (8u * 1024u * 1024u)
/* Past the high-water mark the link is "throttled": its owner stops reading from
 * local sockets until the queue is back under the low-water mark. */
#define RPC_LINK_HIGH_WATER (1024u * 1024u)
#define RPC_LINK_LOW_WATER (256u * 1024u)

typedef struct RpcLink RpcLink;

typedef struct RpcLinkOps {
        /* > 0 bytes, 0 when nothing is available now, -EPIPE when the peer is gone. */
        ssize_t (*read)(RpcLink *l, void *buf, size_t size);
        ssize_t (*write)(RpcLink *l, const void *buf, size_t size);
        /* Called each time the fd is readable, before reading (vchan: acknowledge the event). */
        int (*ack)(RpcLink *l);
        void (*done)(RpcLink *l);
        /* 1 once the peer is known to be there (a vchan's client has connected);
         * NULL: it is, from the start (a connected socket). */
        int (*connected)(RpcLink *l);
        /* Whether EPOLLOUT on the fd says the link can take more output. */
        int pollout;
} RpcLinkOps;

/* A frame arrived.  The handler may call rpc_link_abort(). */
typedef void (*RpcLinkFrameHandler)(RpcLink *l, const RpcFrameHeader *h, const uint8_t *payload,
                                    void *userdata);
/* The link is dead (peer gone, bad frame, error); called once.  The owner frees
 * the link later (not from inside this callback). */
typedef void (*RpcLinkCloseHandler)(RpcLink *l, int error, void *userdata);
/* The link was throttled and its queue has drained under the low-water mark. */
typedef void (*RpcLinkWritableHandler)(RpcLink *l, void *userdata);
/* The peer has connected (see RpcLinkOps.connected); called once. */
typedef void (*RpcLinkConnectedHandler)(RpcLink *l, void *userdata);

int rpc_link_new(sd_event *event, const RpcLinkOps *ops, int fd, void *transport_data, const char *name,
                 RpcLink **ret);
/* A link on a connected unix stream socket; takes fd. */
int rpc_link_new_socket(sd_event *event, int fd, const char *name, RpcLink **ret);
void rpc_link_set_handlers(RpcLink *l, RpcLinkFrameHandler on_frame, RpcLinkCloseHandler on_close,
                           void *userdata);
void rpc_link_set_writable_handler(RpcLink *l, RpcLinkWritableHandler on_writable);
void rpc_link_set_connected_handler(RpcLink *l, RpcLinkConnectedHandler on_connected);
/* Whether the peer is known to be there (always, for a socket). */
int rpc_link_is_connected(RpcLink *l);
int rpc_link_is_throttled(RpcLink *l);
void *rpc_link_transport_data(RpcLink *l);
int rpc_link_fd(RpcLink *l);
const char *rpc_link_name(RpcLink *l);
/* Queues one frame (DATA is split into RPC_FRAME_PAYLOAD_MAX pieces) and tries to send it. */
int rpc_link_send(RpcLink *l, RpcFrameType type, uint32_t conn, const void *data, size_t size);
size_t rpc_link_queued(RpcLink *l);
int rpc_link_is_dead(RpcLink *l);
/* Marks the link dead and calls the close handler (once). */
void rpc_link_abort(RpcLink *l, int error);
RpcLink *rpc_link_free(RpcLink *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(RpcLink *, rpc_link_free);
