/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_copy_text(char *dst, size_t size, const char *s) {
        size_t i = 0;

        if (size == 0)
                return;
        for (; s && s[i] && i + 1 < size; i++) {
                unsigned char c = (unsigned char) s[i];
                dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char) c;
        }
        dst[i] = '\0';
}

static int vm_cmp(const void *a, const void *b) {
        return strcmp(((const model_vm *) a)->name, ((const model_vm *) b)->name);
}

int model_set_vms(model *m, const model_vm *vms, size_t n) {
        n = n > MODEL_VMS_MAX ? MODEL_VMS_MAX : n;
        if (n > 0)
                memcpy(m->vms, vms, n * sizeof(*vms));
        m->n_vms = n;
        qsort(m->vms, n, sizeof(*m->vms), vm_cmp);
        return 0;
}

model_vm *model_find_vm(model *m, const char *name) {
        for (size_t i = 0; i < m->n_vms; i++)
                if (strcmp(m->vms[i].name, name) == 0)
                        return &m->vms[i];
        return NULL;
}

int model_vm_state_changed(model *m, const char *name, const char *state, int64_t domid) {
        model_vm *vm = model_find_vm(m, name);

        if (!vm)
                return -ENOENT;
        model_copy_text(vm->state, sizeof(vm->state), state);
        vm->domid = domid;
        return (int) (vm - m->vms);
}

static const struct {
        const char *state;
        const char *label;
        model_tone tone;
} states[] = {
        { "stopped", "Stopped", MODEL_TONE_IDLE },
        { "starting", "Starting", MODEL_TONE_BUSY },
        { "running", "Running", MODEL_TONE_GOOD },
        { "stopping", "Stopping", MODEL_TONE_BUSY },
        { "crashed", "Crashed", MODEL_TONE_BAD },
        { "restarting", "Restarting", MODEL_TONE_BUSY },
        { "failed", "Failed", MODEL_TONE_BAD },
};

const char *model_state_label(const char *state) {
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
                if (state && strcmp(states[i].state, state) == 0)
                        return states[i].label;
        return "Unknown";
}

model_tone model_state_tone(const char *state) {
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
                if (state && strcmp(states[i].state, state) == 0)
                        return states[i].tone;
        return MODEL_TONE_BAD;
}

void model_format_memory(uint64_t mib, char *buf, size_t size) {
        if (mib < 1024 || mib % 128 != 0)
                snprintf(buf, size, "%llu MiB", (unsigned long long) mib);
        else if (mib % 1024 == 0)
                snprintf(buf, size, "%llu GiB", (unsigned long long) (mib / 1024));
        else
                snprintf(buf, size, "%llu.%llu GiB", (unsigned long long) (mib / 1024),
                         (unsigned long long) ((mib % 1024) * 10 / 1024));
}

const char *model_type_label(const char *type) {
        if (!type)
                return "?";
        if (strcmp(type, "pv") == 0)
                return "PV";
        if (strcmp(type, "pvh") == 0)
                return "PVH";
        if (strcmp(type, "hvm") == 0)
                return "HVM";
        return "?";
}

static bool state_is(const char *state, const char *a, const char *b, const char *c) {
        return state && ((a && strcmp(state, a) == 0) || (b && strcmp(state, b) == 0) ||
                         (c && strcmp(state, c) == 0));
}

bool model_can_start(const char *state) {
        return state_is(state, "stopped", "crashed", "failed");
}

bool model_can_stop(const char *state) {
        return state_is(state, "running", "starting", "restarting");
}

bool model_can_switch(const char *state) {
        return state_is(state, "running", NULL, NULL);
}

void model_format_error(const char *action, const char *vm, const char *error_name,
                        const char *message, char *buf, size_t size) {
        char msg[120];

        model_copy_text(msg, sizeof(msg), message && *message ? message : "");
        if (!error_name)
                error_name = "";

        if (strcmp(error_name, "org.cairn.Error.NoSuchVM") == 0)
                snprintf(buf, size, "There is no VM named %s any more.", vm);
        else if (strcmp(error_name, "org.cairn.Error.InvalidState") == 0)
                snprintf(buf, size, "Cannot %s %s now%s%s", action, vm, *msg ? ": " : ".", msg);
        else if (strcmp(error_name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
                 strcmp(error_name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
                 strcmp(error_name, "org.freedesktop.DBus.Error.NoReply") == 0 ||
                 strcmp(error_name, "org.freedesktop.DBus.Error.Disconnected") == 0 ||
                 strcmp(error_name, "org.freedesktop.DBus.Error.Timeout") == 0)
                snprintf(buf, size, "Cannot %s %s: the %s does not answer.", action, vm,
                         strcmp(action, "switch to") == 0 ? "console server" : "VM manager");
        else if (strcmp(error_name, "org.freedesktop.DBus.Error.AccessDenied") == 0)
                snprintf(buf, size, "Cannot %s %s: not allowed.", action, vm);
        else
                snprintf(buf, size, "Could not %s %s%s%s", action, vm, *msg ? ": " : ".", msg);
}

const char *model_service_vm_sentence(const model_vm *vm, char *buf, size_t size) {
        char upper[sizeof(vm->name)];
        const char *what;
        size_t i;

        if (!vm || strcmp(vm->state, "running") == 0)
                return NULL;
        if (strcmp(vm->state, "restarting") == 0 || strcmp(vm->state, "starting") == 0)
                what = "is restarting";
        else if (strcmp(vm->state, "stopping") == 0)
                what = "is shutting down";
        else if (strcmp(vm->state, "stopped") == 0)
                what = "is not running";
        else if (strcmp(vm->state, "crashed") == 0)
                what = "has crashed";
        else if (strcmp(vm->state, "failed") == 0)
                what = "has failed and will not be restarted";
        else
                return NULL;

        /* Service VMs have short names (ndvm, uivm): say them in capitals. */
        for (i = 0; vm->name[i] && i + 1 < sizeof(upper); i++)
                upper[i] = (vm->name[i] >= 'a' && vm->name[i] <= 'z') ? vm->name[i] - 32 : vm->name[i];
        upper[i] = '\0';
        snprintf(buf, size, "The %s %s.", upper, what);
        return buf;
}
