/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hypervisor behind cairn-vmd.  libxl is the only production backend;
 * the unit tests plug a fake one in.  Every operation is asynchronous: it
 * returns at once, and its completion and every later change of the domain
 * come back through VmBackendEvents from the daemon's event loop. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "vmdef.h"

#define VM_DOMID_INVALID UINT32_MAX

typedef enum VmExit {
        VM_EXIT_POWEROFF,   /* the guest shut itself down */
        VM_EXIT_REBOOT,     /* the guest asked to reboot */
        VM_EXIT_CRASH,      /* the guest crashed */
        VM_EXIT_VANISHED,   /* destroyed from outside (xl destroy) or died without a reason */
        VM_EXIT_DESTROYED,  /* we destroyed it (Stop after the timeout) */
} VmExit;

typedef struct VmBackend VmBackend;

typedef struct VmBackendEvents {
        /* Create finished: r == 0 and the domain runs as domid, or r < 0. */
        void (*created)(void *userdata, const char *name, uint32_t domid, int r, const char *error);
        /* The domain is gone (and cleaned up by the backend). */
        void (*exited)(void *userdata, const char *name, uint32_t domid, VmExit how);
} VmBackendEvents;

typedef struct VmDomainInfo {
        uint32_t domid;
        uint8_t uuid[16];
        uint64_t memory_kib;
        unsigned vcpus;
} VmDomainInfo;

typedef struct VmBackendOps {
        /* Start creating a domain from def; completion through events->created. */
        int (*create)(VmBackend *b, const VmDef *def, const uint8_t uuid[16]);
        /* Ask the guest to shut down (PV shutdown / ACPI power button). */
        int (*shutdown)(VmBackend *b, uint32_t domid);
        /* Kill it now; events->exited(VM_EXIT_DESTROYED) follows. */
        int (*destroy)(VmBackend *b, uint32_t domid);
        /* Find a running domain by name (to adopt domains when the daemon
         * restarts); -ENOENT when there is none.  Starts watching it. */
        int (*lookup)(VmBackend *b, const char *name, VmDomainInfo *ret);
        void (*free)(VmBackend *b);
} VmBackendOps;

struct VmBackend {
        const VmBackendOps *ops;
        const VmBackendEvents *events;
        void *userdata;
};

/* The libxl backend, driven from `event` (osevent hooks and SIGCHLD via sd-event). */
int vm_backend_libxl_new(sd_event *event, VmBackend **ret);
