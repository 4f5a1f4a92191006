/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"
#include "log.h"

#define READ_CHUNK (64u * 1024u)
/* Reads per event before yielding to other event sources (1 MiB): a guest that
 * writes without pause must not keep dom0's loop to itself. */
#define READS_PER_EVENT 16u

struct RpcLink {
        const RpcLinkOps *ops;
        void *transport_data;
        int fd;
        char *name;
        sd_event_source *io;
        sd_event_source *resume; /* one-shot: continue reading after other sources ran */
        RpcFrameDecoder *decoder;
        uint8_t *out;
        size_t out_start, out_end, out_alloc;
        RpcLinkFrameHandler on_frame;
        RpcLinkCloseHandler on_close;
        RpcLinkWritableHandler on_writable;
        RpcLinkConnectedHandler on_connected;
        void *userdata;
        int connected;
        int dead;
        int throttled;
};

static int link_update_events(RpcLink *l) {
        uint32_t ev = EPOLLIN;

        if (!l->io)
                return 0;
        if (l->ops->pollout && l->out_end > l->out_start)
                ev |= EPOLLOUT;
        return sd_event_source_set_io_events(l->io, ev);
}

static int link_flush(RpcLink *l) {
        while (l->out_end > l->out_start) {
                ssize_t n = l->ops->write(l, l->out + l->out_start, l->out_end - l->out_start);

                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                l->out_start += (size_t) n;
        }
        if (l->out_start == l->out_end)
                l->out_start = l->out_end = 0;
        if (l->throttled && l->out_end - l->out_start <= RPC_LINK_LOW_WATER) {
                l->throttled = 0;
                if (l->on_writable)
                        l->on_writable(l, l->userdata);
        }
        return link_update_events(l);
}

void rpc_link_abort(RpcLink *l, int error) {
        if (l->dead)
                return;
        l->dead = error ? error : -EPIPE;
        if (l->io)
                (void) sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
        if (l->resume)
                (void) sd_event_source_set_enabled(l->resume, SD_EVENT_OFF);
        if (l->on_close)
                l->on_close(l, l->dead, l->userdata);
}

/* Reads and dispatches up to READS_PER_EVENT chunks; if there may be more, the
 * resume source brings us back on a later loop iteration (a vchan signals new
 * data only once, so it must be drained eventually without a new event). */
static void link_read(RpcLink *l) {
        uint8_t *buf;
        unsigned reads = 0;
        int r;

        buf = malloc(READ_CHUNK);
        if (!buf) {
                rpc_link_abort(l, -ENOMEM);
                return;
        }
        while (!l->dead) {
                ssize_t n;
                size_t pos = 0;

                if (reads++ >= READS_PER_EVENT) {
                        r = sd_event_source_set_enabled(l->resume, SD_EVENT_ONESHOT);
                        if (r < 0)
                                rpc_link_abort(l, r);
                        break;
                }
                n = l->ops->read(l, buf, READ_CHUNK);
                if (n == 0)
                        break;
                if (n < 0) {
                        if (n != -EPIPE)
                                log_debug_errno((int) n, "Link %s: read failed: %m", l->name);
                        rpc_link_abort(l, (int) n);
                        break;
                }
                while (pos < (size_t) n && !l->dead) {
                        RpcFrameHeader h;
                        const uint8_t *payload;
                        size_t used;

                        r = rpc_frame_decoder_feed(l->decoder, buf + pos, (size_t) n - pos, &used, &h, &payload);
                        pos += used;
                        if (r < 0) {
                                log_warning("Link %s: malformed frame header, dropping the link.", l->name);
                                rpc_link_abort(l, -EBADMSG);
                                break;
                        }
                        if (r > 0 && l->on_frame)
                                l->on_frame(l, &h, payload, l->userdata);
                }
        }
        free(buf);
}

static int link_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RpcLink *l = userdata;
        int r;

        if (l->dead)
                return 0;
        if (l->ops->ack) {
                r = l->ops->ack(l);
                if (r < 0) {
                        rpc_link_abort(l, r);
                        return 0;
                }
        }
        if (!l->connected && l->ops->connected(l) == 1) {
                l->connected = 1;
                if (l->on_connected)
                        l->on_connected(l, l->userdata);
                if (l->dead)
                        return 0;
        }
        r = link_flush(l);
        if (r < 0) {
                log_debug_errno(r, "Link %s: write failed: %m", l->name);
                rpc_link_abort(l, r);
                return 0;
        }
        link_read(l);
        return 0;
}

static int link_resume(sd_event_source *s, void *userdata) {
        RpcLink *l = userdata;

        if (!l->dead)
                link_read(l);
        return 0;
}

int rpc_link_new(sd_event *event, const RpcLinkOps *ops, int fd, void *transport_data, const char *name,
                 RpcLink **ret) {
        _cleanup_(rpc_link_freep) RpcLink *l = NULL;
        int r;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->fd = fd;
        l->transport_data = transport_data;
        l->name = strdup(name);
        l->decoder = malloc(sizeof(RpcFrameDecoder));
        if (!l->name || !l->decoder)
                return -ENOMEM;
        rpc_frame_decoder_init(l->decoder);
        r = sd_event_add_io(event, &l->io, fd, EPOLLIN, link_io, l);
        if (r < 0)
                return r;
        r = sd_event_add_defer(event, &l->resume, link_resume, l);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(l->resume, SD_EVENT_OFF);
        if (r < 0)
                return r;
        l->ops = ops; /* from here on, freeing the link closes the transport */
        l->connected = !ops->connected;
        *ret = TAKE_PTR(l);
        return 0;
}

static ssize_t socket_read(RpcLink *l, void *buf, size_t size) {
        ssize_t n = recv(l->fd, buf, size, MSG_DONTWAIT);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
        return n == 0 ? -EPIPE : n;
}

static ssize_t socket_write(RpcLink *l, const void *buf, size_t size) {
        ssize_t n = send(l->fd, buf, size, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
        return n;
}

static void socket_done(RpcLink *l) {
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
}

static const RpcLinkOps socket_ops = {
        .read = socket_read,
        .write = socket_write,
        .done = socket_done,
        .pollout = 1,
};

int rpc_link_new_socket(sd_event *event, int fd, const char *name, RpcLink **ret) {
        int r = rpc_link_new(event, &socket_ops, fd, NULL, name, ret);

        if (r < 0)
                close(fd);
        return r;
}

void rpc_link_set_handlers(RpcLink *l, RpcLinkFrameHandler on_frame, RpcLinkCloseHandler on_close,
                           void *userdata) {
        l->on_frame = on_frame;
        l->on_close = on_close;
        l->userdata = userdata;
}

void *rpc_link_transport_data(RpcLink *l) {
        return l->transport_data;
}

int rpc_link_fd(RpcLink *l) {
        return l->fd;
}

const char *rpc_link_name(RpcLink *l) {
        return l->name;
}

size_t rpc_link_queued(RpcLink *l) {
        return l->out_end - l->out_start;
}

int rpc_link_is_dead(RpcLink *l) {
        return l->dead;
}

static int queue_append(RpcLink *l, const void *data, size_t size) {
        if (l->out_end + size > l->out_alloc) {
                size_t used = l->out_end - l->out_start, want;
                uint8_t *n;

                if (used + size > RPC_LINK_QUEUE_MAX)
                        return -ENOBUFS;
                if (l->out_start > 0) {
                        memmove(l->out, l->out + l->out_start, used);
                        l->out_start = 0;
                        l->out_end = used;
                }
                if (used + size > l->out_alloc) {
                        want = MAX(used + size, MIN(l->out_alloc * 2, (size_t) RPC_LINK_QUEUE_MAX));
                        want = MAX(want, (size_t) 4096);
                        n = realloc(l->out, want);
                        if (!n)
                                return -ENOMEM;
                        l->out = n;
                        l->out_alloc = want;
                }
        }
        memcpy(l->out + l->out_end, data, size);
        l->out_end += size;
        return 0;
}

int rpc_link_send(RpcLink *l, RpcFrameType type, uint32_t conn, const void *data, size_t size) {
        const uint8_t *p = data;
        uint8_t header[RPC_FRAME_HEADER_SIZE];
        int r;

        if (l->dead)
                return l->dead;
        if (type == RPC_FRAME_DATA && size == 0)
                return 0;
        do {
                size_t n = MIN(size, (size_t) RPC_FRAME_PAYLOAD_MAX);

                rpc_frame_header_encode(header, type, conn, (uint32_t) n);
                r = queue_append(l, header, sizeof(header));
                if (r >= 0 && n > 0)
                        r = queue_append(l, p, n);
                if (r < 0) {
                        log_warning_errno(r, "Link %s: output queue full, dropping the link: %m", l->name);
                        rpc_link_abort(l, r);
                        return r;
                }
                p += n;
                size -= n;
        } while (size > 0);

        r = link_flush(l);
        if (r < 0) {
                rpc_link_abort(l, r);
                return r;
        }
        if (l->out_end - l->out_start > RPC_LINK_HIGH_WATER)
                l->throttled = 1;
        return 0;
}

void rpc_link_set_writable_handler(RpcLink *l, RpcLinkWritableHandler on_writable) {
        l->on_writable = on_writable;
}

void rpc_link_set_connected_handler(RpcLink *l, RpcLinkConnectedHandler on_connected) {
        l->on_connected = on_connected;
}

int rpc_link_is_connected(RpcLink *l) {
        return l->connected;
}

int rpc_link_is_throttled(RpcLink *l) {
        return l->throttled;
}

RpcLink *rpc_link_free(RpcLink *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->io);
        sd_event_source_disable_unref(l->resume);
        if (l->ops && l->ops->done)
                l->ops->done(l);
        free(l->decoder);
        free(l->out);
        free(l->name);
        free(l);
        return NULL;
}
