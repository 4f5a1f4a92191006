/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The machine model cairn-hwcheck builds (live, or from a customer's dumps),
 * the analysis that turns it into findings, and its JSON and text forms. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acpi.h"
#include "findings.h"
#include "smbios.h"

#define HW_JSON_SCHEMA 1
#define HW_MAX_PCI 512

enum hw_tristate {
        HW_UNKNOWN = -1,
        HW_NO = 0,
        HW_YES = 1,
};

struct hw_cpu {
        bool known;            /* CPUID was read (live) */
        bool from_smbios;      /* only the SMBIOS type 4 signature is known */
        char vendor[13];       /* "GenuineIntel", "AuthenticAMD" */
        char brand[49];
        unsigned family, model, stepping;
        bool vmx, svm, ept, npt, smx, aes, rdrand, hypervisor, x2apic;
        /* IA32_FEATURE_CONTROL / VM_CR through /dev/cpu/N/msr */
        enum hw_tristate virt_firmware_disabled;
        enum hw_tristate virt_locked;
        unsigned n_cpus;
};

enum hw_tpm_version {
        HW_TPM_UNKNOWN,
        HW_TPM_NONE,
        HW_TPM_1_2,
        HW_TPM_2_0,
};

struct hw_tpm {
        enum hw_tpm_version version;
        char manufacturer[16];
        char firmware_version[32];
        enum hw_tristate owned;
        enum hw_tristate lockout;
        uint32_t lockout_counter, max_auth_fail;
        char source[32];        /* "tss2-esys", "sysfs", "acpi" */
        char error[128];        /* why a query failed */
};

struct hw_txt {
        bool probed;
        bool readable;
        uint64_t didvid, sts, ests, errorcode;
        bool present;
};

struct hw_pci_dev {
        uint16_t domain;
        uint8_t bus, dev, fn;
        uint16_t vendor, device;
        uint8_t revision;
        uint32_t class_code;   /* 24 bits: class, subclass, prog-if */
        char driver[32];
        int iommu_group;       /* -1 when unknown */
};

struct hw_firmware {
        enum hw_tristate uefi;
        enum hw_tristate secure_boot;
        enum hw_tristate setup_mode;
};

struct hw_xen {
        bool present;          /* running as dom0 (xl info worked) */
        char *virt_caps;
        enum hw_tristate hvm, hap, iommu, intremap;
        unsigned n_errors;
        char *errors[16];      /* xl dmesg lines about DMAR/IVRS trouble */
};

struct hw_report {
        bool live;
        char *source;          /* "live", or the offline input file */
        struct acpi_info acpi;
        bool have_acpi;
        bool acpi_incomplete;  /* some table could not be read (permissions) */
        struct smbios_info dmi;
        bool have_dmi;
        struct hw_cpu cpu;
        struct hw_tpm tpm;
        struct hw_txt txt;
        size_t n_pci;
        struct hw_pci_dev *pci;
        bool have_pci;
        struct hw_firmware firmware;
        struct hw_xen xen;
        struct hw_findings findings;
        struct quirk_match *quirks;    /* matched quirks */
        size_t n_quirks;
};

void hw_report_init(struct hw_report *r);
void hw_report_done(struct hw_report *r);

/* Feeds one raw ACPI table into the report. */
int hw_report_add_acpi_table(struct hw_report *r, const uint8_t *data, size_t size, const char *name);
/* Offline inputs: acpidump hex text and dmidecode text. */
int hw_report_load_acpidump(struct hw_report *r, const char *text, size_t size);
int hw_report_load_dmidecode(struct hw_report *r, const char *text, size_t size);
/* CPU vendor/family/model from the SMBIOS type 4 signature when no CPUID. */
void hw_report_cpu_from_smbios(struct hw_report *r);

/* Xen: parse `xl info` and `xl dmesg` output (both old and current wordings). */
int hw_xen_parse_info(struct hw_xen *x, const char *text, size_t size);
int hw_xen_parse_dmesg(struct hw_xen *x, const char *text, size_t size);

/* Derives the findings from everything gathered. */
int hw_analyze(struct hw_report *r);

/* PCI helpers */
const char *hw_pci_class_name(uint32_t class_code);

/* Output */
int hw_report_write_json(const struct hw_report *r, FILE *out);
int hw_report_write_text(const struct hw_report *r, FILE *out, bool color);
