/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM state machine, restart policy with backoff, autostart order. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "log.h"
#include "manager.h"

static const char *const vm_state_table[_VM_STATE_MAX] = {
        [VM_STATE_STOPPED] = "stopped",
        [VM_STATE_STARTING] = "starting",
        [VM_STATE_RUNNING] = "running",
        [VM_STATE_STOPPING] = "stopping",
        [VM_STATE_CRASHED] = "crashed",
        [VM_STATE_RESTARTING] = "restarting",
        [VM_STATE_FAILED] = "failed",
};

const char *vm_state_to_string(VmState s) {
        return s >= 0 && s < _VM_STATE_MAX ? vm_state_table[s] : NULL;
}

static uint64_t now_usec(Manager *m) {
        uint64_t t = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static void vm_notify(Vm *vm) {
        Manager *m = vm->manager;

        if (m->hooks && m->hooks->state_changed)
                m->hooks->state_changed(vm, m->userdata);
}

static void _printf_(2, 3) manager_announce(Manager *m, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        log_notice("%s", line);
        if (m->hooks && m->hooks->announce)
                m->hooks->announce(line, m->userdata);
}

static bool vm_settled(const Vm *vm) {
        return vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_CRASHED || vm->state == VM_STATE_FAILED;
}

static void manager_schedule_gc(Manager *m);

static void vm_set_state(Vm *vm, VmState s) {
        if (vm->state == s)
                return;
        log_info("%s: %s -> %s (domid %" PRId64 ")", vm->def->name, vm_state_to_string(vm->state),
                 vm_state_to_string(s), vm->domid == VM_DOMID_INVALID ? (int64_t) -1 : (int64_t) vm->domid);
        vm->state = s;
        vm_notify(vm);
        if (vm->removed && vm_settled(vm))
                manager_schedule_gc(vm->manager);
}

static void vm_set_error(Vm *vm, const char *error) {
        char *e = error ? strdup(error) : NULL;

        free(vm->error);
        vm->error = e;
}

static void vm_cancel_timer(Vm *vm) {
        vm->timer = sd_event_source_disable_unref(vm->timer);
}

static void manager_autostart_continue(Manager *m);

/* The current autostart VM settled (running, failed or given up): start the next one. */
static void manager_autostart_settled(Manager *m, Vm *vm) {
        if (!m->autostart_waiting || m->autostart_next == 0 ||
            m->autostart[m->autostart_next - 1] != vm)
                return;
        m->autostart_waiting = false;
        manager_autostart_continue(m);
}

static int vm_do_start(Vm *vm);
static int vm_do_create(Vm *vm);

static int vm_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Vm *vm = userdata;

        vm_cancel_timer(vm);
        if (vm->state != VM_STATE_RESTARTING)
                return 0;
        (void) vm_do_start(vm);
        return 0;
}

/* A failure (crash or failed start): restart with backoff, or give up. */
static void vm_failed(Vm *vm, const char *why) {
        Manager *m = vm->manager;
        uint64_t delay;
        int r;

        vm_set_error(vm, why);
        vm->domid = VM_DOMID_INVALID;

        if (vm->def->restart == VM_RESTART_NEVER || vm->removed) {
                vm_set_state(vm, vm->state == VM_STATE_STARTING ? VM_STATE_FAILED : VM_STATE_CRASHED);
                manager_announce(m, "cairn: %s failed: %s", vm->def->name, why);
                manager_autostart_settled(m, vm);
                return;
        }

        vm->failures++;
        if (vm->failures > vm->def->restart_max) {
                vm_set_state(vm, VM_STATE_FAILED);
                manager_announce(m, "cairn: %s failed: %s; gave up after %u failures in a row",
                                 vm->def->name, why, vm->failures);
                manager_autostart_settled(m, vm);
                return;
        }

        delay = m->backoff_base_usec;
        for (unsigned i = 1; i < vm->failures && delay < m->backoff_max_usec; i++)
                delay *= 2;
        delay = MIN(delay, m->backoff_max_usec);

        vm_set_state(vm, VM_STATE_RESTARTING);
        log_warning("%s: %s; restart %u of %u in %" PRIu64 " ms", vm->def->name, why, vm->failures,
                    vm->def->restart_max, delay / 1000);

        vm_cancel_timer(vm);
        r = sd_event_add_time_relative(m->event, &vm->timer, CLOCK_MONOTONIC, delay, 1000,
                                       vm_restart_timer, vm);
        if (r < 0) {
                log_error_errno(r, "%s: cannot arm the restart timer: %m", vm->def->name);
                vm_set_state(vm, VM_STATE_FAILED);
                manager_announce(m, "cairn: %s failed: %s", vm->def->name, why);
                manager_autostart_settled(m, vm);
        }
}

static int vm_do_start(Vm *vm) {
        Manager *m = vm->manager;
        int r;

        vm->domid = VM_DOMID_INVALID;
        if (vm->removed) {
                /* Its definition is gone: no more starts. */
                vm_cancel_timer(vm);
                vm_set_state(vm, VM_STATE_STOPPED);
                return -ESRCH;
        }
        if (vm->next_def) {
                log_info("%s: starting with the reloaded definition", vm->next_def->name);
                vmdef_free(vm->def);
                vm->def = TAKE_PTR(vm->next_def);
        }
        vm->stop_pending = false;
        vm_set_state(vm, VM_STATE_STARTING);
        if (vm->def->n_requires > 0 && m->hooks && m->hooks->prepare) {
                r = m->hooks->prepare(vm, m->userdata);
                if (r < 0) {
                        _cleanup_free_ char *why = NULL;

                        if (asprintf(&why, "cannot start what it requires: %s", strerror(-r)) < 0)
                                why = NULL;
                        vm_failed(vm, why ?: "cannot start what it requires");
                        return r;
                }
                vm->preparing = true;
                return 0;
        }
        return vm_do_create(vm);
}

void manager_prepared(Manager *m, const char *name, int r, const char *error) {
        Vm *vm = manager_find(m, name);

        if (!vm || !vm->preparing || vm->state != VM_STATE_STARTING) {
                log_debug("%s: preparation finished, nothing waits for it", name);
                return;
        }
        vm->preparing = false;
        if (vm->stop_pending || vm->removed) {
                vm->stop_pending = false;
                vm_set_state(vm, VM_STATE_STOPPED);
                manager_announce(m, "cairn: %s stopped", vm->def->name);
                manager_autostart_settled(m, vm);
                return;
        }
        if (r < 0) {
                vm_failed(vm, error ?: strerror(-r));
                return;
        }
        (void) vm_do_create(vm);
}

static int vm_do_create(Vm *vm) {
        Manager *m = vm->manager;
        int r;

        r = m->backend->ops->create(m->backend, vm->def, vm->uuid);
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                if (asprintf(&why, "cannot create the domain: %s", strerror(-r)) < 0)
                        why = NULL;
                vm_failed(vm, why ?: "cannot create the domain");
                return r;
        }
        return 0;
}

static void backend_created(void *userdata, const char *name, uint32_t domid, int r, const char *error) {
        Manager *m = userdata;
        Vm *vm = manager_find(m, name);

        if (!vm || vm->state != VM_STATE_STARTING) {
                log_warning("%s: creation finished in an unexpected state", name);
                return;
        }
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                if (asprintf(&why, "cannot create the domain: %s", error ?: strerror(-r)) < 0)
                        why = NULL;
                vm_failed(vm, why ?: "cannot create the domain");
                return;
        }

        vm->domid = domid;
        vm->running_since = now_usec(m);
        vm_set_error(vm, NULL);
        vm_set_state(vm, VM_STATE_RUNNING);
        manager_announce(m, "cairn: %s running", vm->def->name);
        manager_autostart_settled(m, vm);

        if (vm->stop_pending) {
                vm->stop_pending = false;
                (void) manager_stop(m, vm, NULL);
        }
}

static void backend_exited(void *userdata, const char *name, uint32_t domid, VmExit how) {
        Manager *m = userdata;
        Vm *vm = manager_find(m, name);
        bool stable;

        if (!vm || vm->domid != domid) {
                log_debug("%s: domain %" PRIu32 " exited, not ours", name, domid);
                return;
        }
        vm_cancel_timer(vm);
        stable = now_usec(m) - vm->running_since >= m->stable_usec;
        if (stable)
                vm->failures = 0;

        if (vm->state == VM_STATE_STOPPING) {
                vm->domid = VM_DOMID_INVALID;
                if (vm->restart_pending) {
                        vm->restart_pending = false;
                        vm->failures = 0;
                        vm_set_state(vm, VM_STATE_RESTARTING);
                        (void) vm_do_start(vm);
                        return;
                }
                vm_set_state(vm, VM_STATE_STOPPED);
                manager_announce(m, "cairn: %s stopped", vm->def->name);
                return;
        }

        switch (how) {
        case VM_EXIT_POWEROFF:
                vm->domid = VM_DOMID_INVALID;
                if (vm->def->restart == VM_RESTART_ALWAYS) {
                        vm_failed(vm, "powered off");
                        return;
                }
                vm_set_state(vm, VM_STATE_STOPPED);
                manager_announce(m, "cairn: %s stopped", vm->def->name);
                return;
        case VM_EXIT_REBOOT:
                /* The guest asked for it: start again at once, not a failure. */
                vm->domid = VM_DOMID_INVALID;
                vm_set_state(vm, VM_STATE_RESTARTING);
                (void) vm_do_start(vm);
                return;
        case VM_EXIT_CRASH:
                vm_failed(vm, "crashed");
                return;
        case VM_EXIT_VANISHED:
                vm_failed(vm, "domain destroyed outside cairn-vmd");
                return;
        case VM_EXIT_DESTROYED:
        default:
                vm->domid = VM_DOMID_INVALID;
                vm_set_state(vm, VM_STATE_STOPPED);
                return;
        }
}

static const VmBackendEvents manager_backend_events = {
        .created = backend_created,
        .exited = backend_exited,
};

static Vm *vm_free(Vm *vm) {
        if (!vm)
                return NULL;
        vm_cancel_timer(vm);
        vmdef_free(vm->def);
        vmdef_free(vm->next_def);
        free(vm->error);
        free(vm);
        return NULL;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_vms; i++)
                vm_free(m->vms[i]);
        free(m->vms);
        free(m->autostart);
        sd_event_source_disable_unref(m->gc);
        if (m->backend)
                m->backend->ops->free(m->backend);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

void manager_freep(Manager **m) {
        if (*m)
                *m = manager_free(*m);
}

int manager_new(sd_event *event, VmBackend *backend, VmDef **defs, size_t n_defs,
                const ManagerHooks *hooks, void *userdata, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;

        m = calloc(1, sizeof(*m));
        if (!m) {
                backend->ops->free(backend);
                vmdef_free_many(defs, n_defs);
                return -ENOMEM;
        }
        m->event = sd_event_ref(event);
        m->backend = backend;
        backend->events = &manager_backend_events;
        backend->userdata = m;
        m->hooks = hooks;
        m->userdata = userdata;
        m->backoff_base_usec = 1000 * 1000;
        m->backoff_max_usec = 60 * 1000 * 1000;
        m->stable_usec = 60 * 1000 * 1000;

        m->vms = calloc(n_defs ?: 1, sizeof(Vm *));
        if (!m->vms) {
                vmdef_free_many(defs, n_defs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_defs; i++) {
                Vm *vm = calloc(1, sizeof(*vm));
                sd_id128_t id;

                if (!vm) {
                        for (size_t j = i; j < n_defs; j++)
                                vmdef_free(defs[j]);
                        free(defs);
                        return -ENOMEM;
                }
                vm->manager = m;
                vm->def = defs[i];
                vm->state = VM_STATE_STOPPED;
                vm->domid = VM_DOMID_INVALID;
                if (sd_id128_randomize(&id) >= 0)
                        memcpy(vm->uuid, id.bytes, 16);
                m->vms[m->n_vms++] = vm;
        }
        free(defs);

        *ret = TAKE_PTR(m);
        return 0;
}

Vm *manager_find(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_vms; i++)
                if (strcmp(m->vms[i]->def->name, name) == 0)
                        return m->vms[i];
        return NULL;
}

void manager_adopt(Manager *m) {
        for (size_t i = 0; i < m->n_vms; i++) {
                Vm *vm = m->vms[i];
                VmDomainInfo info;
                int r;

                if (!m->backend->ops->lookup)
                        return;
                r = m->backend->ops->lookup(m->backend, vm->def->name, &info);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        log_warning_errno(r, "%s: cannot look for a running domain: %m", vm->def->name);
                        continue;
                }
                vm->domid = info.domid;
                memcpy(vm->uuid, info.uuid, 16);
                vm->running_since = now_usec(m);
                log_notice("%s: already running as domain %" PRIu32 ", adopted", vm->def->name, info.domid);
                vm_set_state(vm, VM_STATE_RUNNING);
        }
}

static int cmp_autostart(const void *a, const void *b) {
        const Vm *x = *(Vm *const *) a, *y = *(Vm *const *) b;

        if (x->def->order != y->def->order)
                return x->def->order < y->def->order ? -1 : 1;
        return strcmp(x->def->name, y->def->name);
}

static void manager_autostart_continue(Manager *m) {
        while (m->autostart_next < m->n_autostart) {
                Vm *vm = m->autostart[m->autostart_next++];

                if (vm->state != VM_STATE_STOPPED)
                        continue; /* adopted, or started by hand already */
                log_info("autostart: %s (order %" PRId64 ")", vm->def->name, vm->def->order);
                m->autostart_waiting = true;
                (void) vm_do_start(vm);
                if (vm->state == VM_STATE_STARTING || vm->state == VM_STATE_RESTARTING)
                        return; /* continue once it settles */
                m->autostart_waiting = false;
        }
}

void manager_autostart(Manager *m) {
        free(m->autostart);
        m->autostart = calloc(m->n_vms ?: 1, sizeof(Vm *));
        m->n_autostart = 0;
        m->autostart_next = 0;
        if (!m->autostart) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < m->n_vms; i++)
                if (m->vms[i]->def->autostart)
                        m->autostart[m->n_autostart++] = m->vms[i];
        qsort(m->autostart, m->n_autostart, sizeof(Vm *), cmp_autostart);
        manager_autostart_continue(m);
}

int manager_start(Manager *m, Vm *vm, const char **ret_error) {
        switch (vm->state) {
        case VM_STATE_STOPPED:
        case VM_STATE_CRASHED:
        case VM_STATE_FAILED:
                break;
        case VM_STATE_RESTARTING:
                /* Waiting out a backoff: start now. */
                vm_cancel_timer(vm);
                break;
        default:
                if (ret_error)
                        *ret_error = "is already running or starting";
                return -EBUSY;
        }
        vm->failures = 0;
        return vm_do_start(vm);
}

static int vm_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Vm *vm = userdata;
        Manager *m = vm->manager;
        int r;

        vm_cancel_timer(vm);
        if (vm->state != VM_STATE_STOPPING)
                return 0;
        log_warning("%s: did not shut down within %u s, destroying it", vm->def->name,
                    vm->def->shutdown_timeout);
        r = m->backend->ops->destroy(m->backend, vm->domid);
        if (r < 0)
                log_error_errno(r, "%s: cannot destroy domain %" PRIu32 ": %m", vm->def->name, vm->domid);
        return 0;
}

int manager_stop(Manager *m, Vm *vm, const char **ret_error) {
        int r;

        switch (vm->state) {
        case VM_STATE_RUNNING:
                break;
        case VM_STATE_STARTING:
                vm->stop_pending = true;
                return 0;
        case VM_STATE_RESTARTING:
                if (vm->domid == VM_DOMID_INVALID) {
                        vm_cancel_timer(vm);
                        vm->restart_pending = false;
                        vm_set_state(vm, VM_STATE_STOPPED);
                        return 0;
                }
                break;
        case VM_STATE_CRASHED:
        case VM_STATE_FAILED:
                vm_set_state(vm, VM_STATE_STOPPED);
                return 0;
        case VM_STATE_STOPPING:
                vm->restart_pending = false;
                return 0;
        default:
                if (ret_error)
                        *ret_error = "is not running";
                return -EBUSY;
        }

        vm_set_state(vm, VM_STATE_STOPPING);
        vm_cancel_timer(vm);
        r = sd_event_add_time_relative(m->event, &vm->timer, CLOCK_MONOTONIC,
                                       (uint64_t) vm->def->shutdown_timeout * 1000 * 1000, 1000,
                                       vm_stop_timeout, vm);
        if (r < 0)
                log_warning_errno(r, "%s: cannot arm the shutdown timeout: %m", vm->def->name);

        r = m->backend->ops->shutdown(m->backend, vm->domid);
        if (r < 0) {
                log_warning_errno(r, "%s: clean shutdown refused (%m), destroying domain %" PRIu32,
                                  vm->def->name, vm->domid);
                r = m->backend->ops->destroy(m->backend, vm->domid);
                if (r < 0) {
                        if (ret_error)
                                *ret_error = "could be neither shut down nor destroyed";
                        return r;
                }
        }
        return 0;
}

int manager_restart(Manager *m, Vm *vm, const char **ret_error) {
        switch (vm->state) {
        case VM_STATE_RUNNING:
                vm->restart_pending = true;
                return manager_stop(m, vm, ret_error);
        case VM_STATE_STOPPING:
                vm->restart_pending = true;
                return 0;
        case VM_STATE_STARTING:
                if (ret_error)
                        *ret_error = "is starting";
                return -EBUSY;
        default:
                return manager_start(m, vm, ret_error);
        }
}

static int manager_gc(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        size_t j = 0;

        m->gc = sd_event_source_disable_unref(m->gc);
        for (size_t i = 0; i < m->n_vms; i++) {
                Vm *vm = m->vms[i];

                if (!(vm->removed && vm_settled(vm))) {
                        m->vms[j++] = vm;
                        continue;
                }
                log_info("%s: no longer defined, removed", vm->def->name);
                /* Not in the autostart queue any more either. */
                for (size_t k = 0; k < m->n_autostart; k++)
                        if (m->autostart[k] == vm) {
                                memmove(m->autostart + k, m->autostart + k + 1,
                                        (m->n_autostart - k - 1) * sizeof(Vm *));
                                m->n_autostart--;
                                if (m->autostart_next > k)
                                        m->autostart_next--;
                                break;
                        }
                vm_free(vm);
        }
        m->n_vms = j;
        return 0;
}

static void manager_schedule_gc(Manager *m) {
        int r;

        if (m->gc)
                return;
        r = sd_event_add_defer(m->event, &m->gc, manager_gc, m);
        if (r < 0)
                log_warning_errno(r, "Cannot schedule the removal of undefined VMs: %m");
}

void manager_reload(Manager *m, VmDef **defs, size_t n_defs) {
        Vm **vms;

        vms = realloc(m->vms, (m->n_vms + n_defs + 1) * sizeof(Vm *));
        if (!vms) {
                log_oom();
                vmdef_free_many(defs, n_defs);
                return;
        }
        m->vms = vms;

        for (size_t i = 0; i < m->n_vms; i++)
                m->vms[i]->removed = true;
        for (size_t i = 0; i < n_defs; i++) {
                Vm *vm = manager_find(m, defs[i]->name);
                sd_id128_t id;

                if (vm) {
                        vm->removed = false;
                        vmdef_free(vm->next_def);
                        vm->next_def = NULL;
                        if (vm_settled(vm)) {
                                vmdef_free(vm->def);
                                vm->def = defs[i];
                        } else
                                vm->next_def = defs[i];
                        continue;
                }
                vm = calloc(1, sizeof(*vm));
                if (!vm) {
                        log_oom();
                        vmdef_free(defs[i]);
                        continue;
                }
                vm->manager = m;
                vm->def = defs[i];
                vm->state = VM_STATE_STOPPED;
                vm->domid = VM_DOMID_INVALID;
                if (sd_id128_randomize(&id) >= 0)
                        memcpy(vm->uuid, id.bytes, 16);
                m->vms[m->n_vms++] = vm;
                log_info("%s: new definition %s", vm->def->name, vm->def->path);
        }
        free(defs);

        for (size_t i = 0; i < m->n_vms; i++) {
                Vm *vm = m->vms[i];

                if (!vm->removed)
                        continue;
                if (vm->state == VM_STATE_RESTARTING && vm->domid == VM_DOMID_INVALID) {
                        vm_cancel_timer(vm);
                        vm_set_state(vm, VM_STATE_STOPPED);
                } else if (vm_settled(vm))
                        manager_schedule_gc(m);
                else
                        log_notice("%s: no longer defined; removed once it stops", vm->def->name);
        }
}

bool manager_busy(Manager *m) {
        for (size_t i = 0; i < m->n_vms; i++)
                if (m->vms[i]->state == VM_STATE_STARTING || m->vms[i]->state == VM_STATE_STOPPING)
                        return true;
        return false;
}
