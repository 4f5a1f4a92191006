/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TCG PC Client firmware event log (binary_bios_measurements), as SeaBIOS and UEFI
 * write it: the SHA-1 "TCG_PCR_EVENT" format, and the crypto-agile format that starts
 * with a "Spec ID Event03" header.  Untrusted input: every length is checked (fuzzed). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "measlog.h"

#define EVENTLOG_MAX_SIZE (16 * 1024 * 1024)

typedef struct eventlog_info {
        bool crypto_agile;
        bool has_sha256;
        size_t n_events;         /* all events, including those without a SHA-256 digest */
} eventlog_info;

/* Appends one MEAS_KIND_FIRMWARE event per measured (not EV_NO_ACTION) event that has a
 * SHA-256 digest and PCR < 8 (index = event type, text = the type's name).
 * Returns 0, or -EBADMSG for a malformed log. */
int eventlog_parse(const uint8_t *data, size_t size, meas_log *log, eventlog_info *ret_info);
const char *eventlog_type_to_string(uint32_t type);
