/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-netd: the NDVM's network status on org.cairn.Network1 (links, link state,
 * addresses, DHCP leases, Changed() on every change), from rtnetlink events. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "cairn-config.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

static const char *arg_lease_dir = "/run/systemd/netif/leases";
static int arg_rcvbuf = MONITOR_RCVBUF_DEFAULT;

typedef struct Daemon {
        sd_bus *bus;
        NetBus *net_bus;
} Daemon;

static void help(void) {
        printf("Usage: cairn-netd [OPTIONS]\n\n"
               "Serves the NDVM's network interfaces, their link state, addresses and DHCP\n"
               "leases as org.cairn.Network1 on the system bus, and signals Changed() when\n"
               "any of them changes (rtnetlink events, lease files).\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --lease-dir DIR    Where systemd-networkd keeps its DHCP leases, one\n"
               "                        file per ifindex (default /run/systemd/netif/leases)\n"
               "     --log-level LEVEL  err, warning, notice, info (default) or debug\n"
               "     --netlink-rcvbuf BYTES\n"
               "                        Receive buffer of the netlink socket (default 4 MiB;\n"
               "                        tests make it small to force overruns)\n"
               "\nThe bus is the system bus ($DBUS_SYSTEM_BUS_ADDRESS overrides it).\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_LEASE_DIR, ARG_LOG_LEVEL, ARG_RCVBUF };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "lease-dir", required_argument, NULL, ARG_LEASE_DIR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "netlink-rcvbuf", required_argument, NULL, ARG_RCVBUF },
                {}
        };
        uint64_t u;
        int c, l;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("cairn-netd %s\n", CAIRN_VERSION);
                        return 0;
                case ARG_LEASE_DIR:
                        if (!*optarg) {
                                log_error("--lease-dir needs a directory.");
                                return -EINVAL;
                        }
                        arg_lease_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("Unknown log level \"%s\".", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                case ARG_RCVBUF:
                        if (parse_u64(optarg, &u) < 0 || u < 1024 || u > 256 * 1024 * 1024) {
                                log_error("--netlink-rcvbuf takes a number of bytes from 1024 to 256 MiB, not \"%s\".",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_rcvbuf = (int) u;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument \"%s\"; see --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static void on_table_changed(Monitor *m, void *userdata) {
        Daemon *d = userdata;

        net_bus_queue_changed(d->net_bus);
}

/* Own the name only once the first table is complete: the first ListInterfaces
 * any client makes sees every interface (and Type=dbus means exactly that). */
static void on_table_ready(Monitor *m, void *userdata) {
        Daemon *d = userdata;
        const NetTable *t = monitor_table(m);
        int r;

        r = sd_bus_request_name(d->bus, NET_BUS_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to own %s: %m", NET_BUS_NAME);
                (void) sd_event_exit(sd_bus_get_event(d->bus), EXIT_FAILURE);
                return;
        }
        log_info("Serving %s: %zu link(s) known.", NET_BUS_NAME, t->n_links);
        (void) sd_notify(false, "READY=1");
}

static const MonitorHooks monitor_hooks = {
        .changed = on_table_changed,
        .ready = on_table_ready,
};

static int run(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(monitor_freep) Monitor *monitor = NULL;
        _cleanup_(net_bus_freep) NetBus *net_bus = NULL;
        Daemon daemon = {};
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(negative_errno(), "Failed to block signals: %m");

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        daemon.bus = bus;

        r = monitor_new(event, arg_rcvbuf, &monitor_hooks, &daemon, &monitor);
        if (r < 0)
                return r;
        r = net_bus_new(bus, event, monitor, arg_lease_dir, &net_bus);
        if (r < 0)
                return r;
        daemon.net_bus = net_bus;

        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        daemon.net_bus = NULL;
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        log_set_program_name("cairn-netd");
        if (getenv("JOURNAL_STREAM"))
                log_set_journal_prefix(1);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        r = run();
        return r < 0 ? EXIT_FAILURE : r;
}
