/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI table parsers: DMAR, IVRS, TPM2, TCPA, APIC (MADT), MCFG, FACP, HPET.
 * Tables are untrusted input: every length and offset is checked against the
 * table's own length and the buffer, counts are bounded, and anything odd is
 * reported as a finding (category "acpi") while parsing goes on as far as it
 * safely can. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "findings.h"

#define ACPI_MAX_TABLES 64
#define ACPI_MAX_TABLE_SIZE (4u * 1024u * 1024u)
#define ACPI_HEADER_SIZE 36u

#define ACPI_DMAR_MAX_DRHD 32
#define ACPI_DMAR_MAX_RMRR 64
#define ACPI_DMAR_MAX_SCOPES 32
#define ACPI_DMAR_MAX_PATH 8
#define ACPI_IVRS_MAX_IVHD 32
#define ACPI_IVRS_MAX_IVMD 64
#define ACPI_IVRS_MAX_SPECIAL 32
#define ACPI_MADT_MAX_IOAPIC 64
#define ACPI_MCFG_MAX_ALLOC 16

/* DMAR DRHD flags and DMAR table flags */
#define ACPI_DMAR_INCLUDE_PCI_ALL 0x01
#define ACPI_DMAR_INTR_REMAP 0x01
#define ACPI_DMAR_X2APIC_OPT_OUT 0x02
#define ACPI_DMAR_DMA_CTRL_PLATFORM_OPT_IN 0x04

struct acpi_table_info {
        char signature[5];
        char oem_id[7];
        char oem_table_id[9];
        uint32_t length;       /* length field of the header */
        uint32_t size;         /* bytes actually present */
        uint8_t revision;
        bool checksum_ok;
};

struct acpi_dmar_scope {
        uint8_t type;
        uint8_t enumeration_id;
        uint8_t bus;
        uint8_t n_path;
        uint8_t path[ACPI_DMAR_MAX_PATH][2];
};

struct acpi_dmar_drhd {
        uint8_t flags;
        uint16_t segment;
        uint64_t base;
        uint8_t size;          /* revision 3+: register set size, 2^n pages */
        size_t n_scopes;
        struct acpi_dmar_scope scopes[ACPI_DMAR_MAX_SCOPES];
};

struct acpi_dmar_rmrr {
        uint16_t segment;
        uint64_t base;
        uint64_t limit;
        size_t n_scopes;
        struct acpi_dmar_scope scopes[ACPI_DMAR_MAX_SCOPES];
};

struct acpi_dmar {
        unsigned host_address_width; /* bits: the table's byte + 1 */
        uint8_t flags;
        size_t n_drhd;
        struct acpi_dmar_drhd drhd[ACPI_DMAR_MAX_DRHD];
        size_t n_rmrr;
        struct acpi_dmar_rmrr rmrr[ACPI_DMAR_MAX_RMRR];
        unsigned n_atsr, n_rhsa, n_andd, n_satc, n_other;
};

struct acpi_ivrs_special {
        uint8_t variety;       /* 1 IOAPIC, 2 HPET */
        uint8_t handle;
        uint16_t device_id;    /* the source-used device ID */
};

struct acpi_ivrs_ivhd {
        uint8_t type;          /* 0x10, 0x11, 0x40 */
        uint8_t flags;
        uint16_t device_id;
        uint16_t capability_offset;
        uint64_t base;
        uint16_t segment;
        uint16_t iommu_info;
        uint32_t feature_reporting; /* type 0x10: IOMMU feature; 0x11/0x40: attributes */
        uint64_t efr;          /* type 0x11/0x40: EFR register image */
        size_t n_special;
        struct acpi_ivrs_special special[ACPI_IVRS_MAX_SPECIAL];
        unsigned n_entries;
};

struct acpi_ivrs_ivmd {
        uint8_t type;          /* 0x20 all, 0x21 one device, 0x22 range */
        uint8_t flags;
        uint16_t device_id;
        uint16_t aux;
        uint64_t start;
        uint64_t length;
};

struct acpi_ivrs {
        uint32_t info;
        size_t n_ivhd;
        struct acpi_ivrs_ivhd ivhd[ACPI_IVRS_MAX_IVHD];
        size_t n_ivmd;
        struct acpi_ivrs_ivmd ivmd[ACPI_IVRS_MAX_IVMD];
};

struct acpi_tpm2 {
        uint32_t length;
        uint16_t platform_class;
        uint64_t control_address;
        uint32_t start_method;
        bool has_log;
        uint32_t laml;
        uint64_t lasa;
};

struct acpi_tcpa {
        uint32_t length;
        uint16_t platform_class;
        uint32_t laml;
        uint64_t lasa;
};

struct acpi_madt_ioapic {
        uint8_t id;
        uint32_t address;
        uint32_t gsi_base;
};

struct acpi_madt {
        uint32_t lapic_address;
        uint32_t flags;
        size_t n_ioapics;
        struct acpi_madt_ioapic ioapics[ACPI_MADT_MAX_IOAPIC];
        unsigned n_lapic, n_lapic_enabled, n_x2apic, n_x2apic_enabled, n_iso, n_nmi;
};

struct acpi_mcfg_alloc {
        uint64_t base;
        uint16_t segment;
        uint8_t start_bus;
        uint8_t end_bus;
};

struct acpi_mcfg {
        size_t n_alloc;
        struct acpi_mcfg_alloc alloc[ACPI_MCFG_MAX_ALLOC];
};

struct acpi_facp {
        uint8_t revision;
        uint32_t flags;
        uint16_t iapc_boot_arch;
        bool has_boot_arch;
        bool hw_reduced;
};

struct acpi_hpet {
        uint32_t event_timer_block_id;
        uint64_t base;
        uint8_t number;
};

struct acpi_info {
        size_t n_tables;
        struct acpi_table_info tables[ACPI_MAX_TABLES];
        struct acpi_dmar *dmar;
        struct acpi_ivrs *ivrs;
        struct acpi_tpm2 *tpm2;
        struct acpi_tcpa *tcpa;
        struct acpi_madt *madt;
        struct acpi_mcfg *mcfg;
        struct acpi_facp *facp;
        struct acpi_hpet *hpet;
};

/* Parses one raw table (header included).  `name` labels it in findings (a
 * file name or the signature).  Malformed content becomes findings in `f`;
 * the return value is negative only for -ENOMEM. */
int acpi_parse_table(struct acpi_info *a, const uint8_t *data, size_t size, const char *name,
                     struct hw_findings *f);

/* Minimum TPM2 table length its start method needs (TCG ACPI spec). */
uint32_t acpi_tpm2_min_length(uint32_t start_method);
const char *acpi_tpm2_start_method_to_string(uint32_t start_method);

void acpi_info_done(struct acpi_info *a);
