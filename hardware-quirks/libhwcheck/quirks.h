/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quirk database: one text file per quirk in quirks.d/ (see
 * docs/hwcheck.md for the format).  Files are parsed strictly; every error
 * names the file and line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hwcheck.h"

#define QUIRK_MAX_FILE_SIZE (64u * 1024u)
#define QUIRK_MAX_LINE 1024
#define QUIRK_MAX_CONDS 32
#define QUIRK_MAX_FILES 4096

enum quirk_cond_kind {
        QUIRK_COND_DMI,
        QUIRK_COND_PCI,
        QUIRK_COND_CPU_VENDOR,
        QUIRK_COND_CPU_FAMILY,
        QUIRK_COND_CPU_MODEL,
        QUIRK_COND_ACPI_TABLE,
        QUIRK_COND_FINDING,
};

struct quirk_cond {
        enum quirk_cond_kind kind;
        int dmi_field;          /* enum smbios_field */
        char *pattern;          /* glob for DMI, CPU vendor; name for table/finding */
        uint16_t pci_vendor;
        int pci_device;         /* -1: any */
        int pci_revision;       /* -1: any */
        int pci_class;          /* -1: any; class << 8 | subclass */
        unsigned lo, hi;        /* CPU family/model range */
        unsigned line;
};

struct quirk {
        char *id;
        char *file;
        char *reason;
        char *advice;
        char *source;
        char *xen_cmdline;
        char *linux_cmdline;
        bool unsupported;
        size_t n_conds;
        struct quirk_cond conds[QUIRK_MAX_CONDS];
};

struct quirk_db {
        struct quirk *quirks;
        size_t n;
};

/* A quirk that applies to the machine, as it goes into the report. */
struct quirk_match {
        char *id;
        char *reason;
        char *advice;
        char *source;
        char *xen_cmdline;
        char *linux_cmdline;
        bool unsupported;
        char *matched;          /* what matched, for people: "DMI sys_vendor=Acer, ..." */
};

/* Parses one quirk file.  On a syntax error returns -EINVAL and sets
 * *ret_error to "FILE:LINE: what is wrong" (caller frees). */
int quirk_parse(const char *text, size_t size, const char *filename, struct quirk *ret,
                char **ret_error);
void quirk_done(struct quirk *q);

/* Loads every *.quirk file of `dir`, sorted by name.  Files with errors are
 * skipped and their messages appended to *ret_errors (a newline-separated
 * string, caller frees; NULL when none).  Returns the number of errors, or
 * a negative errno when the directory cannot be read. */
int quirk_db_load_dir(struct quirk_db *db, const char *dir, char **ret_errors);
void quirk_db_done(struct quirk_db *db);

/* Whether q applies to r; *ret_matched (optional) says on what. */
int quirk_matches(const struct quirk *q, const struct hw_report *r, char **ret_matched);
/* Fills r->quirks with every quirk of db that applies.  Returns the count. */
int quirk_db_apply(const struct quirk_db *db, struct hw_report *r);
void quirk_match_done(struct quirk_match *m);
