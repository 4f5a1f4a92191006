/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "iftable.h"

/* The flags ListInterfaces depends on; other flag changes are not news. */
#define SHOWN_FLAGS (IFF_UP | IFF_LOWER_UP | IFF_RUNNING | IFF_LOOPBACK)

static size_t lower_bound(const NetTable *t, int ifindex) {
        size_t lo = 0, hi = t->n_links;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->links[mid].link.ifindex < ifindex)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static NetLink *find(NetTable *t, int ifindex) {
        size_t i = lower_bound(t, ifindex);
        return i < t->n_links && t->links[i].link.ifindex == ifindex ? &t->links[i] : NULL;
}

bool net_link_is_listed(const NetLink *l) {
        return !(l->link.flags & IFF_LOOPBACK) && l->link.name[0];
}

const char *net_link_state(const NetLink *l) {
        if (!(l->link.flags & IFF_UP))
                return "down";
        return l->link.flags & IFF_LOWER_UP ? "up" : "no-carrier";
}

static bool link_shown_equal(const NlLink *a, const NlLink *b) {
        return strcmp(a->name, b->name) == 0 && a->hwaddr_len == b->hwaddr_len &&
               memcmp(a->hwaddr, b->hwaddr, a->hwaddr_len) == 0 &&
               (a->flags & SHOWN_FLAGS) == (b->flags & SHOWN_FLAGS);
}

static int addr_cmp(const NlAddr *a, const NlAddr *b) {
        size_t n = a->family == AF_INET ? 4 : 16;
        int c;

        if (a->family != b->family)
                return a->family == AF_INET ? -1 : 1;
        c = memcmp(a->addr, b->addr, n);
        if (c)
                return c;
        return (int) a->prefixlen - (int) b->prefixlen;
}

static int new_link(NetTable *t, const NlLink *nl) {
        NetLink *l = find(t, nl->ifindex), *n;
        size_t i;

        if (l) {
                NlLink merged = *nl;
                bool was_listed = net_link_is_listed(l), changed;

                /* A message without IFLA_IFNAME/IFLA_ADDRESS keeps what we had. */
                if (!merged.name[0])
                        memcpy(merged.name, l->link.name, sizeof(merged.name));
                if (merged.hwaddr_len == 0) {
                        memcpy(merged.hwaddr, l->link.hwaddr, sizeof(merged.hwaddr));
                        merged.hwaddr_len = l->link.hwaddr_len;
                }
                changed = !link_shown_equal(&l->link, &merged);
                l->link = merged;
                return changed && (was_listed || net_link_is_listed(l));
        }
        if (t->n_links >= NET_LINKS_MAX)
                return -E2BIG;
        n = realloc(t->links, (t->n_links + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        t->links = n;
        i = lower_bound(t, nl->ifindex);
        memmove(&t->links[i + 1], &t->links[i], (t->n_links - i) * sizeof(*n));
        t->links[i] = (NetLink) { .link = *nl };
        t->n_links++;
        return net_link_is_listed(&t->links[i]);
}

static int del_link(NetTable *t, int ifindex) {
        NetLink *l = find(t, ifindex);
        size_t i;
        bool listed;

        if (!l)
                return 0;
        listed = net_link_is_listed(l);
        free(l->addrs);
        i = (size_t) (l - t->links);
        memmove(&t->links[i], &t->links[i + 1], (t->n_links - i - 1) * sizeof(*l));
        t->n_links--;
        return listed;
}

static int new_addr(NetTable *t, const NlAddr *a) {
        NetLink *l = find(t, a->ifindex);
        NlAddr *n;
        size_t i;

        if (!l)
                return 0;       /* its link is gone (or not seen yet: the link dump comes first) */
        for (i = 0; i < l->n_addrs; i++) {
                int c = addr_cmp(&l->addrs[i], a);
                if (c == 0)
                        return 0;
                if (c > 0)
                        break;
        }
        if (l->n_addrs >= NET_ADDRS_MAX)
                return -E2BIG;
        n = realloc(l->addrs, (l->n_addrs + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        l->addrs = n;
        memmove(&l->addrs[i + 1], &l->addrs[i], (l->n_addrs - i) * sizeof(*n));
        l->addrs[i] = *a;
        l->n_addrs++;
        return net_link_is_listed(l);
}

static int del_addr(NetTable *t, const NlAddr *a) {
        NetLink *l = find(t, a->ifindex);

        if (!l)
                return 0;
        for (size_t i = 0; i < l->n_addrs; i++)
                if (addr_cmp(&l->addrs[i], a) == 0) {
                        memmove(&l->addrs[i], &l->addrs[i + 1], (l->n_addrs - i - 1) * sizeof(*a));
                        l->n_addrs--;
                        return net_link_is_listed(l);
                }
        return 0;
}

int net_table_apply(NetTable *t, const NlEvent *e) {
        switch (e->type) {
        case NL_EVENT_NEW_LINK:
                return new_link(t, &e->link);
        case NL_EVENT_DEL_LINK:
                return del_link(t, e->link.ifindex);
        case NL_EVENT_NEW_ADDR:
                return new_addr(t, &e->addr);
        case NL_EVENT_DEL_ADDR:
                return del_addr(t, &e->addr);
        default:
                return 0;
        }
}

void net_table_clear(NetTable *t) {
        for (size_t i = 0; i < t->n_links; i++)
                free(t->links[i].addrs);
        free(t->links);
        t->links = NULL;
        t->n_links = 0;
}

const NetLink *net_table_find_name(const NetTable *t, const char *name) {
        for (size_t i = 0; i < t->n_links; i++)
                if (net_link_is_listed(&t->links[i]) && strcmp(t->links[i].link.name, name) == 0)
                        return &t->links[i];
        return NULL;
}
