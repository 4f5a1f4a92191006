/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.cairn.Console1 on a real, private dbus-daemon: the console state runs in
 * this process behind the bus API; a second connection is the client.
 * argv[1]: the checked-in introspection XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "console.h"
#include "log.h"
#include "test-dbus.h"
#include "util.h"

static const char *xml_path;
static char tmpdir[] = "/tmp/test-consoled-bus-XXXXXX";
static pid_t dbus_pid = -1;

static sd_event *event;
static sd_bus *server, *client;
static Console *console;
static InputLatency latency;
static FrameStats frames;
static char focus_signals[1024];
static unsigned locked_changes;

static void on_focus(const char *name, void *userdata) {
        console_bus_emit_focus(server, name);
}

static void on_lock(bool locked, void *userdata) {
        console_bus_emit_locked(server);
}

static int check_pass(const char *pass, void *userdata) {
        return strcmp(pass, "a") == 0;
}

static void send_key(int64_t domid, uint32_t keycode, bool pressed, void *userdata) {
}

static const ConsoleHooks hooks = {
        .send_key = send_key,
        .focus_changed = on_focus,
        .lock_changed = on_lock,
        .check_passphrase = check_pass,
};

static int on_focus_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name;

        assert_true(sd_bus_message_read(m, "s", &name) > 0);
        strncat(focus_signals, name, sizeof(focus_signals) - strlen(focus_signals) - 2);
        strcat(focus_signals, ";");
        return 0;
}

static int on_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *iface, *prop;

        assert_true(sd_bus_message_read(m, "s", &iface) > 0);
        assert_string_equal(iface, CONSOLE_BUS_INTERFACE);
        assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") > 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                assert_true(sd_bus_message_read(m, "s", &prop) > 0);
                if (strcmp(prop, "Locked") == 0)
                        locked_changes++;
                assert_true(sd_bus_message_skip(m, "v") >= 0);
                assert_true(sd_bus_message_exit_container(m) >= 0);
        }
        return 0;
}

typedef struct Reply {
        bool done;
        sd_bus_message *m;
} Reply;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Reply *r = userdata;

        r->done = true;
        r->m = sd_bus_message_ref(m);
        return 0;
}

static sd_bus_message *call(const char *interface, const char *method, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Reply reply = {};
        va_list ap;

        assert_true(sd_bus_message_new_method_call(client, &m, CONSOLE_BUS_NAME, CONSOLE_BUS_PATH,
                                                   interface, method) >= 0);
        if (types) {
                va_start(ap, types);
                assert_true(sd_bus_message_appendv(m, types, ap) >= 0);
                va_end(ap);
        }
        assert_true(sd_bus_call_async(client, NULL, m, on_reply, &reply, 0) >= 0);
        while (!reply.done)
                assert_true(sd_event_run(event, 100 * 1000) >= 0);
        return reply.m;
}

/* Run the loop until pending signals have been delivered. */
static void settle(void) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        /* A round trip after the signals: the bus keeps them in order. */
        m = call("org.freedesktop.DBus.Peer", "Ping", NULL);
        for (int i = 0; i < 20; i++)
                (void) sd_event_run(event, 1000);
}

static char *get_prop_string(const char *prop) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *s;

        m = call("org.freedesktop.DBus.Properties", "Get", "ss", CONSOLE_BUS_INTERFACE, prop);
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "v", "s", &s) > 0);
        return strdup(s);
}

static int get_locked(void) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int b;

        m = call("org.freedesktop.DBus.Properties", "Get", "ss", CONSOLE_BUS_INTERFACE, "Locked");
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "v", "b", &b) > 0);
        return b;
}

static int setup(void **state) {
        char addr[512] = "";

        test_dbus_require();
        assert_non_null(mkdtemp(tmpdir));
        dbus_pid = test_dbus_spawn(tmpdir, NULL, addr, sizeof(addr));
        assert_true(dbus_pid > 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);

        assert_true(sd_event_new(&event) >= 0);
        assert_true(sd_bus_open_system(&server) >= 0);
        assert_int_equal(console_new(&hooks, NULL, &console), 0);
        assert_int_equal(console_bus_attach(server, console, &latency, &frames), 0);
        assert_int_equal(console_surface_set(console, "uivm", 1, 1024, 768, SURFACE_CONNECTED), 0);
        assert_int_equal(console_surface_set(console, "work-vm", 12, 800, 600, SURFACE_WAITING), 0);
        assert_true(sd_bus_request_name(server, CONSOLE_BUS_NAME, 0) >= 0);
        assert_true(sd_bus_attach_event(server, event, 0) >= 0);

        assert_true(sd_bus_open_system(&client) >= 0);
        assert_true(sd_bus_attach_event(client, event, 0) >= 0);
        assert_true(sd_bus_match_signal(client, NULL, CONSOLE_BUS_NAME, CONSOLE_BUS_PATH,
                                        CONSOLE_BUS_INTERFACE, "FocusChanged", on_focus_signal, NULL) >= 0);
        assert_true(sd_bus_match_signal(client, NULL, CONSOLE_BUS_NAME, CONSOLE_BUS_PATH,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_props, NULL) >= 0);
        settle();
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        for (int i = 0; i < 10; i++)
                (void) sd_event_run(event, 1000);
        client = sd_bus_flush_close_unref(client);
        server = sd_bus_flush_close_unref(server);
        console = console_free(console);
        event = sd_event_unref(event);
        test_dbus_stop(dbus_pid);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_list(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *name;
        int64_t domid;
        uint32_t w, h, st;

        m = call(CONSOLE_BUS_INTERFACE, "ListSurfaces", NULL);
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_enter_container(m, 'a', "(sxuuu)") > 0);
        assert_true(sd_bus_message_read(m, "(sxuuu)", &name, &domid, &w, &h, &st) > 0);
        assert_string_equal(name, "uivm");
        assert_int_equal(domid, 1);
        assert_int_equal(w, 1024);
        assert_int_equal(h, 768);
        assert_int_equal(st, SURFACE_CONNECTED);
        assert_true(sd_bus_message_read(m, "(sxuuu)", &name, &domid, &w, &h, &st) > 0);
        assert_string_equal(name, "work-vm");
        assert_int_equal(domid, 12);
        assert_int_equal(st, SURFACE_WAITING);
        assert_int_equal(sd_bus_message_read(m, "(sxuuu)", &name, &domid, &w, &h, &st), 0);
}

static void test_focus(void **state) {
        _cleanup_free_ char *f0 = NULL, *f1 = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *m2 = NULL, *m3 = NULL;

        f0 = get_prop_string("Focused");
        assert_string_equal(f0, "uivm");
        focus_signals[0] = 0;

        m = call(CONSOLE_BUS_INTERFACE, "Focus", "s", "work-vm");
        assert_null(sd_bus_message_get_error(m));
        f1 = get_prop_string("Focused");
        assert_string_equal(f1, "work-vm");
        assert_string_equal(console_focused(console), "work-vm");

        m2 = call(CONSOLE_BUS_INTERFACE, "Focus", "s", "ghost");
        assert_non_null(sd_bus_message_get_error(m2));
        assert_string_equal(sd_bus_message_get_error(m2)->name, CONSOLE_BUS_ERROR_NO_SUCH_VM);
        m3 = call(CONSOLE_BUS_INTERFACE, "Focus", "s", "../etc");
        assert_string_equal(sd_bus_message_get_error(m3)->name, CONSOLE_BUS_ERROR_NO_SUCH_VM);

        /* Focusing the focused VM again emits nothing. */
        sd_bus_message_unref(call(CONSOLE_BUS_INTERFACE, "Focus", "s", "work-vm"));
        settle();
        assert_string_equal(focus_signals, "work-vm;");
}

static void test_lock(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *m2 = NULL;

        assert_int_equal(get_locked(), 0);
        locked_changes = 0;
        m = call(CONSOLE_BUS_INTERFACE, "Lock", NULL);
        assert_null(sd_bus_message_get_error(m));
        assert_int_equal(get_locked(), 1);
        assert_true(console_locked(console));

        m2 = call(CONSOLE_BUS_INTERFACE, "Focus", "s", "uivm");
        assert_string_equal(sd_bus_message_get_error(m2)->name, CONSOLE_BUS_ERROR_LOCKED);

        /* Unlocking happens only at the keyboard, in dom0. */
        console_key(console, 30 /* KEY_A */, true);
        console_key(console, 30, false);
        console_key(console, 28 /* KEY_ENTER */, true);
        console_key(console, 28, false);
        assert_int_equal(get_locked(), 0);
        settle();
        assert_int_equal(locked_changes, 2);
}

/* The <interface name="NAME"> block of an introspection document, without white space. */
static char *interface_block(const char *xml, const char *name) {
        char open[128];
        const char *start, *end;
        char *out, *o;

        snprintf(open, sizeof(open), "<interface name=\"%s\">", name);
        start = strstr(xml, open);
        if (!start)
                return NULL;
        end = strstr(start, "</interface>");
        if (!end)
                return NULL;
        end += strlen("</interface>");
        out = o = malloc((size_t) (end - start) + 1);
        assert_non_null(out);
        for (const char *p = start; p < end; p++) {
                if (*p == '\n' || *p == '\t')
                        continue;
                if (*p == ' ' && (o == out || o[-1] == '>' || o[-1] == ' '))
                        continue;
                *o++ = *p;
        }
        *o = 0;
        return out;
}

static void test_introspection(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *file_xml = NULL, *served = NULL, *checked_in = NULL;
        const char *xml;

        assert_int_equal(read_full_file(xml_path, 1 << 20, &file_xml, NULL), 0);
        m = call("org.freedesktop.DBus.Introspectable", "Introspect", NULL);
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "s", &xml) > 0);
        served = interface_block(xml, CONSOLE_BUS_INTERFACE);
        checked_in = interface_block(file_xml, CONSOLE_BUS_INTERFACE);
        assert_non_null(served);
        assert_non_null(checked_in);
        if (strcmp(served, checked_in) != 0)
                fail_msg("served introspection differs from %s:\nserved:     %s\nchecked in: %s",
                         xml_path, served, checked_in);
}

static void read_stage(sd_bus_message *m, uint32_t *n, uint64_t *p50, uint64_t *p99) {
        assert_true(sd_bus_message_read(m, "(utt)", n, p50, p99) > 0);
}

static void test_input_latency(void **state) {
        sd_bus_message *m;
        uint32_t n;
        uint64_t p50, p99;

        /* 10 received keys of 100..1000 us, 4 delivered of 2000 us. */
        for (unsigned i = 1; i <= 10; i++)
                latency_add(&latency.received, 1, 1 + 100 * i);
        for (unsigned i = 0; i < 4; i++)
                latency_add(&latency.delivered, 10, 2010);
        m = call(CONSOLE_BUS_INTERFACE, "InputLatency", "b", 1);
        assert_null(sd_bus_message_get_error(m));
        read_stage(m, &n, &p50, &p99);
        assert_int_equal(n, 10);
        assert_int_equal(p50, 500);
        assert_int_equal(p99, 1000);
        read_stage(m, &n, &p50, &p99);
        assert_int_equal(n, 4);
        assert_int_equal(p50, 2000);
        assert_int_equal(p99, 2000);
        sd_bus_message_unref(m);
        /* reset=true: the next answer starts from nothing. */
        m = call(CONSOLE_BUS_INTERFACE, "InputLatency", "b", 0);
        assert_null(sd_bus_message_get_error(m));
        read_stage(m, &n, &p50, &p99);
        assert_int_equal(n, 0);
        assert_int_equal(p99, 0);
        read_stage(m, &n, &p50, &p99);
        assert_int_equal(n, 0);
        sd_bus_message_unref(m);
}

static void read_frames(sd_bus_message *m, uint64_t v[6]) {
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "tttttt", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) > 0);
}

static void test_frame_stats(void **state) {
        sd_bus_message *m;
        uint64_t v[6], now = now_monotonic_usec();

        /* Started 2 s ago; 7 update events, presented as two full 800x600
         * presents of 1000 us and one 10x10 of 50 us. */
        frames_reset(&frames, now - 2000000);
        frames.events = 7;
        frames_add(&frames, 800, 600, true, 100, 1100);
        frames_add(&frames, 800, 600, true, 2000, 3000);
        frames_add(&frames, 10, 10, false, 5000, 5050);
        m = call(CONSOLE_BUS_INTERFACE, "FrameStats", "b", 1);
        read_frames(m, v);
        assert_true(v[0] >= 2000000 && v[0] < 60000000);
        assert_int_equal(v[1], 7);
        assert_int_equal(v[2], 3);
        assert_int_equal(v[3], 2);
        assert_int_equal(v[4], 2 * 800 * 600 + 100);
        assert_int_equal(v[5], 2050);
        sd_bus_message_unref(m);
        /* reset=true: the next answer starts from nothing, at the time of the reset. */
        m = call(CONSOLE_BUS_INTERFACE, "FrameStats", "b", 0);
        read_frames(m, v);
        assert_true(v[0] < 2000000);
        for (int i = 1; i < 6; i++)
                assert_int_equal(v[i], 0);
        sd_bus_message_unref(m);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_focus),
                cmocka_unit_test(test_lock),
                cmocka_unit_test(test_input_latency),
                cmocka_unit_test(test_frame_stats),
                cmocka_unit_test(test_introspection),
        };

        if (argc != 2) {
                fprintf(stderr, "Usage: test-bus INTROSPECTION.xml\n");
                return 2;
        }
        xml_path = argv[1];
        return cmocka_run_group_tests(tests, setup, teardown);
}
