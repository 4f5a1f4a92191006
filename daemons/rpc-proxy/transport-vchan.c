/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <libxenvchan.h>
#include <xenstore.h>

#include "log.h"
#include "rules.h"
#include "transport-vchan.h"
#include "util.h"

#define DOMAINS_MAX 1024u

/* libxenvchan_read() (non-blocking) returns what is in the ring, 0 when it is
 * empty, and -1 only once it is empty and the peer has closed: data written just
 * before a close is still read. */
static ssize_t vchan_read(RpcLink *l, void *buf, size_t size) {
        int n = libxenvchan_read(rpc_link_transport_data(l), buf, size);

        return n < 0 ? -EPIPE : n;
}

static ssize_t vchan_write(RpcLink *l, const void *buf, size_t size) {
        struct libxenvchan *v = rpc_link_transport_data(l);
        int n;

        if (libxenvchan_is_open(v) == 0)
                return -EPIPE;
        n = libxenvchan_write(v, buf, size);
        return n < 0 ? -EPIPE : n;
}

static int vchan_ack(RpcLink *l) {
        struct libxenvchan *v = rpc_link_transport_data(l);

        return libxenvchan_wait(v) < 0 ? -EPIPE : 0;
}

/* A server's libxenvchan_is_open() is 2 until the client has connected, 1 then,
 * 0 once it has gone. */
static int vchan_connected(RpcLink *l) {
        return libxenvchan_is_open(rpc_link_transport_data(l)) == 1;
}

static void vchan_done(RpcLink *l) {
        libxenvchan_close(rpc_link_transport_data(l));
}

static const RpcLinkOps vchan_ops = {
        .read = vchan_read,
        .write = vchan_write,
        .ack = vchan_ack,
        .done = vchan_done,
        .connected = vchan_connected,
        .pollout = 0, /* the event channel says both "data" and "space" */
};

static int link_new_vchan(sd_event *event, struct libxenvchan *v, const char *name, RpcLink **ret) {
        int r;

        v->blocking = 0;
        r = rpc_link_new(event, &vchan_ops, libxenvchan_fd_for_select(v), v, name, ret);
        if (r < 0)
                libxenvchan_close(v);
        return r;
}

/* ---- dom0 ----------------------------------------------------------------------------------- */

typedef struct Served {
        unsigned domid;
        char *name;
        int active;    /* a link is registered with dom0 for this domain */
        RpcLink *link; /* that link (owned by dom0), while active */
        int seen;      /* present in the last xenstore scan */
} Served;

struct RpcVchanServer {
        sd_event *event;
        RpcDom0 *dom0;
        struct xs_handle *xs;
        sd_event_source *io;
        Served *served;
        size_t n_served;
};

static Served *find_served(RpcVchanServer *s, const char *name) {
        for (size_t i = 0; i < s->n_served; i++)
                if (strcmp(s->served[i].name, name) == 0)
                        return &s->served[i];
        return NULL;
}

static int serve_domain(RpcVchanServer *s, unsigned domid, const char *name) {
        _cleanup_free_ char *path = NULL, *link_name = NULL;
        struct libxenvchan *v;
        RpcLink *link;
        Served *sv, *n;
        int r;

        if (asprintf(&path, RPC_VCHAN_XS_DIR "/%u", domid) < 0 ||
            asprintf(&link_name, "vchan:%s(%u)", name, domid) < 0)
                return -ENOMEM;
        v = libxenvchan_server_init(NULL, (int) domid, path, RPC_VCHAN_RING_SIZE, RPC_VCHAN_RING_SIZE);
        if (!v)
                return log_error_errno(negative_errno(), "Failed to offer a vchan to domain %s (%u) at %s: %m",
                                       name, domid, path);
        r = link_new_vchan(s->event, v, link_name, &link);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the vchan of domain %s: %m", name);

        sv = find_served(s, name);
        if (!sv) {
                n = realloc(s->served, (s->n_served + 1) * sizeof(Served));
                if (!n) {
                        rpc_link_free(link);
                        return -ENOMEM;
                }
                s->served = n;
                sv = &s->served[s->n_served];
                *sv = (Served) { .name = strdup(name) };
                if (!sv->name) {
                        rpc_link_free(link);
                        return -ENOMEM;
                }
                s->n_served++;
        }
        sv->domid = domid;
        sv->active = 1;
        sv->link = link;
        sv->seen = 1;
        r = rpc_dom0_add_link(s->dom0, link, name);
        if (r < 0) {
                sv->active = 0;
                return log_error_errno(r, "Failed to serve domain %s: %m", name);
        }
        log_info("Offering vchan %s to domain %s (%u).", path, name, domid);
        return 0;
}

void rpc_vchan_server_rescan(RpcVchanServer *s) {
        const RpcRules *rules = rpc_dom0_rules(s->dom0);
        unsigned n = 0;
        char **ids = xs_directory(s->xs, XBT_NULL, "/local/domain", &n);

        if (!ids) {
                log_warning_errno(negative_errno(), "Failed to list /local/domain in xenstore: %m");
                return;
        }
        for (size_t i = 0; i < s->n_served; i++)
                s->served[i].seen = 0;
        for (unsigned i = 0; i < n && i < DOMAINS_MAX; i++) {
                _cleanup_free_ char *path = NULL, *name = NULL;
                uint64_t domid;
                unsigned len = 0;
                Served *sv;

                if (parse_u64(ids[i], &domid) < 0 || domid == 0 || domid >= 0x7ff0)
                        continue;
                if (asprintf(&path, "/local/domain/%u/name", (unsigned) domid) < 0)
                        break;
                name = xs_read(s->xs, XBT_NULL, path, &len);
                if (!name || strlen(name) != len || !vm_name_is_valid(name))
                        continue;
                sv = find_served(s, name);
                if (sv && sv->domid == domid)
                        sv->seen = 1;
                if (!rpc_rules_has_domain(rules, name))
                        continue;
                if (sv && sv->active)
                        continue;
                (void) serve_domain(s, (unsigned) domid, name);
        }
        free(ids);

        /* A served domain that is gone (or came back with another domid): drop its
         * link; link_closed() then offers a vchan to the new instance, if any. */
        for (size_t i = 0; i < s->n_served; i++) {
                Served *sv = &s->served[i];

                if (sv->active && !sv->seen && sv->link) {
                        log_info("Domain %s (%u) is gone, dropping its vchan.", sv->name, sv->domid);
                        rpc_link_abort(sv->link, -ESRCH);
                }
        }
}

static void link_closed(RpcDom0 *d, const char *domain, void *userdata) {
        RpcVchanServer *s = userdata;
        Served *sv = find_served(s, domain);

        if (sv) {
                sv->active = 0;
                sv->link = NULL;
        }
        /* Offer a fresh vchan if the domain is still there (a guest end restarting). */
        rpc_vchan_server_rescan(s);
}

static int xs_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        RpcVchanServer *s = userdata;
        char **w;
        int changed = 0;

        while ((w = xs_check_watch(s->xs))) {
                changed = 1;
                free(w);
        }
        if (changed)
                rpc_vchan_server_rescan(s);
        return 0;
}

int rpc_vchan_server_new(sd_event *event, RpcDom0 *d, RpcVchanServer **ret) {
        _cleanup_(rpc_vchan_server_freep) RpcVchanServer *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->dom0 = d;
        s->xs = xs_open(0);
        if (!s->xs)
                return log_error_errno(negative_errno(), "Failed to open xenstore: %m");
        if (!xs_watch(s->xs, "@introduceDomain", "intro") || !xs_watch(s->xs, "@releaseDomain", "release"))
                return log_error_errno(negative_errno(), "Failed to watch xenstore for domains: %m");
        r = sd_event_add_io(event, &s->io, xs_fileno(s->xs), EPOLLIN, xs_io, s);
        if (r < 0)
                return r;
        rpc_dom0_set_link_closed(d, link_closed, s);
        rpc_vchan_server_rescan(s);
        *ret = TAKE_PTR(s);
        return 0;
}

RpcVchanServer *rpc_vchan_server_free(RpcVchanServer *s) {
        if (!s)
                return NULL;
        if (s->dom0)
                rpc_dom0_set_link_closed(s->dom0, NULL, NULL);
        sd_event_source_disable_unref(s->io);
        if (s->xs)
                xs_close(s->xs);
        for (size_t i = 0; i < s->n_served; i++)
                free(s->served[i].name);
        free(s->served);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

/* ---- guest ---------------------------------------------------------------------------------- */

int rpc_vchan_client_connect(sd_event *event, unsigned timeout_sec, RpcLink **ret) {
        _cleanup_free_ char *domid_str = NULL, *path = NULL;
        struct xs_handle *xs;
        struct libxenvchan *v = NULL;
        unsigned len = 0;
        uint64_t domid;

        xs = xs_open(0);
        if (!xs)
                return log_error_errno(negative_errno(), "Failed to open xenstore: %m");
        domid_str = xs_read(xs, XBT_NULL, "domid", &len);
        xs_close(xs);
        if (!domid_str || parse_u64(domid_str, &domid) < 0 || domid >= 0x7ff0)
                return log_error_errno(-ENOENT, "Failed to read this domain's id from xenstore (domid).");
        if (asprintf(&path, RPC_VCHAN_XS_DIR "/%u", (unsigned) domid) < 0)
                return -ENOMEM;

        for (unsigned waited = 0;; waited++) {
                v = libxenvchan_client_init(NULL, 0, path);
                if (v)
                        break;
                if (waited >= timeout_sec)
                        return log_error_errno(-ETIMEDOUT, "No vchan from dom0 at %s after %u s.", path,
                                               timeout_sec);
                if (waited % 30 == 0)
                        log_info("Waiting for dom0's vchan at %s...", path);
                sleep(1);
        }
        log_info("Connected to dom0 through vchan %s.", path);
        return link_new_vchan(event, v, "vchan:dom0", ret);
}
