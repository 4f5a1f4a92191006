/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-rpc-proxy: D-Bus between domains over libxenvchan, checked by rules.
 *   cairn-rpc-proxy dom0 [--rules FILE] [--bus ADDRESS] [--transport vchan|unix:PATH --domain NAME]
 *   cairn-rpc-proxy guest [--listen PATH] [--export-bus PATH] [--transport vchan|unix:PATH]
 *   cairn-rpc-proxy --check-rules FILE */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cairn-config.h"
#include "dom0.h"
#include "guest.h"
#include "log.h"
#include "rules.h"
#include "transport-unix.h"
#include "transport-vchan.h"
#include "util.h"

#define DEFAULT_RULES "/usr/share/cairn/rpc-proxy.rules"
#define DEFAULT_LISTEN "/run/cairn/rpc/dom0.sock"

#define UNIX_TRANSPORTS_MAX 8

static const char *arg_rules = DEFAULT_RULES;
static const char *arg_bus;
static const char *arg_transport = "vchan";
/* dom0 end: each --transport unix:PATH with the --domain that follows it */
static struct {
        const char *path;
        const char *domain;
} arg_unix[UNIX_TRANSPORTS_MAX];
static size_t arg_n_unix;
static const char *arg_listen = DEFAULT_LISTEN;
static const char *arg_export_bus;
static unsigned arg_timeout = 60;

static void help(void) {
        printf("cairn-rpc-proxy %s: D-Bus between Cairn domains, checked by rules\n\n"
               "Usage:\n"
               "  cairn-rpc-proxy dom0 [OPTIONS]     serve guest domains on dom0's bus\n"
               "  cairn-rpc-proxy guest [OPTIONS]    make dom0's bus reachable inside a guest\n"
               "  cairn-rpc-proxy --check-rules FILE print what is wrong with a rules file\n"
               "  cairn-rpc-proxy --help | --version\n\n"
               "dom0 options:\n"
               "  --rules FILE          rules file (default " DEFAULT_RULES ")\n"
               "  --bus ADDRESS         D-Bus address to forward to (default: the system bus)\n"
               "  --transport vchan     one vchan per running domain named in the rules (default)\n"
               "  --transport unix:PATH listen on PATH instead (tests); needs --domain\n"
               "  --domain NAME         the domain the preceding unix transport's peers speak for\n"
               "                        (pairs may repeat, one per domain)\n\n"
               "guest options:\n"
               "  --listen PATH         socket for local clients (default " DEFAULT_LISTEN ")\n"
               "                        (clients use DBUS_SYSTEM_BUS_ADDRESS=unix:path=PATH)\n"
               "  --export-bus PATH     this domain's own bus socket: dom0 may connect to it for\n"
               "                        rules with via=THIS-DOMAIN (default: refused)\n"
               "  --transport vchan     connect to dom0 through vchan (default)\n"
               "  --transport unix:PATH connect to a dom0 end listening on PATH (tests)\n"
               "  --timeout SEC         wait this long for dom0's end at start (default 60)\n\n"
               "Common: --log-level err|warning|notice|info|debug (or $CAIRN_LOG_LEVEL)\n"
               "SIGHUP makes the dom0 end reload its rules; a bad file is refused and the\n"
               "previous rules stay.\n",
               CAIRN_VERSION);
}

static int check_rules(const char *path, int verbose) {
        _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
        _cleanup_free_ char *error = NULL, *text = NULL;
        int r;

        r = rpc_rules_load(path, &rules, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ?: strerror(-r));
                return r;
        }
        if (verbose) {
                r = rpc_rules_format(rules, &text);
                if (r < 0)
                        return log_oom();
                fputs(text, stdout);
        }
        fprintf(stderr, "%s: %zu rules, OK\n", path, rules->n_rules);
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("Got signal %u, exiting.", si->ssi_signo);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

typedef struct Dom0Context {
        RpcDom0 *dom0;
        RpcVchanServer *vchan;
} Dom0Context;

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Dom0Context *ctx = userdata;

        if (rpc_dom0_reload(ctx->dom0) >= 0 && ctx->vchan)
                rpc_vchan_server_rescan(ctx->vchan);
        return 0;
}

/* Blocks SIGTERM/SIGINT/SIGHUP and handles the first two in the loop.  Until this
 * is called they keep their default action (a guest end waiting for dom0 can be
 * stopped). */
static int setup_signals(sd_event *event) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        if ((r = sd_event_add_signal(event, NULL, SIGTERM, on_exit_signal, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, on_exit_signal, NULL)) < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        return 0;
}

static int setup_event(sd_event **ret) {
        int r;

        signal(SIGPIPE, SIG_IGN);
        r = sd_event_default(ret);
        if (r < 0)
                return log_error_errno(r, "Failed to create an event loop: %m");
        return 0;
}

static void unix_servers_free(RpcUnixServer *(*servers)[UNIX_TRANSPORTS_MAX]) {
        for (size_t i = 0; i < UNIX_TRANSPORTS_MAX; i++)
                rpc_unix_server_free((*servers)[i]);
}

static int run_dom0(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(rpc_dom0_freep) RpcDom0 *dom0 = NULL;
        _cleanup_(unix_servers_free) RpcUnixServer *unix_servers[UNIX_TRANSPORTS_MAX] = {};
        _cleanup_(rpc_vchan_server_freep) RpcVchanServer *vchan = NULL;
        Dom0Context ctx = {};
        int r;

        /* A bad rules file is reported before anything else is tried. */
        {
                _cleanup_(rpc_rules_freep) RpcRules *rules = NULL;
                _cleanup_free_ char *error = NULL;

                r = rpc_rules_load(arg_rules, &rules, &error);
                if (r < 0) {
                        log_error("%s", error ?: "Failed to load the rules.");
                        return r;
                }
        }

        r = setup_event(&event);
        if (r >= 0)
                r = setup_signals(event);
        if (r < 0)
                return r;
        if (arg_bus) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, arg_bus);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to %s: %m", arg_bus ?: "the system bus");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus: %m");

        r = rpc_dom0_new(event, bus, arg_rules, &dom0);
        if (r < 0)
                return r;
        ctx.dom0 = dom0;

        if (arg_n_unix > 0) {
                for (size_t i = 0; i < arg_n_unix; i++) {
                        r = rpc_unix_server_new(event, dom0, arg_unix[i].path, arg_unix[i].domain,
                                                &unix_servers[i]);
                        if (r < 0)
                                return r;
                }
        } else {
                r = rpc_vchan_server_new(event, dom0, &vchan);
                if (r < 0)
                        return r;
                ctx.vchan = vchan;
        }
        r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, &ctx);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");

        (void) sd_notify(0, "READY=1");
        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

static int run_guest(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(rpc_guest_freep) RpcGuest *guest = NULL;
        RpcLink *link = NULL;
        int r, fd, listen_fd;

        r = setup_event(&event);
        if (r < 0)
                return r;
        if (startswith(arg_transport, "unix:")) {
                r = rpc_unix_connect(arg_transport + 5, arg_timeout, &fd);
                if (r < 0)
                        return r;
                r = rpc_link_new_socket(event, fd, arg_transport, &link);
        } else
                r = rpc_vchan_client_connect(event, arg_timeout, &link);
        if (r < 0)
                return log_error_errno(r, "Failed to reach dom0: %m");

        r = setup_signals(event);
        if (r >= 0)
                r = rpc_unix_listen(arg_listen, 0666, &listen_fd);
        if (r < 0) {
                rpc_link_free(link);
                return r;
        }
        r = rpc_guest_new(event, link, listen_fd, arg_export_bus, &guest);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the guest end: %m");
        log_info("Listening on %s.", arg_listen);

        (void) sd_notify(0, "READY=1");
        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (r > 0)
                return -r; /* the link died */
        return 0;
}

enum {
        ARG_RULES = 0x100,
        ARG_BUS,
        ARG_TRANSPORT,
        ARG_DOMAIN,
        ARG_LISTEN,
        ARG_EXPORT_BUS,
        ARG_TIMEOUT,
        ARG_CHECK_RULES,
        ARG_LOG_LEVEL,
        ARG_VERSION,
};

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "verbose", no_argument, NULL, 'v' },
                { "rules", required_argument, NULL, ARG_RULES },
                { "bus", required_argument, NULL, ARG_BUS },
                { "transport", required_argument, NULL, ARG_TRANSPORT },
                { "domain", required_argument, NULL, ARG_DOMAIN },
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "export-bus", required_argument, NULL, ARG_EXPORT_BUS },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "check-rules", required_argument, NULL, ARG_CHECK_RULES },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        const char *lvl = getenv("CAIRN_LOG_LEVEL"), *check = NULL, *verb;
        int c, r, verbose = 0;
        uint64_t u;

        log_set_program_name(argv[0]);
        if (lvl && (r = log_level_from_string(lvl)) >= 0)
                log_set_max_level(r);
        if (getenv("JOURNAL_STREAM"))
                log_set_journal_prefix(1);

        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("cairn-rpc-proxy %s\n", CAIRN_VERSION);
                        return EXIT_SUCCESS;
                case 'v':
                        verbose = 1;
                        break;
                case ARG_RULES:
                        arg_rules = optarg;
                        break;
                case ARG_BUS:
                        arg_bus = optarg;
                        break;
                case ARG_TRANSPORT:
                        if (strcmp(optarg, "vchan") != 0 && (!startswith(optarg, "unix:") || !optarg[5])) {
                                log_error("Unknown transport \"%s\" (expected vchan or unix:PATH).", optarg);
                                return EXIT_FAILURE;
                        }
                        arg_transport = optarg;
                        if (startswith(optarg, "unix:")) {
                                if (arg_n_unix >= UNIX_TRANSPORTS_MAX) {
                                        log_error("More than %u unix transports.", UNIX_TRANSPORTS_MAX);
                                        return EXIT_FAILURE;
                                }
                                arg_unix[arg_n_unix++].path = optarg + 5;
                        }
                        break;
                case ARG_DOMAIN:
                        if (!vm_name_is_valid(optarg)) {
                                log_error("Invalid domain name \"%s\" (expected [a-z0-9-]{1,32}).", optarg);
                                return EXIT_FAILURE;
                        }
                        if (arg_n_unix == 0 || arg_unix[arg_n_unix - 1].domain) {
                                log_error("--domain %s must follow a --transport unix:PATH of its own.", optarg);
                                return EXIT_FAILURE;
                        }
                        arg_unix[arg_n_unix - 1].domain = optarg;
                        break;
                case ARG_LISTEN:
                        arg_listen = optarg;
                        break;
                case ARG_EXPORT_BUS:
                        arg_export_bus = optarg;
                        break;
                case ARG_TIMEOUT:
                        if (parse_u64(optarg, &u) < 0 || u > 86400) {
                                log_error("Invalid timeout \"%s\".", optarg);
                                return EXIT_FAILURE;
                        }
                        arg_timeout = (unsigned) u;
                        break;
                case ARG_CHECK_RULES:
                        check = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                log_error("Invalid log level \"%s\".", optarg);
                                return EXIT_FAILURE;
                        }
                        log_set_max_level(r);
                        break;
                default:
                        return EXIT_FAILURE;
                }
        }

        if (check)
                return check_rules(check, verbose) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (optind >= argc) {
                log_error("Missing verb (dom0 or guest); see --help.");
                return EXIT_FAILURE;
        }
        verb = argv[optind];
        if (optind + 1 < argc) {
                log_error("Unexpected argument \"%s\"; see --help.", argv[optind + 1]);
                return EXIT_FAILURE;
        }
        if (strcmp(verb, "dom0") == 0) {
                for (size_t i = 0; i < arg_n_unix; i++)
                        if (!arg_unix[i].domain) {
                                log_error("--transport unix:PATH on the dom0 end needs --domain NAME.");
                                return EXIT_FAILURE;
                        }
                if (arg_n_unix > 0 && !startswith(arg_transport, "unix:")) {
                        log_error("--transport vchan cannot be mixed with unix transports.");
                        return EXIT_FAILURE;
                }
                r = run_dom0();
        } else if (strcmp(verb, "guest") == 0)
                r = run_guest();
        else {
                log_error("Unknown verb \"%s\" (expected dom0 or guest); see --help.", verb);
                return EXIT_FAILURE;
        }
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
