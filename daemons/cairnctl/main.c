/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairnctl: list, show, start, stop, restart Cairn's VMs and attach to their
 * consoles, through org.cairn.VMManager1 on the system bus. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "cairn-config.h"
#include "log.h"

#define BUS_NAME "org.cairn.VMManager1"
#define BUS_PATH "/org/cairn/VMManager1"
#define BUS_INTERFACE "org.cairn.VMManager1"

static bool arg_json;

typedef struct VmInfo {
        const char *name, *uuid, *type, *state;
        int64_t domid;
        uint64_t memory_mib;
        uint32_t vcpus;
} VmInfo;

static int read_vm(sd_bus_message *m, VmInfo *ret) {
        return sd_bus_message_read(m, "(ssssxtu)", &ret->name, &ret->uuid, &ret->type, &ret->state,
                                   &ret->domid, &ret->memory_mib, &ret->vcpus);
}

/* JSON string with every character outside printable ASCII escaped. */
static void json_string(const char *s) {
        putchar('"');
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p < 0x20 || *p >= 0x7f)
                        printf("\\u%04x", *p);
                else
                        putchar(*p);
        }
        putchar('"');
}

static void json_vm(const VmInfo *v) {
        fputs("{\"name\":", stdout);
        json_string(v->name);
        fputs(",\"uuid\":", stdout);
        json_string(v->uuid);
        fputs(",\"type\":", stdout);
        json_string(v->type);
        fputs(",\"state\":", stdout);
        json_string(v->state);
        printf(",\"domid\":%" PRId64 ",\"memory_mib\":%" PRIu64 ",\"vcpus\":%" PRIu32 "}", v->domid,
               v->memory_mib, v->vcpus);
}

#define CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

static int bus_error(int r, const sd_bus_error *error, const char *what) {
        if (sd_bus_error_is_set(error))
                log_error("%s: %s", what, error->message ?: error->name);
        else
                log_error_errno(r, "%s: %m", what);
        return r < 0 ? r : -EIO;
}

static int connect_bus(sd_bus **ret) {
        int r = sd_bus_open_system(ret);

        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        /* cairn-vmd answers from one event loop; while libxl builds a domain
         * it answers late, not never. */
        r = sd_bus_set_method_call_timeout(*ret, CALL_TIMEOUT_USEC);
        if (r < 0)
                return log_error_errno(r, "Cannot set the D-Bus call timeout: %m");
        return 0;
}

static int verb_list(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        VmInfo v;
        bool first = true;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "ListVMs", &error, &reply, NULL);
        if (r < 0)
                return bus_error(r, &error, "Cannot list the VMs");
        r = sd_bus_message_enter_container(reply, 'a', "(ssssxtu)");
        if (r < 0)
                return log_error_errno(r, "Bad reply from cairn-vmd: %m");
        if (arg_json)
                putchar('[');
        else
                printf("%-20s %-10s %6s %-4s %8s %5s\n", "NAME", "STATE", "DOMID", "TYPE", "MEMORY", "VCPUS");
        while ((r = read_vm(reply, &v)) > 0) {
                if (arg_json) {
                        if (!first)
                                putchar(',');
                        json_vm(&v);
                } else if (v.domid >= 0)
                        printf("%-20s %-10s %6" PRId64 " %-4s %5" PRIu64 "MiB %5" PRIu32 "\n", v.name, v.state,
                               v.domid, v.type, v.memory_mib, v.vcpus);
                else
                        printf("%-20s %-10s %6s %-4s %5" PRIu64 "MiB %5" PRIu32 "\n", v.name, v.state, "-",
                               v.type, v.memory_mib, v.vcpus);
                first = false;
        }
        if (r < 0)
                return log_error_errno(r, "Bad reply from cairn-vmd: %m");
        if (arg_json)
                puts("]");
        return 0;
}

static int get_vm(sd_bus *bus, const char *name, sd_bus_message **ret_reply, VmInfo *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetVM", &error, ret_reply, "s", name);
        if (r < 0)
                return bus_error(r, &error, name);
        r = read_vm(*ret_reply, ret);
        if (r < 0)
                return log_error_errno(r, "Bad reply from cairn-vmd: %m");
        return 0;
}

static int verb_show(sd_bus *bus, int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        VmInfo v;
        int r;

        r = get_vm(bus, argv[1], &reply, &v);
        if (r < 0)
                return r;
        if (arg_json) {
                json_vm(&v);
                putchar('\n');
                return 0;
        }
        printf("Name: %s\nUUID: %s\nType: %s\nState: %s\n", v.name, v.uuid, v.type, v.state);
        if (v.domid >= 0)
                printf("Domid: %" PRId64 "\n", v.domid);
        else
                printf("Domid: -\n");
        printf("Memory: %" PRIu64 " MiB\nVCPUs: %" PRIu32 "\n", v.memory_mib, v.vcpus);
        return 0;
}

static int simple_call(sd_bus *bus, const char *method, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, method, &error, NULL, "s", name);
        if (r < 0)
                return bus_error(r, &error, name);
        return 0;
}

static int verb_start(sd_bus *bus, int argc, char *argv[]) {
        return simple_call(bus, "Start", argv[1]);
}

static int verb_stop(sd_bus *bus, int argc, char *argv[]) {
        return simple_call(bus, "Stop", argv[1]);
}

static int verb_restart(sd_bus *bus, int argc, char *argv[]) {
        return simple_call(bus, "Restart", argv[1]);
}

static int verb_console(sd_bus *bus, int argc, char *argv[]) {
        static const char *const consoles[] = {
                "/usr/lib/xen-4.17/bin/xenconsole",
                "/usr/lib/xen/bin/xenconsole",
                "/usr/libexec/xen/bin/xenconsole",
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char domid[32];
        VmInfo v;
        int r;

        r = get_vm(bus, argv[1], &reply, &v);
        if (r < 0)
                return r;
        if (v.domid < 0) {
                log_error("%s is %s, not running: no console.", v.name, v.state);
                return -ESRCH;
        }
        snprintf(domid, sizeof(domid), "%" PRId64, v.domid);
        fprintf(stderr, "Console of %s (domain %s); leave with Ctrl-].\n", v.name, domid);
        for (size_t i = 0; i < ELEMENTSOF(consoles); i++)
                if (access(consoles[i], X_OK) == 0) {
                        execl(consoles[i], "xenconsole", domid, "--type", "pv", (char *) NULL);
                        return log_error_errno(negative_errno(), "Cannot run %s: %m", consoles[i]);
                }
        log_error("xenconsole is not installed.");
        return -ENOENT;
}

typedef struct Verb {
        const char *name;
        int (*fn)(sd_bus *bus, int argc, char *argv[]);
        int args; /* operands after the verb */
        const char *usage;
} Verb;

static const Verb verbs[] = {
        { "list", verb_list, 0, "list [--json]        all VMs and their state" },
        { "show", verb_show, 1, "show NAME [--json]   one VM" },
        { "start", verb_start, 1, "start NAME           start a VM" },
        { "stop", verb_stop, 1, "stop NAME            shut a VM down (destroyed after its timeout)" },
        { "restart", verb_restart, 1, "restart NAME         stop, then start again" },
        { "console", verb_console, 1, "console NAME         attach to a running VM's console" },
};

static void help(void) {
        printf("Usage: cairnctl [OPTIONS] COMMAND [NAME]\n\n"
               "Controls Cairn's VMs through cairn-vmd (org.cairn.VMManager1).\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].usage);
        printf("\nOptions:\n"
               "  -h --help     Show this help\n"
               "     --version  Show the version\n"
               "  -j --json     JSON output (list, show)\n");
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, 'j' },
                {}
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *verb = NULL;
        int c, r, n;

        log_set_program_name("cairnctl");
        while ((c = getopt_long(argc, argv, "hj", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("cairnctl %s\n", CAIRN_VERSION);
                        return EXIT_SUCCESS;
                case 'j':
                        arg_json = true;
                        break;
                default:
                        return EXIT_FAILURE;
                }
        if (optind >= argc) {
                help();
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0)
                        verb = &verbs[i];
        if (!verb) {
                log_error("Unknown command \"%s\"; see cairnctl --help.", argv[optind]);
                return EXIT_FAILURE;
        }
        n = argc - optind - 1;
        if (n != verb->args) {
                log_error("Usage: cairnctl %s", verb->usage);
                return EXIT_FAILURE;
        }
        r = connect_bus(&bus);
        if (r < 0)
                return EXIT_FAILURE;
        r = verb->fn(bus, argc - optind, argv + optind);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
