/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hardware summary on the About screen, from a cairn-hwcheck JSON report
 * (docs/hwcheck.md, schema 1).  The report comes from dom0: parsed defensively. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HWINFO_REPORT_MAX (4u * 1024 * 1024)

typedef struct hwinfo {
        bool present;
        char machine[96];       /* sys_vendor product_name */
        char cpu[96];
        char memory[32];
        char tpm[48];
        char measured[64];      /* measured-boot readiness in plain words */
        char secure_boot[32];
        char iommu[32];
        char verdict[16];       /* ok | warn | fail */
} hwinfo;

/* Parse a report; -EINVAL (with nothing filled in) when it is not a schema-1 report. */
int hwinfo_parse(const char *data, size_t size, hwinfo *ret);
int hwinfo_load(const char *path, hwinfo *ret);
