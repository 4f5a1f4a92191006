/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings: what the analysis (and every parser) has to say about a machine.
 * Each finding has a stable id, a severity and one sentence of why and what
 * to do.  Parsers of untrusted input report malformed data here instead of
 * failing, so bad tables become findings, never crashes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

enum hw_severity {
        HW_SEVERITY_OK,
        HW_SEVERITY_WARN,
        HW_SEVERITY_FAIL,
};

/* At most this many findings are kept; a fuzzer-made table cannot flood. */
#define HW_FINDINGS_MAX 256

struct hw_finding {
        char *id;
        char *category;
        enum hw_severity severity;
        char *message;
};

struct hw_findings {
        struct hw_finding *items;
        size_t n;
        size_t alloc;
        size_t dropped;
};

const char *hw_severity_to_string(enum hw_severity s);

/* Adds a finding in `category` ("cpu", "iommu", "tpm", "txt", "firmware",
 * "passthrough", "acpi", "smbios", "xen").  Returns 0 or -ENOMEM. */
int hw_findings_add(struct hw_findings *f, const char *category, const char *id,
                    enum hw_severity severity, const char *format, ...) _printf_(5, 6);
const struct hw_finding *hw_findings_find(const struct hw_findings *f, const char *id);
static inline bool hw_findings_has(const struct hw_findings *f, const char *id) {
        return hw_findings_find(f, id) != NULL;
}
/* Worst severity among findings of a category; -1 when there is none. */
int hw_findings_worst(const struct hw_findings *f, const char *category);
void hw_findings_done(struct hw_findings *f);
