/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reader for the hex text that `acpidump` prints:
 *
 *   DMAR @ 0x0000000079D4A000
 *       0000: 44 4D 41 52 88 00 00 00 02 47 4C 45 4E 4F 56 4F  DMAR.....GLENOVO
 *
 * Untrusted (a customer's file): offsets must run on without gaps, a table is
 * capped at ACPI_MAX_TABLE_SIZE and a dump at ACPIDUMP_MAX_TABLES tables. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "findings.h"

#define ACPIDUMP_MAX_TABLES 256

/* Called once per table with its signature as printed (e.g. "DMAR", "SSDT").
 * A negative return stops the parse and is returned. */
typedef int (*acpidump_table_cb)(const char *name, const uint8_t *data, size_t size, void *userdata);

/* Returns the number of tables delivered, or a negative errno (-ENOMEM, or
 * what the callback returned).  Problems in the text become findings. */
int acpidump_parse(const char *text, size_t size, acpidump_table_cb cb, void *userdata,
                   struct hw_findings *f);
