/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
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
        char *export_path; /* this domain's own bus, for dom0's connections (via= rules); NULL: none */
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

/* Takes fd: a connected, non-blocking stream socket. */
static int client_add(RpcGuest *g, int fd, uint32_t id) {
        Client **slot = NULL;
        Client *c;
        int r;

        for (size_t i = 0; i < RPC_GUEST_CLIENTS_MAX && !slot; i++)
                if (!g->clients[i])
                        slot = &g->clients[i];
        if (!slot) {
                log_warning("More than %u connections, refusing one.", RPC_GUEST_CLIENTS_MAX);
                close(fd);
                return -EMFILE;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->guest = g;
        c->fd = fd;
        c->id = id;
        *slot = c;
        r = sd_event_add_io(g->event, &c->io, fd, EPOLLIN, client_io, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a connection: %m");
                client_free(c);
                return r;
        }
        return 0;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        RpcGuest *g = userdata;
        uint32_t id;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(negative_errno(), "Failed to accept a client: %m");
                return 0;
        }
        /* Our ids never have RPC_CONN_DOM0 set, and 0 is not used. */
        g->next_id = (g->next_id + 1) & ~RPC_CONN_DOM0;
        if (g->next_id == 0)
                g->next_id = 1;
        id = g->next_id;
        if (client_add(g, cfd, id) < 0)
                return 0;
        log_debug("Connection %u opened.", id);
        (void) rpc_link_send(g->link, RPC_FRAME_OPEN, id, NULL, 0);
        return 0;
}

/* dom0 opens a connection to this domain's own bus (a rule with via= names this
 * domain): the bytes go through unchanged, and this domain's dbus-daemon checks
 * them as it checks any local client's (dom0 authenticates as this process). */
static void export_open(RpcGuest *g, uint32_t id) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (!g->export_path) {
                log_warning("dom0 opened connection %#x to this domain's bus, which is not exported "
                            "(--export-bus); refusing it.", id);
                (void) rpc_link_send(g->link, RPC_FRAME_CLOSE, id, NULL, 0);
                return;
        }
        if (strlen(g->export_path) >= sizeof(sa.sun_path)) {
                r = -ENAMETOOLONG;
                goto fail;
        }
        strcpy(sa.sun_path, g->export_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = negative_errno();
                goto fail;
        }
        /* A local bus socket: connect() does not block for long.  Non-blocking after. */
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = negative_errno();
                close(fd);
                goto fail;
        }
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
                r = negative_errno();
                close(fd);
                goto fail;
        }
        r = client_add(g, fd, id);
        if (r < 0)
                goto fail;
        log_info("dom0 connected to this domain's bus (connection %#x).", id);
        return;
fail:
        log_warning_errno(r, "Cannot connect dom0's connection %#x to %s: %m", id, g->export_path);
        (void) rpc_link_send(g->link, RPC_FRAME_CLOSE, id, NULL, 0);
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
        case RPC_FRAME_OPEN:
                if (!(h->conn & RPC_CONN_DOM0) || c) {
                        log_error("dom0 sent OPEN for connection %#x, %s; dropping the link.", h->conn,
                                  c ? "which is open" : "an id of ours");
                        rpc_link_abort(link, -EBADMSG);
                        return;
                }
                export_open(g, h->conn);
                return;
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

int rpc_guest_new(sd_event *event, RpcLink *link, int listen_fd, const char *export_path, RpcGuest **ret) {
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
        if (export_path) {
                g->export_path = strdup(export_path);
                if (!g->export_path)
                        return -ENOMEM;
        }
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
        free(g->export_path);
        free(g);
        return NULL;
}
