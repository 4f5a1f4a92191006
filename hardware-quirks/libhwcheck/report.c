/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpidump.h"
#include "hwcheck.h"
#include "quirks.h"

void hw_report_init(struct hw_report *r) {
        *r = (struct hw_report) {};
        r->cpu.virt_firmware_disabled = HW_UNKNOWN;
        r->cpu.virt_locked = HW_UNKNOWN;
        r->tpm.owned = HW_UNKNOWN;
        r->tpm.lockout = HW_UNKNOWN;
        r->firmware.uefi = HW_UNKNOWN;
        r->firmware.secure_boot = HW_UNKNOWN;
        r->firmware.setup_mode = HW_UNKNOWN;
        r->xen.hvm = r->xen.hap = r->xen.iommu = r->xen.intremap = HW_UNKNOWN;
}

void hw_report_done(struct hw_report *r) {
        free(r->source);
        acpi_info_done(&r->acpi);
        smbios_info_done(&r->dmi);
        free(r->pci);
        free(r->xen.virt_caps);
        for (unsigned i = 0; i < r->xen.n_errors; i++)
                free(r->xen.errors[i]);
        hw_findings_done(&r->findings);
        for (size_t i = 0; i < r->n_quirks; i++)
                quirk_match_done(&r->quirks[i]);
        free(r->quirks);
        *r = (struct hw_report) {};
}

int hw_report_add_acpi_table(struct hw_report *r, const uint8_t *data, size_t size, const char *name) {
        r->have_acpi = true;
        return acpi_parse_table(&r->acpi, data, size, name, &r->findings);
}

static int acpidump_cb(const char *name, const uint8_t *data, size_t size, void *userdata) {
        return hw_report_add_acpi_table(userdata, data, size, name);
}

int hw_report_load_acpidump(struct hw_report *r, const char *text, size_t size) {
        int n = acpidump_parse(text, size, acpidump_cb, r, &r->findings);

        if (n < 0)
                return n;
        r->have_acpi = true;
        if (n == 0 && hw_findings_add(&r->findings, "acpi", "acpidump-empty", HW_SEVERITY_FAIL,
                                      "The acpidump text holds no tables; check that it is the output of \"acpidump\" (hex text, not binary).") < 0)
                return -ENOMEM;
        return n;
}

int hw_report_load_dmidecode(struct hw_report *r, const char *text, size_t size) {
        int k = smbios_parse_dmidecode(&r->dmi, text, size, &r->findings);

        if (k < 0)
                return k;
        r->have_dmi = true;
        return 0;
}

void hw_report_cpu_from_smbios(struct hw_report *r) {
        const char *m = r->dmi.field[SMBIOS_CPU_MANUFACTURER];
        uint32_t eax = r->dmi.cpu_signature;
        unsigned family, model;

        if (r->cpu.known || !r->dmi.have_cpu_id || !m)
                return;
        if (strstr(m, "Intel"))
                strcpy(r->cpu.vendor, "GenuineIntel");
        else if (strstr(m, "AMD") || strstr(m, "Advanced Micro"))
                strcpy(r->cpu.vendor, "AuthenticAMD");
        else
                return;
        family = (eax >> 8) & 0xf;
        model = (eax >> 4) & 0xf;
        if (family == 0xf)
                family += (eax >> 20) & 0xff;
        if (family == 6 || family >= 0xf)
                model |= ((eax >> 16) & 0xf) << 4;
        r->cpu.family = family;
        r->cpu.model = model;
        r->cpu.stepping = eax & 0xf;
        r->cpu.from_smbios = true;
}

/* ---- Xen ---- */

static bool line_has(const char *l, size_t n, const char *needle) {
        size_t k = strlen(needle);

        if (k > n)
                return false;
        for (size_t i = 0; i + k <= n; i++)
                if (strncasecmp(l + i, needle, k) == 0)
                        return true;
        return false;
}

int hw_xen_parse_info(struct hw_xen *x, const char *text, size_t size) {
        size_t pos = 0;

        x->present = true;
        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;
                const char *colon;

                pos += n + (nl ? 1 : 0);
                if (n < 9 || strncmp(l, "virt_caps", 9) != 0)
                        continue;
                colon = memchr(l, ':', n);
                if (!colon)
                        continue;
                colon++;
                while (colon < l + n && *colon == ' ')
                        colon++;
                free(x->virt_caps);
                x->virt_caps = strndup(colon, MIN((size_t) (l + n - colon), (size_t) 256));
                if (!x->virt_caps)
                        return -ENOMEM;
                for (char *c = x->virt_caps; *c; c++)
                        if ((unsigned char) *c < 0x20 || *c == 0x7f)
                                *c = '?';
                /* "hvm hvm_directio pv pv_directio hap shadow iommu_hap_pt_share ..." */
                x->hvm = strstr(x->virt_caps, "hvm") ? HW_YES : HW_NO;
                x->hap = strstr(x->virt_caps, "hap") ? HW_YES : HW_NO;
                if (strstr(x->virt_caps, "directio"))
                        x->iommu = HW_YES;
                else if (x->iommu == HW_UNKNOWN)
                        x->iommu = HW_NO;
        }
        return 0;
}

int hw_xen_parse_dmesg(struct hw_xen *x, const char *text, size_t size) {
        size_t pos = 0;

        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;

                pos += n + (nl ? 1 : 0);
                if (n > 512)
                        continue;

                /* "HVM: VMX enabled" / "HVM: SVM enabled" (all versions) */
                if (line_has(l, n, "HVM: VMX enabled") || line_has(l, n, "HVM: SVM enabled"))
                        x->hvm = HW_YES;
                /* "HVM: Hardware Assisted Paging (HAP) detected" (current),
                 * "HVM: Hardware Assisted Paging detected" (old) */
                if (line_has(l, n, "Hardware Assisted Paging") && line_has(l, n, "detected"))
                        x->hap = HW_YES;
                if (line_has(l, n, "I/O virtualisation enabled") || line_has(l, n, "I/O virtualization enabled"))
                        x->iommu = HW_YES;
                if (line_has(l, n, "I/O virtualisation disabled") || line_has(l, n, "I/O virtualization disabled"))
                        x->iommu = HW_NO;
                /* "Interrupt remapping enabled" (current), "Intel VT-d
                 * Interrupt Remapping enabled." / "AMD-Vi: Interrupt remapping enabled" (old) */
                if (line_has(l, n, "Interrupt remapping enabled"))
                        x->intremap = HW_YES;
                if (line_has(l, n, "Interrupt remapping disabled") || line_has(l, n, "Interrupt Remapping not enabled") ||
                    line_has(l, n, "Interrupt remapping not enabled"))
                        x->intremap = HW_NO;

                if ((line_has(l, n, "DMAR") || line_has(l, n, "IVRS") || line_has(l, n, "AMD-Vi") ||
                     line_has(l, n, "VT-d") || line_has(l, n, "IOMMU")) &&
                    (line_has(l, n, "error") || line_has(l, n, "invalid") || line_has(l, n, "not found") ||
                     line_has(l, n, "firmware bug") || line_has(l, n, "fault") || line_has(l, n, "disabl") ||
                     line_has(l, n, "broken") || line_has(l, n, "wrong"))) {
                        char *c;

                        if (x->n_errors >= ELEMENTSOF(x->errors))
                                continue;
                        c = strndup(l, n);
                        if (!c)
                                return -ENOMEM;
                        for (char *p = c; *p; p++)
                                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                                        *p = '?';
                        x->errors[x->n_errors++] = c;
                }
        }
        return 0;
}

const char *hw_pci_class_name(uint32_t class_code) {
        switch (class_code >> 8) {
        case 0x0300:
                return "VGA controller";
        case 0x0302:
                return "3D controller";
        case 0x0380:
                return "display controller";
        case 0x0200:
                return "Ethernet controller";
        case 0x0280:
                return "network controller";
        case 0x0c03:
                switch (class_code & 0xff) {
                case 0x00:
                        return "USB UHCI controller";
                case 0x10:
                        return "USB OHCI controller";
                case 0x20:
                        return "USB EHCI controller";
                case 0x30:
                        return "USB xHCI controller";
                case 0x40:
                        return "USB4 controller";
                default:
                        return "USB controller";
                }
        case 0x0403:
                return "audio device";
        case 0x0106:
                return "SATA controller";
        case 0x0108:
                return "NVMe controller";
        case 0x0600:
                return "host bridge";
        case 0x0604:
                return "PCI bridge";
        default:
                return NULL;
        }
}
