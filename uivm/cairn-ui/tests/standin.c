/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stand-in for cairn-vmd (org.cairn.VMManager1) and cairn-netd (org.cairn.Network1)
 * for the offscreen test: four VMs, two interfaces.  Start/Stop change states and
 * emit StateChanged; SIGUSR1 starts "personal" as if someone else had.  Writes
 * --ready FILE once its names are on the bus. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "util.h"

typedef struct vm {
        const char *name, *uuid, *type;
        const char *state;
        int64_t domid;
        uint64_t mem;
        uint32_t vcpus;
} vm;

static vm vms[] = {
        { "ndvm", "6b1c3a52-6c0e-4cf1-9d1b-1f0e5f0c0a01", "pv", "running", 1, 192, 1 },
        { "uivm", "0e5b5f7e-3f4d-4a8c-9e8b-2b7a3c1d0a02", "pvh", "running", 2, 512, 1 },
        { "work", "9f2d8c44-1b6e-4e6b-8f2f-3c4d5e6f0a03", "hvm", "stopped", -1, 4096, 2 },
        { "personal", "c1a9e3d2-7b5f-4c3e-a1d0-4e5f6a7b0a04", "hvm", "stopped", -1, 2048, 2 },
};
static int64_t next_domid = 5;
static sd_bus *bus;

static vm *find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(vms); i++)
                if (strcmp(vms[i].name, name) == 0)
                        return &vms[i];
        return NULL;
}

static void set_state(vm *v, const char *state, int64_t domid) {
        v->state = state;
        v->domid = domid;
        sd_bus_emit_signal(bus, "/org/cairn/VMManager1", "org.cairn.VMManager1", "StateChanged", "ssx",
                           v->name, state, domid);
}

static int list_vms(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssxtu)");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(vms); i++)
                r = sd_bus_message_append(reply, "(ssssxtu)", vms[i].name, vms[i].uuid, vms[i].type, vms[i].state,
                                          vms[i].domid, vms[i].mem, vms[i].vcpus);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int start_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *member = sd_bus_message_get_member(m);
        bool start = strcmp(member, "Start") == 0;
        vm *v;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        v = find(name);
        if (!v)
                return sd_bus_error_setf(error, "org.cairn.Error.NoSuchVM", "No VM named %s", name);
        if (start && strcmp(v->state, "stopped") != 0)
                return sd_bus_error_setf(error, "org.cairn.Error.InvalidState", "%s is %s", name, v->state);
        if (!start && strcmp(v->state, "running") != 0)
                return sd_bus_error_setf(error, "org.cairn.Error.InvalidState", "%s is %s", name, v->state);
        if (start)
                set_state(v, "running", next_domid++);
        else
                set_state(v, "stopped", -1);
        return sd_bus_reply_method_return(m, NULL);
}

static int list_ifaces(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "a(sssas)", 2,
                                          "eth0", "00:16:3e:00:00:10", "up", 2, "192.168.1.23/24", "fe80::216:3eff:fe00:10/64",
                                          "wlan0", "00:16:3e:00:00:11", "no-carrier", 0);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable vmm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListVMs", "", "a(ssssxtu)", list_vms, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Start", "s", "", start_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Stop", "s", "", start_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("StateChanged", "ssx", 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable net_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListInterfaces", "", "a(sssas)", list_ifaces, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("Changed", "", 0),
        SD_BUS_VTABLE_END,
};

static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        set_state(find("personal"), "running", next_domid++);
        return 0;
}

int main(int argc, char **argv) {
        const char *address = NULL, *ready = NULL;
        sd_event *e = NULL;
        sigset_t mask;
        int r;

        log_set_program_name("ui-standin");
        for (int i = 1; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--bus") == 0)
                        address = argv[i + 1];
                else if (strcmp(argv[i], "--ready") == 0)
                        ready = argv[i + 1];
        }
        if (!address) {
                fprintf(stderr, "Usage: ui-standin --bus ADDRESS [--ready FILE]\n");
                return EXIT_FAILURE;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to %s: %m", address), EXIT_FAILURE;
        r = sd_bus_add_object_vtable(bus, NULL, "/org/cairn/VMManager1", "org.cairn.VMManager1", vmm_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/cairn/Network1", "org.cairn.Network1", net_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.cairn.VMManager1", 0);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.cairn.Network1", 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGUSR1, on_usr1, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Setup failed: %m"), EXIT_FAILURE;
        if (ready && write_file_atomic(ready, "ready\n", 6, 0644) < 0)
                return EXIT_FAILURE;
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
