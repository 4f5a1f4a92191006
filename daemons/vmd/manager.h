/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM manager: one state machine per defined VM, the restart policy with
 * backoff, the autostart order.  Knows nothing of D-Bus or libxl. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "vmdef.h"

typedef enum VmState {
        VM_STATE_STOPPED,
        VM_STATE_STARTING,
        VM_STATE_RUNNING,
        VM_STATE_STOPPING,
        VM_STATE_CRASHED,
        VM_STATE_RESTARTING,
        VM_STATE_FAILED,
        _VM_STATE_MAX,
} VmState;

const char *vm_state_to_string(VmState s);

typedef struct Manager Manager;

typedef struct Vm {
        Manager *manager;
        VmDef *def;
        uint8_t uuid[16];
        VmState state;
        uint32_t domid;            /* VM_DOMID_INVALID when not running */
        unsigned failures;         /* crashes or failed starts in a row */
        uint64_t running_since;    /* CLOCK_MONOTONIC usec */
        bool stop_pending;         /* Stop while starting */
        bool preparing;            /* waiting for hooks->prepare (its requires= units) */
        bool restart_pending;      /* Restart: start again once stopped */
        VmDef *next_def;           /* a reloaded definition, used from the next start */
        bool removed;              /* no longer defined: goes once it is not running */
        sd_event_source *timer;    /* backoff before a restart, or the stop timeout */
        char *error;               /* why it last failed */
} Vm;

typedef struct ManagerHooks {
        /* state, domid or error changed */
        void (*state_changed)(Vm *vm, void *userdata);
        /* a status line for the console ("cairn: ndvm running") */
        void (*announce)(const char *line, void *userdata);
        /* Before each start of a VM whose definition has requires= lines: bring
         * those up, then call manager_prepared().  0: under way; <0: failed at once.
         * NULL: requires= is ignored. */
        int (*prepare)(Vm *vm, void *userdata);
} ManagerHooks;

struct Manager {
        sd_event *event;
        VmBackend *backend;
        Vm **vms;
        size_t n_vms;
        const ManagerHooks *hooks;
        void *userdata;
        uint64_t backoff_base_usec;  /* first restart delay; doubles per failure */
        uint64_t backoff_max_usec;
        uint64_t stable_usec;        /* running this long resets the failure count */
        Vm **autostart;              /* autostart VMs in order, started one after the other */
        size_t n_autostart;
        size_t autostart_next;
        bool autostart_waiting;
        sd_event_source *gc;         /* drops removed VMs once they stopped */
};

/* Takes ownership of defs (the array and the definitions) and of backend. */
int manager_new(sd_event *event, VmBackend *backend, VmDef **defs, size_t n_defs,
                const ManagerHooks *hooks, void *userdata, Manager **ret);
Manager *manager_free(Manager *m);
void manager_freep(Manager **m);

Vm *manager_find(Manager *m, const char *name);

/* Adopt domains that already run (the daemon was restarted). */
void manager_adopt(Manager *m);
/* Start autostart=yes VMs in `order`, each once the previous one runs (or failed). */
void manager_autostart(Manager *m);

/* New definitions (e.g. on SIGHUP; takes ownership of defs): new VMs appear,
 * stopped ones take their new definition at once, running ones at their next
 * start; VMs no longer defined disappear once they are not running.
 * Autostart is not re-run. */
void manager_reload(Manager *m, VmDef **defs, size_t n_defs);

/* -ESRCH: no such VM; -EBUSY: not in a state that allows it; other -errno: failed.
 * ret_error (optional) gets a sentence for the caller. */
int manager_start(Manager *m, Vm *vm, const char **ret_error);
int manager_stop(Manager *m, Vm *vm, const char **ret_error);
int manager_restart(Manager *m, Vm *vm, const char **ret_error);

/* What hooks->prepare started for VM `name` is done: r == 0, the domain is built
 * now; r < 0, the start failed because of `error` (restart policy applies). */
void manager_prepared(Manager *m, const char *name, int r, const char *error);

/* Is any VM in a transient state (for a clean daemon exit in tests)? */
bool manager_busy(Manager *m);
