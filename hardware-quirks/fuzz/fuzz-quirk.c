/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One quirk file through the strict parser; a valid one is then matched
 * against a small synthetic machine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quirks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct quirk q;
        struct hw_report r;
        struct hw_pci_dev pci = { .vendor = 0x8086, .device = 0x0166, .revision = 9, .class_code = 0x030000 };
        char *err = NULL, *matched = NULL;

        if (quirk_parse((const char *) data, size, "fuzz-input", &q, &err) < 0) {
                free(err);
                return 0;
        }
        hw_report_init(&r);
        (void) smbios_set_field(&r.dmi, SMBIOS_SYS_VENDOR, "LENOVO", 6);
        (void) smbios_set_field(&r.dmi, SMBIOS_PRODUCT_NAME, "81FB", 4);
        r.cpu.from_smbios = true;
        strcpy(r.cpu.vendor, "AuthenticAMD");
        r.cpu.family = 0x17;
        r.cpu.model = 0x11;
        r.pci = &pci;
        r.n_pci = 1;
        (void) hw_findings_add(&r.findings, "iommu", "ivrs-ioapic-mismatch", HW_SEVERITY_FAIL, "x");
        (void) quirk_matches(&q, &r, &matched);
        free(matched);
        r.pci = NULL;
        r.n_pci = 0;
        hw_report_done(&r);
        quirk_done(&q);
        return 0;
}
