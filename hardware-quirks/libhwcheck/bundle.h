/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The support bundle: a .tar.gz of the raw data, report.json, report.txt and
 * a README listing every file.  Redaction replaces serial numbers, UUIDs,
 * asset tags, MAC addresses and host names with stable placeholders
 * ("SERIAL-1", "MAC-2", ...): the same value gets the same placeholder in
 * every file of one bundle.  In binary SMBIOS the strings are overwritten
 * with 'X' of the same length and the UUID with zeros. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAX_FILES 256

struct bundle_file {
        char *name;
        uint8_t *data;
        size_t size;
};

struct bundle {
        struct bundle_file files[BUNDLE_MAX_FILES];
        size_t n;
};

struct redact_entry {
        char *value;
        char *placeholder;
        size_t len;
        bool searchable;        /* searched for in free text */
};

struct redactor {
        struct redact_entry *entries;
        size_t n;
        unsigned counters[8];
};

enum redact_kind {
        REDACT_SERIAL,
        REDACT_UUID,
        REDACT_ASSET,
        REDACT_HOSTNAME,
        REDACT_MAC,
        _REDACT_KIND_MAX,
};

int bundle_add(struct bundle *b, const char *name, const void *data, size_t size);
/* Writes the bundle as FILE (gzip-compressed ustar), atomically. */
int bundle_write_targz(const struct bundle *b, const char *path);
void bundle_done(struct bundle *b);

/* Registers a value to hide; returns its placeholder (owned by the redactor)
 * or NULL for -ENOMEM.  Values too short or generic ("Default string") are
 * given a placeholder but not searched for in free text. */
const char *redact_value(struct redactor *rd, enum redact_kind kind, const char *value);
/* Replaces every registered value and every MAC address in text.  Returns a
 * new buffer (NUL-terminated) or NULL on -ENOMEM. */
char *redact_text(struct redactor *rd, const char *text, size_t size, size_t *ret_size);
/* dmidecode text: the values of "Serial Number:", "UUID:", "Asset Tag:"
 * lines (and the like) become placeholders; then redact_text. */
char *redact_dmidecode(struct redactor *rd, const char *text, size_t size, size_t *ret_size);
/* Binary SMBIOS table, in place. */
int redact_smbios_table(struct redactor *rd, uint8_t *data, size_t size);
void redactor_done(struct redactor *rd);
