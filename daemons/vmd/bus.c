/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The D-Bus face of the manager: methods, per-VM objects, signals.
 * Callers are other domains' proxies too, so every argument is checked. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"

static void uuid_format(const uint8_t u[16], char out[37]) {
        snprintf(out, 37,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                 u[13], u[14], u[15]);
}

static int64_t vm_domid_signed(const Vm *vm) {
        return vm->domid == VM_DOMID_INVALID ? -1 : (int64_t) vm->domid;
}

static int append_vm(sd_bus_message *reply, const Vm *vm) {
        char uuid[37];

        uuid_format(vm->uuid, uuid);
        return sd_bus_message_append(reply, "(ssssxtu)", vm->def->name, uuid,
                                     vm_type_to_string(vm->def->type), vm_state_to_string(vm->state),
                                     vm_domid_signed(vm), vm->def->memory_mib, vm->def->vcpus);
}

static Vm *lookup_vm(Manager *m, const char *name, sd_bus_error *error) {
        Vm *vm = NULL;

        if (!vm_name_is_valid(name))
                sd_bus_error_setf(error, VM_BUS_ERROR_NO_SUCH_VM, "\"%.64s\" is not a valid VM name.", name);
        else if (!(vm = manager_find(m, name)))
                sd_bus_error_setf(error, VM_BUS_ERROR_NO_SUCH_VM, "There is no VM named %s.", name);
        return vm;
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssxtu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_vms; i++) {
                r = append_vm(reply, m->vms[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const char *name;
        Vm *vm;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        vm = lookup_vm(m, name, error);
        if (!vm)
                return -ENOENT;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        /* The reply is the struct's fields, "(ssssxtu)" as one value. */
        r = append_vm(reply, vm);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

typedef int (*manager_op_t)(Manager *m, Vm *vm, const char **ret_error);

static int method_op(sd_bus_message *msg, Manager *m, manager_op_t op, const char *verb,
                     sd_bus_error *error) {
        const char *name, *why = NULL;
        Vm *vm;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        vm = lookup_vm(m, name, error);
        if (!vm)
                return -ENOENT;
        log_info("%s %s requested by %s", verb, name, sd_bus_message_get_sender(msg) ?: "?");
        r = op(m, vm, &why);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, VM_BUS_ERROR_INVALID_STATE, "Cannot %s %s: it %s (state %s).",
                                         verb, name, why ?: "is busy", vm_state_to_string(vm->state));
        if (r < 0)
                return sd_bus_error_setf(error, VM_BUS_ERROR_FAILED, "Cannot %s %s: %s.", verb, name,
                                         why ?: vm->error ?: strerror(-r));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_op(msg, userdata, manager_start, "start", error);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_op(msg, userdata, manager_stop, "stop", error);
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_op(msg, userdata, manager_restart, "restart", error);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssxtu)", vms),
                                method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVM", SD_BUS_ARGS("s", name), SD_BUS_RESULT("(ssssxtu)", vm),
                                method_get, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_start, 0),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_stop, 0),
        SD_BUS_METHOD_WITH_ARGS("Restart", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_restart, 0),
        SD_BUS_SIGNAL_WITH_ARGS("StateChanged", SD_BUS_ARGS("s", name, "s", state, "x", domid), 0),
        SD_BUS_VTABLE_END,
};

/* Per-VM objects. */

static char *vm_path(const Vm *vm) {
        char *p = NULL;

        if (sd_bus_path_encode(VM_BUS_VM_PREFIX, vm->def->name, &p) < 0)
                return NULL;
        return p;
}

static int vm_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                   void **ret_found, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Manager *m = userdata;
        Vm *vm;
        int r;

        r = sd_bus_path_decode(path, VM_BUS_VM_PREFIX, &name);
        if (r <= 0)
                return 0;
        vm = manager_find(m, name);
        if (!vm)
                return 0;
        *ret_found = vm;
        return 1;
}

static int vm_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                        sd_bus_error *error) {
        Manager *m = userdata;
        char **nodes;

        nodes = calloc(m->n_vms + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_vms; i++) {
                nodes[i] = vm_path(m->vms[i]);
                if (!nodes[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(nodes[j]);
                        free(nodes);
                        return -ENOMEM;
                }
        }
        *ret_nodes = nodes;
        return 0;
}

static int prop_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Vm *vm = userdata;
        char uuid[37];

        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", vm->def->name);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", vm_state_to_string(vm->state));
        if (strcmp(property, "Type") == 0)
                return sd_bus_message_append(reply, "s", vm_type_to_string(vm->def->type));
        uuid_format(vm->uuid, uuid);
        return sd_bus_message_append(reply, "s", uuid);
}

static int prop_domid(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "x", vm_domid_signed(userdata));
}

static int prop_memory(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Vm *vm = userdata;
        return sd_bus_message_append(reply, "t", vm->def->memory_mib);
}

static int prop_vcpus(sd_bus *bus, const char *path, const char *interface, const char *property,
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Vm *vm = userdata;
        return sd_bus_message_append(reply, "u", vm->def->vcpus);
}

static const sd_bus_vtable vm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Uuid", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Domid", "x", prop_domid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryMiB", "t", prop_memory, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Vcpus", "u", prop_vcpus, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", prop_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

int vm_bus_attach(sd_bus *bus, Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, VM_BUS_PATH, VM_BUS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the manager object: %m");
        r = sd_bus_add_fallback_vtable(bus, NULL, VM_BUS_VM_PREFIX, VM_BUS_VM_INTERFACE, vm_vtable,
                                       vm_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the VM objects: %m");
        r = sd_bus_add_node_enumerator(bus, NULL, VM_BUS_VM_PREFIX, vm_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the VM enumerator: %m");
        r = sd_bus_add_object_manager(bus, NULL, VM_BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        return 0;
}

void vm_bus_emit_changed(sd_bus *bus, Vm *vm) {
        _cleanup_free_ char *path = vm_path(vm);
        int r;

        if (!bus)
                return;
        r = sd_bus_emit_signal(bus, VM_BUS_PATH, VM_BUS_INTERFACE, "StateChanged", "ssx", vm->def->name,
                               vm_state_to_string(vm->state), vm_domid_signed(vm));
        if (r < 0)
                log_warning_errno(r, "%s: cannot emit StateChanged: %m", vm->def->name);
        if (path) {
                r = sd_bus_emit_properties_changed(bus, path, VM_BUS_VM_INTERFACE, "State", "Domid", "Uuid", NULL);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot emit PropertiesChanged: %m", vm->def->name);
        }
}
