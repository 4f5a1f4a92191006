/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMBIOS: the binary table from /sys/firmware/dmi/tables and the text that
 * `dmidecode` prints both fill one struct smbios_info.  Strings are kept
 * printable (control bytes become '?'), trimmed, and at most
 * SMBIOS_MAX_STRING bytes; NULL means absent ("Not Specified" in dmidecode). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "findings.h"

#define SMBIOS_MAX_STRING 256
#define SMBIOS_MAX_STRUCTURES 4096
#define SMBIOS_MAX_TABLE_SIZE (4u * 1024u * 1024u)

enum smbios_field {
        SMBIOS_BIOS_VENDOR,
        SMBIOS_BIOS_VERSION,
        SMBIOS_BIOS_DATE,
        SMBIOS_SYS_VENDOR,
        SMBIOS_PRODUCT_NAME,
        SMBIOS_PRODUCT_VERSION,
        SMBIOS_PRODUCT_SERIAL,
        SMBIOS_PRODUCT_UUID,
        SMBIOS_PRODUCT_SKU,
        SMBIOS_PRODUCT_FAMILY,
        SMBIOS_BOARD_VENDOR,
        SMBIOS_BOARD_NAME,
        SMBIOS_BOARD_VERSION,
        SMBIOS_BOARD_SERIAL,
        SMBIOS_BOARD_ASSET_TAG,
        SMBIOS_CHASSIS_VENDOR,
        SMBIOS_CHASSIS_TYPE,
        SMBIOS_CHASSIS_SERIAL,
        SMBIOS_CHASSIS_ASSET_TAG,
        SMBIOS_CPU_MANUFACTURER,
        SMBIOS_CPU_VERSION,
        _SMBIOS_FIELD_MAX,
};

struct smbios_info {
        char *field[_SMBIOS_FIELD_MAX];
        char *version;         /* "3.3.0" */
        bool have_bios_characteristics;
        bool bios_uefi;        /* BIOS characteristics ext. 2 bit 3 */
        bool have_cpu_id;
        uint32_t cpu_signature; /* CPUID leaf 1 EAX from the type 4 ID field */
        uint32_t cpu_edx;       /* CPUID leaf 1 EDX */
        unsigned n_memory_devices;
        uint64_t memory_mb;
        unsigned n_structures;
};

/* JSON/quirk name of a field: "sys_vendor", "product_name", ... */
const char *smbios_field_name(enum smbios_field f);
int smbios_field_from_name(const char *name);
/* Whether a field identifies one machine or person (redacted in bundles). */
bool smbios_field_is_identifying(enum smbios_field f);

/* Entry point (32 bytes of "_SM_" or 24 of "_SM3_"): sets info->version and
 * *ret_table_len to the table length the entry point states (0 if unknown). */
int smbios_parse_entry_point(struct smbios_info *info, const uint8_t *data, size_t size,
                             size_t *ret_table_len, struct hw_findings *f);
/* The structure table.  Returns 0 or -ENOMEM; malformed data becomes findings. */
int smbios_parse_table(struct smbios_info *info, const uint8_t *data, size_t size,
                       struct hw_findings *f);
/* dmidecode's text output.  Returns 0 or -ENOMEM. */
int smbios_parse_dmidecode(struct smbios_info *info, const char *text, size_t size,
                           struct hw_findings *f);

/* Sets a field to a sanitised copy of (s, n); "Not Specified" stays NULL. */
int smbios_set_field(struct smbios_info *info, enum smbios_field field, const char *s, size_t n);
void smbios_info_done(struct smbios_info *info);
