/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.cairn.Console1 on dom0's system bus (see org.cairn.Console1.xml). */
#pragma once

#include <systemd/sd-bus.h>

#include "console.h"
#include "latency.h"

#define CONSOLE_BUS_NAME "org.cairn.Console1"
#define CONSOLE_BUS_PATH "/org/cairn/Console1"
#define CONSOLE_BUS_INTERFACE "org.cairn.Console1"
#define CONSOLE_BUS_ERROR_NO_SUCH_VM "org.cairn.Error.NoSuchVM"
#define CONSOLE_BUS_ERROR_LOCKED "org.cairn.Error.Locked"
#define CONSOLE_BUS_ERROR_NO_PASSPHRASE "org.cairn.Error.NoPassphrase"

/* Serve c, and the input latency figures the caller keeps, on bus (the caller
 * requests the name). */
int console_bus_attach(sd_bus *bus, Console *c, InputLatency *latency, FrameStats *frames);
/* Emit FocusChanged and PropertiesChanged(Focused). */
void console_bus_emit_focus(sd_bus *bus, const char *name);
/* Emit PropertiesChanged(Locked). */
void console_bus_emit_locked(sd_bus *bus);
