/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmidecode text (what a customer sends) through the reader, the analysis
 * and the bundle's dmidecode redaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bundle.h"
#include "hwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        struct hw_report r;
        struct redactor rd = {};
        char *red;
        size_t n = 0;

        if (!null)
                null = fopen("/dev/null", "we");
        hw_report_init(&r);
        (void) hw_report_load_dmidecode(&r, (const char *) data, size);
        (void) hw_analyze(&r);
        if (null)
                (void) hw_report_write_json(&r, null);
        hw_report_done(&r);

        red = redact_dmidecode(&rd, (const char *) data, size, &n);
        free(red);
        redactor_done(&rd);
        return 0;
}
