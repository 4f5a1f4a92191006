/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measlog.h"

static const char *const kind_names[_MEAS_KIND_MAX] = {
        [MEAS_KIND_GRUB_COMMAND] = "grub-command",
        [MEAS_KIND_GRUB_CONFIG] = "grub-config",
        [MEAS_KIND_GRUB_MODULE] = "grub-module",
        [MEAS_KIND_KERNEL] = "kernel",
        [MEAS_KIND_KERNEL_CMDLINE] = "kernel-cmdline",
        [MEAS_KIND_MODULE] = "module",
        [MEAS_KIND_MODULE_CMDLINE] = "module-cmdline",
        [MEAS_KIND_FIRMWARE] = "firmware",
};

const char *meas_kind_to_string(meas_kind k) {
        return (unsigned) k < _MEAS_KIND_MAX ? kind_names[k] : NULL;
}

int meas_kind_from_string(const char *s) {
        for (unsigned i = 0; s && i < _MEAS_KIND_MAX; i++)
                if (strcmp(s, kind_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

int meas_log_add(meas_log *log, unsigned pcr, meas_kind kind, unsigned index, const char *text,
                 const uint8_t digest[MEAS_DIGEST_SIZE]) {
        meas_event *n, *e;

        if (pcr >= MEAS_PCR_MAX || (unsigned) kind >= _MEAS_KIND_MAX)
                return -EINVAL;
        if (log->n_events >= 100000)
                return -E2BIG;
        n = realloc(log->events, (log->n_events + 1) * sizeof(meas_event));
        if (!n)
                return -ENOMEM;
        log->events = n;
        e = &n[log->n_events];
        *e = (meas_event) { .pcr = pcr, .kind = kind, .index = index };
        if (text) {
                e->text = strdup(text);
                if (!e->text)
                        return -ENOMEM;
        }
        memcpy(e->digest, digest, MEAS_DIGEST_SIZE);
        log->n_events++;
        return 0;
}

void meas_log_done(meas_log *log) {
        if (!log)
                return;
        for (size_t i = 0; i < log->n_events; i++)
                free(log->events[i].text);
        free(log->events);
        log->events = NULL;
        log->n_events = 0;
}

void meas_log_replay(const meas_log *log, unsigned pcr, uint8_t ret[MEAS_DIGEST_SIZE]) {
        memset(ret, 0, MEAS_DIGEST_SIZE);
        for (size_t i = 0; i < log->n_events; i++)
                if (log->events[i].pcr == pcr)
                        pcr_extend(ret, log->events[i].digest);
}

uint32_t meas_log_pcrs(const meas_log *log) {
        uint32_t m = 0;

        for (size_t i = 0; i < log->n_events; i++)
                m |= 1u << log->events[i].pcr;
        return m;
}

const char *meas_event_component(const meas_event *e, char *buf, size_t size) {
        switch (e->kind) {
        case MEAS_KIND_GRUB_COMMAND:
                return "the boot menu (a GRUB command)";
        case MEAS_KIND_GRUB_CONFIG:
                snprintf(buf, size, "the boot menu file %s", e->text ?: "(a GRUB configuration file)");
                return buf;
        case MEAS_KIND_GRUB_MODULE:
                snprintf(buf, size, "the boot loader module %s", e->text ?: "(a GRUB module)");
                return buf;
        case MEAS_KIND_KERNEL:
                return "the Xen hypervisor image";
        case MEAS_KIND_KERNEL_CMDLINE:
                return "the Xen command line";
        case MEAS_KIND_MODULE:
                if (e->index == 0)
                        return "the dom0 kernel";
                if (e->index == 1)
                        return "the initramfs";
                snprintf(buf, size, "boot module %u", e->index + 1);
                return buf;
        case MEAS_KIND_MODULE_CMDLINE:
                if (e->index == 0)
                        return "the dom0 command line";
                snprintf(buf, size, "the command line of boot module %u", e->index + 1);
                return buf;
        case MEAS_KIND_FIRMWARE:
                snprintf(buf, size, "the firmware (PCR %u)", e->pcr);
                return buf;
        default:
                return "an unknown component";
        }
}
