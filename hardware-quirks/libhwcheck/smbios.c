/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "smbios.h"
#include "util.h"

#define SMBIOS_ADD(f, id, sev, ...)                                               \
        do {                                                                      \
                if (hw_findings_add((f), "smbios", (id), (sev), __VA_ARGS__) < 0) \
                        return -ENOMEM;                                           \
        } while (0)

static const char *const field_names[_SMBIOS_FIELD_MAX] = {
        [SMBIOS_BIOS_VENDOR] = "bios_vendor",
        [SMBIOS_BIOS_VERSION] = "bios_version",
        [SMBIOS_BIOS_DATE] = "bios_date",
        [SMBIOS_SYS_VENDOR] = "sys_vendor",
        [SMBIOS_PRODUCT_NAME] = "product_name",
        [SMBIOS_PRODUCT_VERSION] = "product_version",
        [SMBIOS_PRODUCT_SERIAL] = "product_serial",
        [SMBIOS_PRODUCT_UUID] = "product_uuid",
        [SMBIOS_PRODUCT_SKU] = "product_sku",
        [SMBIOS_PRODUCT_FAMILY] = "product_family",
        [SMBIOS_BOARD_VENDOR] = "board_vendor",
        [SMBIOS_BOARD_NAME] = "board_name",
        [SMBIOS_BOARD_VERSION] = "board_version",
        [SMBIOS_BOARD_SERIAL] = "board_serial",
        [SMBIOS_BOARD_ASSET_TAG] = "board_asset_tag",
        [SMBIOS_CHASSIS_VENDOR] = "chassis_vendor",
        [SMBIOS_CHASSIS_TYPE] = "chassis_type",
        [SMBIOS_CHASSIS_SERIAL] = "chassis_serial",
        [SMBIOS_CHASSIS_ASSET_TAG] = "chassis_asset_tag",
        [SMBIOS_CPU_MANUFACTURER] = "cpu_manufacturer",
        [SMBIOS_CPU_VERSION] = "cpu_version",
};

const char *smbios_field_name(enum smbios_field f) {
        if ((unsigned) f >= _SMBIOS_FIELD_MAX)
                return NULL;
        return field_names[f];
}

int smbios_field_from_name(const char *name) {
        for (int i = 0; i < _SMBIOS_FIELD_MAX; i++)
                if (strcmp(field_names[i], name) == 0)
                        return i;
        return -EINVAL;
}

bool smbios_field_is_identifying(enum smbios_field f) {
        return f == SMBIOS_PRODUCT_SERIAL || f == SMBIOS_PRODUCT_UUID || f == SMBIOS_BOARD_SERIAL ||
               f == SMBIOS_BOARD_ASSET_TAG || f == SMBIOS_CHASSIS_SERIAL ||
               f == SMBIOS_CHASSIS_ASSET_TAG;
}

int smbios_set_field(struct smbios_info *info, enum smbios_field field, const char *s, size_t n) {
        char *v;
        size_t a = 0, b = n, k = 0;

        if ((unsigned) field >= _SMBIOS_FIELD_MAX)
                return -EINVAL;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
                a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                b--;
        if (b - a == strlen("Not Specified") && memcmp(s + a, "Not Specified", b - a) == 0) {
                free(info->field[field]);
                info->field[field] = NULL;
                return 0;
        }
        if (b - a > SMBIOS_MAX_STRING)
                b = a + SMBIOS_MAX_STRING;
        v = malloc(b - a + 1);
        if (!v)
                return -ENOMEM;
        for (size_t i = a; i < b; i++) {
                unsigned char c = (unsigned char) s[i];
                v[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
        }
        v[k] = '\0';
        free(info->field[field]);
        info->field[field] = v;
        return 0;
}

static const char *const chassis_types[] = {
        [1] = "Other", [2] = "Unknown", [3] = "Desktop", [4] = "Low Profile Desktop",
        [5] = "Pizza Box", [6] = "Mini Tower", [7] = "Tower", [8] = "Portable",
        [9] = "Laptop", [10] = "Notebook", [11] = "Hand Held", [12] = "Docking Station",
        [13] = "All In One", [14] = "Sub Notebook", [15] = "Space-saving", [16] = "Lunch Box",
        [17] = "Main Server Chassis", [18] = "Expansion Chassis", [19] = "Sub Chassis",
        [20] = "Bus Expansion Chassis", [21] = "Peripheral Chassis", [22] = "RAID Chassis",
        [23] = "Rack Mount Chassis", [24] = "Sealed-case PC", [25] = "Multi-system",
        [26] = "CompactPCI", [27] = "AdvancedTCA", [28] = "Blade", [29] = "Blade Enclosing",
        [30] = "Tablet", [31] = "Convertible", [32] = "Detachable", [33] = "IoT Gateway",
        [34] = "Embedded PC", [35] = "Mini PC", [36] = "Stick PC",
};

int smbios_parse_entry_point(struct smbios_info *info, const uint8_t *data, size_t size,
                             size_t *ret_table_len, struct hw_findings *f) {
        char buf[32];
        uint8_t sum = 0;
        size_t len;

        *ret_table_len = 0;
        if (size >= 24 && memcmp(data, "_SM3_", 5) == 0) {
                len = data[6];
                if (len < 24 || len > size)
                        len = 24;
                for (size_t i = 0; i < len; i++)
                        sum = (uint8_t) (sum + data[i]);
                if (sum != 0)
                        SMBIOS_ADD(f, "smbios-checksum", HW_SEVERITY_WARN,
                                   "The SMBIOS 3 entry point has a bad checksum; its data is doubtful.");
                snprintf(buf, sizeof(buf), "%u.%u.%u", data[7], data[8], data[9]);
                *ret_table_len = get_le32(data + 12);
        } else if (size >= 31 && memcmp(data, "_SM_", 4) == 0) {
                len = data[5];
                if (len < 31 || len > size)
                        len = 31;
                for (size_t i = 0; i < len; i++)
                        sum = (uint8_t) (sum + data[i]);
                if (sum != 0)
                        SMBIOS_ADD(f, "smbios-checksum", HW_SEVERITY_WARN,
                                   "The SMBIOS entry point has a bad checksum; its data is doubtful.");
                snprintf(buf, sizeof(buf), "%u.%u", data[6], data[7]);
                *ret_table_len = get_le16(data + 0x16);
        } else {
                SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                           "The SMBIOS entry point (%zu bytes) has no _SM_ or _SM3_ anchor; ignored.", size);
                return 0;
        }
        free(info->version);
        info->version = strdup(buf);
        return info->version ? 0 : -ENOMEM;
}

/* String number `idx` (1-based) of a structure whose string set is [s, end). */
static const char *structure_string(const uint8_t *s, const uint8_t *end, uint8_t idx, size_t *ret_len) {
        if (idx == 0)
                return NULL;
        while (s < end) {
                const uint8_t *z = memchr(s, 0, (size_t) (end - s));
                size_t n = z ? (size_t) (z - s) : (size_t) (end - s);

                if (n == 0)
                        return NULL;
                if (--idx == 0) {
                        *ret_len = n;
                        return (const char *) s;
                }
                s += n + 1;
        }
        return NULL;
}

static int set_string(struct smbios_info *info, enum smbios_field field, const uint8_t *h,
                      uint8_t len, size_t at, const uint8_t *strs, const uint8_t *end) {
        const char *s;
        size_t n = 0;

        if (at >= len)
                return 0;
        s = structure_string(strs, end, h[at], &n);
        if (!s)
                return 0;
        return smbios_set_field(info, field, s, n);
}

static int format_uuid(struct smbios_info *info, const uint8_t *u) {
        char buf[37];
        bool all0 = true, allf = true;

        for (int i = 0; i < 16; i++) {
                if (u[i] != 0)
                        all0 = false;
                if (u[i] != 0xff)
                        allf = false;
        }
        if (all0 || allf)
                return 0;
        /* SMBIOS 2.6+: the first three fields are little-endian */
        snprintf(buf, sizeof(buf),
                 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                 u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
                 u[13], u[14], u[15]);
        return smbios_set_field(info, SMBIOS_PRODUCT_UUID, buf, strlen(buf));
}

int smbios_parse_table(struct smbios_info *info, const uint8_t *data, size_t size,
                       struct hw_findings *f) {
        bool seen[5] = {};
        bool cpu_populated = false;
        size_t off = 0;
        int r;

        if (size > SMBIOS_MAX_TABLE_SIZE) {
                SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                           "The SMBIOS table is %zu bytes; only the first %u are read.", size,
                           SMBIOS_MAX_TABLE_SIZE);
                size = SMBIOS_MAX_TABLE_SIZE;
        }

        while (off + 4 <= size) {
                const uint8_t *h = data + off;
                uint8_t type = h[0], len = h[1];
                const uint8_t *strs, *end, *p;

                if (info->n_structures >= SMBIOS_MAX_STRUCTURES) {
                        SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                                   "More than %d SMBIOS structures; the rest are ignored.",
                                   SMBIOS_MAX_STRUCTURES);
                        break;
                }
                if (len < 4) {
                        SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                                   "SMBIOS structure at offset %zu (type %u) has length %u; the rest of the table cannot be read.",
                                   off, type, len);
                        break;
                }
                if (len > size - off) {
                        SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                                   "SMBIOS structure at offset %zu (type %u) runs past the end of the table.",
                                   off, type);
                        break;
                }
                strs = h + len;
                /* the string set ends with two NULs */
                p = strs;
                end = NULL;
                while (p + 1 < data + size) {
                        if (p[0] == 0 && p[1] == 0) {
                                end = p + 1;
                                break;
                        }
                        p++;
                }
                if (!end) {
                        SMBIOS_ADD(f, "smbios-malformed", HW_SEVERITY_WARN,
                                   "SMBIOS structure at offset %zu (type %u) has an unterminated string set.",
                                   off, type);
                        break;
                }
                info->n_structures++;

#define S(field, at)                                                  \
        do {                                                          \
                r = set_string(info, (field), h, len, (at), strs, end); \
                if (r < 0)                                            \
                        return r;                                     \
        } while (0)

                switch (type) {
                case 0:
                        if (seen[0])
                                break;
                        seen[0] = true;
                        S(SMBIOS_BIOS_VENDOR, 4);
                        S(SMBIOS_BIOS_VERSION, 5);
                        S(SMBIOS_BIOS_DATE, 8);
                        if (len >= 0x14) {
                                info->have_bios_characteristics = true;
                                info->bios_uefi = h[0x13] & 0x08;
                        }
                        break;
                case 1:
                        if (seen[1])
                                break;
                        seen[1] = true;
                        S(SMBIOS_SYS_VENDOR, 4);
                        S(SMBIOS_PRODUCT_NAME, 5);
                        S(SMBIOS_PRODUCT_VERSION, 6);
                        S(SMBIOS_PRODUCT_SERIAL, 7);
                        if (len >= 0x19) {
                                r = format_uuid(info, h + 8);
                                if (r < 0)
                                        return r;
                        }
                        S(SMBIOS_PRODUCT_SKU, 0x19);
                        S(SMBIOS_PRODUCT_FAMILY, 0x1a);
                        break;
                case 2:
                        if (seen[2])
                                break;
                        seen[2] = true;
                        S(SMBIOS_BOARD_VENDOR, 4);
                        S(SMBIOS_BOARD_NAME, 5);
                        S(SMBIOS_BOARD_VERSION, 6);
                        S(SMBIOS_BOARD_SERIAL, 7);
                        S(SMBIOS_BOARD_ASSET_TAG, 8);
                        break;
                case 3:
                        if (seen[3])
                                break;
                        seen[3] = true;
                        S(SMBIOS_CHASSIS_VENDOR, 4);
                        if (len > 5) {
                                unsigned t = h[5] & 0x7f;
                                const char *name = t < sizeof(chassis_types) / sizeof(chassis_types[0]) ? chassis_types[t] : NULL;

                                if (name) {
                                        r = smbios_set_field(info, SMBIOS_CHASSIS_TYPE, name, strlen(name));
                                        if (r < 0)
                                                return r;
                                }
                        }
                        S(SMBIOS_CHASSIS_SERIAL, 7);
                        S(SMBIOS_CHASSIS_ASSET_TAG, 8);
                        break;
                case 4: {
                        bool populated = len > 0x18 && (h[0x18] & 0x40);

                        if (cpu_populated || (seen[4] && !populated))
                                break;
                        seen[4] = true;
                        cpu_populated = populated;
                        S(SMBIOS_CPU_MANUFACTURER, 7);
                        S(SMBIOS_CPU_VERSION, 0x10);
                        if (len >= 0x10) {
                                info->have_cpu_id = true;
                                info->cpu_signature = get_le32(h + 8);
                                info->cpu_edx = get_le32(h + 12);
                        }
                        break;
                }
                case 17:
                        if (len >= 0x0e) {
                                uint16_t sz = get_le16(h + 0x0c);
                                uint64_t mb = 0;

                                if (sz == 0 || sz == 0xffff)
                                        break;
                                if (sz == 0x7fff && len >= 0x20)
                                        mb = get_le32(h + 0x1c) & 0x7fffffff;
                                else if (sz & 0x8000)
                                        mb = (sz & 0x7fff) / 1024;
                                else
                                        mb = sz;
                                info->n_memory_devices++;
                                info->memory_mb += mb;
                        }
                        break;
                default:
                        break;
                }
#undef S
                off = (size_t) (end - data) + 1;
                if (type == 127)
                        break;
        }
        return 0;
}

/* ---- dmidecode text ---- */

struct dmi_key {
        int type;
        const char *key;
        enum smbios_field field;
};

static const struct dmi_key dmi_keys[] = {
        { 0, "Vendor", SMBIOS_BIOS_VENDOR },
        { 0, "Version", SMBIOS_BIOS_VERSION },
        { 0, "Release Date", SMBIOS_BIOS_DATE },
        { 1, "Manufacturer", SMBIOS_SYS_VENDOR },
        { 1, "Product Name", SMBIOS_PRODUCT_NAME },
        { 1, "Version", SMBIOS_PRODUCT_VERSION },
        { 1, "Serial Number", SMBIOS_PRODUCT_SERIAL },
        { 1, "UUID", SMBIOS_PRODUCT_UUID },
        { 1, "SKU Number", SMBIOS_PRODUCT_SKU },
        { 1, "Family", SMBIOS_PRODUCT_FAMILY },
        { 2, "Manufacturer", SMBIOS_BOARD_VENDOR },
        { 2, "Product Name", SMBIOS_BOARD_NAME },
        { 2, "Version", SMBIOS_BOARD_VERSION },
        { 2, "Serial Number", SMBIOS_BOARD_SERIAL },
        { 2, "Asset Tag", SMBIOS_BOARD_ASSET_TAG },
        { 3, "Manufacturer", SMBIOS_CHASSIS_VENDOR },
        { 3, "Type", SMBIOS_CHASSIS_TYPE },
        { 3, "Serial Number", SMBIOS_CHASSIS_SERIAL },
        { 3, "Asset Tag", SMBIOS_CHASSIS_ASSET_TAG },
        { 4, "Manufacturer", SMBIOS_CPU_MANUFACTURER },
        { 4, "Version", SMBIOS_CPU_VERSION },
};

/* "EA 06 08 00 FF FB EB BF" */
static bool parse_cpu_id(const char *v, size_t n, uint8_t out[8]) {
        size_t i = 0;

        for (int k = 0; k < 8; k++) {
                int hi, lo;

                while (i < n && v[i] == ' ')
                        i++;
                if (i + 2 > n)
                        return false;
                hi = unhexchar(v[i]);
                lo = unhexchar(v[i + 1]);
                if (hi < 0 || lo < 0)
                        return false;
                out[k] = (uint8_t) (hi * 16 + lo);
                i += 2;
        }
        return true;
}

static uint64_t parse_memory_size(const char *v, size_t n) {
        uint64_t x = 0;
        size_t i = 0;

        while (i < n && v[i] >= '0' && v[i] <= '9' && x < (UINT64_C(1) << 40)) {
                x = x * 10 + (uint64_t) (v[i] - '0');
                i++;
        }
        if (i == 0 || i >= n || v[i] != ' ')
                return 0;
        i++;
        if (n - i >= 2 && memcmp(v + i, "MB", 2) == 0)
                return x;
        if (n - i >= 2 && memcmp(v + i, "GB", 2) == 0)
                return x * 1024;
        if (n - i >= 2 && memcmp(v + i, "TB", 2) == 0)
                return x * 1024 * 1024;
        if (n - i >= 2 && memcmp(v + i, "kB", 2) == 0)
                return x / 1024;
        return 0;
}

int smbios_parse_dmidecode(struct smbios_info *info, const char *text, size_t size,
                           struct hw_findings *f) {
        bool seen[5] = {}, skip = true, cpu_populated = false, cpu_this_populated = false;
        bool have_handles = false;
        int type = -1;
        size_t pos = 0;
        int r;

        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;
                const char *colon;
                size_t klen;

                pos += n + (nl ? 1 : 0);
                if (n > 0 && l[n - 1] == '\r')
                        n--;

                if (n > 7 && memcmp(l, "Handle ", 7) == 0) {
                        const char *t = memmem(l, n, "DMI type ", 9);
                        int tv = -1;

                        have_handles = true;
                        if (t) {
                                size_t i = (size_t) (t - l) + 9;

                                tv = 0;
                                while (i < n && l[i] >= '0' && l[i] <= '9' && tv < 1000)
                                        tv = tv * 10 + (l[i++] - '0');
                        }
                        type = tv;
                        skip = true;
                        if (type >= 0 && type <= 3 && !seen[type]) {
                                seen[type] = true;
                                skip = false;
                        } else if (type == 4 && !cpu_populated) {
                                seen[4] = true;
                                skip = false;
                                cpu_this_populated = false;
                        }
                        if (type == 17)
                                skip = false;
                        info->n_structures++;
                        continue;
                }
                if (n > 7 && memcmp(l, "SMBIOS ", 7) == 0 && !info->version) {
                        const char *e = memchr(l + 7, ' ', n - 7);
                        size_t vlen = e ? (size_t) (e - (l + 7)) : n - 7;

                        if (vlen > 0 && vlen < 16) {
                                info->version = strndup(l + 7, vlen);
                                if (!info->version)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (skip || n < 2 || l[0] != '\t')
                        continue;
                if (l[1] == '\t') {
                        /* list items: only BIOS characteristics matter */
                        if (type == 0 && n - 2 == strlen("UEFI is supported") &&
                            memcmp(l + 2, "UEFI is supported", n - 2) == 0)
                                info->bios_uefi = true;
                        if (type == 0)
                                info->have_bios_characteristics = true;
                        continue;
                }
                colon = memchr(l + 1, ':', n - 1);
                if (!colon)
                        continue;
                klen = (size_t) (colon - (l + 1));
                {
                        const char *v = colon + 1;
                        size_t vn = n - (size_t) (v - l);

                        if (vn > 0 && v[0] == ' ') {
                                v++;
                                vn--;
                        }

                        if (type == 17) {
                                if (klen == 4 && memcmp(l + 1, "Size", 4) == 0) {
                                        uint64_t mb = parse_memory_size(v, vn);

                                        if (mb > 0) {
                                                info->n_memory_devices++;
                                                info->memory_mb += mb;
                                        }
                                }
                                continue;
                        }
                        if (type == 4 && klen == 6 && memcmp(l + 1, "Status", 6) == 0) {
                                if (vn >= 9 && memcmp(v, "Populated", 9) == 0) {
                                        cpu_this_populated = true;
                                        cpu_populated = true;
                                }
                                continue;
                        }
                        if (type == 4 && klen == 2 && memcmp(l + 1, "ID", 2) == 0) {
                                uint8_t id[8];

                                if (parse_cpu_id(v, vn, id)) {
                                        info->have_cpu_id = true;
                                        info->cpu_signature = (uint32_t) id[0] | ((uint32_t) id[1] << 8) |
                                                              ((uint32_t) id[2] << 16) | ((uint32_t) id[3] << 24);
                                        info->cpu_edx = (uint32_t) id[4] | ((uint32_t) id[5] << 8) |
                                                        ((uint32_t) id[6] << 16) | ((uint32_t) id[7] << 24);
                                }
                                continue;
                        }
                        for (size_t i = 0; i < sizeof(dmi_keys) / sizeof(dmi_keys[0]); i++) {
                                if (dmi_keys[i].type != type || strlen(dmi_keys[i].key) != klen ||
                                    memcmp(dmi_keys[i].key, l + 1, klen) != 0)
                                        continue;
                                r = smbios_set_field(info, dmi_keys[i].field, v, vn);
                                if (r < 0)
                                        return r;
                                break;
                        }
                }
        }
        (void) cpu_this_populated;
        if (!have_handles) {
                r = hw_findings_add(f, "smbios", "smbios-malformed", HW_SEVERITY_WARN,
                                    "The dmidecode text has no \"Handle ..., DMI type N\" lines; it is not dmidecode output.");
                if (r < 0)
                        return r;
        }
        return 0;
}

void smbios_info_done(struct smbios_info *info) {
        for (int i = 0; i < _SMBIOS_FIELD_MAX; i++)
                free(info->field[i]);
        free(info->version);
        *info = (struct smbios_info) {};
}
