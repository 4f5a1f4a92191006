/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From the gathered facts to findings: each says OK / WARN / FAIL, why, and
 * what to do about it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hwcheck.h"

#define ADD(cat, id, sev, ...)                                                   \
        do {                                                                     \
                if (hw_findings_add(&r->findings, (cat), (id), (sev), __VA_ARGS__) < 0) \
                        return -ENOMEM;                                          \
        } while (0)

/* Appends "0xNN" items to a bounded list buffer. */
static void list_add(char *buf, size_t size, unsigned v) {
        size_t l = strlen(buf);

        if (l + 8 < size)
                snprintf(buf + l, size - l, "%s0x%02x", l ? ", " : "", v);
}

static int analyze_dmar(struct hw_report *r) {
        const struct acpi_dmar *d = r->acpi.dmar;
        bool multi = false;
        uint16_t multi_seg = 0;

        if (d->n_drhd == 0)
                ADD("iommu", "dmar-no-units", HW_SEVERITY_FAIL,
                    "The DMAR table lists no remapping hardware units, so VT-d cannot be used; update the firmware.");

        for (size_t i = 0; i < d->n_drhd; i++) {
                const struct acpi_dmar_drhd *u = &d->drhd[i];

                if (u->base == 0)
                        ADD("iommu", "dmar-drhd-zero-base", HW_SEVERITY_FAIL,
                            "DMAR unit %zu has register base 0 (a known firmware bug); Xen and Linux disable VT-d. Update the firmware.", i);
                else if (u->base & 0xfff)
                        ADD("iommu", "dmar-drhd-unaligned", HW_SEVERITY_FAIL,
                            "DMAR unit %zu has register base 0x%llx, not 4 KiB aligned; the table is broken and VT-d will not work reliably. Update the firmware.",
                            i, (unsigned long long) u->base);
                for (size_t j = 0; j < i; j++)
                        if ((u->flags & ACPI_DMAR_INCLUDE_PCI_ALL) && (d->drhd[j].flags & ACPI_DMAR_INCLUDE_PCI_ALL) &&
                            d->drhd[j].segment == u->segment && !multi) {
                                multi = true;
                                multi_seg = u->segment;
                        }
        }
        if (multi)
                ADD("iommu", "dmar-multiple-include-all", HW_SEVERITY_FAIL,
                    "More than one DMAR unit claims INCLUDE_PCI_ALL on segment %u; which unit owns a device is ambiguous. Update the firmware.",
                    multi_seg);

        for (size_t i = 0; i < d->n_rmrr; i++) {
                const struct acpi_dmar_rmrr *m = &d->rmrr[i];

                if (m->base > m->limit)
                        ADD("iommu", "dmar-rmrr-inverted", HW_SEVERITY_FAIL,
                            "DMAR reserved-memory region %zu has base 0x%llx above its limit 0x%llx; Xen rejects the DMAR table. Update the firmware.",
                            i, (unsigned long long) m->base, (unsigned long long) m->limit);
                else if ((m->base & 0xfff) || ((m->limit + 1) & 0xfff))
                        ADD("iommu", "dmar-rmrr-unaligned", HW_SEVERITY_WARN,
                            "DMAR reserved-memory region %zu (0x%llx-0x%llx) is not page aligned; Xen warns and rounds it.",
                            i, (unsigned long long) m->base, (unsigned long long) m->limit);
        }

        if (!(d->flags & ACPI_DMAR_INTR_REMAP))
                ADD("iommu", "no-interrupt-remapping", HW_SEVERITY_FAIL,
                    "The DMAR table does not report interrupt remapping (flags 0x%02x); device interrupts of passed-through devices cannot be isolated. Enable VT-d in the firmware setup or update the firmware.",
                    d->flags);
        else if (d->flags & ACPI_DMAR_X2APIC_OPT_OUT)
                ADD("iommu", "dmar-x2apic-opt-out", HW_SEVERITY_WARN,
                    "The firmware asks the OS not to use x2APIC mode (DMAR flags 0x%02x); Xen honours it, which is fine on small machines.",
                    d->flags);
        else
                ADD("iommu", "interrupt-remapping", HW_SEVERITY_OK,
                    "VT-d interrupt remapping is supported (DMAR flags 0x%02x).", d->flags);

        if (d->n_drhd > 0)
                ADD("iommu", "iommu", HW_SEVERITY_OK,
                    "Intel VT-d: %zu remapping unit(s), %u-bit host address width, %zu reserved-memory region(s).",
                    d->n_drhd, d->host_address_width, d->n_rmrr);
        return 0;
}

static int analyze_ivrs(struct hw_report *r) {
        const struct acpi_ivrs *v = r->acpi.ivrs;
        const struct acpi_madt *m = r->acpi.madt;
        char missing_in_madt[256] = "", missing_in_ivrs[256] = "";
        unsigned n_ioapic_special = 0;

        if (v->n_ivhd == 0) {
                ADD("iommu", "ivrs-no-ivhd", HW_SEVERITY_FAIL,
                    "The IVRS table lists no IOMMU (no IVHD block), so AMD-Vi cannot be used; update the firmware.");
                return 0;
        }
        for (size_t i = 0; i < v->n_ivhd; i++)
                if (v->ivhd[i].base == 0)
                        ADD("iommu", "ivrs-ivhd-zero-base", HW_SEVERITY_FAIL,
                            "IVHD %zu (type 0x%02x) has IOMMU base address 0; AMD-Vi cannot be used. Update the firmware.",
                            i, v->ivhd[i].type);

        for (size_t i = 0; i < v->n_ivhd; i++)
                for (size_t k = 0; k < v->ivhd[i].n_special; k++) {
                        const struct acpi_ivrs_special *s = &v->ivhd[i].special[k];
                        bool found = false, dup = false;

                        if (s->variety != 1)
                                continue;
                        n_ioapic_special++;
                        if (!m)
                                continue;
                        for (size_t j = 0; j < m->n_ioapics; j++)
                                if (m->ioapics[j].id == s->handle)
                                        found = true;
                        /* list each handle once even when several IVHD types repeat it */
                        for (size_t i2 = 0; i2 <= i && !dup; i2++)
                                for (size_t k2 = 0; k2 < v->ivhd[i2].n_special; k2++) {
                                        if (i2 == i && k2 >= k)
                                                break;
                                        if (v->ivhd[i2].special[k2].variety == 1 && v->ivhd[i2].special[k2].handle == s->handle) {
                                                dup = true;
                                                break;
                                        }
                                }
                        if (!found && !dup)
                                list_add(missing_in_madt, sizeof(missing_in_madt), s->handle);
                }

        if (m) {
                for (size_t j = 0; j < m->n_ioapics; j++) {
                        bool found = false;

                        for (size_t i = 0; i < v->n_ivhd && !found; i++)
                                for (size_t k = 0; k < v->ivhd[i].n_special; k++)
                                        if (v->ivhd[i].special[k].variety == 1 &&
                                            v->ivhd[i].special[k].handle == m->ioapics[j].id) {
                                                found = true;
                                                break;
                                        }
                        if (!found)
                                list_add(missing_in_ivrs, sizeof(missing_in_ivrs), m->ioapics[j].id);
                }
        }

        if (missing_in_madt[0])
                ADD("iommu", "ivrs-ioapic-mismatch", HW_SEVERITY_FAIL,
                    "The IVRS names I/O APIC handle(s) %s that the MADT lacks; Xen and Linux then disable interrupt remapping. A known quirk supplies the right mapping with ivrs_ioapic[ID]=BB:DD.F on the command line.",
                    missing_in_madt);
        if (missing_in_ivrs[0])
                ADD("iommu", "ivrs-ioapic-missing", HW_SEVERITY_FAIL,
                    "The MADT I/O APIC(s) %s have no IVRS special-device entry; Xen reports \"IO-APIC not found in IVRS\" and disables interrupt remapping unless ivrs_ioapic[ID]=BB:DD.F is given.",
                    missing_in_ivrs);
        if (n_ioapic_special == 0)
                ADD("iommu", "no-interrupt-remapping", HW_SEVERITY_FAIL,
                    "The IVRS lists no I/O APIC, so AMD-Vi interrupt remapping cannot be used; update the firmware.");
        else if (!missing_in_madt[0] && !missing_in_ivrs[0])
                ADD("iommu", "interrupt-remapping", HW_SEVERITY_OK,
                    "AMD-Vi interrupt remapping: every I/O APIC of the MADT is described in the IVRS.");

        ADD("iommu", "iommu", HW_SEVERITY_OK, "AMD-Vi: %zu IVHD block(s), IVinfo 0x%08x.", v->n_ivhd, v->info);
        return 0;
}

static int analyze_tpm(struct hw_report *r) {
        const struct acpi_tpm2 *t2 = r->acpi.tpm2;

        if (t2) {
                uint32_t need = acpi_tpm2_min_length(t2->start_method);

                if (t2->length < 52)
                        ADD("tpm", "tpm2-table-short", HW_SEVERITY_WARN,
                            "The TPM2 table is %u bytes, shorter than the 52-byte minimum; the OS may not find the TPM. Update the firmware.",
                            t2->length);
                else if (t2->length < need)
                        ADD("tpm", "tpm2-table-short", HW_SEVERITY_WARN,
                            "The TPM2 table is %u bytes but start method %u (%s) needs %u; Linux copes, strict parsers may not find the TPM.",
                            t2->length, t2->start_method, acpi_tpm2_start_method_to_string(t2->start_method), need);
        }

        switch (r->tpm.version) {
        case HW_TPM_2_0:
                ADD("tpm", "tpm", HW_SEVERITY_OK, "TPM 2.0%s%s%s%s: measured boot and sealing of /config work.",
                    r->tpm.manufacturer[0] ? " from " : "", r->tpm.manufacturer,
                    r->tpm.firmware_version[0] ? ", firmware " : "", r->tpm.firmware_version);
                if (r->tpm.lockout == HW_YES)
                        ADD("tpm", "tpm-lockout", HW_SEVERITY_WARN,
                            "The TPM is in dictionary-attack lockout (%u failures, max %u); unsealing fails until it recovers or is cleared in the firmware setup.",
                            r->tpm.lockout_counter, r->tpm.max_auth_fail);
                break;
        case HW_TPM_1_2:
                ADD("tpm", "tpm-1.2", HW_SEVERITY_WARN,
                    "Only a TPM 1.2 is present; Cairn seals /config with TPM 2.0. Switch the TPM to 2.0 in the firmware setup if it offers that.");
                break;
        case HW_TPM_NONE:
                ADD("tpm", "no-tpm", HW_SEVERITY_WARN,
                    "No TPM found; Cairn runs but cannot seal /config to measurements. Enable the TPM (fTPM / PTT) in the firmware setup.");
                break;
        case HW_TPM_UNKNOWN:
                if (!r->have_acpi || r->acpi_incomplete)
                        break;
                if (t2)
                        ADD("tpm", "tpm", HW_SEVERITY_OK, "The firmware describes a TPM 2.0 (TPM2 table, start method %u: %s).",
                            t2->start_method, acpi_tpm2_start_method_to_string(t2->start_method));
                else if (r->acpi.tcpa)
                        ADD("tpm", "tpm-1.2", HW_SEVERITY_WARN,
                            "The firmware describes only a TPM 1.2 (TCPA table); Cairn seals /config with TPM 2.0. Switch the TPM to 2.0 in the firmware setup if it offers that.");
                else
                        ADD("tpm", "no-tpm", HW_SEVERITY_WARN,
                            "No TPM2 or TCPA table: no TPM is enabled. Enable the TPM (fTPM / PTT) in the firmware setup.");
                break;
        }
        return 0;
}

static int analyze_cpu(struct hw_report *r) {
        const struct hw_cpu *c = &r->cpu;
        bool intel = strcmp(c->vendor, "GenuineIntel") == 0;

        if (c->virt_firmware_disabled == HW_YES)
                ADD("cpu", "virt-disabled-by-firmware", HW_SEVERITY_FAIL,
                    "%s is switched off and locked by the firmware; enable \"%s\" in the firmware setup.",
                    intel ? "VT-x" : "AMD-V (SVM)", intel ? "Intel Virtualization Technology" : "SVM Mode");

        if (r->xen.present) {
                if (r->xen.hvm == HW_NO)
                        ADD("cpu", "no-cpu-virt", HW_SEVERITY_FAIL,
                            "Xen reports no HVM support (virt_caps \"%s\"): hardware virtualisation is missing or switched off in the firmware setup.",
                            r->xen.virt_caps ? r->xen.virt_caps : "");
                else if (r->xen.hvm == HW_YES)
                        ADD("cpu", "cpu-virt", HW_SEVERITY_OK, "Xen runs HVM guests on this CPU.");
                if (r->xen.hap == HW_NO)
                        ADD("cpu", "no-slat", HW_SEVERITY_WARN,
                            "Xen reports no hardware-assisted paging (EPT/NPT); HVM guests run with slow shadow paging.");
                return 0;
        }
        if (!c->known)
                return 0;
        if (!c->vmx && !c->svm) {
                if (c->virt_firmware_disabled != HW_YES)
                        ADD("cpu", "no-cpu-virt", HW_SEVERITY_FAIL, "%s",
                            c->hypervisor ? "This runs in a virtual machine whose CPU shows neither VT-x nor AMD-V; Cairn needs hardware virtualisation: run it on the machine itself, or enable nested virtualisation." :
                                            "The CPU reports neither VT-x nor AMD-V; Cairn needs hardware virtualisation. Enable it in the firmware setup, or the CPU cannot run Cairn.");
        } else if (c->virt_firmware_disabled != HW_YES)
                ADD("cpu", "cpu-virt", HW_SEVERITY_OK, "%s %s (family 0x%x model 0x%x) has %s.", c->vendor,
                    c->brand[0] ? c->brand : "CPU", c->family, c->model, c->vmx ? "VT-x" : "AMD-V");
        if ((c->vmx && !c->ept) || (c->svm && !c->npt))
                ADD("cpu", "no-slat", HW_SEVERITY_WARN,
                    "The CPU lacks %s; HVM guests run with slow shadow paging.", c->vmx ? "EPT" : "NPT");
        if (!c->aes)
                ADD("cpu", "no-aesni", HW_SEVERITY_WARN,
                    "The CPU lacks AES-NI; disk encryption of /config and VM images will be slow.");
        if (!c->rdrand)
                ADD("cpu", "no-rdrand", HW_SEVERITY_OK, "The CPU lacks RDRAND; the kernel's entropy comes from other sources.");
        return 0;
}

static int analyze_txt(struct hw_report *r) {
        if (!r->cpu.known || strcmp(r->cpu.vendor, "GenuineIntel") != 0)
                return 0;
        if (!r->cpu.smx) {
                ADD("txt", "no-txt", HW_SEVERITY_WARN,
                    "The CPU has no SMX, so no Intel TXT: Cairn uses the static measured boot (PCR 0-9) only.");
                return 0;
        }
        if (!r->txt.probed)
                return 0;
        if (!r->txt.readable) {
                ADD("txt", "txt-unknown", HW_SEVERITY_WARN,
                    "The CPU has SMX but the TXT registers could not be read (/dev/mem); run as root without lockdown to check TXT.");
                return 0;
        }
        if (!r->txt.present)
                ADD("txt", "no-txt", HW_SEVERITY_WARN,
                    "The CPU has SMX but the chipset's TXT registers are absent or disabled: enable Intel TXT in the firmware setup for the DRTM boot entry.");
        else if (r->txt.errorcode & 0x80000000u)
                ADD("txt", "txt-error", HW_SEVERITY_WARN,
                    "Intel TXT is present but reports error code 0x%08llx from an earlier launch.",
                    (unsigned long long) r->txt.errorcode);
        else
                ADD("txt", "txt", HW_SEVERITY_OK, "Intel TXT is present (DIDVID 0x%016llx): the DRTM boot entry can be used.",
                    (unsigned long long) r->txt.didvid);
        return 0;
}

static int analyze_firmware(struct hw_report *r) {
        if (r->firmware.uefi == HW_YES)
                ADD("firmware", "uefi", HW_SEVERITY_OK, "Booted through UEFI.");
        else if (r->firmware.uefi == HW_NO)
                ADD("firmware", "legacy-boot", HW_SEVERITY_WARN,
                    "Booted through legacy BIOS: GRUB cannot measure into the TPM and there is no Secure Boot. Boot in UEFI mode%s.",
                    r->dmi.bios_uefi ? " (the firmware supports it)" : "");
        else if (r->have_dmi && r->dmi.have_bios_characteristics)
                ADD("firmware", r->dmi.bios_uefi ? "uefi" : "legacy-boot",
                    r->dmi.bios_uefi ? HW_SEVERITY_OK : HW_SEVERITY_WARN, "%s",
                    r->dmi.bios_uefi ? "The firmware supports UEFI (SMBIOS)." :
                                       "The firmware does not claim UEFI support (SMBIOS): no Secure Boot and no measured GRUB.");

        if (r->firmware.secure_boot == HW_YES)
                ADD("firmware", "secure-boot", HW_SEVERITY_OK, "Secure Boot is on.");
        else if (r->firmware.secure_boot == HW_NO && r->firmware.uefi == HW_YES)
                ADD("firmware", "secure-boot-off", HW_SEVERITY_WARN,
                    "Secure Boot is off%s; measured boot still works, but enable Secure Boot for the full chain.",
                    r->firmware.setup_mode == HW_YES ? " (the firmware is in setup mode)" : "");
        return 0;
}

static unsigned group_peers(const struct hw_report *r, const struct hw_pci_dev *p) {
        unsigned n = 0;

        if (p->iommu_group < 0)
                return 0;
        for (size_t i = 0; i < r->n_pci; i++) {
                const struct hw_pci_dev *q = &r->pci[i];

                if (q == p || q->iommu_group != p->iommu_group)
                        continue;
                if ((q->class_code >> 16) == 0x06) /* bridges come along anyway */
                        continue;
                n++;
        }
        return n;
}

static int analyze_pci_class(struct hw_report *r, const char *id, const char *what, bool (*is)(uint32_t)) {
        char list[512] = "";
        size_t len = 0;
        unsigned n = 0, shared = 0, nogroup = 0;
        bool igd = false;

        for (size_t i = 0; i < r->n_pci; i++) {
                const struct hw_pci_dev *p = &r->pci[i];
                unsigned peers;
                int w;

                if (!is(p->class_code))
                        continue;
                n++;
                peers = group_peers(r, p);
                if (p->iommu_group < 0)
                        nogroup++;
                else if (peers > 0)
                        shared++;
                if (p->vendor == 0x8086 && p->bus == 0 && p->dev == 2 && (p->class_code >> 16) == 0x03)
                        igd = true;
                w = snprintf(list + len, sizeof(list) - len, "%s%02x:%02x.%x %04x:%04x %s%s", len ? "; " : "",
                             p->bus, p->dev, p->fn, p->vendor, p->device,
                             hw_pci_class_name(p->class_code) ? hw_pci_class_name(p->class_code) : "device",
                             peers ? " (shares its IOMMU group)" : "");
                if (w > 0)
                        len = MIN(len + (size_t) w, sizeof(list) - 1);
        }
        if (n == 0) {
                ADD("passthrough", id, HW_SEVERITY_WARN, "No %s found.", what);
                return 0;
        }
        if (r->xen.present && r->xen.iommu == HW_NO)
                ADD("passthrough", id, HW_SEVERITY_FAIL, "%s: %s. Xen has no IOMMU, so none can be passed through.", what, list);
        else if (shared > 0)
                ADD("passthrough", id, HW_SEVERITY_WARN, "%s: %s. A device that shares its IOMMU group goes to a VM together with its group.", what, list);
        else if (nogroup > 0 && !r->xen.present)
                ADD("passthrough", id, HW_SEVERITY_WARN,
                    "%s: %s. Linux shows no IOMMU groups (IOMMU off in this kernel), so isolation could not be checked.", what, list);
        else if (igd)
                ADD("passthrough", id, HW_SEVERITY_WARN,
                    "%s: %s. Intel integrated graphics stay with dom0 (it drives the display); passing it through is unsupported.", what, list);
        else
                ADD("passthrough", id, HW_SEVERITY_OK, "%s: %s; each in its own IOMMU group.", what, list);
        return 0;
}

static bool is_gpu(uint32_t c) {
        return (c >> 16) == 0x03;
}
static bool is_nic(uint32_t c) {
        return (c >> 16) == 0x02;
}
static bool is_usb(uint32_t c) {
        return (c >> 8) == 0x0c03;
}

static int analyze_xen(struct hw_report *r) {
        if (!r->xen.present)
                return 0;
        if (r->xen.iommu == HW_NO)
                ADD("xen", "xen-no-iommu", HW_SEVERITY_FAIL,
                    "Xen runs without I/O virtualisation: no device can be isolated or passed through. Check the firmware's VT-d/AMD-Vi setting and the quirks below.");
        else if (r->xen.iommu == HW_YES)
                ADD("xen", "xen-iommu", HW_SEVERITY_OK, "Xen has I/O virtualisation enabled.");
        if (r->xen.intremap == HW_NO)
                ADD("xen", "xen-no-intremap", HW_SEVERITY_FAIL,
                    "Xen runs without interrupt remapping: passed-through devices can inject interrupts. Check the quirks below.");
        else if (r->xen.intremap == HW_YES)
                ADD("xen", "xen-intremap", HW_SEVERITY_OK, "Xen has interrupt remapping enabled.");
        for (unsigned i = 0; i < r->xen.n_errors; i++)
                ADD("xen", "xen-iommu-message", HW_SEVERITY_WARN, "Xen log: %s", r->xen.errors[i]);
        return 0;
}

int hw_analyze(struct hw_report *r) {
        int k;

        hw_report_cpu_from_smbios(r);

        if (r->have_acpi) {
                if (!r->acpi.dmar && !r->acpi.ivrs && !r->acpi_incomplete)
                        ADD("iommu", "no-iommu", HW_SEVERITY_FAIL,
                            "No DMAR or IVRS table: the firmware reports no IOMMU. Enable VT-d / AMD-Vi (\"IOMMU\") in the firmware setup; without it Cairn cannot isolate devices.");
                if (r->acpi.dmar && (k = analyze_dmar(r)) < 0)
                        return k;
                if (r->acpi.ivrs && (k = analyze_ivrs(r)) < 0)
                        return k;
                if (!r->acpi.madt)
                        ADD("acpi", "no-madt", HW_SEVERITY_WARN, "No MADT (APIC table): I/O APICs cannot be cross-checked.");
        }
        if ((k = analyze_cpu(r)) < 0 || (k = analyze_txt(r)) < 0 || (k = analyze_tpm(r)) < 0 ||
            (k = analyze_firmware(r)) < 0 || (k = analyze_xen(r)) < 0)
                return k;
        if (r->have_pci) {
                if ((k = analyze_pci_class(r, "pci-gpu", "GPUs", is_gpu)) < 0 ||
                    (k = analyze_pci_class(r, "pci-nic", "NICs", is_nic)) < 0 ||
                    (k = analyze_pci_class(r, "pci-usb", "USB controllers", is_usb)) < 0)
                        return k;
        }
        return 0;
}
