/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"
#include "log.h"

typedef struct Client {
        RpcGuest *guest;
        uint32_t id;
        int fd;
        sd_event_source *io;
        uint8_t *out;
        size_t out_start, out_end, out_alloc;
} Client;

struct RpcGuest {
        sd_event *event;
        RpcLink *link;
        int listen_fd;
        sd_event_source *listen_io;
        Client *clients[RPC_GUEST_CLIENTS_MAX];
        uint32_t next_id;
};

static void client_free(Client *c) {
        RpcGuest *g = c->guest;

        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX; i++)
                if (g->clients[i] == c)
                        g->clients[i] = NULL;
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        free(c->out);
        free(c);
}

static void client_close(Client *c, bool notify_dom0) {
        if (notify_dom0)
                (void) rpc_link_send(c->guest->link, RPC_FRAME_CLOSE, c->id, NULL, 0);
        log_debug("Connection %u closed.", c->id);
        client_free(c);
}

static int client_update_events(Client *c) {
        uint32_t ev = rpc_link_is_throttled(c->guest->link) ? 0 : EPOLLIN;

        if (c->out_end > c->out_start)
                ev |= EPOLLOUT;
        return sd_event_source_set_io_events(c->io, ev);
}

static int client_flush(Client *c) {
        while (c->out_end > c->out_start) {
                ssize_t n = send(c->fd, c->out + c->out_start, c->out_end - c->out_start,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return negative_errno();
                }
                c->out_start += (size_t) n;
        }
        if (c->out_start == c->out_end)
                c->out_start = c->out_end = 0;
        return client_update_events(c);
}

static int client_queue(Client *c, const uint8_t *data, size_t size) {
        size_t used = c->out_end - c->out_start;

        if (used + size > RPC_GUEST_CLIENT_QUEUE_MAX)
                return -ENOBUFS;
        if (c->out_start > 0) {
                memmove(c->out, c->out + c->out_start, used);
                c->out_start = 0;
                c->out_end = used;
        }
        if (used + size > c->out_alloc) {
                size_t want = MAX(used + size, c->out_alloc * 2);
                uint8_t *n = realloc(c->out, want);

                if (!n)
                        return -ENOMEM;
                c->out = n;
                c->out_alloc = want;
        }
        memcpy(c->out + c->out_end, data, size);
        c->out_end += size;
        return client_flush(c);
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Client *c = userdata;
        uint8_t buf[RPC_FRAME_PAYLOAD_MAX];

        if (revents & EPOLLOUT && client_flush(c) < 0) {
                client_close(c, true);
                return 0;
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n;

                if (rpc_link_is_throttled(c->guest->link) && !(revents & (EPOLLHUP | EPOLLERR))) {
                        (void) client_update_events(c); /* dom0 is not keeping up */
                        return 0;
                }
                n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        client_close(c, true);
                        return 0;
                }
                (void) rpc_link_send(c->guest->link, RPC_FRAME_DATA, c->id, buf, (size_t) n);
        }
        return 0;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RpcGuest *g = userdata;
        Client **slot = NULL;
        Client *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(negative_errno(), "Failed to accept a client: %m");
                return 0;
        }
        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX && !slot; i++)
                if (!g->clients[i])
                        slot = &g->clients[i];
        if (!slot) {
                log_warning("More than %u clients, refusing one.", RPC_GUEST_CLIENTS_MAX);
                close(cfd);
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(cfd);
                return 0;
        }
        c->guest = g;
        c->fd = cfd;
        c->id = ++g->next_id;
        *slot = c;
        r = sd_event_add_io(g->event, &c->io, cfd, EPOLLIN, client_io, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a client: %m");
                client_free(c);
                return 0;
        }
        log_debug("Connection %u opened.", c->id);
        (void) rpc_link_send(g->link, RPC_FRAME_OPEN, c->id, NULL, 0);
        return 0;
}

static Client *find_client(RpcGuest *g, uint32_t id) {
        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX; i++)
                if (g->clients[i] && g->clients[i]->id == id)
                        return g->clients[i];
        return NULL;
}

static void guest_on_frame(RpcLink *link, const RpcFrameHeader *h, const uint8_t *payload, void *userdata) {
        RpcGuest *g = userdata;
        Client *c = find_client(g, h->conn);
        int r;

        switch (h->type) {
        case RPC_FRAME_DATA:
                if (!c)
                        return; /* closed here; dom0 has not seen our CLOSE yet */
                r = client_queue(c, payload, h->length);
                if (r < 0) {
                        if (r == -ENOBUFS)
                                log_warning("Connection %u: client not reading, closing it.", c->id);
                        else
                                log_debug_errno(r, "Connection %u: client gone: %m", c->id);
                        client_close(c, true);
                }
                return;
        case RPC_FRAME_CLOSE:
                if (c)
                        client_close(c, false);
                return;
        default:
                log_error("Unexpected %s frame from dom0, dropping the link.", rpc_frame_type_to_string(h->type));
                rpc_link_abort(link, -EBADMSG);
        }
}

static void guest_on_writable(RpcLink *link, void *userdata) {
        RpcGuest *g = userdata;

        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX; i++)
                if (g->clients[i])
                        (void) client_update_events(g->clients[i]);
}

static void guest_on_close(RpcLink *link, int error, void *userdata) {
        RpcGuest *g = userdata;

        log_error_errno(error, "Link to dom0 closed: %m");
        (void) sd_event_exit(g->event, error < 0 ? -error : 1);
}

int rpc_guest_new(sd_event *event, RpcLink *link, int listen_fd, RpcGuest **ret) {
        _cleanup_(rpc_guest_freep) RpcGuest *g = NULL;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g) {
                rpc_link_free(link);
                close(listen_fd);
                return -ENOMEM;
        }
        g->event = sd_event_ref(event);
        g->link = link;
        g->listen_fd = listen_fd;
        rpc_link_set_handlers(link, guest_on_frame, guest_on_close, g);
        rpc_link_set_writable_handler(link, guest_on_writable);
        r = sd_event_add_io(event, &g->listen_io, listen_fd, EPOLLIN, listen_io, g);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

RpcGuest *rpc_guest_free(RpcGuest *g) {
        if (!g)
                return NULL;
        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX; i++)
                if (g->clients[i])
                        client_free(g->clients[i]);
        sd_event_source_disable_unref(g->listen_io);
        if (g->listen_fd >= 0)
                close(g->listen_fd);
        rpc_link_free(g->link);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}
