/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hwcheck report shown on the About screen comes from dom0. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        hwinfo h;

        if (hwinfo_parse((const char *) data, size, &h) == 0) {
                /* Every field is a terminated, printable string. */
                const char *fields[] = { h.machine, h.cpu, h.memory, h.tpm, h.measured, h.secure_boot, h.iommu, h.verdict };
                for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                        for (const char *p = fields[i]; *p; p++)
                                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                                        __builtin_trap();
        }
        return 0;
}
