/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firmware event log parser (binary_bios_measurements is firmware-written input). */
#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        meas_log log = {};
        eventlog_info info;
        uint8_t v[MEAS_DIGEST_SIZE];

        if (eventlog_parse(data, size, &log, &info) == 0)
                for (unsigned p = 0; p < 8; p++)
                        meas_log_replay(&log, p, v);
        meas_log_done(&log);
        return 0;
}
