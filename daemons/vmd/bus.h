/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.cairn.VMManager1 on D-Bus (see org.cairn.VMManager1.xml). */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

#define VM_BUS_NAME "org.cairn.VMManager1"
#define VM_BUS_PATH "/org/cairn/VMManager1"
#define VM_BUS_INTERFACE "org.cairn.VMManager1"
#define VM_BUS_VM_PREFIX "/org/cairn/VMManager1/vm"
#define VM_BUS_VM_INTERFACE "org.cairn.VMManager1.VM"
#define VM_BUS_ERROR_NO_SUCH_VM "org.cairn.Error.NoSuchVM"
#define VM_BUS_ERROR_INVALID_STATE "org.cairn.Error.InvalidState"
#define VM_BUS_ERROR_FAILED "org.cairn.Error.Failed"

/* Serve the manager's objects on bus (the caller requests the name). */
int vm_bus_attach(sd_bus *bus, Manager *m);
/* Emit StateChanged and PropertiesChanged for vm. */
void vm_bus_emit_changed(sd_bus *bus, Vm *vm);
