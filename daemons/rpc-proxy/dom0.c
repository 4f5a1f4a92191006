/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "dom0.h"
#include "log.h"

#define DRIVER "org.freedesktop.DBus"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define LIMITS_EXCEEDED "org.freedesktop.DBus.Error.LimitsExceeded"
#define SERVICE_UNKNOWN "org.freedesktop.DBus.Error.ServiceUnknown"
#define NO_REPLY "org.freedesktop.DBus.Error.NoReply"
/* Retry delays for dom0's connection to a guest's own bus (via= rules). */
#define REMOTE_RETRY_MIN_USEC (1000ULL * 1000ULL)
#define REMOTE_RETRY_MAX_USEC (30ULL * 1000ULL * 1000ULL)

static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}

typedef struct Dom0Link Dom0Link;
typedef struct Conn Conn;

typedef struct PendingCall {
        Conn *conn;
        Conn *target; /* the outbound connection the call went to; NULL: dom0's bus */
        sd_bus_message *call;
        sd_bus_slot *slot;
        struct PendingCall *next, *prev;
} PendingCall;

struct Conn {
        RpcDom0 *dom0;
        Dom0Link *dl;
        uint32_t id;
        char *domain;
        int fd;
        /* An sd-bus server on the socketpair for a guest's connection; for an
         * outbound connection (dom0 to the guest's own bus), an sd-bus client. */
        sd_bus *server;
        bool outbound;
        sd_event_source *io;
        sd_event_source *defer;
        RpcDbusStream stream;
        uint8_t *in;
        size_t in_start, in_end, in_alloc;
        unsigned n_matches;
        unsigned n_pending;
        bool hello_done;
        bool closing;
        PendingCall *pending;
        Conn *all_next, *all_prev; /* every connection, closing or not, for rpc_dom0_free() */
};

typedef struct SignalMatch SignalMatch;

struct Dom0Link {
        RpcDom0 *dom0;
        RpcLink *link;
        char *domain;
        Conn *conns[RPC_CONNS_PER_LINK_MAX];
        /* dom0's connection to this domain's own bus, while rules name it in via= */
        Conn *remote;
        SignalMatch *remote_matches;
        size_t n_remote_matches;
        sd_event_source *remote_retry;
        uint64_t remote_delay;
        uint32_t next_remote_id;
        bool remote_warned;
        sd_event_source *defer;
        /* denial log rate limit: RPC_DENY_LOG_BURST lines per RPC_DENY_LOG_INTERVAL_SEC */
        time_t deny_window;
        unsigned deny_logged, deny_suppressed;
        Dom0Link *next, *prev;
};

struct SignalMatch {
        RpcDom0 *dom0;
        char *via; /* the domain whose bus it is on; NULL: dom0's bus */
        char *sender;
        char *interface;
        sd_bus_slot *slot;
};

struct RpcDom0 {
        sd_event *event;
        sd_bus *bus;
        char *rules_path;
        RpcRules *rules;
        Dom0Link *links;
        SignalMatch *matches;
        size_t n_matches;
        Conn *conns;
        uint64_t next_unique;
        RpcDom0LinkClosed link_closed;
        void *link_closed_userdata;
};

static void conn_drop(Conn *c, bool notify_peer);
static void remote_lost(Dom0Link *dl, Conn *c);
static void remote_fail_pending(Conn *remote, bool reply);
static void remote_forget(Dom0Link *dl);
static void link_sync_remote(Dom0Link *dl);

/* ---- connections ---------------------------------------------------------------------------- */

static void pending_free(PendingCall *pc) {
        Conn *c = pc->conn;

        if (pc->prev)
                pc->prev->next = pc->next;
        else
                c->pending = pc->next;
        if (pc->next)
                pc->next->prev = pc->prev;
        c->n_pending--;
        sd_bus_slot_unref(pc->slot);
        sd_bus_message_unref(pc->call);
        free(pc);
}

static void conn_free(Conn *c) {
        if (c->all_prev)
                c->all_prev->all_next = c->all_next;
        else if (c->dom0->conns == c)
                c->dom0->conns = c->all_next;
        if (c->all_next)
                c->all_next->all_prev = c->all_prev;
        while (c->pending)
                pending_free(c->pending);
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->defer);
        if (c->server) {
                sd_bus_detach_event(c->server);
                sd_bus_close_unref(c->server);
        }
        if (c->fd >= 0)
                close(c->fd);
        free(c->in);
        free(c->domain);
        free(c);
}

static int conn_defer_free(sd_event_source *s, void *userdata) {
        conn_free(userdata);
        return 0;
}

/* Detaches the connection from its link now and frees it from the event loop
 * (never from inside one of its own sd-bus callbacks). */
static void conn_drop(Conn *c, bool notify_peer) {
        int r;

        if (c->closing)
                return;
        c->closing = true;
        if (c->dl && c->outbound)
                remote_lost(c->dl, c);
        if (c->dl) {
                for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++)
                        if (c->dl->conns[i] == c)
                                c->dl->conns[i] = NULL;
                if (notify_peer)
                        (void) rpc_link_send(c->dl->link, RPC_FRAME_CLOSE, c->id, NULL, 0);
                c->dl = NULL;
        }
        if (c->io)
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
        r = sd_event_add_defer(c->dom0->event, &c->defer, conn_defer_free, c);
        if (r < 0)
                log_error_errno(r, "Failed to schedule freeing a connection, leaking it: %m");
}

static int conn_update_events(Conn *c) {
        bool throttled = !c->dl || rpc_link_is_throttled(c->dl->link);

        return sd_event_source_set_io_events(c->io, (throttled ? 0 : EPOLLIN) |
                                                            (c->in_end > c->in_start ? EPOLLOUT : 0));
}

static int conn_flush_in(Conn *c) {
        while (c->in_end > c->in_start) {
                ssize_t n = send(c->fd, c->in + c->in_start, c->in_end - c->in_start,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return negative_errno();
                }
                c->in_start += (size_t) n;
        }
        if (c->in_start == c->in_end)
                c->in_start = c->in_end = 0;
        return conn_update_events(c);
}

static int conn_queue_in(Conn *c, const uint8_t *data, size_t size) {
        size_t used = c->in_end - c->in_start;

        if (used + size > RPC_CONN_QUEUE_MAX)
                return -ENOBUFS;
        if (c->in_start > 0) {
                memmove(c->in, c->in + c->in_start, used);
                c->in_start = 0;
                c->in_end = used;
        }
        if (used + size > c->in_alloc) {
                size_t want = MAX(used + size, c->in_alloc * 2);
                uint8_t *n = realloc(c->in, want);

                if (!n)
                        return -ENOMEM;
                c->in = n;
                c->in_alloc = want;
        }
        memcpy(c->in + c->in_end, data, size);
        c->in_end += size;
        return conn_flush_in(c);
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        static uint8_t buf[RPC_FRAME_PAYLOAD_MAX]; /* one frame's worth per event */
        int r;

        if (c->closing)
                return 0;
        if (revents & EPOLLOUT) {
                r = conn_flush_in(c);
                if (r < 0) {
                        conn_drop(c, true);
                        return 0;
                }
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n;

                if (!c->dl || (rpc_link_is_throttled(c->dl->link) && !(revents & (EPOLLHUP | EPOLLERR)))) {
                        /* the guest is not keeping up: leave the bytes in the socket for now */
                        (void) conn_update_events(c);
                        return 0;
                }
                n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        conn_drop(c, true);
                        return 0;
                }
                (void) rpc_link_send(c->dl->link, RPC_FRAME_DATA, c->id, buf, (size_t) n);
        }
        return 0;
}

static int reply_error(Conn *c, sd_bus_message *m, const char *name, const char *message) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!sd_bus_message_get_expect_reply(m))
                return 0;
        sd_bus_error_set(&e, name, message);
        return sd_bus_reply_method_error(m, &e);
}

static int handle_driver(Conn *c, sd_bus_message *m, const char *member) {
        int r;

        if (streq_ptr(member, "Hello")) {
                char unique[32];

                if (c->hello_done)
                        return reply_error(c, m, "org.freedesktop.DBus.Error.Failed", "Already handled an Hello message");
                c->hello_done = true;
                snprintf(unique, sizeof(unique), ":1.%llu", (unsigned long long) ++c->dom0->next_unique);
                return sd_bus_reply_method_return(m, "s", unique);
        }
        if (streq_ptr(member, "AddMatch") || streq_ptr(member, "RemoveMatch")) {
                const char *rule;

                r = sd_bus_message_read(m, "s", &rule);
                if (r < 0)
                        return reply_error(c, m, "org.freedesktop.DBus.Error.InvalidArgs", "Expected one string");
                if (streq_ptr(member, "AddMatch")) {
                        if (c->n_matches >= RPC_MATCHES_PER_CONN_MAX)
                                return reply_error(c, m, LIMITS_EXCEEDED, "Too many matches");
                        c->n_matches++;
                } else if (c->n_matches > 0)
                        c->n_matches--;
                /* Guests see the signals their rules allow once they ask for any;
                 * their own sd-bus/libdbus filters by their match rules. */
                return sd_bus_reply_method_return(m, NULL);
        }
        return -ENOENT; /* not handled here: goes through the rules */
}

/* Like sd_bus_message_copy(dst, src, true), but arrays of fixed-size types are
 * copied in one piece instead of element by element (a 64 KiB "ay" is one call,
 * not 65536).  src is read from its current position; depth is bounded by
 * sd-bus's own container nesting limit. */
static int message_copy(sd_bus_message *dst, sd_bus_message *src) {
        for (;;) {
                const char *contents = NULL;
                char type;
                int r;

                r = sd_bus_message_peek_type(src, &type, &contents);
                if (r <= 0)
                        return r;
                if (type == SD_BUS_TYPE_ARRAY && contents && contents[0] && !contents[1] &&
                    strchr("ynqiuxtd", contents[0])) {
                        const void *p;
                        size_t n;

                        r = sd_bus_message_read_array(src, contents[0], &p, &n);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append_array(dst, contents[0], p, n);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_STRUCT ||
                    type == SD_BUS_TYPE_DICT_ENTRY) {
                        r = sd_bus_message_enter_container(src, type, contents);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_open_container(dst, type, contents);
                        if (r < 0)
                                return r;
                        r = message_copy(dst, src);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_close_container(dst);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(src);
                        if (r < 0)
                                return r;
                        continue;
                }
                union {
                        uint8_t y;
                        uint16_t q;
                        uint32_t u;
                        uint64_t t;
                        double d;
                        int b;
                        const char *s;
                } v;
                r = sd_bus_message_read_basic(src, type, &v);
                if (r < 0)
                        return r;
                if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH || type == SD_BUS_TYPE_SIGNATURE)
                        r = sd_bus_message_append_basic(dst, type, v.s);
                else
                        r = sd_bus_message_append_basic(dst, type, &v);
                if (r < 0)
                        return r;
        }
}

static int forward_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *out = NULL;
        PendingCall *pc = userdata;
        Conn *c = pc->conn;
        int r;

        if (c->closing) {
                pending_free(pc);
                return 0;
        }
        if (sd_bus_message_is_method_error(reply, NULL))
                r = sd_bus_message_new_method_error(pc->call, &out, sd_bus_message_get_error(reply));
        else {
                r = sd_bus_message_new_method_return(pc->call, &out);
                if (r >= 0)
                        r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = message_copy(out, reply);
        }
        if (r >= 0)
                r = sd_bus_send(c->server, out, NULL);
        if (r < 0)
                log_warning_errno(r, "Domain %s connection %u: failed to pass a reply back: %m", c->domain, c->id);
        pending_free(pc);
        return 0;
}

/* Forwards a call to dom0's bus (target NULL) or over an outbound connection to
 * a guest's own bus. */
static int forward_call(Conn *c, Conn *target, sd_bus_message *m, const char *destination, const char *path,
                        const char *interface, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *fwd = NULL;
        sd_bus *bus = target ? target->server : c->dom0->bus;
        PendingCall *pc;
        int r;

        if (c->n_pending >= RPC_PENDING_PER_CONN_MAX)
                return reply_error(c, m, LIMITS_EXCEEDED, "Too many calls in flight");

        r = sd_bus_message_new_method_call(bus, &fwd, destination, path, interface, member);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = message_copy(fwd, m);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(fwd, sd_bus_message_get_auto_start(m));
        if (r < 0) {
                log_warning_errno(r, "Domain %s: cannot forward %s.%s: %m", c->domain, interface ?: "", member);
                return reply_error(c, m, "org.freedesktop.DBus.Error.Failed", "The proxy could not forward this call");
        }
        if (!sd_bus_message_get_expect_reply(m)) {
                r = sd_bus_message_set_expect_reply(fwd, false);
                if (r >= 0)
                        r = sd_bus_send(bus, fwd, NULL);
                return r;
        }

        pc = calloc(1, sizeof(*pc));
        if (!pc)
                return -ENOMEM;
        pc->conn = c;
        pc->target = target;
        pc->call = sd_bus_message_ref(m);
        r = sd_bus_call_async(bus, &pc->slot, fwd, forward_reply, pc, 0);
        if (r < 0) {
                sd_bus_message_unref(pc->call);
                free(pc);
                log_warning_errno(r, "Domain %s: cannot forward %s.%s: %m", c->domain, interface ?: "", member);
                return reply_error(c, m, "org.freedesktop.DBus.Error.Failed", "The proxy could not forward this call");
        }
        pc->next = c->pending;
        if (pc->next)
                pc->next->prev = pc;
        c->pending = pc;
        c->n_pending++;
        return 0;
}

/* A guest must not be able to flood dom0's journal with denials. */
static bool deny_log_allowed(Dom0Link *dl) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (ts.tv_sec >= dl->deny_window + RPC_DENY_LOG_INTERVAL_SEC) {
                if (dl->deny_suppressed > 0)
                        log_warning("Domain %s: %u more denied calls not logged.", dl->domain, dl->deny_suppressed);
                dl->deny_window = ts.tv_sec;
                dl->deny_logged = 0;
                dl->deny_suppressed = 0;
        }
        if (dl->deny_logged < RPC_DENY_LOG_BURST) {
                dl->deny_logged++;
                return true;
        }
        dl->deny_suppressed++;
        return false;
}

/* A live link of domain on which dom0 has its connection to that domain's bus. */
static Dom0Link *dom0_find_link(RpcDom0 *d, const char *domain) {
        for (Dom0Link *dl = d->links; dl; dl = dl->next)
                if (!rpc_link_is_dead(dl->link) && dl->remote && strcmp(dl->domain, domain) == 0)
                        return dl;
        return NULL;
}

static int conn_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Conn *c = userdata;
        const char *destination, *path, *interface, *member;
        const RpcRule *rule;
        Conn *target = NULL;
        uint64_t queued = 0;
        uint8_t type;
        int r;

        if (c->closing)
                return 1;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
                log_debug("Domain %s connection %u: disconnected.", c->domain, c->id);
                conn_drop(c, true);
                return 1;
        }
        r = sd_bus_message_get_type(m, &type);
        if (r < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
                return 1; /* guests do not emit signals or send unsolicited replies here */

        /* Replies (and errors) the guest has not read pile up in the sd-bus
         * server's queue while the link is throttled: a guest end that sends
         * calls but does not read must not make dom0's memory grow. */
        if (sd_bus_get_n_queued_write(c->server, &queued) >= 0 && queued > RPC_UNREAD_PER_CONN_MAX) {
                log_warning("Domain %s connection %u: %" PRIu64 " replies not read, closing the connection.",
                            c->domain, c->id, queued);
                conn_drop(c, true);
                return 1;
        }

        destination = sd_bus_message_get_destination(m);
        path = sd_bus_message_get_path(m);
        interface = sd_bus_message_get_interface(m);
        member = sd_bus_message_get_member(m);

        if (streq_ptr(destination, DRIVER) && streq_ptr(interface, DRIVER)) {
                r = handle_driver(c, m, member);
                if (r != -ENOENT) {
                        if (r < 0)
                                log_debug_errno(r, "Domain %s connection %u: driver call %s failed: %m",
                                                c->domain, c->id, member);
                        return 1;
                }
        }
        if (!destination && streq_ptr(interface, "org.freedesktop.DBus.Peer") && streq_ptr(member, "Ping")) {
                (void) sd_bus_reply_method_return(m, NULL);
                return 1;
        }

        rule = rpc_rules_match_call(c->dom0->rules, c->domain, destination, path, interface, member);
        if (!rule) {
                if (deny_log_allowed(c->dl))
                        log_warning("Denied call from domain %s: destination=%s path=%s interface=%s member=%s",
                                    c->domain, destination ?: "(none)", path ?: "(none)", interface ?: "(none)",
                                    member ?: "(none)");
                (void) reply_error(c, m, ACCESS_DENIED, "Denied by cairn-rpc-proxy rules");
                return 1;
        }
        if (rule->via) {
                Dom0Link *via = dom0_find_link(c->dom0, rule->via);

                if (!via) {
                        _cleanup_free_ char *text = NULL;

                        log_debug("Domain %s: %s.%s needs the bus of domain %s, which is not connected.",
                                  c->domain, interface ?: "", member, rule->via);
                        if (asprintf(&text, "The %s domain is not connected to dom0 now", rule->via) < 0)
                                text = NULL;
                        (void) reply_error(c, m, SERVICE_UNKNOWN, text ?: "Not connected");
                        return 1;
                }
                target = via->remote;
        }
        log_debug("Domain %s: forwarding %s %s %s.%s%s%s", c->domain, destination, path, interface ?: "", member,
                  rule->via ? " via " : "", rule->via ?: "");
        r = forward_call(c, target, m, destination, path, interface, member);
        if (r < 0)
                log_warning_errno(r, "Domain %s connection %u: %m", c->domain, c->id);
        return 1;
}

static int remote_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/* A connection on link dl: for a guest's connection (outbound false) an sd-bus
 * server, for dom0's own connection to the guest's bus (outbound true) an
 * sd-bus client, on one end of a socketpair whose other end carries the bytes
 * to and from the link. */
static int conn_new(Dom0Link *dl, uint32_t id, bool outbound, Conn **ret) {
        RpcDom0 *d = dl->dom0;
        Conn *c;
        int fds[2], r;
        sd_id128_t server_id;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
                return negative_errno();
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fds[0]);
                close(fds[1]);
                return -ENOMEM;
        }
        c->dom0 = d;
        c->dl = dl;
        c->id = id;
        c->fd = fds[0];
        c->outbound = outbound;
        c->domain = strdup(dl->domain);
        if (outbound)
                rpc_dbus_stream_init_server(&c->stream);
        else
                rpc_dbus_stream_init(&c->stream);
        if (!c->domain) {
                close(fds[1]);
                r = -ENOMEM;
                goto fail;
        }

        r = sd_bus_new(&c->server);
        if (r < 0) {
                close(fds[1]);
                goto fail;
        }
        r = sd_bus_set_fd(c->server, fds[1], fds[1]);
        if (r < 0) {
                close(fds[1]);
                goto fail;
        }
        if (outbound) {
                /* dbus-daemon in the guest authenticates us as its guest end (EXTERNAL). */
                r = sd_bus_set_bus_client(c->server, 1);
                if (r >= 0)
                        r = sd_bus_set_connected_signal(c->server, 1);
                if (r >= 0)
                        r = sd_bus_negotiate_fds(c->server, 0);
                if (r >= 0)
                        r = sd_bus_add_filter(c->server, NULL, remote_filter, c);
        } else {
                r = sd_id128_randomize(&server_id);
                if (r >= 0)
                        r = sd_bus_set_server(c->server, 1, server_id);
                if (r >= 0)
                        r = sd_bus_set_anonymous(c->server, 1);
                if (r >= 0)
                        r = sd_bus_negotiate_fds(c->server, 0);
                if (r >= 0)
                        r = sd_bus_add_filter(c->server, NULL, conn_filter, c);
        }
        if (r >= 0)
                r = sd_bus_attach_event(c->server, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_start(c->server);
        if (r >= 0) {
                /* sd-bus raised this socket's send buffer to 8 MiB; while the link is
                 * throttled, replies would pile up there in kernel memory, per connection. */
                int size = RPC_CONN_SOCKBUF;

                if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0)
                        r = negative_errno();
        }
        if (r >= 0)
                r = sd_event_add_io(d->event, &c->io, c->fd, EPOLLIN, conn_io, c);
        if (r < 0)
                goto fail;
        c->all_next = d->conns;
        if (c->all_next)
                c->all_next->all_prev = c;
        d->conns = c;
        *ret = c;
        return 0;
fail:
        conn_free(c);
        return r;
}

/* ---- links ---------------------------------------------------------------------------------- */

static Conn **link_find_conn(Dom0Link *dl, uint32_t id) {
        for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++)
                if (dl->conns[i] && dl->conns[i]->id == id)
                        return &dl->conns[i];
        return NULL;
}

static void link_on_frame(RpcLink *link, const RpcFrameHeader *h, const uint8_t *payload, void *userdata) {
        Dom0Link *dl = userdata;
        Conn **slot = link_find_conn(dl, h->conn);
        const char *reason = NULL;
        int r;

        switch (h->type) {
        case RPC_FRAME_OPEN: {
                Conn **free_slot = NULL;

                if (slot || (h->conn & RPC_CONN_DOM0)) {
                        if (slot)
                                log_warning("Domain %s: OPEN for connection %u, which is open; dropping the link.",
                                            dl->domain, h->conn);
                        else
                                log_warning("Domain %s: OPEN for connection %#x, an id only dom0 may open; "
                                            "dropping the link.", dl->domain, h->conn);
                        rpc_link_abort(link, -EBADMSG);
                        return;
                }
                for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX && !free_slot; i++)
                        if (!dl->conns[i])
                                free_slot = &dl->conns[i];
                if (!free_slot) {
                        log_warning("Domain %s: more than %u connections, refusing connection %u.",
                                    dl->domain, RPC_CONNS_PER_LINK_MAX, h->conn);
                        (void) rpc_link_send(link, RPC_FRAME_CLOSE, h->conn, NULL, 0);
                        return;
                }
                r = conn_new(dl, h->conn, false, free_slot);
                if (r < 0) {
                        log_error_errno(r, "Domain %s: cannot set up connection %u: %m", dl->domain, h->conn);
                        (void) rpc_link_send(link, RPC_FRAME_CLOSE, h->conn, NULL, 0);
                        return;
                }
                log_debug("Domain %s: connection %u opened.", dl->domain, h->conn);
                return;
        }
        case RPC_FRAME_DATA:
                if (!slot)
                        return; /* a connection we closed; the guest has not seen our CLOSE yet */
                r = rpc_dbus_stream_feed(&(*slot)->stream, payload, h->length, &reason);
                if (r < 0) {
                        log_warning("Domain %s connection %u: %s; closing the connection.", dl->domain, h->conn,
                                    reason);
                        conn_drop(*slot, true);
                        return;
                }
                r = conn_queue_in(*slot, payload, h->length);
                if (r < 0) {
                        log_warning_errno(r, "Domain %s connection %u: cannot pass data on, closing: %m",
                                          dl->domain, h->conn);
                        conn_drop(*slot, true);
                }
                return;
        case RPC_FRAME_CLOSE:
                if (slot) {
                        if ((*slot)->outbound)
                                log_info("Domain %s: its bus closed dom0's connection %#x.", dl->domain, h->conn);
                        else
                                log_debug("Domain %s: connection %u closed by the guest.", dl->domain, h->conn);
                        conn_drop(*slot, false);
                }
                return;
        }
}

/* From the event loop (now = false) connections are dropped and freed later;
 * from rpc_dom0_free() (now = true) they are freed at once. */
static void dom0_link_free(Dom0Link *dl, bool now) {
        if (dl->remote) {
                if (now) {
                        remote_fail_pending(dl->remote, false);
                        remote_forget(dl);
                } else
                        conn_drop(dl->remote, false);
        }
        for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++)
                if (dl->conns[i]) {
                        if (now)
                                conn_free(dl->conns[i]);
                        else
                                conn_drop(dl->conns[i], false);
                }
        sd_event_source_disable_unref(dl->remote_retry);
        sd_event_source_disable_unref(dl->defer);
        rpc_link_free(dl->link);
        free(dl->domain);
        free(dl);
}

static int link_defer_free(sd_event_source *s, void *userdata) {
        Dom0Link *dl = userdata;
        RpcDom0 *d = dl->dom0;
        _cleanup_free_ char *domain = strdup(dl->domain);

        if (dl->prev)
                dl->prev->next = dl->next;
        else
                d->links = dl->next;
        if (dl->next)
                dl->next->prev = dl->prev;
        dom0_link_free(dl, false);
        if (d->link_closed && domain)
                d->link_closed(d, domain, d->link_closed_userdata);
        return 0;
}

static void link_on_close(RpcLink *link, int error, void *userdata) {
        Dom0Link *dl = userdata;
        int r;

        log_info("Domain %s: link %s closed.", dl->domain, rpc_link_name(link));
        for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++)
                if (dl->conns[i])
                        conn_drop(dl->conns[i], false);
        r = sd_event_add_defer(dl->dom0->event, &dl->defer, link_defer_free, dl);
        if (r < 0)
                log_error_errno(r, "Failed to schedule freeing a link: %m");
}

static void link_on_connected(RpcLink *link, void *userdata) {
        Dom0Link *dl = userdata;

        log_debug("Domain %s: the guest end of link %s connected.", dl->domain, rpc_link_name(link));
        link_sync_remote(dl);
}

static void link_on_writable(RpcLink *link, void *userdata) {
        Dom0Link *dl = userdata;

        for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++)
                if (dl->conns[i] && !dl->conns[i]->closing)
                        (void) conn_update_events(dl->conns[i]);
}

int rpc_dom0_add_link(RpcDom0 *d, RpcLink *link, const char *domain) {
        Dom0Link *dl = calloc(1, sizeof(*dl));

        if (!dl) {
                rpc_link_free(link);
                return -ENOMEM;
        }
        dl->dom0 = d;
        dl->link = link;
        dl->domain = strdup(domain);
        if (!dl->domain) {
                dom0_link_free(dl, true);
                return -ENOMEM;
        }
        rpc_link_set_handlers(link, link_on_frame, link_on_close, dl);
        rpc_link_set_writable_handler(link, link_on_writable);
        rpc_link_set_connected_handler(link, link_on_connected);
        dl->next = d->links;
        if (dl->next)
                dl->next->prev = dl;
        d->links = dl;
        log_info("Domain %s: link %s up.", domain, rpc_link_name(link));
        link_sync_remote(dl);
        return 0;
}

void rpc_dom0_set_link_closed(RpcDom0 *d, RpcDom0LinkClosed cb, void *userdata) {
        d->link_closed = cb;
        d->link_closed_userdata = userdata;
}

/* ---- dom0's connections to guests' own buses (rules with via=) ------------------------------ */

static int subscribe(RpcDom0 *d, sd_bus *bus, const char *via, SignalMatch **ret, size_t *ret_n);
static void matches_free(SignalMatch *matches, size_t n);

/* Fails every call in flight to the outbound connection remote (the guest's bus
 * went away), answering the callers when reply is set. */
static void remote_fail_pending(Conn *remote, bool reply) {
        RpcDom0 *d = remote->dom0;

        for (Conn *c = d->conns; c; c = c->all_next) {
                PendingCall *pc = c->pending;

                while (pc) {
                        PendingCall *next = pc->next;

                        if (pc->target == remote) {
                                if (reply && !c->closing)
                                        (void) reply_error(c, pc->call, NO_REPLY,
                                                           "The domain that serves this call went away");
                                pending_free(pc);
                        }
                        pc = next;
                }
        }
}

/* Forgets the outbound connection: its signal matches and the link's pointer to it. */
static void remote_forget(Dom0Link *dl) {
        matches_free(dl->remote_matches, dl->n_remote_matches);
        dl->remote_matches = NULL;
        dl->n_remote_matches = 0;
        dl->remote = NULL;
}

static int remote_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void remote_schedule(Dom0Link *dl) {
        int r;

        if (rpc_link_is_dead(dl->link) || !rpc_rules_has_via(dl->dom0->rules, dl->domain))
                return;
        dl->remote_delay = dl->remote_delay ? MIN(dl->remote_delay * 2, REMOTE_RETRY_MAX_USEC)
                                            : REMOTE_RETRY_MIN_USEC;
        dl->remote_retry = sd_event_source_disable_unref(dl->remote_retry);
        r = sd_event_add_time_relative(dl->dom0->event, &dl->remote_retry, CLOCK_MONOTONIC, dl->remote_delay, 0,
                                       remote_retry, dl);
        if (r < 0)
                log_error_errno(r, "Domain %s: cannot schedule a new connection to its bus: %m", dl->domain);
}

/* Called from conn_drop() for the outbound connection c. */
static void remote_lost(Dom0Link *dl, Conn *c) {
        if (dl->remote != c)
                return;
        remote_fail_pending(c, true);
        remote_forget(dl);
        if (rpc_link_is_dead(dl->link))
                return;
        if (!dl->remote_warned)
                log_warning("Domain %s: dom0's connection to its bus closed; trying again.", dl->domain);
        dl->remote_warned = true;
        remote_schedule(dl);
}

static void remote_open(Dom0Link *dl) {
        Conn **free_slot = NULL;
        uint32_t id;
        int r;

        for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX && !free_slot; i++)
                if (!dl->conns[i])
                        free_slot = &dl->conns[i];
        if (!free_slot) {
                log_warning("Domain %s: no room for dom0's connection to its bus; trying again later.", dl->domain);
                remote_schedule(dl);
                return;
        }
        id = RPC_CONN_DOM0 | (++dl->next_remote_id & ~RPC_CONN_DOM0);
        r = conn_new(dl, id, true, free_slot);
        if (r >= 0)
                r = subscribe(dl->dom0, (*free_slot)->server, dl->domain, &dl->remote_matches,
                              &dl->n_remote_matches);
        if (r >= 0)
                r = rpc_link_send(dl->link, RPC_FRAME_OPEN, id, NULL, 0);
        if (r < 0) {
                log_error_errno(r, "Domain %s: cannot open a connection to its bus: %m", dl->domain);
                if (*free_slot) {
                        Conn *c = *free_slot;

                        remote_forget(dl);
                        *free_slot = NULL;
                        conn_free(c);
                }
                remote_schedule(dl);
                return;
        }
        dl->remote = *free_slot;
        log_debug("Domain %s: opening dom0's connection %#x to its bus.", dl->domain, id);
}

static int remote_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Dom0Link *dl = userdata;

        dl->remote_retry = sd_event_source_disable_unref(dl->remote_retry);
        if (!dl->remote && !rpc_link_is_dead(dl->link) && rpc_rules_has_via(dl->dom0->rules, dl->domain))
                remote_open(dl);
        return 0;
}

static int remote_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Conn *c = userdata;

        if (c->closing)
                return 0;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Connected")) {
                log_info("Domain %s: dom0 is connected to its bus.", c->domain);
                if (c->dl) {
                        c->dl->remote_delay = 0;
                        c->dl->remote_warned = false;
                }
                return 0;
        }
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
                log_debug("Domain %s: dom0's connection %#x to its bus ended.", c->domain, c->id);
                conn_drop(c, true);
                return 1;
        }
        return 0; /* replies and matched signals go on to their callbacks */
}

/* Opens, re-subscribes or closes dom0's connection to the link's domain's bus, as
 * the rules now say. */
static void link_sync_remote(Dom0Link *dl) {
        bool want = rpc_rules_has_via(dl->dom0->rules, dl->domain);

        /* A vchan is offered before the guest end connects; a connection opened
         * then would wait in the ring, and sd-bus would give up on its
         * authentication after 90 s. */
        if (rpc_link_is_dead(dl->link) || !rpc_link_is_connected(dl->link))
                return;
        if (!want) {
                dl->remote_retry = sd_event_source_disable_unref(dl->remote_retry);
                if (dl->remote)
                        conn_drop(dl->remote, true);
                return;
        }
        if (!dl->remote) {
                if (!dl->remote_retry)
                        remote_open(dl);
                return;
        }
        SignalMatch *matches = NULL;
        size_t n = 0;
        int r = subscribe(dl->dom0, dl->remote->server, dl->domain, &matches, &n);

        if (r < 0) {
                log_error_errno(r, "Domain %s: cannot subscribe to the new rules' signals on its bus: %m",
                                dl->domain);
                return;
        }
        matches_free(dl->remote_matches, dl->n_remote_matches);
        dl->remote_matches = matches;
        dl->n_remote_matches = n;
}

/* ---- signals -------------------------------------------------------------------------------- */

static void forward_signal_to(Conn *c, sd_bus_message *m, const char *sender, const char *path,
                              const char *interface, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *out = NULL;
        uint64_t queued = 0;
        int r;

        if (sd_bus_get_n_queued_write(c->server, &queued) >= 0 && queued > RPC_UNREAD_PER_CONN_MAX) {
                log_debug("Domain %s connection %u: not reading, dropping signal %s.%s", c->domain, c->id,
                          interface, member);
                return;
        }
        r = sd_bus_message_new_signal(c->server, &out, path, interface, member);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = message_copy(out, m);
        if (r >= 0)
                r = sd_bus_message_set_sender(out, sender);
        if (r >= 0)
                r = sd_bus_send(c->server, out, NULL);
        if (r < 0)
                log_debug_errno(r, "Domain %s connection %u: cannot pass signal %s.%s: %m", c->domain, c->id,
                                interface, member);
}

static int signal_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SignalMatch *sm = userdata;
        RpcDom0 *d = sm->dom0;
        const char *path = sd_bus_message_get_path(m), *interface = sd_bus_message_get_interface(m),
                   *member = sd_bus_message_get_member(m);

        if (sd_bus_message_get_destination(m))
                return 0; /* unicast: not ours to pass on */
        for (Dom0Link *dl = d->links; dl; dl = dl->next) {
                if (!rpc_rules_match_signal(d->rules, dl->domain, sm->via, sm->sender, path, interface, member))
                        continue;
                for (size_t i = 0; i < RPC_CONNS_PER_LINK_MAX; i++) {
                        Conn *c = dl->conns[i];

                        if (c && !c->closing && !c->outbound && c->n_matches > 0)
                                forward_signal_to(c, m, sm->sender, path, interface, member);
                }
        }
        return 0;
}

/* Without an install callback sd-bus would close dom0's bus connection if the
 * daemon refused a match; log it instead (those signals then do not arrive). */
static int match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SignalMatch *sm = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e && sm->via && sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                /* that connection closed before the bus answered: it is logged and retried */
                log_debug("Subscribing to signals of %s on the bus of domain %s: %s", sm->interface, sm->via,
                          e->message ?: e->name);
        else if (e)
                log_error("Failed to subscribe to signals of %s on %s%s%s: %s", sm->interface, sm->sender,
                          sm->via ? " on the bus of domain " : "", sm->via ?: "", e->message ?: e->name);
        return 1;
}

static void matches_free(SignalMatch *matches, size_t n) {
        for (size_t i = 0; i < n; i++) {
                sd_bus_slot_unref(matches[i].slot);
                free(matches[i].via);
                free(matches[i].sender);
                free(matches[i].interface);
        }
        free(matches);
}

/* One match on bus per (sender, interface) that some signal rule with this via
 * names (via NULL: dom0's own bus). */
static int subscribe_rules(RpcDom0 *d, const RpcRules *rules, sd_bus *bus, const char *via, SignalMatch **ret,
                           size_t *ret_n) {
        SignalMatch *matches;
        size_t n = 0, n_signal_rules = 0;
        int r;

        /* Sized once: each entry's address is the match slot's userdata. */
        for (size_t i = 0; i < rules->n_rules; i++)
                if (rules->rules[i].kind == RPC_RULE_SIGNAL)
                        n_signal_rules++;
        matches = calloc(MAX(n_signal_rules, (size_t) 1), sizeof(*matches));
        if (!matches)
                return -ENOMEM;

        for (size_t i = 0; i < rules->n_rules; i++) {
                const RpcRule *rule = &rules->rules[i];
                _cleanup_free_ char *match = NULL;
                bool dup = false;

                if (rule->kind != RPC_RULE_SIGNAL || !streq_ptr(rule->via, via))
                        continue;
                for (size_t j = 0; j < n && !dup; j++)
                        dup = streq_ptr(matches[j].sender, rule->peer) && streq_ptr(matches[j].interface, rule->interface);
                if (dup)
                        continue;
                assert(n < n_signal_rules);
                matches[n] = (SignalMatch) {
                        .dom0 = d,
                        .via = via ? strdup(via) : NULL,
                        .sender = strdup(rule->peer),
                        .interface = strdup(rule->interface),
                };
                n++;
                if (!matches[n - 1].sender || !matches[n - 1].interface || (via && !matches[n - 1].via) ||
                    asprintf(&match, "type='signal',sender='%s',interface='%s'", rule->peer, rule->interface) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = sd_bus_add_match_async(bus, &matches[n - 1].slot, match, signal_cb, match_installed,
                                           &matches[n - 1]);
                if (r < 0) {
                        log_error_errno(r, "Failed to subscribe to %s: %m", match);
                        goto fail;
                }
        }
        *ret = matches;
        *ret_n = n;
        return 0;
fail:
        matches_free(matches, n);
        return r;
}

static int subscribe(RpcDom0 *d, sd_bus *bus, const char *via, SignalMatch **ret, size_t *ret_n) {
        return subscribe_rules(d, d->rules, bus, via, ret, ret_n);
}

/* ---- the whole ------------------------------------------------------------------------------ */

static int dom0_set_rules(RpcDom0 *d, RpcRules *rules) {
        SignalMatch *matches = NULL;
        size_t n = 0;
        int r;

        r = subscribe_rules(d, rules, d->bus, NULL, &matches, &n);
        if (r < 0)
                return r;
        matches_free(d->matches, d->n_matches);
        d->matches = matches;
        d->n_matches = n;
        rpc_rules_free(d->rules);
        d->rules = rules;
        for (Dom0Link *dl = d->links; dl; dl = dl->next)
                link_sync_remote(dl);
        return 0;
}

int rpc_dom0_new(sd_event *event, sd_bus *bus, const char *rules_path, RpcDom0 **ret) {
        _cleanup_(rpc_dom0_freep) RpcDom0 *d = NULL;
        _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->bus = sd_bus_ref(bus);
        d->rules_path = strdup(rules_path);
        if (!d->rules_path)
                return -ENOMEM;
        r = rpc_rules_load(rules_path, &rules, &error);
        if (r < 0) {
                log_error("%s", error ?: "Failed to load the rules.");
                return r;
        }
        r = dom0_set_rules(d, rules);
        if (r < 0)
                return r;
        TAKE_PTR(rules);
        log_info("Loaded %zu rules from %s.", d->rules->n_rules, rules_path);
        *ret = TAKE_PTR(d);
        return 0;
}

int rpc_dom0_reload(RpcDom0 *d) {
        _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = rpc_rules_load(d->rules_path, &rules, &error);
        if (r < 0) {
                log_error("%s; keeping the previous rules.", error ?: "Failed to load the rules");
                return r;
        }
        r = dom0_set_rules(d, rules);
        if (r < 0)
                return log_error_errno(r, "Failed to apply the new rules, keeping the previous ones: %m");
        TAKE_PTR(rules);
        log_info("Reloaded %zu rules from %s.", d->rules->n_rules, d->rules_path);
        return 0;
}

const RpcRules *rpc_dom0_rules(RpcDom0 *d) {
        return d->rules;
}

RpcDom0 *rpc_dom0_free(RpcDom0 *d) {
        if (!d)
                return NULL;
        while (d->links) {
                Dom0Link *dl = d->links;

                d->links = dl->next;
                dom0_link_free(dl, true);
        }
        while (d->conns)
                conn_free(d->conns);
        matches_free(d->matches, d->n_matches);
        rpc_rules_free(d->rules);
        sd_bus_unref(d->bus);
        sd_event_unref(d->event);
        free(d->rules_path);
        free(d);
        return NULL;
}
