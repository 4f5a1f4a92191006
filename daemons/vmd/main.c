/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-vmd: starts, watches and stops Cairn's VMs; serves org.cairn.VMManager1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "bus.h"
#include "cairn-config.h"
#include "guestinfo.h"
#include "log.h"
#include "manager.h"
#include "units.h"
#include "util.h"
#include "vmdef.h"

#define DIRS_MAX 16

static char *arg_dirs[DIRS_MAX];
static size_t arg_n_dirs;
static bool arg_check;
static bool arg_autostart = true;
static bool arg_console = true;

typedef struct Daemon {
        sd_bus *bus;
        Manager *manager;
        GuestInfo *guestinfo;      /* what running VMs publish (the NDVM's lease) */
        Units *units;              /* the systemd units VMs require (requires=) */
} Daemon;

static void help(void) {
        printf("Usage: cairn-vmd [OPTIONS]\n"
               "       cairn-vmd -n [--vm-dir DIR]... [FILE.vm]...\n\n"
               "Starts Cairn's VMs from their definitions, applies their restart policy and\n"
               "serves org.cairn.VMManager1 on the system bus.  SIGHUP reads the definitions\n"
               "again (running VMs take a changed definition at their next start).\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "  -d --vm-dir DIR       Read DIR/*.vm (repeatable; default /usr/share/cairn/vms\n"
               "                        and /config/vms)\n"
               "  -n --check            Check the definitions (the directories', or the FILEs\n"
               "                        given), print each valid one in canonical form and each\n"
               "                        error as FILE:LINE: what is wrong; exit 1 on errors\n"
               "     --no-autostart     Start no VM at startup, whatever its autostart= says\n"
               "                        (they still start on request)\n"
               "     --no-console       Do not write status lines to the system consoles\n"
               "     --log-level LEVEL  err, warning, notice, info (default) or debug\n");
}

/* The status lines users and tests read: every active console, like cairn-say. */
static void announce_console(const char *line, void *userdata) {
        _cleanup_free_ char *active = NULL;
        char *t, *save = NULL;

        if (!arg_console)
                return;
        if (read_full_file("/sys/class/tty/console/active", 4096, &active, NULL) < 0 || !*strstrip(active)) {
                free(active);
                active = strdup("console");
                if (!active)
                        return;
        }
        for (t = strtok_r(strstrip(active), " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                _cleanup_free_ char *dev = NULL, *msg = NULL;
                _cleanup_close_ int fd = -1;
                ssize_t n;

                if (strchr(t, '/') || asprintf(&dev, "/dev/%s", t) < 0)
                        continue;
                fd = open(dev, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (asprintf(&msg, "%s\r\n", line) < 0)
                        continue;
                n = write(fd, msg, strlen(msg));
                (void) n;
        }
}

static void on_state_changed(Vm *vm, void *userdata) {
        Daemon *d = userdata;

        vm_bus_emit_changed(d->bus, vm);
        guestinfo_track(d->guestinfo, vm->def->name,
                        vm->state == VM_STATE_RUNNING ? vm->domid : VM_DOMID_INVALID);
}

/* requires=: systemd starts those units (e.g. the one opening the VM's image). */
static int on_prepare(Vm *vm, void *userdata) {
        Daemon *d = userdata;

        if (!d->units)
                return -ENOTCONN;
        return units_start(d->units, vm->def->name, vm->def->requires, vm->def->n_requires);
}

/* A failure is logged and announced by the manager (restart policy). */
static void on_units_done(const char *vm, int r, const char *error, void *userdata) {
        Daemon *d = userdata;

        manager_prepared(d->manager, vm, r, error);
}

static const ManagerHooks daemon_hooks = {
        .state_changed = on_state_changed,
        .announce = announce_console,
        .prepare = on_prepare,
};

static void report_definition_error(const char *message, void *userdata) {
        bool *announce = userdata;
        _cleanup_free_ char *line = NULL;

        log_error("%s (VM skipped)", message);
        if (*announce && asprintf(&line, "cairn: bad VM definition %s", message) >= 0)
                announce_console(line, NULL);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        VmDef **defs = NULL;
        size_t n = 0;
        bool announce = arg_console;
        int errors;

        (void) sd_notify(false, "RELOADING=1");
        errors = vmdef_load_dirs(arg_dirs, arg_n_dirs, &defs, &n, report_definition_error, &announce);
        log_info("Reloading: %zu VM definition(s), %d error(s).", n, errors);
        manager_reload(d->manager, defs, n);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_NO_AUTOSTART, ARG_NO_CONSOLE, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "vm-dir", required_argument, NULL, 'd' },
                { "check", no_argument, NULL, 'n' },
                { "no-autostart", no_argument, NULL, ARG_NO_AUTOSTART },
                { "no-console", no_argument, NULL, ARG_NO_CONSOLE },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        int c, l;

        while ((c = getopt_long(argc, argv, "hd:n", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("cairn-vmd %s\n", CAIRN_VERSION);
                        return 0;
                case 'd':
                        if (arg_n_dirs >= DIRS_MAX) {
                                log_error("At most %d --vm-dir options.", DIRS_MAX);
                                return -EINVAL;
                        }
                        arg_dirs[arg_n_dirs++] = optarg;
                        break;
                case 'n':
                        arg_check = true;
                        break;
                case ARG_NO_AUTOSTART:
                        arg_autostart = false;
                        break;
                case ARG_NO_CONSOLE:
                        arg_console = false;
                        break;
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("Unknown log level \"%s\".", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc && !arg_check) {
                log_error("Definition files are only taken with -n; use --vm-dir DIR.");
                return -EINVAL;
        }
        if (arg_n_dirs == 0 && !(arg_check && optind < argc)) {
                arg_dirs[arg_n_dirs++] = (char *) "/usr/share/cairn/vms";
                arg_dirs[arg_n_dirs++] = (char *) "/config/vms";
        }
        return 1;
}

static void print_check_error(const char *message, void *userdata) {
        fprintf(stderr, "%s\n", message);
}

static int run_check(int argc, char *argv[]) {
        VmDef **defs = NULL;
        size_t n = 0;
        int errors = 0;

        if (optind < argc) {
                for (int i = optind; i < argc; i++) {
                        _cleanup_free_ char *err = NULL;
                        _cleanup_(vmdef_freep) VmDef *def = NULL;
                        int r;

                        r = vmdef_load(argv[i], &def, &err);
                        if (r < 0) {
                                fprintf(stderr, "%s\n", err ?: strerror(-r));
                                errors++;
                                continue;
                        }
                        vmdef_dump(def, stdout);
                }
        } else {
                errors = vmdef_load_dirs(arg_dirs, arg_n_dirs, &defs, &n, print_check_error, NULL);
                for (size_t i = 0; i < n; i++) {
                        printf("# %s\n", defs[i]->path);
                        vmdef_dump(defs[i], stdout);
                }
                vmdef_free_many(defs, n);
        }
        fflush(stdout);
        return errors > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_daemon(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        Daemon daemon = {};
        VmBackend *backend = NULL;
        VmDef **defs = NULL;
        size_t n = 0;
        bool announce = arg_console;
        sigset_t ss;
        int r;

        /* sd-event owns these signals (SIGCHLD for libxl's children). */
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(negative_errno(), "Failed to block signals: %m");

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

        (void) vmdef_load_dirs(arg_dirs, arg_n_dirs, &defs, &n, report_definition_error, &announce);
        log_info("%zu VM definition(s) loaded.", n);

        r = vm_backend_libxl_new(event, &backend);
        if (r < 0) {
                vmdef_free_many(defs, n);
                return r;
        }
        r = guestinfo_new(event, announce_console, NULL, &daemon.guestinfo);
        if (r < 0)
                log_warning_errno(r, "Cannot reach xenstore, VMs' published status is not followed: %m");
        r = manager_new(event, backend, defs, n, &daemon_hooks, &daemon, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the VM manager: %m");

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = vm_bus_attach(bus, m);
        if (r < 0)
                return r;
        r = sd_bus_request_name(bus, VM_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to own %s: %m", VM_BUS_NAME);
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        daemon.bus = bus;
        daemon.manager = m;
        r = units_new(bus, on_units_done, &daemon, &daemon.units);
        if (r < 0)
                log_warning_errno(r, "Cannot follow systemd's jobs, VMs with requires= cannot start: %m");

        r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, &daemon);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");

        manager_adopt(m);
        if (arg_autostart)
                manager_autostart(m);
        else
                log_notice("Autostart is off (--no-autostart): no VM starts until asked to.");

        (void) sd_notify(false, "READY=1\nSTATUS=Managing VMs.");
        r = sd_event_loop(event);
        (void) sd_notify(false, "STOPPING=1");
        daemon.units = units_free(daemon.units);
        daemon.bus = NULL;
        daemon.guestinfo = guestinfo_free(daemon.guestinfo);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        log_info("Exiting; running VMs keep running.");
        return 0;
}

int main(int argc, char *argv[]) {
        int r;

        log_set_program_name("cairn-vmd");
        if (getenv("JOURNAL_STREAM"))
                log_set_journal_prefix(1);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (arg_check)
                return run_check(argc, argv);
        return run_daemon() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
