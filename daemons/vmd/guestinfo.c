/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Watches data/cairn/lease of each running VM in xenstore and announces a new
 * address on dom0's console.  Every byte there is written by the guest: values
 * are length-bounded, must parse as an IPv4 address, and are announced only when
 * they change (a guest rewriting its node in a loop costs one read per write). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "guestinfo.h"
#include "log.h"
#include "macro.h"

#define GUESTINFO_MAX 64
#define LEASE_VALUE_MAX 64

typedef struct Tracked {
        char name[64];
        uint32_t domid;
        char path[96];
        char token[80];
        char last[INET_ADDRSTRLEN];
} Tracked;

struct GuestInfo {
        struct xs_handle *xs;
        sd_event_source *io;
        guestinfo_announce_t announce;
        void *userdata;
        Tracked tracked[GUESTINFO_MAX];
        size_t n;
};

bool guestinfo_parse_lease(const char *value, size_t len, char *out, size_t out_size) {
        char buf[INET_ADDRSTRLEN];
        struct in_addr a;

        if (!value || len == 0 || len >= sizeof(buf))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((value[i] >= '0' && value[i] <= '9') || value[i] == '.'))
                        return false;
        memcpy(buf, value, len);
        buf[len] = '\0';
        if (inet_pton(AF_INET, buf, &a) != 1)
                return false;
        return inet_ntop(AF_INET, &a, out, out_size) != NULL;
}

static Tracked *find_token(GuestInfo *g, const char *token) {
        for (size_t i = 0; i < g->n; i++)
                if (strcmp(g->tracked[i].token, token) == 0)
                        return &g->tracked[i];
        return NULL;
}

static void check_lease(GuestInfo *g, Tracked *t) {
        _cleanup_free_ char *value = NULL;
        char addr[INET_ADDRSTRLEN], line[160];
        unsigned len = 0;

        value = xs_read(g->xs, XBT_NULL, t->path, &len);
        if (!value)
                return;                 /* not written yet, or removed */
        if (len > LEASE_VALUE_MAX || !guestinfo_parse_lease(value, len, addr, sizeof(addr))) {
                log_warning("%s (domain %u) published a lease that is not an IPv4 address (%u bytes); ignored.",
                            t->name, t->domid, len);
                return;
        }
        if (strcmp(addr, t->last) == 0)
                return;
        memcpy(t->last, addr, sizeof(t->last));
        log_info("%s has the address %s (DHCP lease).", t->name, addr);
        snprintf(line, sizeof(line), "cairn: %s lease %s", t->name, addr);
        if (g->announce)
                g->announce(line, g->userdata);
}

static int on_xs(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        GuestInfo *g = userdata;

        for (;;) {
                _cleanup_free_ char **vec = NULL;
                Tracked *t;

                vec = xs_check_watch(g->xs);
                if (!vec)
                        break;
                t = find_token(g, vec[XS_WATCH_TOKEN]);
                if (t)
                        check_lease(g, t);
        }
        return 0;
}

int guestinfo_new(sd_event *event, guestinfo_announce_t announce, void *userdata, GuestInfo **ret) {
        _cleanup_free_ GuestInfo *g = NULL;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->announce = announce;
        g->userdata = userdata;
        g->xs = xs_open(0);
        if (!g->xs)
                return negative_errno();
        r = sd_event_add_io(event, &g->io, xs_fileno(g->xs), EPOLLIN, on_xs, g);
        if (r < 0) {
                xs_close(g->xs);
                return r;
        }
        *ret = TAKE_PTR(g);
        return 0;
}

GuestInfo *guestinfo_free(GuestInfo *g) {
        if (!g)
                return NULL;
        for (size_t i = 0; i < g->n; i++)
                (void) xs_unwatch(g->xs, g->tracked[i].path, g->tracked[i].token);
        sd_event_source_disable_unref(g->io);
        xs_close(g->xs);
        free(g);
        return NULL;
}

void guestinfo_track(GuestInfo *g, const char *name, uint32_t domid) {
        size_t i;

        if (!g || !name)
                return;
        for (i = 0; i < g->n; i++)
                if (strcmp(g->tracked[i].name, name) == 0)
                        break;
        if (i < g->n) {
                if (g->tracked[i].domid == domid)
                        return;
                (void) xs_unwatch(g->xs, g->tracked[i].path, g->tracked[i].token);
                g->tracked[i] = g->tracked[--g->n];
        }
        if (domid == UINT32_MAX || domid == 0)
                return;
        if (g->n >= GUESTINFO_MAX || strlen(name) >= sizeof(g->tracked[0].name)) {
                log_warning("Not following the status of %s: too many VMs.", name);
                return;
        }
        Tracked *t = &g->tracked[g->n];
        memset(t, 0, sizeof(*t));
        snprintf(t->name, sizeof(t->name), "%s", name);
        t->domid = domid;
        snprintf(t->path, sizeof(t->path), "/local/domain/%u/data/cairn/lease", domid);
        snprintf(t->token, sizeof(t->token), "cairn-vmd:%u:%s", domid, name);
        /* A new watch fires once at once: an address already there is seen. */
        if (!xs_watch(g->xs, t->path, t->token)) {
                log_warning("Cannot watch %s for %s: %m", t->path, name);
                return;
        }
        g->n++;
}
