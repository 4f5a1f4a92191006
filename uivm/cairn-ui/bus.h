/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sd-bus client: org.cairn.VMManager1 and org.cairn.Network1 (and Console1 for
 * switch-to) through one connection to --bus.  Everything is asynchronous; a lost
 * connection or a vanished service is retried with backoff (0.25 s doubling to 8 s)
 * and picked up at once when the service reappears (NameOwnerChanged). */
#pragma once

#include <systemd/sd-event.h>

#include "model.h"
#include "ui.h"

#define CBUS_DEFAULT_ADDRESS "unix:path=/run/cairn/rpc/dom0.sock"

typedef struct cbus_ops {
        void (*changed)(void *userdata);        /* the model changed */
        void (*state_signal)(void *userdata);   /* a StateChanged signal arrived (changed() follows) */
} cbus_ops;

typedef struct cbus cbus;

int cbus_new(sd_event *e, const char *address, model *m, const cbus_ops *ops, void *userdata, cbus **ret);
cbus *cbus_free(cbus *b);
/* Send Start/Stop (VMManager1) or Focus (Console1); the outcome lands in m->notice. */
int cbus_action(cbus *b, const ui_action *a);

/* Next retry delay in microseconds after `prev` (0 = first). */
uint64_t cbus_backoff_next(uint64_t prev);
/* The same after AccessDenied from dom0's RPC rules: 30 s, doubling, at most 10 min. */
uint64_t cbus_backoff_denied_next(uint64_t prev);
