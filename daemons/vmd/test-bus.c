/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.cairn.VMManager1 on a real, private dbus-daemon: the manager runs on the
 * fake backend in this process; cairnctl runs as a child against it.
 * argv[1]: cairnctl, argv[2]: the checked-in introspection XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "fake-backend.h"
#include "log.h"
#include "manager.h"
#include "test-dbus.h"
#include "util.h"

static const char *cairnctl_path, *xml_path;
static char tmpdir[] = "/tmp/test-vmd-bus-XXXXXX";
static pid_t dbus_pid = -1;

static sd_event *event;
static sd_bus *server, *client;
static FakeBackend *fake;
static Manager *manager;
static char signals_seen[4096];

static void on_state(Vm *vm, void *userdata) {
        vm_bus_emit_changed(server, vm);
}

static const ManagerHooks hooks = { .state_changed = on_state };

static uint64_t now_usec(void) {
        uint64_t t;
        assert_true(sd_event_now(event, CLOCK_MONOTONIC, &t) >= 0);
        return t;
}

/* ---- a child process run while the loop serves the bus ---- */

typedef struct Child {
        bool done;
        int status;
} Child;

static int child_done(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Child *c = userdata;

        c->done = true;
        c->status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        sd_event_source_disable_unref(s);
        return 0;
}

/* Run cairnctl ARGS...; returns its exit status, stdout and stderr. */
static int ctl(char **ret_out, char **ret_err, ...) {
        char out_path[256], err_path[256];
        const char *argv[16] = { "cairnctl" };
        Child c = {};
        size_t n = 1;
        va_list ap;
        uint64_t deadline;
        pid_t pid;

        va_start(ap, ret_err);
        while (n < 15 && (argv[n] = va_arg(ap, const char *)))
                n++;
        va_end(ap);
        argv[n] = NULL;

        snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
        snprintf(err_path, sizeof(err_path), "%s/err", tmpdir);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                sigset_t ss;

                sigemptyset(&ss);
                sigprocmask(SIG_SETMASK, &ss, NULL);
                dup2(o, 1);
                dup2(e, 2);
                execv(cairnctl_path, (char **) argv);
                _exit(127);
        }
        assert_true(sd_event_add_child(event, NULL, pid, WEXITED, child_done, &c) >= 0);
        deadline = now_usec() + 10 * 1000 * 1000;
        while (!c.done) {
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(event, 100 * 1000) >= 0);
        }
        assert_int_equal(read_full_file(out_path, 1 << 20, ret_out, NULL), 0);
        assert_int_equal(read_full_file(err_path, 1 << 20, ret_err, NULL), 0);
        return c.status;
}

/* ---- async calls from the in-process client ---- */

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

static sd_bus_message *call(const char *path, const char *interface, const char *method,
                            const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Reply reply = {};
        va_list ap;

        assert_true(sd_bus_message_new_method_call(client, &m, VM_BUS_NAME, path, interface, method) >= 0);
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

static void wait_state(const char *name, VmState state) {
        Vm *vm = manager_find(manager, name);
        uint64_t deadline = now_usec() + 5 * 1000 * 1000;

        while (vm->state != state) {
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(event, 10 * 1000) >= 0);
        }
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *state;
        int64_t domid;
        char item[128];

        if (sd_bus_message_read(m, "ssx", &name, &state, &domid) < 0)
                return 0;
        snprintf(item, sizeof(item), "%s=%s/%" PRId64 " ", name, state, domid);
        if (strlen(signals_seen) + strlen(item) < sizeof(signals_seen))
                strcat(signals_seen, item);
        return 0;
}

static char props_seen[4096];

/* PropertiesChanged of /org/cairn/VMManager1/vm/uivm: record "State=VALUE Domid=N". */
static int on_props(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *iface, *prop;
        char item[128];

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, VM_BUS_VM_INTERFACE) != 0)
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &prop) < 0)
                        return 0;
                item[0] = 0;
                if (strcmp(prop, "State") == 0) {
                        const char *v;
                        if (sd_bus_message_read(m, "v", "s", &v) < 0)
                                return 0;
                        snprintf(item, sizeof(item), "State=%s ", v);
                } else if (strcmp(prop, "Domid") == 0) {
                        int64_t x;
                        if (sd_bus_message_read(m, "v", "x", &x) < 0)
                                return 0;
                        snprintf(item, sizeof(item), "Domid=%" PRId64 " ", x);
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (strlen(props_seen) + strlen(item) < sizeof(props_seen))
                        strcat(props_seen, item);
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

/* ---- setup: dbus-daemon, manager, bus ---- */

static int setup(void **state) {
        char addr[512] = "";
        VmDef **defs;
        const char *texts[] = {
                "name=ndvm\nkernel=/k\nmemory=192\n",
                "name=uivm\ntype=pvh\nkernel=/k\nmemory=512\nvcpus=2\n",
                "name=test-vm\ntype=hvm\n",
        };
        sigset_t ss;

        test_dbus_require();
        assert_non_null(mkdtemp(tmpdir));
        dbus_pid = test_dbus_spawn(tmpdir, NULL, addr, sizeof(addr));
        assert_true(dbus_pid > 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_BLOCK, &ss, NULL), 0);

        assert_true(sd_event_new(&event) >= 0);
        assert_int_equal(fake_backend_new(event, &fake), 0);
        fake_backend_add_running(fake, "ndvm", 7);
        defs = calloc(3, sizeof(VmDef *));
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(vmdef_parse("t.vm", NULL, texts[i], strlen(texts[i]), &defs[i], NULL), 0);
        assert_int_equal(manager_new(event, &fake->base, defs, 3, &hooks, NULL, &manager), 0);

        assert_true(sd_bus_open_system(&server) >= 0);
        assert_int_equal(vm_bus_attach(server, manager), 0);
        assert_true(sd_bus_request_name(server, VM_BUS_NAME, 0) >= 0);
        assert_true(sd_bus_attach_event(server, event, 0) >= 0);
        manager_adopt(manager);

        assert_true(sd_bus_open_system(&client) >= 0);
        assert_true(sd_bus_attach_event(client, event, 0) >= 0);
        assert_true(sd_bus_match_signal(client, NULL, VM_BUS_NAME, VM_BUS_PATH, VM_BUS_INTERFACE,
                                        "StateChanged", on_signal, NULL) >= 0);
        assert_true(sd_bus_match_signal(client, NULL, VM_BUS_NAME, "/org/cairn/VMManager1/vm/uivm",
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_props, NULL) >= 0);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        for (int i = 0; i < 10; i++)
                (void) sd_event_run(event, 1000);
        client = sd_bus_flush_close_unref(client);
        server = sd_bus_flush_close_unref(server);
        manager = manager_free(manager);
        event = sd_event_unref(event);
        test_dbus_stop(dbus_pid);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void uuid_of(const char *name, char out[37]) {
        const uint8_t *u = manager_find(manager, name)->uuid;

        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                 u[14], u[15]);
}

static void test_list_json(void **state) {
        _cleanup_free_ char *out = NULL, *err = NULL, *want = NULL;
        char u1[37], u2[37], u3[37];

        uuid_of("ndvm", u1);
        uuid_of("uivm", u2);
        uuid_of("test-vm", u3);
        assert_string_equal(u1, "aa000000-0000-0000-0000-000000000001"); /* adopted from the backend */
        assert_true(asprintf(&want,
                             "[{\"name\":\"ndvm\",\"uuid\":\"%s\",\"type\":\"pv\",\"state\":\"running\",\"domid\":7,"
                             "\"memory_mib\":192,\"vcpus\":1},"
                             "{\"name\":\"uivm\",\"uuid\":\"%s\",\"type\":\"pvh\",\"state\":\"stopped\",\"domid\":-1,"
                             "\"memory_mib\":512,\"vcpus\":2},"
                             "{\"name\":\"test-vm\",\"uuid\":\"%s\",\"type\":\"hvm\",\"state\":\"stopped\",\"domid\":-1,"
                             "\"memory_mib\":128,\"vcpus\":1}]\n",
                             u1, u2, u3) > 0);
        assert_int_equal(ctl(&out, &err, "list", "--json", NULL), 0);
        assert_string_equal(out, want);
        assert_string_equal(err, "");
}

static void test_list_table(void **state) {
        _cleanup_free_ char *out = NULL, *err = NULL;

        assert_int_equal(ctl(&out, &err, "list", NULL), 0);
        assert_non_null(strstr(out, "NAME "));
        assert_non_null(strstr(out, "\nndvm                 running         7 pv     192MiB     1\n"));
        assert_non_null(strstr(out, "\nuivm                 stopped         - pvh    512MiB     2\n"));
}

static void test_start_show_stop(void **state) {
        _cleanup_free_ char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        char u[37], want[512];

        signals_seen[0] = 0;
        props_seen[0] = 0;
        assert_int_equal(ctl(&out, &err, "start", "uivm", NULL), 0);
        assert_string_equal(err, "");
        wait_state("uivm", VM_STATE_RUNNING);

        uuid_of("uivm", u);
        snprintf(want, sizeof(want),
                 "{\"name\":\"uivm\",\"uuid\":\"%s\",\"type\":\"pvh\",\"state\":\"running\",\"domid\":8,"
                 "\"memory_mib\":512,\"vcpus\":2}\n", u);
        assert_int_equal(ctl(&out2, &err2, "--json", "show", "uivm", NULL), 0);
        assert_string_equal(out2, want);

        assert_int_equal(ctl(&out3, &err3, "stop", "uivm", NULL), 0);
        wait_state("uivm", VM_STATE_STOPPED);
        for (int i = 0; i < 5; i++)
                (void) sd_event_run(event, 10 * 1000);
        assert_string_equal(signals_seen, "uivm=starting/-1 uivm=running/8 uivm=stopping/8 uivm=stopped/-1 ");
        assert_string_equal(props_seen, "State=starting Domid=-1 State=running Domid=8 "
                                        "State=stopping Domid=8 State=stopped Domid=-1 ");
}

static void test_cli_errors(void **state) {
        _cleanup_free_ char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        _cleanup_free_ char *out4 = NULL, *err4 = NULL;

        assert_int_equal(ctl(&out, &err, "start", "nosuch", NULL), 1);
        assert_string_equal(err, "cairnctl: nosuch: There is no VM named nosuch.\n");
        assert_int_equal(ctl(&out2, &err2, "start", "ndvm", NULL), 1);
        assert_string_equal(err2, "cairnctl: ndvm: Cannot start ndvm: it is already running or starting (state running).\n");
        assert_int_equal(ctl(&out3, &err3, "frobnicate", NULL), 1);
        assert_non_null(strstr(err3, "Unknown command \"frobnicate\""));
        assert_int_equal(ctl(&out4, &err4, "--help", NULL), 0);
        assert_non_null(strstr(out4, "console NAME"));
        assert_non_null(strstr(out4, "--json"));
}

static void test_error_names(void **state) {
        static const struct {
                const char *method, *arg, *error;
        } cases[] = {
                { "Start", "nosuch", VM_BUS_ERROR_NO_SUCH_VM },
                { "GetVM", "Not A Name", VM_BUS_ERROR_NO_SUCH_VM },
                { "Start", "ndvm", VM_BUS_ERROR_INVALID_STATE },
                { "Stop", "uivm", VM_BUS_ERROR_INVALID_STATE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m =
                        call(VM_BUS_PATH, VM_BUS_INTERFACE, cases[i].method, "s", cases[i].arg);
                const sd_bus_error *e = sd_bus_message_get_error(m);

                assert_non_null(e);
                assert_string_equal(e->name, cases[i].error);
        }
}

static void test_vm_objects(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *m2 = NULL, *m3 = NULL;
        const char *s;
        int64_t x;

        m = call("/org/cairn/VMManager1/vm/ndvm", "org.freedesktop.DBus.Properties", "Get", "ss",
                 VM_BUS_VM_INTERFACE, "State");
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "v", "s", &s) > 0);
        assert_string_equal(s, "running");
        m2 = call("/org/cairn/VMManager1/vm/ndvm", "org.freedesktop.DBus.Properties", "Get", "ss",
                  VM_BUS_VM_INTERFACE, "Domid");
        assert_true(sd_bus_message_read(m2, "v", "x", &x) > 0);
        assert_int_equal(x, 7);
        /* '-' is escaped as _2d in the object path */
        m3 = call("/org/cairn/VMManager1/vm/test_2dvm", "org.freedesktop.DBus.Properties", "Get", "ss",
                  VM_BUS_VM_INTERFACE, "Type");
        assert_null(sd_bus_message_get_error(m3));
        assert_true(sd_bus_message_read(m3, "v", "s", &s) > 0);
        assert_string_equal(s, "hvm");
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

static void check_introspection(const char *path, const char *interface, const char *file_xml) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *served = NULL, *checked_in = NULL;
        const char *xml;

        m = call(path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
        assert_null(sd_bus_message_get_error(m));
        assert_true(sd_bus_message_read(m, "s", &xml) > 0);
        served = interface_block(xml, interface);
        checked_in = interface_block(file_xml, interface);
        assert_non_null(served);
        assert_non_null(checked_in);
        if (strcmp(served, checked_in) != 0)
                fail_msg("%s: served introspection differs from %s:\nserved:     %s\nchecked in: %s",
                         interface, xml_path, served, checked_in);
}

static void test_introspection(void **state) {
        _cleanup_free_ char *file_xml = NULL;

        assert_int_equal(read_full_file(xml_path, 1 << 20, &file_xml, NULL), 0);
        check_introspection(VM_BUS_PATH, VM_BUS_INTERFACE, file_xml);
        check_introspection("/org/cairn/VMManager1/vm/ndvm", VM_BUS_VM_INTERFACE, file_xml);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list_json),
                cmocka_unit_test(test_list_table),
                cmocka_unit_test(test_start_show_stop),
                cmocka_unit_test(test_cli_errors),
                cmocka_unit_test(test_error_names),
                cmocka_unit_test(test_vm_objects),
                cmocka_unit_test(test_introspection),
        };

        if (argc != 3) {
                fprintf(stderr, "Usage: test-bus CAIRNCTL INTROSPECTION.xml\n");
                return EXIT_FAILURE;
        }
        cairnctl_path = argv[1];
        xml_path = argv[2];
        log_set_max_level(getenv("VMD_TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR);
        return cmocka_run_group_tests(tests, setup, teardown);
}
