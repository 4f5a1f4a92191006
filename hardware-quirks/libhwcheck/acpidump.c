/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "acpidump.h"
#include "util.h"

static bool is_name_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* "SIG @ 0x..." → copies SIG into name (up to 8 characters). */
static bool parse_header_line(const char *l, size_t n, char name[static 9]) {
        size_t i = 0;

        while (i < n && i < 8 && is_name_char(l[i]))
                i++;
        if (i == 0 || i + 3 > n || memcmp(l + i, " @ ", 3) != 0)
                return false;
        memcpy(name, l, i);
        name[i] = '\0';
        return true;
}

struct table_buf {
        char name[9];
        uint8_t *data;
        size_t size;
        size_t alloc;
        bool active;
        bool broken;
};

static int buf_push(struct table_buf *t, uint8_t b) {
        if (t->size >= t->alloc) {
                size_t want = t->alloc ? t->alloc * 2 : 4096;
                uint8_t *n;

                if (want > ACPI_MAX_TABLE_SIZE)
                        want = ACPI_MAX_TABLE_SIZE;
                if (want <= t->size)
                        return -EFBIG;
                n = realloc(t->data, want);
                if (!n)
                        return -ENOMEM;
                t->data = n;
                t->alloc = want;
        }
        t->data[t->size++] = b;
        return 0;
}

/* Parses "  OFFS: HH HH ...  ascii" into t. Returns 1 if it was a data line,
 * 0 if not, negative on error. */
static int parse_data_line(struct table_buf *t, const char *l, size_t n, struct hw_findings *f) {
        size_t i = 0, start;
        uint64_t offs = 0;
        int r;

        while (i < n && (l[i] == ' ' || l[i] == '\t'))
                i++;
        start = i;
        while (i < n && unhexchar(l[i]) >= 0 && i - start < 9) {
                offs = offs * 16 + (uint64_t) unhexchar(l[i]);
                i++;
        }
        if (i == start || i - start > 8 || i >= n || l[i] != ':')
                return 0;
        i++;

        if (t->broken)
                return 1;
        if (offs != t->size) {
                t->broken = true;
                r = hw_findings_add(f, "acpi", "acpidump-malformed", HW_SEVERITY_WARN,
                                    "acpidump text: table %s jumps from offset 0x%zx to 0x%llx; the rest of it is ignored.",
                                    t->name, t->size, (unsigned long long) offs);
                return r < 0 ? r : 1;
        }

        for (int k = 0; k < 16; k++) {
                int hi, lo;

                if (i + 3 > n || l[i] != ' ')
                        break;
                hi = unhexchar(l[i + 1]);
                lo = unhexchar(l[i + 2]);
                if (hi < 0 || lo < 0)
                        break;
                /* a byte is followed by one space and another byte, by two
                 * spaces (the ASCII column) or by the end of the line */
                if (i + 3 < n && l[i + 3] != ' ')
                        break;
                r = buf_push(t, (uint8_t) (hi * 16 + lo));
                if (r == -EFBIG) {
                        t->broken = true;
                        r = hw_findings_add(f, "acpi", "acpidump-malformed", HW_SEVERITY_WARN,
                                            "acpidump text: table %s is larger than %u bytes; the rest of it is ignored.",
                                            t->name, ACPI_MAX_TABLE_SIZE);
                        return r < 0 ? r : 1;
                }
                if (r < 0)
                        return r;
                i += 3;
                if (i + 1 < n && l[i] == ' ' && l[i + 1] == ' ')
                        break;
        }
        return 1;
}

static int flush_table(struct table_buf *t, acpidump_table_cb cb, void *userdata, int *count,
                       struct hw_findings *f) {
        int r = 0;

        if (!t->active)
                return 0;
        t->active = false;
        if (t->size == 0) {
                r = hw_findings_add(f, "acpi", "acpidump-malformed", HW_SEVERITY_WARN,
                                    "acpidump text: table %s has no data.", t->name);
                return r < 0 ? r : 0;
        }
        if (*count >= ACPIDUMP_MAX_TABLES) {
                r = hw_findings_add(f, "acpi", "acpidump-malformed", HW_SEVERITY_WARN,
                                    "acpidump text: more than %d tables; table %s and later ones are ignored.",
                                    ACPIDUMP_MAX_TABLES, t->name);
                return r < 0 ? r : 0;
        }
        (*count)++;
        if (cb)
                r = cb(t->name, t->data, t->size, userdata);
        t->size = 0;
        return r;
}

int acpidump_parse(const char *text, size_t size, acpidump_table_cb cb, void *userdata,
                   struct hw_findings *f) {
        struct table_buf t = {};
        size_t pos = 0;
        int count = 0, r = 0;

        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;
                char name[9];

                pos += n + (nl ? 1 : 0);
                if (n > 0 && l[n - 1] == '\r')
                        n--;

                if (parse_header_line(l, n, name)) {
                        r = flush_table(&t, cb, userdata, &count, f);
                        if (r < 0)
                                goto out;
                        memcpy(t.name, name, sizeof(name));
                        t.active = true;
                        t.broken = false;
                        t.size = 0;
                        continue;
                }
                if (!t.active)
                        continue;
                r = parse_data_line(&t, l, n, f);
                if (r < 0)
                        goto out;
                if (r == 0) {
                        bool blank = true;

                        for (size_t k = 0; k < n; k++)
                                if (l[k] != ' ' && l[k] != '\t')
                                        blank = false;
                        if (blank) {
                                r = flush_table(&t, cb, userdata, &count, f);
                                if (r < 0)
                                        goto out;
                        }
                }
        }
        r = flush_table(&t, cb, userdata, &count, f);
        if (r >= 0)
                r = count;
out:
        free(t.data);
        return r;
}
