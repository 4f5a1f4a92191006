/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binary SMBIOS: an input starting with "_SM" carries an entry point (its
 * first 32 bytes) before the structure table; otherwise it is all table.
 * Also runs the bundle's in-place redaction over the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "hwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        struct hw_report r;
        struct redactor rd = {};
        uint8_t *copy;

        if (!null)
                null = fopen("/dev/null", "we");
        hw_report_init(&r);
        if (size >= 32 && memcmp(data, "_SM", 3) == 0) {
                size_t want = 0;

                (void) smbios_parse_entry_point(&r.dmi, data, 32, &want, &r.findings);
                data += 32;
                size -= 32;
        }
        r.have_dmi = true;
        (void) smbios_parse_table(&r.dmi, data, size, &r.findings);
        (void) hw_analyze(&r);
        if (null)
                (void) hw_report_write_json(&r, null);
        hw_report_done(&r);

        copy = malloc(size ? size : 1);
        if (copy) {
                memcpy(copy, data, size);
                (void) redact_smbios_table(&rd, copy, size);
                free(copy);
        }
        redactor_done(&rd);
        return 0;
}
