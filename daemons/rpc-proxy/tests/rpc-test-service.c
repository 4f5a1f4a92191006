/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stand-in for cairn-vmd on a private bus, for the proxy's integration test
 * and benchmark: org.cairn.VMManager1 with ListVMs, Start (emits ConfigChanged,
 * PropertiesChanged on the VM object, then StateChanged),
 * SetConfig (which the rules must deny), Ping, and one VM object with a Name
 * property.  Prints "ready" once it owns its name (org.cairn.VMManager1, or NAME:
 * the proxy's test runs a second one on another domain's bus).
 * Usage: rpc-test-service ADDRESS [NAME] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define NAME "org.cairn.VMManager1"
#define PATH "/org/cairn/VMManager1"

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "a(ssssxtu)", 2,
                                          "uivm", "00000000-0000-0000-0000-000000000001", "pv", "running", (int64_t) 1, (uint64_t) 256, 1u,
                                          "win10", "00000000-0000-0000-0000-000000000002", "hvm", "stopped", (int64_t) -1, (uint64_t) 4096, 2u);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (strcmp(name, "uivm") != 0 && strcmp(name, "win10") != 0)
                return sd_bus_error_setf(error, "org.cairn.Error.NoSuchVM", "No VM called %s", name);
        /* first a signal no rule allows, then two that rules allow */
        r = sd_bus_emit_signal(sd_bus_message_get_bus(m), PATH, NAME, "ConfigChanged", "s", name);
        if (r < 0)
                return r;
        r = sd_bus_emit_properties_changed(sd_bus_message_get_bus(m), PATH "/vm/uivm", NAME ".VM", "Name", NULL);
        if (r < 0)
                return r;
        r = sd_bus_emit_signal(sd_bus_message_get_bus(m), PATH, NAME, "StateChanged", "ssx", name, "running",
                               (int64_t) 7);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_set_config(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *k, *v;
        int r = sd_bus_message_read(m, "ss", &k, &v);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "s", "changed");
}

static int method_ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, NULL);
}

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const void *p;
        size_t n;
        int r = sd_bus_message_read_array(m, 'y', &p, &n);

        if (r < 0)
                return r;
        sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', p, n);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListVMs", "", "a(ssssxtu)", method_list, 0),
        SD_BUS_METHOD("Start", "s", "", method_start, 0),
        SD_BUS_METHOD("SetConfig", "ss", "s", method_set_config, 0),
        SD_BUS_METHOD("Ping", "", "", method_ping, 0),
        SD_BUS_METHOD("Echo", "ay", "ay", method_echo, 0),
        SD_BUS_SIGNAL("StateChanged", "ssx", 0),
        SD_BUS_SIGNAL("ConfigChanged", "s", 0),
        SD_BUS_VTABLE_END
};

static int get_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", "uivm");
}

static const sd_bus_vtable vm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        sd_event *event = NULL;
        int r;

        if (argc < 2 || argc > 3 || strcmp(argv[1], "--help") == 0) {
                printf("Usage: rpc-test-service ADDRESS [NAME]\n");
                return argc == 2 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, PATH, NAME, manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, PATH "/vm/uivm", NAME ".VM", vm_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, argc == 3 ? argv[2] : NAME, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "rpc-test-service: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        printf("ready\n");
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
