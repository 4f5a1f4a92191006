/* SPDX-License-Identifier: GPL-2.0-or-later */
/* units.c against a stand-in for systemd's manager object on a private
 * dbus-daemon: StartUnit returns a job, JobRemoved reports its result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-dbus.h"
#include "units.h"

static char tmpdir[] = "/tmp/cairn-test-units-XXXXXX";
static pid_t dbus_pid;
static sd_event *event;
static sd_bus *systemd_end, *vmd_end;

/* The stand-in's behaviour. */
static char started[512];         /* units asked for, space separated */
static const char *fail_unit;     /* this unit's job ends "failed" */
static const char *refuse_unit;   /* StartUnit for this unit returns an error */
static unsigned next_job = 1;
static bool subscribed;

/* What units.c reported. */
static unsigned n_done;
static char done_vm[64];
static int done_r;
static char done_error[256];

static int on_job_finish(sd_event_source *s, void *userdata) {
        char *job = userdata;
        const char *unit = job + strlen(job) + 1;
        unsigned id = 0;

        sscanf(job, "/org/freedesktop/systemd1/job/%u", &id);
        assert_true(sd_bus_emit_signal(systemd_end, "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", id, job,
                                       unit, fail_unit && strcmp(fail_unit, unit) == 0 ? "failed" : "done") >= 0);
        free(job);
        sd_event_source_disable_unref(s);
        return 0;
}

static int method_start_unit(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *unit, *mode;
        char *job;
        size_t n;

        assert_true(sd_bus_message_read(m, "ss", &unit, &mode) >= 0);
        assert_string_equal(mode, "replace");
        strcat(started, unit);
        strcat(started, " ");
        if (refuse_unit && strcmp(refuse_unit, unit) == 0)
                return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", unit);
        /* "path\0unit\0": the job ends from the loop, after the reply went out. */
        n = strlen("/org/freedesktop/systemd1/job/") + 12;
        job = calloc(1, n + strlen(unit) + 2);
        assert_non_null(job);
        snprintf(job, n, "/org/freedesktop/systemd1/job/%u", next_job++);
        strcpy(job + strlen(job) + 1, unit);
        assert_true(sd_event_add_defer(event, NULL, on_job_finish, job) >= 0);
        return sd_bus_reply_method_return(m, "o", job);
}

static int method_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        subscribed = true;
        return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable systemd_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("StartUnit", "ss", "o", method_start_unit, 0),
        SD_BUS_METHOD("Subscribe", "", "", method_subscribe, 0),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END
};

static void on_done(const char *vm, int r, const char *error, void *userdata) {
        n_done++;
        snprintf(done_vm, sizeof(done_vm), "%s", vm);
        done_r = r;
        snprintf(done_error, sizeof(done_error), "%s", error ?: "");
}

static void run_until_done(unsigned want) {
        for (int i = 0; i < 500 && n_done < want; i++)
                assert_true(sd_event_run(event, 10 * 1000) >= 0);
        assert_int_equal(n_done, want);
}

static int setup(void **state) {
        char addr[512] = "";

        test_dbus_require();
        assert_non_null(mkdtemp(tmpdir));
        dbus_pid = test_dbus_spawn(tmpdir, NULL, addr, sizeof(addr));
        assert_true(dbus_pid > 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);
        assert_true(sd_event_new(&event) >= 0);
        assert_true(sd_bus_open_system(&systemd_end) >= 0);
        assert_true(sd_bus_add_object_vtable(systemd_end, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", systemd_vtable, NULL) >= 0);
        assert_true(sd_bus_request_name(systemd_end, "org.freedesktop.systemd1", 0) >= 0);
        assert_true(sd_bus_attach_event(systemd_end, event, 0) >= 0);
        assert_true(sd_bus_open_system(&vmd_end) >= 0);
        assert_true(sd_bus_attach_event(vmd_end, event, 0) >= 0);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        vmd_end = sd_bus_flush_close_unref(vmd_end);
        systemd_end = sd_bus_flush_close_unref(systemd_end);
        event = sd_event_unref(event);
        test_dbus_stop(dbus_pid);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void reset(void) {
        started[0] = 0;
        fail_unit = refuse_unit = NULL;
        n_done = 0;
}

static void test_units_in_order(void **state) {
        Units *u = NULL;
        char *units[] = { "cairn-a.service", "cairn-svm-image@ndvm.service" };

        reset();
        assert_int_equal(units_new(vmd_end, on_done, NULL, &u), 0);
        assert_int_equal(units_start(u, "ndvm", units, 2), 0);
        assert_int_equal(n_done, 0);  /* never from units_start() itself */
        run_until_done(1);
        assert_true(subscribed);
        assert_string_equal(started, "cairn-a.service cairn-svm-image@ndvm.service ");
        assert_string_equal(done_vm, "ndvm");
        assert_int_equal(done_r, 0);
        units_free(u);
}

static void test_unit_fails(void **state) {
        Units *u = NULL;
        char *units[] = { "cairn-a.service", "cairn-b.service", "cairn-c.service" };

        reset();
        fail_unit = "cairn-b.service";
        assert_int_equal(units_new(vmd_end, on_done, NULL, &u), 0);
        assert_int_equal(units_start(u, "uivm", units, 3), 0);
        run_until_done(1);
        assert_string_equal(started, "cairn-a.service cairn-b.service ");  /* c never started */
        assert_string_equal(done_vm, "uivm");
        assert_true(done_r < 0);
        assert_string_equal(done_error, "cairn-b.service failed (journalctl -u cairn-b.service)");

        /* StartUnit refused (no such unit). */
        reset();
        refuse_unit = "cairn-a.service";
        assert_int_equal(units_start(u, "uivm", units, 1), 0);
        run_until_done(1);
        assert_true(done_r < 0);
        assert_string_equal(done_error, "cairn-a.service cannot be started: Unit cairn-a.service not found.");
        units_free(u);
}

static void test_cancel_and_replace(void **state) {
        Units *u = NULL;
        char *units[] = { "cairn-a.service" };

        reset();
        assert_int_equal(units_new(vmd_end, on_done, NULL, &u), 0);
        assert_int_equal(units_start(u, "one", units, 1), 0);
        units_cancel(u, "one");
        assert_int_equal(units_start(u, "two", units, 1), 0);
        assert_int_equal(units_start(u, "two", units, 1), 0);  /* replaces the first "two" */
        run_until_done(1);
        for (int i = 0; i < 20; i++)
                (void) sd_event_run(event, 5 * 1000);
        assert_int_equal(n_done, 1);
        assert_string_equal(done_vm, "two");
        /* Freed with a request in flight: nothing reported, nothing leaked (ASan). */
        assert_int_equal(units_start(u, "three", units, 1), 0);
        (void) sd_event_run(event, 0);
        units_free(u);
        for (int i = 0; i < 20; i++)
                (void) sd_event_run(event, 5 * 1000);
        assert_int_equal(n_done, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units_in_order),
                cmocka_unit_test(test_unit_fails),
                cmocka_unit_test(test_cancel_and_replace),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
