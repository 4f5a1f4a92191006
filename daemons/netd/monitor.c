/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

#define RECV_BUFFER_SIZE (64 * 1024)
#define DATAGRAMS_PER_EVENT 64  /* then let the rest of the loop run */
#define DUMP_RETRY_USEC (1000 * 1000ULL)

typedef enum DumpPhase {
        DUMP_NONE,
        DUMP_LINKS,
        DUMP_ADDRS,
} DumpPhase;

struct Monitor {
        sd_event *event;
        int fd;
        sd_event_source *io, *retry;
        NetTable shown;         /* what ListInterfaces serves */
        NetTable next;          /* filled during a dump */
        DumpPhase phase;
        uint32_t seq;
        bool ready;
        bool dump_again;        /* events were lost while a dump ran: dump again after it */
        bool warned_limit;      /* said once that the table is full */
        uint8_t *buffer;
        const MonitorHooks *hooks;
        void *userdata;
};

static int request_dump(Monitor *m, DumpPhase phase) {
        struct {
                struct nlmsghdr h;
                union {
                        struct ifinfomsg ifi;
                        struct ifaddrmsg ifa;
                };
        } req = {};
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        ssize_t n;

        req.h.nlmsg_len = NLMSG_LENGTH(phase == DUMP_LINKS ? sizeof(req.ifi) : sizeof(req.ifa));
        req.h.nlmsg_type = phase == DUMP_LINKS ? RTM_GETLINK : RTM_GETADDR;
        req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.h.nlmsg_seq = ++m->seq;
        if (phase == DUMP_LINKS)
                req.ifi.ifi_family = AF_UNSPEC;
        else
                req.ifa.ifa_family = AF_UNSPEC;
        n = sendto(m->fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel));
        if (n < 0)
                return log_error_errno(negative_errno(), "Failed to ask the kernel for its %s: %m",
                                       phase == DUMP_LINKS ? "links" : "addresses");
        m->phase = phase;
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

/* A new dump; while one is running (the kernel runs one per socket), only note
 * that another is due when it ends. */
static void start_dump(Monitor *m) {
        int r;

        if (m->phase != DUMP_NONE) {
                m->dump_again = true;
                return;
        }
        m->dump_again = false;
        net_table_clear(&m->next);
        r = request_dump(m, DUMP_LINKS);
        if (r < 0 && !m->retry) {
                m->phase = DUMP_NONE;
                r = sd_event_add_time_relative(m->event, &m->retry, CLOCK_MONOTONIC, DUMP_RETRY_USEC, 0,
                                               on_retry, m);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the dump retry timer: %m");
        }
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Monitor *m = userdata;

        m->retry = sd_event_source_disable_unref(m->retry);
        start_dump(m);
        return 0;
}

/* The current dump step ended (NLMSG_DONE of our request). */
static void dump_step_done(Monitor *m);

static void dump_done(Monitor *m) {
        NetTable old = m->shown;

        m->shown = m->next;
        m->next = (NetTable) {};
        net_table_clear(&old);
        m->phase = DUMP_NONE;
        log_debug("Interface table complete: %zu link(s).", m->shown.n_links);
        if (!m->ready) {
                m->ready = true;
                if (m->hooks->ready)
                        m->hooks->ready(m, m->userdata);
        } else
                m->hooks->changed(m, m->userdata);
}

static void dump_step_done(Monitor *m) {
        if (m->dump_again) {
                log_debug("Events were lost during the dump; dumping again.");
                m->phase = DUMP_NONE;
                start_dump(m);
                return;
        }
        if (m->phase == DUMP_LINKS) {
                if (request_dump(m, DUMP_ADDRS) < 0) {
                        m->phase = DUMP_NONE;
                        start_dump(m);
                }
        } else
                dump_done(m);
}

static int event_ifindex(const NlEvent *e) {
        return e->type == NL_EVENT_NEW_LINK || e->type == NL_EVENT_DEL_LINK ? e->link.ifindex : e->addr.ifindex;
}

static void warn_limit(Monitor *m, const NlEvent *e) {
        if (m->warned_limit)
                return;
        m->warned_limit = true;
        log_warning("More than %d links or %d addresses on a link (ifindex %d): those past the limit are not shown.",
                    NET_LINKS_MAX, NET_ADDRS_MAX, event_ifindex(e));
}

static int on_event(const NlEvent *e, void *userdata) {
        Monitor *m = userdata;
        int r;

        /* The kernel marks a dump that changes interrupted: its result may be stale. */
        if (e->dump_interrupted && m->phase != DUMP_NONE && e->seq == m->seq)
                m->dump_again = true;

        if (e->type == NL_EVENT_DONE || e->type == NL_EVENT_ERROR) {
                if (m->phase == DUMP_NONE || e->seq != m->seq)
                        return 0;
                if (e->type == NL_EVENT_ERROR) {
                        if (e->error == 0)
                                return 0;       /* an ack */
                        log_warning_errno(e->error, "The kernel refused a dump: %m; retrying");
                        m->phase = DUMP_NONE;
                        if (!m->retry)
                                (void) sd_event_add_time_relative(m->event, &m->retry, CLOCK_MONOTONIC,
                                                                  DUMP_RETRY_USEC, 0, on_retry, m);
                        return 0;
                }
                dump_step_done(m);
                return 0;
        }

        if (m->phase != DUMP_NONE) {
                r = net_table_apply(&m->next, e);
                if (r == -E2BIG)
                        warn_limit(m, e);
                else if (r < 0)
                        return r;
                return 0;
        }
        r = net_table_apply(&m->shown, e);
        if (r == -E2BIG) {
                warn_limit(m, e);
                return 0;
        }
        if (r < 0)
                return r;
        if (r > 0)
                m->hooks->changed(m, m->userdata);
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Monitor *m = userdata;

        for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
                struct sockaddr_nl sender = {};
                struct iovec iov = { .iov_base = m->buffer, .iov_len = RECV_BUFFER_SIZE };
                struct msghdr mh = { .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;
                int r;

                n = recvmsg(m->fd, &mh, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        if (errno == ENOBUFS) {
                                log_warning("The netlink socket overran; reading the whole table again.");
                                start_dump(m);
                                continue;
                        }
                        r = log_error_errno(negative_errno(), "Failed to read from the netlink socket: %m");
                        /* A source that returns an error is disabled: stop, let systemd restart us. */
                        (void) sd_event_exit(m->event, EXIT_FAILURE);
                        return r;
                }
                if (mh.msg_namelen != sizeof(sender) || sender.nl_pid != 0) {
                        log_debug("Dropping a netlink datagram from port %u, not the kernel.", sender.nl_pid);
                        continue;
                }
                if (mh.msg_flags & MSG_TRUNC) {
                        log_warning("A netlink datagram did not fit in %d bytes; reading the whole table again.",
                                    RECV_BUFFER_SIZE);
                        start_dump(m);
                        continue;
                }
                r = nl_parse(m->buffer, (size_t) n, on_event, m);
                if (r == -EBADMSG) {
                        /* What followed the bad message is lost: read the whole table again. */
                        log_warning("Malformed netlink datagram (%zd bytes) skipped after its good messages.", n);
                        start_dump(m);
                } else if (r < 0) {
                        log_error_errno(r, "Failed to apply netlink events: %m");
                        (void) sd_event_exit(m->event, EXIT_FAILURE);
                        return r;
                }
        }
        return 0;
}

int monitor_new(sd_event *e, int rcvbuf, const MonitorHooks *hooks, void *userdata, Monitor **ret) {
        _cleanup_(monitor_freep) Monitor *m = NULL;
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
        };
        int size = rcvbuf, r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_oom();
        m->fd = -1;
        m->event = sd_event_ref(e);
        m->hooks = hooks;
        m->userdata = userdata;
        m->buffer = malloc(RECV_BUFFER_SIZE);
        if (!m->buffer)
                return log_oom();

        m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (m->fd < 0)
                return log_error_errno(negative_errno(), "Failed to open a NETLINK_ROUTE socket: %m");
        /* A burst (many addresses at once) must not overrun us; FORCE works as root. */
        if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        if (bind(m->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(negative_errno(), "Failed to subscribe to link and address changes: %m");

        r = sd_event_add_io(e, &m->io, m->fd, EPOLLIN, on_io, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the netlink socket: %m");
        start_dump(m);
        *ret = TAKE_PTR(m);
        return 0;
}

Monitor *monitor_free(Monitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->io);
        sd_event_source_disable_unref(m->retry);
        if (m->fd >= 0)
                close(m->fd);
        net_table_clear(&m->shown);
        net_table_clear(&m->next);
        sd_event_unref(m->event);
        free(m->buffer);
        free(m);
        return NULL;
}

const NetTable *monitor_table(const Monitor *m) {
        return &m->shown;
}

bool monitor_is_ready(const Monitor *m) {
        return m->ready;
}
