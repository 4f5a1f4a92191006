/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An ordered list of measurements (PCR, what was measured, digest): the unit that
 * prediction produces, that a LUKS2 token records and that `report` compares. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"

typedef enum meas_kind {
        MEAS_KIND_GRUB_COMMAND,   /* PCR 8: a command line GRUB executed */
        MEAS_KIND_GRUB_CONFIG,    /* PCR 9: a configuration file GRUB read */
        MEAS_KIND_GRUB_MODULE,    /* PCR 9: a GRUB module file GRUB loaded */
        MEAS_KIND_KERNEL,         /* PCR 9: the multiboot2 image (Xen) */
        MEAS_KIND_KERNEL_CMDLINE, /* PCR 8: its command line (Xen's) */
        MEAS_KIND_MODULE,         /* PCR 9: a module2 file (index 0 dom0 kernel, 1 initramfs) */
        MEAS_KIND_MODULE_CMDLINE, /* PCR 8: a module2 command line (index 0: dom0's) */
        MEAS_KIND_FIRMWARE,       /* PCR 0-7: an event from the firmware event log */
        _MEAS_KIND_MAX,
} meas_kind;

typedef struct meas_event {
        unsigned pcr;
        meas_kind kind;
        unsigned index;    /* module2 number for MODULE/MODULE_CMDLINE, event type for FIRMWARE */
        char *text;        /* command, command line or path; NULL when not recorded */
        uint8_t digest[MEAS_DIGEST_SIZE];
} meas_event;

typedef struct meas_log {
        meas_event *events;
        size_t n_events;
} meas_log;

int meas_log_add(meas_log *log, unsigned pcr, meas_kind kind, unsigned index, const char *text,
                 const uint8_t digest[MEAS_DIGEST_SIZE]);
void meas_log_done(meas_log *log);
/* Replay the events of one PCR from zero. */
void meas_log_replay(const meas_log *log, unsigned pcr, uint8_t ret[MEAS_DIGEST_SIZE]);
/* Bit mask of the PCRs that have at least one event. */
uint32_t meas_log_pcrs(const meas_log *log);

const char *meas_kind_to_string(meas_kind k);
int meas_kind_from_string(const char *s);
/* A short human name of what the event covers ("the Xen command line"). */
const char *meas_event_component(const meas_event *e, char *buf, size_t size);
