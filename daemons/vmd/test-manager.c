/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's state machine, restart policy and autostart order, on a fake backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-backend.h"
#include "log.h"
#include "manager.h"

typedef struct Ctx {
        sd_event *event;
        FakeBackend *fake;
        Manager *m;
        char announced[4096];
        char transitions[4096];
        bool order_violated;
        unsigned n_prepares;       /* hooks->prepare calls */
        char prepared_vm[VMDEF_NAME_MAX + 1];
        int prepare_r;             /* what hooks->prepare returns */
} Ctx;

static void on_announce(const char *line, void *userdata) {
        Ctx *c = userdata;

        if (strlen(c->announced) + strlen(line) + 2 < sizeof(c->announced)) {
                strcat(c->announced, line);
                strcat(c->announced, "\n");
        }
}

static void on_state(Vm *vm, void *userdata) {
        Ctx *c = userdata;
        char item[80];

        snprintf(item, sizeof(item), "%s:%s ", vm->def->name, vm_state_to_string(vm->state));
        if (strlen(c->transitions) + strlen(item) + 1 < sizeof(c->transitions))
                strcat(c->transitions, item);
        /* Autostart order: uivm starts only once ndvm runs. */
        if (strcmp(vm->def->name, "uivm") == 0 && vm->state == VM_STATE_STARTING) {
                Vm *nd = manager_find(c->m, "ndvm");
                if (nd && nd->state != VM_STATE_RUNNING)
                        c->order_violated = true;
        }
}

static int on_prepare(Vm *vm, void *userdata) {
        Ctx *c = userdata;

        c->n_prepares++;
        snprintf(c->prepared_vm, sizeof(c->prepared_vm), "%s", vm->def->name);
        return c->prepare_r;
}

static const ManagerHooks hooks = {
        .state_changed = on_state,
        .announce = on_announce,
        .prepare = on_prepare,
};

static VmDef *def_from(const char *text) {
        VmDef *def = NULL;
        char *err = NULL;

        if (vmdef_parse("t.vm", NULL, text, strlen(text), &def, &err) < 0)
                fail_msg("bad test definition: %s", err);
        return def;
}

static Ctx *ctx_new(const char *const *texts, size_t n) {
        Ctx *c = calloc(1, sizeof(*c));
        VmDef **defs = calloc(n, sizeof(VmDef *));

        assert_non_null(c);
        assert_non_null(defs);
        for (size_t i = 0; i < n; i++)
                defs[i] = def_from(texts[i]);
        assert_int_equal(sd_event_new(&c->event), 0);
        assert_int_equal(fake_backend_new(c->event, &c->fake), 0);
        assert_int_equal(manager_new(c->event, &c->fake->base, defs, n, &hooks, c, &c->m), 0);
        c->m->backoff_base_usec = 20 * 1000;
        c->m->backoff_max_usec = 50 * 1000;
        return c;
}

static void ctx_free(Ctx *c) {
        /* Drain whatever the fake still has in flight. */
        for (int i = 0; i < 10; i++)
                (void) sd_event_run(c->event, 1000);
        manager_free(c->m);
        sd_event_unref(c->event);
        free(c);
}

static uint64_t now(Ctx *c) {
        uint64_t t;
        assert_int_equal(sd_event_now(c->event, CLOCK_MONOTONIC, &t) >= 0, 1);
        return t;
}

/* Run the loop until vm reaches state (or fail after timeout_ms). */
static void run_until(Ctx *c, Vm *vm, VmState state, unsigned timeout_ms) {
        uint64_t deadline;

        (void) sd_event_run(c->event, 0);
        deadline = now(c) + (uint64_t) timeout_ms * 1000;
        while (vm->state != state) {
                if (now(c) > deadline)
                        fail_msg("%s: still %s, wanted %s (transitions: %s)", vm->def->name,
                                 vm_state_to_string(vm->state), vm_state_to_string(state), c->transitions);
                assert_true(sd_event_run(c->event, 10 * 1000) >= 0);
        }
}

static void test_start_stop(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");
        const char *why = NULL;

        assert_non_null(vm);
        assert_null(manager_find(c->m, "b"));
        assert_int_equal(vm->state, VM_STATE_STOPPED);
        assert_int_equal(manager_stop(c->m, vm, &why), -EBUSY);
        assert_string_equal(why, "is not running");

        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        assert_int_equal(vm->state, VM_STATE_STARTING);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        assert_int_equal(vm->domid, 1);
        assert_int_equal(manager_start(c->m, vm, &why), -EBUSY);
        assert_string_equal(c->announced, "cairn: a running\n");

        assert_int_equal(manager_stop(c->m, vm, NULL), 0);
        assert_int_equal(vm->state, VM_STATE_STOPPING);
        run_until(c, vm, VM_STATE_STOPPED, 1000);
        assert_int_equal(vm->domid, VM_DOMID_INVALID);
        assert_int_equal(c->fake->n_shutdowns, 1);
        assert_int_equal(c->fake->n_destroys, 0);
        assert_string_equal(c->transitions, "a:starting a:running a:stopping a:stopped ");
        ctx_free(c);
}

static void test_stop_timeout(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nshutdown_timeout=1\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");
        uint64_t t0;

        c->fake->ignore_shutdown = true;
        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        t0 = now(c);
        assert_int_equal(manager_stop(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_STOPPED, 3000);
        assert_true(now(c) - t0 >= 1000 * 1000);
        assert_int_equal(c->fake->n_shutdowns, 1);
        assert_int_equal(c->fake->n_destroys, 1);
        assert_null(fake_backend_find(c->fake, "a"));
        ctx_free(c);
}

static void test_crash_backoff_give_up(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrestart=on-crash\nrestart_max=3\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");
        const uint64_t want_ms[] = { 20, 40, 50 };

        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 1000);

        for (unsigned i = 0; i < 3; i++) {
                uint64_t t0, waited;

                assert_int_equal(fake_backend_exit(c->fake, vm->domid, VM_EXIT_CRASH), 0);
                run_until(c, vm, VM_STATE_RESTARTING, 1000);
                t0 = now(c);
                assert_int_equal(vm->failures, i + 1);
                run_until(c, vm, VM_STATE_RUNNING, 1000);
                waited = (now(c) - t0) / 1000;
                /* the backoff doubles from 20 ms and is capped at 50 ms */
                if (waited + 2 < want_ms[i] || waited > want_ms[i] + 200)
                        fail_msg("restart %u after %" PRIu64 " ms, wanted %" PRIu64, i + 1, waited, want_ms[i]);
        }
        assert_int_equal(c->fake->n_creates, 4);

        /* The fourth crash in a row is one too many. */
        assert_int_equal(fake_backend_exit(c->fake, vm->domid, VM_EXIT_CRASH), 0);
        run_until(c, vm, VM_STATE_FAILED, 1000);
        assert_int_equal(c->fake->n_creates, 4);
        assert_non_null(strstr(c->announced, "cairn: a failed: crashed; gave up after 4 failures in a row\n"));
        assert_string_equal(vm->error, "crashed");

        /* A Start by hand clears the count and tries again. */
        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        assert_int_equal(vm->failures, 0);
        ctx_free(c);
}

static void test_crash_no_restart(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrestart=never\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        /* xl destroy from outside counts as a crash */
        assert_int_equal(fake_backend_exit(c->fake, vm->domid, VM_EXIT_VANISHED), 0);
        run_until(c, vm, VM_STATE_CRASHED, 1000);
        for (int i = 0; i < 5; i++)
                (void) sd_event_run(c->event, 10 * 1000);
        assert_int_equal(vm->state, VM_STATE_CRASHED);
        assert_int_equal(c->fake->n_creates, 1);
        assert_non_null(strstr(c->announced, "cairn: a failed: domain destroyed outside cairn-vmd\n"));
        ctx_free(c);
}

static void test_create_failures_retried(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrestart=on-crash\nrestart_max=5\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        c->fake->fail_creates = 2;
        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 2000);
        assert_int_equal(c->fake->n_creates, 3);
        assert_non_null(strstr(c->transitions, "a:starting a:restarting a:starting a:restarting a:starting a:running"));
        ctx_free(c);
}

static void test_create_failure_no_restart(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        c->fake->fail_creates = 1;
        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_FAILED, 1000);
        assert_string_equal(vm->error, "cannot create the domain: fake create failure");
        assert_string_equal(c->announced, "cairn: a failed: cannot create the domain: fake create failure\n");
        ctx_free(c);
}

static void test_guest_reboot_and_poweroff(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrestart=on-crash\nrestart_max=0\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");
        uint32_t first;

        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        first = vm->domid;
        /* A reboot is not a failure, even with restart_max=0. */
        assert_int_equal(fake_backend_exit(c->fake, vm->domid, VM_EXIT_REBOOT), 0);
        run_until(c, vm, VM_STATE_STARTING, 1000);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        assert_int_not_equal(vm->domid, first);
        assert_int_equal(vm->failures, 0);
        /* A poweroff from inside stops it for good with on-crash. */
        assert_int_equal(fake_backend_exit(c->fake, vm->domid, VM_EXIT_POWEROFF), 0);
        run_until(c, vm, VM_STATE_STOPPED, 1000);
        assert_int_equal(c->fake->n_creates, 2);
        ctx_free(c);
}

static void test_restart(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        assert_int_equal(manager_restart(c->m, vm, NULL), 0); /* stopped: just starts */
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        c->transitions[0] = 0;
        assert_int_equal(manager_restart(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_STARTING, 1000);
        run_until(c, vm, VM_STATE_RUNNING, 1000);
        assert_string_equal(c->transitions, "a:stopping a:restarting a:starting a:running ");
        assert_int_equal(vm->domid, 2);
        ctx_free(c);
}

static void test_stop_while_starting(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        c->fake->create_delay_usec = 20 * 1000;
        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        assert_int_equal(manager_stop(c->m, vm, NULL), 0);
        run_until(c, vm, VM_STATE_STOPPED, 1000);
        assert_string_equal(c->transitions, "a:starting a:running a:stopping a:stopped ");
        ctx_free(c);
}

/* requires=: the domain is built only once what it requires is up. */
static void test_requires_waits(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrequires=cairn-svm-image@a.service\n",
                               "name=b\nkernel=/k\n" };
        Ctx *c = ctx_new(defs, 2);
        Vm *a = manager_find(c->m, "a"), *b = manager_find(c->m, "b");

        assert_int_equal(a->def->n_requires, 1);
        assert_string_equal(a->def->requires[0], "cairn-svm-image@a.service");
        assert_int_equal(manager_start(c->m, b, NULL), 0);
        run_until(c, b, VM_STATE_RUNNING, 1000);
        assert_int_equal(c->n_prepares, 0);  /* nothing required: no hook */

        assert_int_equal(manager_start(c->m, a, NULL), 0);
        assert_int_equal(c->n_prepares, 1);
        assert_string_equal(c->prepared_vm, "a");
        for (int i = 0; i < 5; i++)
                (void) sd_event_run(c->event, 10 * 1000);
        assert_int_equal(a->state, VM_STATE_STARTING);
        assert_null(fake_backend_find(c->fake, "a"));
        manager_prepared(c->m, "a", 0, NULL);
        run_until(c, a, VM_STATE_RUNNING, 1000);
        assert_non_null(fake_backend_find(c->fake, "a"));
        /* A late or stray report changes nothing. */
        manager_prepared(c->m, "a", -EIO, "late");
        manager_prepared(c->m, "nosuchvm", 0, NULL);
        assert_int_equal(a->state, VM_STATE_RUNNING);
        ctx_free(c);
}

static void test_requires_failed(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrequires=cairn-x.service\nrestart=never\n",
                               "name=r\nkernel=/k\nrequires=cairn-y.service\nrestart=on-crash\nrestart_max=1\n" };
        Ctx *c = ctx_new(defs, 2);
        Vm *a = manager_find(c->m, "a"), *r = manager_find(c->m, "r");

        assert_int_equal(manager_start(c->m, a, NULL), 0);
        manager_prepared(c->m, "a", -EIO, "cairn-x.service failed (journalctl -u cairn-x.service)");
        assert_int_equal(a->state, VM_STATE_FAILED);
        assert_string_equal(a->error, "cairn-x.service failed (journalctl -u cairn-x.service)");
        assert_non_null(strstr(c->announced, "cairn: a failed: cairn-x.service failed"));
        assert_null(fake_backend_find(c->fake, "a"));

        /* With a restart policy the start is tried again (the unit with it), then given up. */
        assert_int_equal(manager_start(c->m, r, NULL), 0);
        manager_prepared(c->m, "r", -EIO, "cairn-y.service failed");
        assert_int_equal(r->state, VM_STATE_RESTARTING);
        run_until(c, r, VM_STATE_STARTING, 1000);
        assert_int_equal(c->n_prepares, 3);
        manager_prepared(c->m, "r", -EIO, "cairn-y.service failed");
        assert_int_equal(r->state, VM_STATE_FAILED);
        assert_non_null(strstr(c->announced, "cairn: r failed: cairn-y.service failed; gave up after 2 failures"));

        /* The hook itself failing fails the start at once. */
        c->prepare_r = -ENOTCONN;
        assert_int_equal(manager_start(c->m, a, NULL), -ENOTCONN);
        assert_int_equal(a->state, VM_STATE_FAILED);
        assert_non_null(strstr(a->error, "cannot start what it requires"));
        ctx_free(c);
}

static void test_stop_while_preparing(void **state) {
        const char *defs[] = { "name=a\nkernel=/k\nrequires=cairn-x.service\n" };
        Ctx *c = ctx_new(defs, 1);
        Vm *vm = manager_find(c->m, "a");

        assert_int_equal(manager_start(c->m, vm, NULL), 0);
        assert_int_equal(manager_stop(c->m, vm, NULL), 0);
        manager_prepared(c->m, "a", 0, NULL);
        assert_int_equal(vm->state, VM_STATE_STOPPED);
        assert_int_equal(c->fake->n_creates, 0);
        assert_string_equal(c->transitions, "a:starting a:stopped ");
        ctx_free(c);
}

static void test_autostart_order(void **state) {
        const char *defs[] = {
                "name=uivm\nkernel=/k\nautostart=yes\norder=20\n",
                "name=extra\nkernel=/k\n",
                "name=ndvm\nkernel=/k\nautostart=yes\norder=10\n",
                "name=late\nkernel=/k\nautostart=yes\norder=30\n",
        };
        Ctx *c = ctx_new(defs, 4);

        c->fake->create_delay_usec = 10 * 1000;
        c->fake->fail_creates = 0;
        manager_autostart(c->m);
        run_until(c, manager_find(c->m, "late"), VM_STATE_RUNNING, 2000);
        assert_string_equal(c->fake->create_log, "ndvm uivm late");
        assert_false(c->order_violated);
        assert_int_equal(manager_find(c->m, "extra")->state, VM_STATE_STOPPED);
        assert_string_equal(c->announced, "cairn: ndvm running\ncairn: uivm running\ncairn: late running\n");
        ctx_free(c);
}

static void test_autostart_continues_after_failure(void **state) {
        const char *defs[] = {
                "name=ndvm\nkernel=/k\nautostart=yes\norder=10\n",
                "name=uivm\nkernel=/k\nautostart=yes\norder=20\n",
        };
        Ctx *c = ctx_new(defs, 2);

        c->fake->fail_creates = 1;
        manager_autostart(c->m);
        run_until(c, manager_find(c->m, "uivm"), VM_STATE_RUNNING, 2000);
        assert_int_equal(manager_find(c->m, "ndvm")->state, VM_STATE_FAILED);
        ctx_free(c);
}

static void test_adopt(void **state) {
        const char *defs[] = {
                "name=ndvm\nkernel=/k\nautostart=yes\norder=10\n",
                "name=uivm\nkernel=/k\nautostart=yes\norder=20\n",
        };
        Ctx *c = ctx_new(defs, 2);
        Vm *nd = manager_find(c->m, "ndvm");

        fake_backend_add_running(c->fake, "ndvm", 7);
        manager_adopt(c->m);
        assert_int_equal(nd->state, VM_STATE_RUNNING);
        assert_int_equal(nd->domid, 7);
        assert_int_equal(nd->uuid[0], 0xaa);
        manager_autostart(c->m);
        run_until(c, manager_find(c->m, "uivm"), VM_STATE_RUNNING, 1000);
        assert_string_equal(c->fake->create_log, "uivm");
        assert_int_equal(manager_find(c->m, "uivm")->domid, 8);
        ctx_free(c);
}

static VmDef **defs_from(const char *const *texts, size_t n) {
        VmDef **defs = calloc(n, sizeof(VmDef *));

        assert_non_null(defs);
        for (size_t i = 0; i < n; i++)
                defs[i] = def_from(texts[i]);
        return defs;
}

static void test_reload(void **state) {
        const char *before[] = {
                "name=keep\nkernel=/k\nmemory=100\n",
                "name=gone\nkernel=/k\n",
                "name=busy\nkernel=/k\nmemory=100\n",
                "name=leaving\nkernel=/k\nrestart=on-crash\n",
        };
        const char *after[] = {
                "name=keep\nkernel=/k\nmemory=200\n",
                "name=busy\nkernel=/k\nmemory=300\n",
                "name=new\nkernel=/k\n",
        };
        Ctx *c = ctx_new(before, 4);
        Vm *busy = manager_find(c->m, "busy"), *leaving = manager_find(c->m, "leaving");

        assert_int_equal(manager_start(c->m, busy, NULL), 0);
        assert_int_equal(manager_start(c->m, leaving, NULL), 0);
        run_until(c, busy, VM_STATE_RUNNING, 1000);
        run_until(c, leaving, VM_STATE_RUNNING, 1000);

        manager_reload(c->m, defs_from(after, 3), 3);
        for (int i = 0; i < 3; i++)
                (void) sd_event_run(c->event, 1000);

        /* stopped and redefined: new definition at once; stopped and gone: removed */
        assert_int_equal(manager_find(c->m, "keep")->def->memory_mib, 200);
        assert_null(manager_find(c->m, "gone"));
        assert_non_null(manager_find(c->m, "new"));
        assert_int_equal(manager_find(c->m, "new")->state, VM_STATE_STOPPED);
        /* running and redefined: the old one until the next start */
        assert_int_equal(busy->def->memory_mib, 100);
        assert_int_equal(busy->state, VM_STATE_RUNNING);
        /* running and gone: stays until it stops, and is not restarted after a crash */
        assert_ptr_equal(manager_find(c->m, "leaving"), leaving);
        assert_int_equal(leaving->state, VM_STATE_RUNNING);
        assert_int_equal(c->m->n_vms, 4);

        assert_int_equal(manager_restart(c->m, busy, NULL), 0);
        run_until(c, busy, VM_STATE_STARTING, 1000);
        assert_int_equal(busy->def->memory_mib, 300);
        run_until(c, busy, VM_STATE_RUNNING, 1000);

        assert_int_equal(fake_backend_exit(c->fake, leaving->domid, VM_EXIT_CRASH), 0);
        for (int i = 0; i < 20 && manager_find(c->m, "leaving"); i++)
                (void) sd_event_run(c->event, 10 * 1000);
        assert_null(manager_find(c->m, "leaving"));
        assert_int_equal(c->m->n_vms, 3);
        assert_int_equal(c->fake->n_creates, 3); /* busy, leaving, busy again: no restart of leaving */
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_stop),
                cmocka_unit_test(test_stop_timeout),
                cmocka_unit_test(test_crash_backoff_give_up),
                cmocka_unit_test(test_crash_no_restart),
                cmocka_unit_test(test_create_failures_retried),
                cmocka_unit_test(test_create_failure_no_restart),
                cmocka_unit_test(test_guest_reboot_and_poweroff),
                cmocka_unit_test(test_restart),
                cmocka_unit_test(test_stop_while_starting),
                cmocka_unit_test(test_requires_waits),
                cmocka_unit_test(test_requires_failed),
                cmocka_unit_test(test_stop_while_preparing),
                cmocka_unit_test(test_autostart_order),
                cmocka_unit_test(test_autostart_continues_after_failure),
                cmocka_unit_test(test_adopt),
                cmocka_unit_test(test_reload),
        };

        log_set_max_level(getenv("VMD_TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
