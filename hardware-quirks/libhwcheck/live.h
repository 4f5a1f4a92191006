/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live collection on the machine cairn-hwcheck runs on.  Every source is
 * optional: what cannot be read (no root, no Xen, no TPM, a container) is
 * left unknown and the report says so. */
#pragma once

#include "hwcheck.h"

struct hw_live_options {
        const char *acpi_dir;   /* default /sys/firmware/acpi/tables */
        const char *dmi_dir;    /* default /sys/firmware/dmi/tables */
        const char *tpm_tcti;   /* NULL: sysfs, then device:/dev/tpmrm0 */
        bool no_xen;
        bool no_tpm;
};

/* The ACPI tables cairn-hwcheck reads (MSDM/SLIC are never read: licence keys). */
extern const char *const hw_live_acpi_tables[];

int hw_live_collect(struct hw_report *r, const struct hw_live_options *o);

int hw_live_cpu(struct hw_cpu *c);
int hw_live_pci(struct hw_report *r, const char *sysfs_dir);
int hw_live_firmware(struct hw_firmware *fw);
int hw_live_txt(struct hw_txt *t);
/* Runs a program (argv[0] searched in PATH) and captures its stdout, at most
 * max bytes.  Returns its exit status (>= 0) or -errno. */
int hw_run_capture(char *const argv[], size_t max, char **ret_out, size_t *ret_size);

/* TPM: sysfs for 1.2 and presence; tss2-esys GetCapability for 2.0. */
int hw_tpm_query(struct hw_tpm *t, const char *tcti_conf);
