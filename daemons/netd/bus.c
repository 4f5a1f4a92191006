/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "bus.h"
#include "lease.h"
#include "log.h"

/* Changes come in bursts (a DHCP lease: address, then routes, then the lease
 * file; a link coming up: flags, then carrier, then IPv6 link-local): one
 * Changed() for what happened within this long of the first change. */
#define CHANGED_DELAY_USEC (20 * 1000ULL)

struct NetBus {
        sd_bus *bus;
        sd_event *event;
        Monitor *monitor;
        char *lease_dir;
        sd_bus_slot *slot;
        sd_event_source *changed;       /* timer armed by the first change of a burst */
        sd_event_source *leases;        /* inotify on lease_dir */
};

static int append_link(sd_bus_message *reply, const NetLink *l) {
        char mac[3 * NL_HWADDR_MAX];
        int r;

        nl_format_hwaddr(l->link.hwaddr, l->link.hwaddr_len, mac, sizeof(mac));
        r = sd_bus_message_open_container(reply, 'r', "sssas");
        if (r >= 0)
                r = sd_bus_message_append(reply, "sss", l->link.name, mac, net_link_state(l));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < l->n_addrs; i++) {
                char text[NL_ADDR_TEXT_MAX];

                if (nl_format_addr(&l->addrs[i], text, sizeof(text)) < 0)
                        continue;
                r = sd_bus_message_append(reply, "s", text);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_list_interfaces(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        NetBus *b = userdata;
        const NetTable *t = monitor_table(b->monitor);
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssas)");
        for (size_t i = 0; r >= 0 && i < t->n_links; i++)
                if (net_link_is_listed(&t->links[i]))
                        r = append_link(reply, &t->links[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_lease(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL, *why = NULL;
        NetBus *b = userdata;
        const NetLink *l;
        const char *ifname;
        Lease lease = {};
        int r;

        r = sd_bus_message_read(msg, "s", &ifname);
        if (r < 0)
                return r;
        if (!nl_ifname_is_valid(ifname, strlen(ifname)))
                return sd_bus_error_setf(error, NET_BUS_ERROR_NO_SUCH_INTERFACE,
                                         "\"%.32s\" is not an interface name.", ifname);
        l = net_table_find_name(monitor_table(b->monitor), ifname);
        if (!l)
                return sd_bus_error_setf(error, NET_BUS_ERROR_NO_SUCH_INTERFACE, "There is no interface %s.", ifname);
        if (asprintf(&path, "%s/%d", b->lease_dir, l->link.ifindex) < 0)
                return -ENOMEM;
        r = lease_load(path, &lease, &why);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, NET_BUS_ERROR_NO_LEASE, "%s has no DHCP lease.", ifname);
        if (r == -EBADMSG || r == -EFBIG) {
                log_warning("Lease of %s: %s", ifname, why ?: "file too large");
                return sd_bus_error_setf(error, NET_BUS_ERROR_BAD_LEASE, "Lease of %s: %s", ifname,
                                         why ?: "file too large");
        }
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the lease of %s (%s): %m", ifname, path);

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        for (int k = 0; r >= 0 && k < _LEASE_KEY_MAX; k++)
                if (lease.values[k])
                        r = sd_bus_message_append(reply, "{ss}", lease_key_name(k), lease.values[k]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        lease_done(&lease);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable network_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListInterfaces", "", , "a(sssas)", SD_BUS_PARAM(interfaces),
                                 method_list_interfaces, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetLease", "s", SD_BUS_PARAM(interface), "a{ss}", SD_BUS_PARAM(lease),
                                 method_get_lease, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("Changed", "", 0),
        SD_BUS_VTABLE_END,
};

static int on_changed(sd_event_source *s, uint64_t usec, void *userdata) {
        NetBus *b = userdata;
        int r;

        b->changed = sd_event_source_disable_unref(b->changed);
        r = sd_bus_emit_signal(b->bus, NET_BUS_PATH, NET_BUS_INTERFACE, "Changed", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit Changed: %m");
        else
                log_debug("Changed emitted.");
        return 0;
}

void net_bus_queue_changed(NetBus *b) {
        int r;

        if (!b || b->changed)
                return;         /* already due */
        r = sd_event_add_time_relative(b->event, &b->changed, CLOCK_MONOTONIC, CHANGED_DELAY_USEC,
                                       1000 /* accuracy: 0 would mean 250 ms */, on_changed, b);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the Changed timer: %m; emitting now");
                (void) on_changed(NULL, 0, b);
                return;
        }
        /* After whatever else is pending in the same turn (more netlink news). */
        (void) sd_event_source_set_priority(b->changed, SD_EVENT_PRIORITY_IDLE);
}

static int on_lease_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        NetBus *b = userdata;

        if (ev->mask & IN_IGNORED) {
                log_warning("%s went away; lease changes are no longer signalled.", b->lease_dir);
                return 0;
        }
        net_bus_queue_changed(b);
        return 0;
}

int net_bus_new(sd_bus *bus, sd_event *e, Monitor *m, const char *lease_dir, NetBus **ret) {
        _cleanup_(net_bus_freep) NetBus *b = NULL;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b)
                return log_oom();
        b->bus = sd_bus_ref(bus);
        b->event = sd_event_ref(e);
        b->monitor = m;
        b->lease_dir = strdup(lease_dir);
        if (!b->lease_dir)
                return log_oom();

        r = sd_bus_add_object_vtable(bus, &b->slot, NET_BUS_PATH, NET_BUS_INTERFACE, network_vtable, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add the %s object: %m", NET_BUS_PATH);

        /* networkd writes a lease beside, then renames it into place. */
        r = sd_event_add_inotify(e, &b->leases, lease_dir,
                                 IN_ONLYDIR | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE,
                                 on_lease_dir, b);
        if (r < 0)
                log_full_errno(LOG_LEVEL_NOTICE, r, "Not watching %s for lease changes: %m", lease_dir);

        *ret = TAKE_PTR(b);
        return 0;
}

NetBus *net_bus_free(NetBus *b) {
        if (!b)
                return NULL;
        sd_event_source_disable_unref(b->changed);
        sd_event_source_disable_unref(b->leases);
        sd_bus_slot_unref(b->slot);
        sd_bus_unref(b->bus);
        sd_event_unref(b->event);
        free(b->lease_dir);
        free(b);
        return NULL;
}
