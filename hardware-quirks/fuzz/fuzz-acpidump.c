/* SPDX-License-Identifier: GPL-2.0-or-later */
/* acpidump hex text (what a customer sends) through the reader, the table
 * parsers and the analysis. */
#include <stdint.h>
#include <stdio.h>

#include "hwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        struct hw_report r;

        if (!null)
                null = fopen("/dev/null", "we");
        hw_report_init(&r);
        (void) hw_report_load_acpidump(&r, (const char *) data, size);
        (void) hw_analyze(&r);
        if (null)
                (void) hw_report_write_json(&r, null);
        hw_report_done(&r);
        return 0;
}
