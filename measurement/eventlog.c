/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eventlog.h"

#define EV_NO_ACTION 0x3
#define ALG_SHA1 0x0004
#define ALG_SHA256 0x000b
#define MAX_ALGS 8
#define MAX_EVENT_DATA (1024 * 1024)

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

const char *eventlog_type_to_string(uint32_t type) {
        static const struct {
                uint32_t type;
                const char *name;
        } names[] = {
                { 0x0, "EV_PREBOOT_CERT" }, { 0x1, "EV_POST_CODE" }, { 0x3, "EV_NO_ACTION" },
                { 0x4, "EV_SEPARATOR" }, { 0x5, "EV_ACTION" }, { 0x6, "EV_EVENT_TAG" },
                { 0x7, "EV_S_CRTM_CONTENTS" }, { 0x8, "EV_S_CRTM_VERSION" }, { 0x9, "EV_CPU_MICROCODE" },
                { 0xa, "EV_PLATFORM_CONFIG_FLAGS" }, { 0xb, "EV_TABLE_OF_DEVICES" }, { 0xc, "EV_COMPACT_HASH" },
                { 0xd, "EV_IPL" }, { 0xe, "EV_IPL_PARTITION_DATA" }, { 0xf, "EV_NONHOST_CODE" },
                { 0x10, "EV_NONHOST_CONFIG" }, { 0x11, "EV_NONHOST_INFO" }, { 0x12, "EV_OMIT_BOOT_DEVICE_EVENTS" },
                { 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG" }, { 0x80000002, "EV_EFI_VARIABLE_BOOT" },
                { 0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION" }, { 0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER" },
                { 0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER" }, { 0x80000006, "EV_EFI_GPT_EVENT" },
                { 0x80000007, "EV_EFI_ACTION" }, { 0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
                { 0x80000009, "EV_EFI_HANDOFF_TABLES" }, { 0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
                { 0x8000000b, "EV_EFI_HANDOFF_TABLES2" }, { 0x800000e0, "EV_EFI_VARIABLE_AUTHORITY" },
        };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (names[i].type == type)
                        return names[i].name;
        return "EV_UNKNOWN";
}

int eventlog_parse(const uint8_t *d, size_t size, meas_log *log, eventlog_info *ret_info) {
        struct {
                uint16_t id, size;
        } algs[MAX_ALGS];
        unsigned n_algs = 0;
        eventlog_info info = {};
        size_t off = 0;
        int r;

        if (size > EVENTLOG_MAX_SIZE)
                return -EFBIG;
        if (size < 32)
                return -EBADMSG;

        /* The first event is always in the SHA-1 format. */
        {
                uint32_t type = le32(d + 4), esize = le32(d + 28);

                if (esize > size - 32)
                        return -EBADMSG;
                if (type == EV_NO_ACTION && esize >= 24 + 4 && memcmp(d + 32, "Spec ID Event03", 16) == 0) {
                        const uint8_t *e = d + 32;
                        uint32_t count = le32(e + 24);

                        if (count == 0 || count > MAX_ALGS || 28 + (size_t) count * 4 > esize)
                                return -EBADMSG;
                        for (uint32_t i = 0; i < count; i++) {
                                algs[i].id = le16(e + 28 + 4 * i);
                                algs[i].size = le16(e + 28 + 4 * i + 2);
                                if (algs[i].size == 0 || algs[i].size > 64)
                                        return -EBADMSG;
                                if (algs[i].id == ALG_SHA256) {
                                        if (algs[i].size != MEAS_DIGEST_SIZE)
                                                return -EBADMSG;
                                        info.has_sha256 = true;
                                }
                        }
                        n_algs = count;
                        info.crypto_agile = true;
                }
                off = 32 + esize;
                info.n_events++;
        }

        while (off < size) {
                uint32_t pcr, type, esize;
                const uint8_t *sha256 = NULL;

                if (size - off < 8)
                        return -EBADMSG;
                pcr = le32(d + off);
                type = le32(d + off + 4);
                off += 8;
                if (info.crypto_agile) {
                        uint32_t count;

                        if (size - off < 4)
                                return -EBADMSG;
                        count = le32(d + off);
                        off += 4;
                        if (count > MAX_ALGS)
                                return -EBADMSG;
                        for (uint32_t i = 0; i < count; i++) {
                                uint16_t alg;
                                unsigned k;

                                if (size - off < 2)
                                        return -EBADMSG;
                                alg = le16(d + off);
                                off += 2;
                                for (k = 0; k < n_algs && algs[k].id != alg; k++)
                                        ;
                                if (k == n_algs || size - off < algs[k].size)
                                        return -EBADMSG;
                                if (alg == ALG_SHA256)
                                        sha256 = d + off;
                                off += algs[k].size;
                        }
                } else {
                        if (size - off < 20)
                                return -EBADMSG;
                        off += 20;
                }
                if (size - off < 4)
                        return -EBADMSG;
                esize = le32(d + off);
                off += 4;
                if (esize > MAX_EVENT_DATA || esize > size - off)
                        return -EBADMSG;
                off += esize;
                info.n_events++;
                if (pcr >= MEAS_PCR_MAX)
                        return -EBADMSG;
                if (type == EV_NO_ACTION || !sha256 || pcr >= 8)
                        continue;
                r = meas_log_add(log, pcr, MEAS_KIND_FIRMWARE, type, eventlog_type_to_string(type), sha256);
                if (r < 0)
                        return r;
        }
        if (ret_info)
                *ret_info = info;
        return 0;
}
