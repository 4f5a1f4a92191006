/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a VM requires before it starts (its definition's requires= lines): systemd
 * units that cairn-vmd starts through systemd's D-Bus API and waits for, e.g. the
 * unit that opens a service VM's image through dm-verity only when that VM starts. */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

typedef struct Units Units;

/* All units of `vm` are active (r == 0), or one failed (r < 0, error says which
 * and how).  Called from the event loop, never from units_start() itself. */
typedef void (*units_done_t)(const char *vm, int r, const char *error, void *userdata);

int units_new(sd_bus *bus, units_done_t done, void *userdata, Units **ret);
Units *units_free(Units *u);

/* Start each unit in turn (job mode "replace"), each once the previous one's job
 * finished.  One request per VM at a time: a new one replaces the old one, whose
 * completion is then not reported. */
int units_start(Units *u, const char *vm, char *const *units, size_t n);

/* Forget vm's request without reporting it (units_start() does this to replace
 * one; nothing else calls it yet: a VM stopped while it waits is settled by the
 * manager when the report comes). */
void units_cancel(Units *u, const char *vm);
