/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One raw ACPI table (DMAR, IVRS, TPM2, TCPA, APIC, MCFG, FACP, HPET) through
 * the parser, the analysis and the JSON writer.  A first byte of '+' splits
 * the input at "+++" markers into several tables (e.g. IVRS and MADT for the
 * cross-checks). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        struct hw_report r;

        if (!null)
                null = fopen("/dev/null", "we");
        hw_report_init(&r);
        if (size > 0 && data[0] == '+') {
                const uint8_t *p = data + 1, *end = data + size;

                while (p < end) {
                        const uint8_t *m = memmem(p, (size_t) (end - p), "+++", 3);
                        const uint8_t *stop = m ? m : end;

                        (void) hw_report_add_acpi_table(&r, p, (size_t) (stop - p), "fuzz");
                        p = m ? m + 3 : end;
                }
        } else
                (void) hw_report_add_acpi_table(&r, data, size, "fuzz");
        (void) hw_analyze(&r);
        if (null) {
                (void) hw_report_write_json(&r, null);
                (void) hw_report_write_text(&r, null, false);
        }
        hw_report_done(&r);
        return 0;
}
