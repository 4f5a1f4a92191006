/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Predict what Debian 12's GRUB 2.06 (tpm module, EFI) extends into PCR 8 and PCR 9 when
 * it boots a Cairn medium, by replaying its configuration (a documented subset of the GRUB
 * script language; anything else is refused) over the medium's files.
 * See docs/measurement.md for the measured sequence and the sources it is taken from. */
#pragma once

#include <stdbool.h>

#include "bootsrc.h"
#include "measlog.h"

typedef struct grub_predict_options {
        int entry;                      /* menu entry to boot; -1: the config's default */
        const char *config;             /* first config GRUB reads; NULL: /boot/grub/grub.cfg */
        const char *module_dir;         /* NULL: /boot/grub/x86_64-efi */
        const char *const *core_modules;/* modules in GRUB's core image; NULL: grub-mkrescue's */
        bool bios;                      /* BIOS GRUB has no tpm module: nothing is measured */
} grub_predict_options;

#define GRUB_PREDICT_OPTIONS_INIT { .entry = -1 }

/* Appends the PCR 8/9 events to ret_log. On a configuration outside the supported subset,
 * returns -EOPNOTSUPP (or -EINVAL, -ENOENT...) and a message naming the file and line in
 * *ret_error (caller frees). */
int grub_predict(boot_source *src, const grub_predict_options *opts, meas_log *ret_log,
                 char **ret_error);
