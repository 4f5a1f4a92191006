/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report as JSON (the schema in docs/hwcheck.md) and as a terminal table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cairn-config.h"
#include "hwcheck.h"
#include "json.h"
#include "quirks.h"

static void json_tristate(struct json_writer *j, const char *key, enum hw_tristate t) {
        if (t == HW_UNKNOWN)
                json_null(j, key);
        else
                json_bool(j, key, t == HW_YES);
}

static void json_scopes(struct json_writer *j, const struct acpi_dmar_scope *s, size_t n) {
        json_begin_array(j, "scopes");
        for (size_t i = 0; i < n; i++) {
                json_begin_object(j, NULL);
                json_uint(j, "type", s[i].type);
                json_uint(j, "enumeration_id", s[i].enumeration_id);
                json_uint(j, "bus", s[i].bus);
                json_begin_array(j, "path");
                for (size_t k = 0; k < s[i].n_path; k++) {
                        json_begin_array(j, NULL);
                        json_uint(j, NULL, s[i].path[k][0]);
                        json_uint(j, NULL, s[i].path[k][1]);
                        json_end_array(j);
                }
                json_end_array(j);
                json_end_object(j);
        }
        json_end_array(j);
}

static void json_acpi(struct json_writer *j, const struct acpi_info *a) {
        json_begin_object(j, "acpi");

        json_begin_array(j, "tables");
        for (size_t i = 0; i < a->n_tables; i++) {
                const struct acpi_table_info *t = &a->tables[i];

                json_begin_object(j, NULL);
                json_string(j, "signature", t->signature);
                json_uint(j, "length", t->length);
                json_uint(j, "revision", t->revision);
                json_string(j, "oem_id", t->oem_id);
                json_string(j, "oem_table_id", t->oem_table_id);
                json_bool(j, "checksum_ok", t->checksum_ok);
                json_end_object(j);
        }
        json_end_array(j);

        if (a->dmar) {
                const struct acpi_dmar *d = a->dmar;

                json_begin_object(j, "dmar");
                json_uint(j, "host_address_width", d->host_address_width);
                json_uint(j, "flags", d->flags);
                json_begin_array(j, "drhd");
                for (size_t i = 0; i < d->n_drhd; i++) {
                        json_begin_object(j, NULL);
                        json_uint(j, "flags", d->drhd[i].flags);
                        json_uint(j, "segment", d->drhd[i].segment);
                        json_uint(j, "base", d->drhd[i].base);
                        json_scopes(j, d->drhd[i].scopes, d->drhd[i].n_scopes);
                        json_end_object(j);
                }
                json_end_array(j);
                json_begin_array(j, "rmrr");
                for (size_t i = 0; i < d->n_rmrr; i++) {
                        json_begin_object(j, NULL);
                        json_uint(j, "segment", d->rmrr[i].segment);
                        json_uint(j, "base", d->rmrr[i].base);
                        json_uint(j, "limit", d->rmrr[i].limit);
                        json_scopes(j, d->rmrr[i].scopes, d->rmrr[i].n_scopes);
                        json_end_object(j);
                }
                json_end_array(j);
                json_uint(j, "atsr_count", d->n_atsr);
                json_uint(j, "rhsa_count", d->n_rhsa);
                json_uint(j, "andd_count", d->n_andd);
                json_uint(j, "satc_count", d->n_satc);
                json_uint(j, "other_count", d->n_other);
                json_end_object(j);
        } else
                json_null(j, "dmar");

        if (a->ivrs) {
                const struct acpi_ivrs *v = a->ivrs;

                json_begin_object(j, "ivrs");
                json_uint(j, "info", v->info);
                json_begin_array(j, "ivhd");
                for (size_t i = 0; i < v->n_ivhd; i++) {
                        const struct acpi_ivrs_ivhd *h = &v->ivhd[i];

                        json_begin_object(j, NULL);
                        json_uint(j, "type", h->type);
                        json_uint(j, "flags", h->flags);
                        json_uint(j, "device_id", h->device_id);
                        json_uint(j, "capability_offset", h->capability_offset);
                        json_uint(j, "base", h->base);
                        json_uint(j, "segment", h->segment);
                        json_uint(j, "iommu_info", h->iommu_info);
                        json_uint(j, "feature_reporting", h->feature_reporting);
                        if (h->type != 0x10)
                                json_uint(j, "efr", h->efr);
                        json_uint(j, "entries", h->n_entries);
                        json_begin_array(j, "special");
                        for (size_t k = 0; k < h->n_special; k++) {
                                json_begin_object(j, NULL);
                                json_uint(j, "variety", h->special[k].variety);
                                json_uint(j, "handle", h->special[k].handle);
                                json_uint(j, "device_id", h->special[k].device_id);
                                json_end_object(j);
                        }
                        json_end_array(j);
                        json_end_object(j);
                }
                json_end_array(j);
                json_begin_array(j, "ivmd");
                for (size_t i = 0; i < v->n_ivmd; i++) {
                        json_begin_object(j, NULL);
                        json_uint(j, "type", v->ivmd[i].type);
                        json_uint(j, "flags", v->ivmd[i].flags);
                        json_uint(j, "device_id", v->ivmd[i].device_id);
                        json_uint(j, "start", v->ivmd[i].start);
                        json_uint(j, "length", v->ivmd[i].length);
                        json_end_object(j);
                }
                json_end_array(j);
                json_end_object(j);
        } else
                json_null(j, "ivrs");

        if (a->tpm2) {
                json_begin_object(j, "tpm2");
                json_uint(j, "length", a->tpm2->length);
                json_uint(j, "start_method", a->tpm2->start_method);
                json_string(j, "start_method_name", acpi_tpm2_start_method_to_string(a->tpm2->start_method));
                json_uint(j, "platform_class", a->tpm2->platform_class);
                json_uint(j, "control_address", a->tpm2->control_address);
                if (a->tpm2->has_log) {
                        json_uint(j, "log_area_length", a->tpm2->laml);
                        json_uint(j, "log_area_start", a->tpm2->lasa);
                }
                json_end_object(j);
        } else
                json_null(j, "tpm2");

        if (a->tcpa) {
                json_begin_object(j, "tcpa");
                json_uint(j, "length", a->tcpa->length);
                json_uint(j, "platform_class", a->tcpa->platform_class);
                json_uint(j, "log_area_length", a->tcpa->laml);
                json_uint(j, "log_area_start", a->tcpa->lasa);
                json_end_object(j);
        } else
                json_null(j, "tcpa");

        if (a->madt) {
                const struct acpi_madt *m = a->madt;

                json_begin_object(j, "madt");
                json_uint(j, "local_apic_address", m->lapic_address);
                json_uint(j, "flags", m->flags);
                json_begin_array(j, "ioapics");
                for (size_t i = 0; i < m->n_ioapics; i++) {
                        json_begin_object(j, NULL);
                        json_uint(j, "id", m->ioapics[i].id);
                        json_uint(j, "address", m->ioapics[i].address);
                        json_uint(j, "gsi_base", m->ioapics[i].gsi_base);
                        json_end_object(j);
                }
                json_end_array(j);
                json_uint(j, "local_apics", m->n_lapic);
                json_uint(j, "local_apics_enabled", m->n_lapic_enabled);
                json_uint(j, "local_x2apics", m->n_x2apic);
                json_uint(j, "local_x2apics_enabled", m->n_x2apic_enabled);
                json_end_object(j);
        } else
                json_null(j, "madt");

        if (a->mcfg) {
                json_begin_object(j, "mcfg");
                json_begin_array(j, "allocations");
                for (size_t i = 0; i < a->mcfg->n_alloc; i++) {
                        json_begin_object(j, NULL);
                        json_uint(j, "base", a->mcfg->alloc[i].base);
                        json_uint(j, "segment", a->mcfg->alloc[i].segment);
                        json_uint(j, "start_bus", a->mcfg->alloc[i].start_bus);
                        json_uint(j, "end_bus", a->mcfg->alloc[i].end_bus);
                        json_end_object(j);
                }
                json_end_array(j);
                json_end_object(j);
        } else
                json_null(j, "mcfg");

        if (a->facp) {
                json_begin_object(j, "facp");
                json_uint(j, "revision", a->facp->revision);
                json_uint(j, "flags", a->facp->flags);
                if (a->facp->has_boot_arch)
                        json_uint(j, "iapc_boot_arch", a->facp->iapc_boot_arch);
                else
                        json_null(j, "iapc_boot_arch");
                json_bool(j, "hw_reduced", a->facp->hw_reduced);
                json_end_object(j);
        } else
                json_null(j, "facp");

        if (a->hpet) {
                json_begin_object(j, "hpet");
                json_uint(j, "base", a->hpet->base);
                json_uint(j, "number", a->hpet->number);
                json_uint(j, "event_timer_block_id", a->hpet->event_timer_block_id);
                json_end_object(j);
        } else
                json_null(j, "hpet");

        json_end_object(j);
}

static const char *tpm_version_string(enum hw_tpm_version v) {
        switch (v) {
        case HW_TPM_NONE:
                return "none";
        case HW_TPM_1_2:
                return "1.2";
        case HW_TPM_2_0:
                return "2.0";
        default:
                return NULL;
        }
}

static int worst_overall(const struct hw_report *r) {
        int w = HW_SEVERITY_OK;

        for (size_t i = 0; i < r->findings.n; i++)
                if ((int) r->findings.items[i].severity > w)
                        w = (int) r->findings.items[i].severity;
        for (size_t i = 0; i < r->n_quirks; i++)
                if (r->quirks[i].unsupported)
                        w = HW_SEVERITY_FAIL;
        return w;
}

/* Space-separated union of the quirks' command-line additions. */
static void combined_cmdline(const struct hw_report *r, bool xen, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < r->n_quirks; i++) {
                const char *c = xen ? r->quirks[i].xen_cmdline : r->quirks[i].linux_cmdline;
                int w;

                if (!c)
                        continue;
                w = snprintf(buf + len, size - len, "%s%s", len ? " " : "", c);
                if (w > 0)
                        len = MIN(len + (size_t) w, size - 1);
        }
}

int hw_report_write_json(const struct hw_report *r, FILE *out) {
        struct json_writer j;
        char buf[4096];

        json_init(&j, out);
        json_begin_object(&j, NULL);
        json_uint(&j, "schema", HW_JSON_SCHEMA);
        json_string(&j, "generator", "cairn-hwcheck " CAIRN_VERSION);
        json_string(&j, "mode", r->live ? "live" : "offline");

        if (r->have_acpi)
                json_acpi(&j, &r->acpi);
        else {
                json_begin_object(&j, "acpi");
                json_begin_array(&j, "tables");
                json_end_array(&j);
                json_null(&j, "dmar");
                json_null(&j, "ivrs");
                json_null(&j, "tpm2");
                json_null(&j, "tcpa");
                json_null(&j, "madt");
                json_null(&j, "mcfg");
                json_null(&j, "facp");
                json_null(&j, "hpet");
                json_end_object(&j);
        }

        json_begin_object(&j, "dmi");
        for (int i = 0; i < _SMBIOS_FIELD_MAX; i++)
                json_string(&j, smbios_field_name(i), r->dmi.field[i]);
        json_string(&j, "smbios_version", r->dmi.version);
        if (r->dmi.have_bios_characteristics)
                json_bool(&j, "bios_uefi", r->dmi.bios_uefi);
        else
                json_null(&j, "bios_uefi");
        json_uint(&j, "memory_devices", r->dmi.n_memory_devices);
        json_uint(&j, "memory_mb", r->dmi.memory_mb);
        json_end_object(&j);

        if (r->cpu.known || r->cpu.from_smbios) {
                json_begin_object(&j, "cpu");
                json_string(&j, "source", r->cpu.known ? "cpuid" : "smbios");
                json_string(&j, "vendor", r->cpu.vendor);
                json_uint(&j, "family", r->cpu.family);
                json_uint(&j, "model", r->cpu.model);
                json_uint(&j, "stepping", r->cpu.stepping);
                if (r->cpu.known) {
                        json_string(&j, "brand", r->cpu.brand);
                        json_uint(&j, "count", r->cpu.n_cpus);
                        json_bool(&j, "vmx", r->cpu.vmx);
                        json_bool(&j, "svm", r->cpu.svm);
                        json_bool(&j, "ept", r->cpu.ept);
                        json_bool(&j, "npt", r->cpu.npt);
                        json_bool(&j, "smx", r->cpu.smx);
                        json_bool(&j, "aes", r->cpu.aes);
                        json_bool(&j, "rdrand", r->cpu.rdrand);
                        json_bool(&j, "hypervisor", r->cpu.hypervisor);
                        json_tristate(&j, "virt_disabled_by_firmware", r->cpu.virt_firmware_disabled);
                        json_tristate(&j, "virt_locked", r->cpu.virt_locked);
                }
                json_end_object(&j);
        } else
                json_null(&j, "cpu");

        json_begin_object(&j, "tpm");
        json_string(&j, "version", tpm_version_string(r->tpm.version));
        json_string(&j, "manufacturer", r->tpm.manufacturer[0] ? r->tpm.manufacturer : NULL);
        json_string(&j, "firmware_version", r->tpm.firmware_version[0] ? r->tpm.firmware_version : NULL);
        json_tristate(&j, "owned", r->tpm.owned);
        json_tristate(&j, "lockout", r->tpm.lockout);
        json_string(&j, "source", r->tpm.source[0] ? r->tpm.source : NULL);
        json_string(&j, "error", r->tpm.error[0] ? r->tpm.error : NULL);
        json_end_object(&j);

        if (r->txt.probed) {
                json_begin_object(&j, "txt");
                json_bool(&j, "readable", r->txt.readable);
                json_bool(&j, "present", r->txt.present);
                json_uint(&j, "didvid", r->txt.didvid);
                json_uint(&j, "sts", r->txt.sts);
                json_uint(&j, "ests", r->txt.ests);
                json_uint(&j, "errorcode", r->txt.errorcode);
                json_end_object(&j);
        } else
                json_null(&j, "txt");

        json_begin_object(&j, "firmware");
        json_tristate(&j, "uefi", r->firmware.uefi);
        json_tristate(&j, "secure_boot", r->firmware.secure_boot);
        json_tristate(&j, "setup_mode", r->firmware.setup_mode);
        json_end_object(&j);

        if (r->have_pci) {
                json_begin_array(&j, "pci");
                for (size_t i = 0; i < r->n_pci; i++) {
                        const struct hw_pci_dev *p = &r->pci[i];

                        snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", p->domain, p->bus, p->dev, p->fn);
                        json_begin_object(&j, NULL);
                        json_string(&j, "address", buf);
                        json_uint(&j, "vendor", p->vendor);
                        json_uint(&j, "device", p->device);
                        json_uint(&j, "revision", p->revision);
                        json_uint(&j, "class", p->class_code);
                        json_string(&j, "class_name", hw_pci_class_name(p->class_code));
                        json_string(&j, "driver", p->driver[0] ? p->driver : NULL);
                        if (p->iommu_group >= 0)
                                json_int(&j, "iommu_group", p->iommu_group);
                        else
                                json_null(&j, "iommu_group");
                        json_end_object(&j);
                }
                json_end_array(&j);
        } else
                json_null(&j, "pci");

        if (r->xen.present) {
                json_begin_object(&j, "xen");
                json_string(&j, "virt_caps", r->xen.virt_caps);
                json_tristate(&j, "hvm", r->xen.hvm);
                json_tristate(&j, "hap", r->xen.hap);
                json_tristate(&j, "iommu", r->xen.iommu);
                json_tristate(&j, "interrupt_remapping", r->xen.intremap);
                json_begin_array(&j, "messages");
                for (unsigned i = 0; i < r->xen.n_errors; i++)
                        json_string(&j, NULL, r->xen.errors[i]);
                json_end_array(&j);
                json_end_object(&j);
        } else
                json_null(&j, "xen");

        json_begin_array(&j, "findings");
        for (size_t i = 0; i < r->findings.n; i++) {
                const struct hw_finding *f = &r->findings.items[i];

                json_begin_object(&j, NULL);
                json_string(&j, "id", f->id);
                json_string(&j, "category", f->category);
                json_string(&j, "severity", hw_severity_to_string(f->severity));
                json_string(&j, "message", f->message);
                json_end_object(&j);
        }
        json_end_array(&j);

        json_begin_array(&j, "quirks");
        for (size_t i = 0; i < r->n_quirks; i++) {
                const struct quirk_match *q = &r->quirks[i];

                json_begin_object(&j, NULL);
                json_string(&j, "id", q->id);
                json_string(&j, "xen_cmdline", q->xen_cmdline);
                json_string(&j, "linux_cmdline", q->linux_cmdline);
                json_bool(&j, "unsupported", q->unsupported);
                json_string(&j, "reason", q->reason);
                json_string(&j, "advice", q->advice);
                json_string(&j, "source", q->source);
                json_string(&j, "matched", q->matched);
                json_end_object(&j);
        }
        json_end_array(&j);

        json_begin_object(&j, "summary");
        json_string(&j, "verdict", hw_severity_to_string(worst_overall(r)));
        combined_cmdline(r, true, buf, sizeof(buf));
        json_string(&j, "xen_cmdline", buf);
        combined_cmdline(r, false, buf, sizeof(buf));
        json_string(&j, "linux_cmdline", buf);
        json_uint(&j, "findings_dropped", r->findings.dropped);
        json_end_object(&j);

        json_end_object(&j);
        fflush(out);
        return ferror(out) ? -EIO : 0;
}

struct category {
        const char *id;
        const char *title;
        const char *offline_note;
};

static const struct category categories[] = {
        { "cpu", "CPU virtualisation", "CPUID is only read on the machine itself" },
        { "iommu", "IOMMU + interrupt remapping", "no ACPI tables given" },
        { "tpm", "TPM", "no ACPI tables given" },
        { "txt", "Intel TXT", "read on Intel machines only, live" },
        { "firmware", "UEFI / Secure Boot", "read from efivars, live" },
        { "passthrough", "GPU / NIC / USB passthrough", "the PCI list is read live" },
        { "xen", "Xen", "not running under Xen" },
        { "acpi", "ACPI tables", NULL },
        { "smbios", "SMBIOS", NULL },
};

static const char *tag(int sev, bool color) {
        switch (sev) {
        case HW_SEVERITY_OK:
                return color ? "\033[32m OK \033[0m" : " OK ";
        case HW_SEVERITY_WARN:
                return color ? "\033[33mWARN\033[0m" : "WARN";
        case HW_SEVERITY_FAIL:
                return color ? "\033[31;1mFAIL\033[0m" : "FAIL";
        default:
                return " -- ";
        }
}

int hw_report_write_text(const struct hw_report *r, FILE *out, bool color) {
        const struct smbios_info *d = &r->dmi;
        char buf[4096];
        int verdict;

#define F(x) (d->field[x] ? d->field[x] : "?")
        fprintf(out, "Cairn hardware check (cairn-hwcheck %s)\n", CAIRN_VERSION);
        fprintf(out, "Machine:  %s %s%s%s\n", F(SMBIOS_SYS_VENDOR), F(SMBIOS_PRODUCT_NAME),
                d->field[SMBIOS_PRODUCT_VERSION] ? " / " : "",
                d->field[SMBIOS_PRODUCT_VERSION] ? d->field[SMBIOS_PRODUCT_VERSION] : "");
        fprintf(out, "Board:    %s %s\n", F(SMBIOS_BOARD_VENDOR), F(SMBIOS_BOARD_NAME));
        fprintf(out, "Firmware: %s %s (%s)\n", F(SMBIOS_BIOS_VENDOR), F(SMBIOS_BIOS_VERSION), F(SMBIOS_BIOS_DATE));
#undef F
        if (r->cpu.known)
                fprintf(out, "CPU:      %s (%s family 0x%x model 0x%x)\n", r->cpu.brand, r->cpu.vendor,
                        r->cpu.family, r->cpu.model);
        else if (r->cpu.from_smbios)
                fprintf(out, "CPU:      %s family 0x%x model 0x%x (from SMBIOS)\n", r->cpu.vendor, r->cpu.family,
                        r->cpu.model);
        fprintf(out, "Source:   %s\n\n", r->live ? "this machine (live)" : (r->source ? r->source : "offline dumps"));

        for (size_t c = 0; c < ELEMENTSOF(categories); c++) {
                const struct category *cat = &categories[c];
                int worst = hw_findings_worst(&r->findings, cat->id);

                if (worst < 0 && !cat->offline_note)
                        continue;
                fprintf(out, "[%s] %s\n", tag(worst, color), cat->title);
                if (worst < 0) {
                        fprintf(out, "       not examined: %s.\n", cat->offline_note);
                        continue;
                }
                for (size_t i = 0; i < r->findings.n; i++) {
                        const struct hw_finding *f = &r->findings.items[i];

                        if (strcmp(f->category, cat->id) != 0)
                                continue;
                        fprintf(out, "       %s %s  (%s)\n", tag((int) f->severity, color), f->message, f->id);
                }
        }
        if (r->findings.dropped > 0)
                fprintf(out, "       (%zu more findings not shown)\n", r->findings.dropped);

        fputc('\n', out);
        if (r->n_quirks == 0)
                fprintf(out, "Known quirks: none of the quirk database applies.\n");
        else {
                fprintf(out, "Known quirks that apply (%zu):\n", r->n_quirks);
                for (size_t i = 0; i < r->n_quirks; i++) {
                        const struct quirk_match *q = &r->quirks[i];

                        fprintf(out, "  * %s%s\n", q->id, q->unsupported ? "  [UNSUPPORTED]" : "");
                        fprintf(out, "      why:      %s\n", q->reason);
                        fprintf(out, "      matched:  %s\n", q->matched ? q->matched : "");
                        if (q->xen_cmdline)
                                fprintf(out, "      Xen:      %s\n", q->xen_cmdline);
                        if (q->linux_cmdline)
                                fprintf(out, "      dom0:     %s\n", q->linux_cmdline);
                        if (q->advice)
                                fprintf(out, "      advice:   %s\n", q->advice);
                        fprintf(out, "      source:   %s\n", q->source);
                }
                combined_cmdline(r, true, buf, sizeof(buf));
                if (buf[0])
                        fprintf(out, "Add to the Xen command line:  %s\n", buf);
                combined_cmdline(r, false, buf, sizeof(buf));
                if (buf[0])
                        fprintf(out, "Add to the dom0 command line: %s\n", buf);
        }
        verdict = worst_overall(r);
        fprintf(out, "\nVerdict: %s\n",
                verdict == HW_SEVERITY_OK ? "OK: this machine can run Cairn well." :
                verdict == HW_SEVERITY_WARN ? "WARN: Cairn runs, with the limits listed above." :
                                              "FAIL: Cairn cannot run well here until the FAIL items are fixed.");
        fflush(out);
        return ferror(out) ? -EIO : 0;
}
