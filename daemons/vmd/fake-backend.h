/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An in-memory hypervisor for the unit tests: domains are entries in a table,
 * completions and exits are delivered from the event loop like libxl's. */
#pragma once

#include <stdbool.h>

#include "backend.h"

#define FAKE_DOMAINS_MAX 64

typedef struct FakeDomain {
        bool alive;
        uint32_t domid;
        char name[VMDEF_NAME_MAX + 1];
} FakeDomain;

typedef struct FakeBackend {
        VmBackend base;
        sd_event *event;
        uint32_t next_domid;
        FakeDomain domains[FAKE_DOMAINS_MAX];
        unsigned n_creates;
        unsigned n_shutdowns;
        unsigned n_destroys;
        char create_log[512];      /* names in creation order, space separated */
        unsigned fail_creates;     /* that many creates fail (asynchronously) */
        bool ignore_shutdown;      /* guests that do not react to a shutdown request */
        uint64_t create_delay_usec;
} FakeBackend;

int fake_backend_new(sd_event *event, FakeBackend **ret);
/* Pretend a domain already runs (to test adoption). */
void fake_backend_add_running(FakeBackend *b, const char *name, uint32_t domid);
/* Make a running domain crash (how: VM_EXIT_CRASH, _VANISHED, _POWEROFF, _REBOOT). */
int fake_backend_exit(FakeBackend *b, uint32_t domid, VmExit how);
FakeDomain *fake_backend_find(FakeBackend *b, const char *name);
