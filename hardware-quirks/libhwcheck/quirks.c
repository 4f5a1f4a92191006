/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quirks.h"
#include "util.h"

static int fail_at(char **ret_error, const char *file, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int fail_at(char **ret_error, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (ret_error) {
                if (line > 0)
                        r = asprintf(ret_error, "%s:%u: %s", file, line, msg);
                else
                        r = asprintf(ret_error, "%s: %s", file, msg);
                if (r < 0) {
                        *ret_error = NULL;
                        return -ENOMEM;
                }
        }
        return -EINVAL;
}

static bool valid_id(const char *s) {
        if (!*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
                        return false;
        return true;
}

static int parse_hex(const char *s, size_t maxdigits, unsigned *ret) {
        unsigned v = 0;
        size_t n = 0;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        for (; *s; s++, n++) {
                int d;

                if (*s >= '0' && *s <= '9')
                        d = *s - '0';
                else if (*s >= 'a' && *s <= 'f')
                        d = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'F')
                        d = *s - 'A' + 10;
                else
                        return -EINVAL;
                if (n >= maxdigits)
                        return -ERANGE;
                v = v * 16 + (unsigned) d;
        }
        if (n == 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "8086:1234", "8086:*", optionally followed by "rev 0a" and/or "class 0300" */
static int parse_pci(char *v, struct quirk_cond *c) {
        char *tok, *save = NULL, *colon;
        unsigned x;
        int r;

        c->pci_device = c->pci_revision = c->pci_class = -1;
        tok = strtok_r(v, " \t", &save);
        if (!tok)
                return -EINVAL;
        colon = strchr(tok, ':');
        if (!colon)
                return -EINVAL;
        *colon = '\0';
        r = parse_hex(tok, 4, &x);
        if (r < 0)
                return r;
        c->pci_vendor = (uint16_t) x;
        if (strcmp(colon + 1, "*") != 0) {
                r = parse_hex(colon + 1, 4, &x);
                if (r < 0)
                        return r;
                c->pci_device = (int) x;
        }
        while ((tok = strtok_r(NULL, " \t", &save))) {
                char *arg = strtok_r(NULL, " \t", &save);

                if (!arg)
                        return -EINVAL;
                if (strcmp(tok, "rev") == 0) {
                        r = parse_hex(arg, 2, &x);
                        if (r < 0)
                                return r;
                        c->pci_revision = (int) x;
                } else if (strcmp(tok, "class") == 0) {
                        r = parse_hex(arg, 4, &x);
                        if (r < 0)
                                return r;
                        c->pci_class = (int) x;
                } else
                        return -EINVAL;
        }
        return 0;
}

/* "6", "0x17", "0x10-0x1f" */
static int parse_range(const char *v, unsigned *lo, unsigned *hi) {
        char buf[64];
        char *dash;
        uint64_t a, b;

        if (strlen(v) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, v);
        dash = strchr(buf, '-');
        if (dash)
                *dash = '\0';
        if (parse_u64(strstrip(buf), &a) < 0 || a > 0xffff)
                return -EINVAL;
        b = a;
        if (dash && (parse_u64(strstrip(dash + 1), &b) < 0 || b > 0xffff || b < a))
                return -EINVAL;
        *lo = (unsigned) a;
        *hi = (unsigned) b;
        return 0;
}

static int set_once(char **field, const char *v, const char *file, unsigned line, const char *key,
                    char **ret_error) {
        if (*field)
                return fail_at(ret_error, file, line, "\"%s\" given twice.", key);
        if (!*v)
                return fail_at(ret_error, file, line, "\"%s\" has an empty value.", key);
        *field = strdup(v);
        return *field ? 0 : -ENOMEM;
}

int quirk_parse(const char *text, size_t size, const char *filename, struct quirk *ret,
                char **ret_error) {
        struct quirk q = {};
        const char *file = filename ? filename : "<quirk>";
        bool have_unsupported = false;
        size_t pos = 0;
        unsigned line = 0;
        int r = 0;

        if (ret_error)
                *ret_error = NULL;
        if (size > QUIRK_MAX_FILE_SIZE)
                return fail_at(ret_error, file, 0, "file is larger than %u bytes.", QUIRK_MAX_FILE_SIZE);

        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;
                char buf[QUIRK_MAX_LINE + 1];
                char *s, *eq, *key, *val;

                pos += n + (nl ? 1 : 0);
                line++;
                if (n > QUIRK_MAX_LINE) {
                        r = fail_at(ret_error, file, line, "line longer than %d characters.", QUIRK_MAX_LINE);
                        goto fail;
                }
                if (memchr(l, '\0', n)) {
                        r = fail_at(ret_error, file, line, "NUL byte in the line.");
                        goto fail;
                }
                memcpy(buf, l, n);
                buf[n] = '\0';
                s = strstrip(buf);
                if (*s == '\0' || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        r = fail_at(ret_error, file, line, "expected \"key = value\", got \"%s\".", s);
                        goto fail;
                }
                *eq = '\0';
                key = strstrip(s);
                val = strstrip(eq + 1);

                if (strcmp(key, "id") == 0) {
                        if (!valid_id(val)) {
                                r = fail_at(ret_error, file, line,
                                            "id \"%s\" must be 1-64 characters of a-z, 0-9, '-', '_', '.'.", val);
                                goto fail;
                        }
                        r = set_once(&q.id, val, file, line, key, ret_error);
                } else if (strcmp(key, "reason") == 0)
                        r = set_once(&q.reason, val, file, line, key, ret_error);
                else if (strcmp(key, "advice") == 0)
                        r = set_once(&q.advice, val, file, line, key, ret_error);
                else if (strcmp(key, "source") == 0)
                        r = set_once(&q.source, val, file, line, key, ret_error);
                else if (strcmp(key, "xen_cmdline") == 0)
                        r = set_once(&q.xen_cmdline, val, file, line, key, ret_error);
                else if (strcmp(key, "linux_cmdline") == 0)
                        r = set_once(&q.linux_cmdline, val, file, line, key, ret_error);
                else if (strcmp(key, "unsupported") == 0) {
                        if (have_unsupported) {
                                r = fail_at(ret_error, file, line, "\"unsupported\" given twice.");
                                goto fail;
                        }
                        have_unsupported = true;
                        if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
                                q.unsupported = true;
                        else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
                                q.unsupported = false;
                        else {
                                r = fail_at(ret_error, file, line, "\"unsupported\" must be yes or no, not \"%s\".", val);
                                goto fail;
                        }
                } else {
                        struct quirk_cond *c;

                        if (q.n_conds >= QUIRK_MAX_CONDS) {
                                r = fail_at(ret_error, file, line, "more than %d match lines.", QUIRK_MAX_CONDS);
                                goto fail;
                        }
                        if (!*val) {
                                r = fail_at(ret_error, file, line, "\"%s\" has an empty value.", key);
                                goto fail;
                        }
                        c = &q.conds[q.n_conds];
                        *c = (struct quirk_cond) { .line = line, .pci_device = -1, .pci_revision = -1, .pci_class = -1 };

                        if (startswith(key, "dmi.")) {
                                int fld = smbios_field_from_name(key + 4);

                                if (fld < 0) {
                                        r = fail_at(ret_error, file, line,
                                                    "unknown DMI field \"%s\" (use sys_vendor, product_name, product_version, board_vendor, board_name, bios_vendor, bios_version, bios_date, ...).",
                                                    key + 4);
                                        goto fail;
                                }
                                c->kind = QUIRK_COND_DMI;
                                c->dmi_field = fld;
                        } else if (strcmp(key, "pci") == 0) {
                                c->kind = QUIRK_COND_PCI;
                                if (parse_pci(val, c) < 0) {
                                        r = fail_at(ret_error, file, line,
                                                    "bad PCI match; expected \"VVVV:DDDD\" or \"VVVV:*\", then optionally \"rev RR\" and \"class CCSS\" (hex).");
                                        goto fail;
                                }
                                val = NULL;
                        } else if (strcmp(key, "cpu.vendor") == 0) {
                                c->kind = QUIRK_COND_CPU_VENDOR;
                        } else if (strcmp(key, "cpu.family") == 0 || strcmp(key, "cpu.model") == 0) {
                                c->kind = strcmp(key, "cpu.family") == 0 ? QUIRK_COND_CPU_FAMILY : QUIRK_COND_CPU_MODEL;
                                if (parse_range(val, &c->lo, &c->hi) < 0) {
                                        r = fail_at(ret_error, file, line,
                                                    "bad %s \"%s\"; expected a number or LOW-HIGH (decimal or 0x hex).", key, val);
                                        goto fail;
                                }
                                val = NULL;
                        } else if (strcmp(key, "acpi.table") == 0) {
                                c->kind = QUIRK_COND_ACPI_TABLE;
                                if (strlen(val) != 4) {
                                        r = fail_at(ret_error, file, line, "acpi.table wants a 4-character signature, not \"%s\".", val);
                                        goto fail;
                                }
                        } else if (strcmp(key, "finding") == 0) {
                                c->kind = QUIRK_COND_FINDING;
                                if (!valid_id(val)) {
                                        r = fail_at(ret_error, file, line, "bad finding id \"%s\".", val);
                                        goto fail;
                                }
                        } else {
                                r = fail_at(ret_error, file, line,
                                            "unknown key \"%s\" (known: id, reason, advice, source, xen_cmdline, linux_cmdline, unsupported, dmi.FIELD, pci, cpu.vendor, cpu.family, cpu.model, acpi.table, finding).",
                                            key);
                                goto fail;
                        }
                        if (val) {
                                c->pattern = strdup(val);
                                if (!c->pattern) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                        }
                        q.n_conds++;
                        r = 0;
                }
                if (r < 0)
                        goto fail;
        }

        if (!q.id) {
                r = fail_at(ret_error, file, 0, "no \"id\".");
                goto fail;
        }
        if (!q.reason) {
                r = fail_at(ret_error, file, 0, "no \"reason\": say what goes wrong on this hardware.");
                goto fail;
        }
        if (!q.source) {
                r = fail_at(ret_error, file, 0, "no \"source\": name the public source of this quirk.");
                goto fail;
        }
        if (q.n_conds == 0) {
                r = fail_at(ret_error, file, 0, "no match lines (dmi.*, pci, cpu.*, acpi.table, finding).");
                goto fail;
        }
        if (!q.xen_cmdline && !q.linux_cmdline && !q.unsupported && !q.advice) {
                r = fail_at(ret_error, file, 0,
                            "no effect: give xen_cmdline, linux_cmdline, \"unsupported = yes\" or advice.");
                goto fail;
        }
        if (filename) {
                const char *base = strrchr(filename, '/');
                size_t blen;

                base = base ? base + 1 : filename;
                blen = strlen(base);
                if (blen > 6 && strcmp(base + blen - 6, ".quirk") == 0 &&
                    (strlen(q.id) != blen - 6 || strncmp(q.id, base, blen - 6) != 0)) {
                        r = fail_at(ret_error, file, 0, "id \"%s\" does not match the file name.", q.id);
                        goto fail;
                }
                q.file = strdup(filename);
                if (!q.file) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        *ret = q;
        return 0;
fail:
        quirk_done(&q);
        return r;
}

void quirk_done(struct quirk *q) {
        if (!q)
                return;
        free(q->id);
        free(q->file);
        free(q->reason);
        free(q->advice);
        free(q->source);
        free(q->xen_cmdline);
        free(q->linux_cmdline);
        for (size_t i = 0; i < q->n_conds; i++)
                free(q->conds[i].pattern);
        *q = (struct quirk) {};
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int append_error(char **errors, const char *msg) {
        char *n;

        if (asprintf(&n, "%s%s%s", *errors ? *errors : "", *errors ? "\n" : "", msg) < 0)
                return -ENOMEM;
        free(*errors);
        *errors = n;
        return 0;
}

int quirk_db_load_dir(struct quirk_db *db, const char *dir, char **ret_errors) {
        _cleanup_free_ char *errors = NULL;
        char **names = NULL;
        size_t n_names = 0, alloc = 0;
        DIR *d;
        struct dirent *de;
        int n_errors = 0, r = 0;

        d = opendir(dir);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);

                if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".quirk") != 0)
                        continue;
                if (n_names >= QUIRK_MAX_FILES)
                        break;
                if (n_names >= alloc) {
                        size_t want = alloc ? alloc * 2 : 64;
                        char **nn = reallocarray(names, want, sizeof(char *));

                        if (!nn) {
                                r = -ENOMEM;
                                goto out;
                        }
                        names = nn;
                        alloc = want;
                }
                names[n_names] = strdup(de->d_name);
                if (!names[n_names]) {
                        r = -ENOMEM;
                        goto out;
                }
                n_names++;
        }
        if (n_names > 0)
                qsort(names, n_names, sizeof(char *), name_cmp);

        for (size_t i = 0; i < n_names; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL, *err = NULL;
                size_t size = 0;
                struct quirk q;
                struct quirk *nq;

                if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = read_full_file(path, QUIRK_MAX_FILE_SIZE, &data, &size);
                if (r < 0) {
                        _cleanup_free_ char *m = NULL;

                        if (asprintf(&m, "%s: cannot read: %s", path, strerror(-r)) < 0 || append_error(&errors, m) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        n_errors++;
                        continue;
                }
                r = quirk_parse(data, size, path, &q, &err);
                if (r == -ENOMEM)
                        goto out;
                if (r < 0) {
                        if (append_error(&errors, err ? err : path) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        n_errors++;
                        continue;
                }
                for (size_t k = 0; k < db->n; k++)
                        if (strcmp(db->quirks[k].id, q.id) == 0) {
                                _cleanup_free_ char *m = NULL;

                                if (asprintf(&m, "%s: id \"%s\" is already used by %s", path, q.id,
                                             db->quirks[k].file ? db->quirks[k].file : "another quirk") < 0 ||
                                    append_error(&errors, m) < 0) {
                                        quirk_done(&q);
                                        r = -ENOMEM;
                                        goto out;
                                }
                                n_errors++;
                                quirk_done(&q);
                                break;
                        }
                if (!q.id)
                        continue;
                nq = reallocarray(db->quirks, db->n + 1, sizeof(*nq));
                if (!nq) {
                        quirk_done(&q);
                        r = -ENOMEM;
                        goto out;
                }
                db->quirks = nq;
                db->quirks[db->n++] = q;
        }
        r = n_errors;
        if (ret_errors)
                *ret_errors = TAKE_PTR(errors);
out:
        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
        free(names);
        closedir(d);
        return r;
}

void quirk_db_done(struct quirk_db *db) {
        for (size_t i = 0; i < db->n; i++)
                quirk_done(&db->quirks[i]);
        free(db->quirks);
        *db = (struct quirk_db) {};
}

static bool pci_cond_matches(const struct quirk_cond *c, const struct hw_pci_dev *p) {
        if (p->vendor != c->pci_vendor)
                return false;
        if (c->pci_device >= 0 && p->device != c->pci_device)
                return false;
        if (c->pci_revision >= 0 && p->revision != c->pci_revision)
                return false;
        if (c->pci_class >= 0 && (int) (p->class_code >> 8) != c->pci_class)
                return false;
        return true;
}

static bool cond_matches(const struct quirk_cond *c, const struct hw_report *r, char *buf, size_t bufsize) {
        const char *v;

        buf[0] = '\0';
        switch (c->kind) {
        case QUIRK_COND_DMI:
                v = r->dmi.field[c->dmi_field];
                if (!v || fnmatch(c->pattern, v, 0) != 0)
                        return false;
                snprintf(buf, bufsize, "DMI %s \"%s\"", smbios_field_name(c->dmi_field), v);
                return true;
        case QUIRK_COND_PCI:
                for (size_t i = 0; i < r->n_pci; i++)
                        if (pci_cond_matches(c, &r->pci[i])) {
                                const struct hw_pci_dev *p = &r->pci[i];

                                snprintf(buf, bufsize, "PCI %04x:%02x:%02x.%x [%04x:%04x rev %02x]", p->domain,
                                         p->bus, p->dev, p->fn, p->vendor, p->device, p->revision);
                                return true;
                        }
                return false;
        case QUIRK_COND_CPU_VENDOR:
                if ((!r->cpu.known && !r->cpu.from_smbios) || fnmatch(c->pattern, r->cpu.vendor, 0) != 0)
                        return false;
                snprintf(buf, bufsize, "CPU vendor %s", r->cpu.vendor);
                return true;
        case QUIRK_COND_CPU_FAMILY:
                if ((!r->cpu.known && !r->cpu.from_smbios) || r->cpu.family < c->lo || r->cpu.family > c->hi)
                        return false;
                snprintf(buf, bufsize, "CPU family 0x%x", r->cpu.family);
                return true;
        case QUIRK_COND_CPU_MODEL:
                if ((!r->cpu.known && !r->cpu.from_smbios) || r->cpu.model < c->lo || r->cpu.model > c->hi)
                        return false;
                snprintf(buf, bufsize, "CPU model 0x%x", r->cpu.model);
                return true;
        case QUIRK_COND_ACPI_TABLE:
                for (size_t i = 0; i < r->acpi.n_tables; i++)
                        if (strcmp(r->acpi.tables[i].signature, c->pattern) == 0) {
                                snprintf(buf, bufsize, "ACPI table %s", c->pattern);
                                return true;
                        }
                return false;
        case QUIRK_COND_FINDING:
                if (!hw_findings_has(&r->findings, c->pattern))
                        return false;
                snprintf(buf, bufsize, "finding %s", c->pattern);
                return true;
        }
        return false;
}

/* Conditions with the same key are alternatives (OR); different keys must
 * all hold (AND). */
static bool same_key(const struct quirk_cond *a, const struct quirk_cond *b) {
        return a->kind == b->kind && (a->kind != QUIRK_COND_DMI || a->dmi_field == b->dmi_field);
}

int quirk_matches(const struct quirk *q, const struct hw_report *r, char **ret_matched) {
        char matched[1024] = "";
        size_t len = 0;

        for (size_t i = 0; i < q->n_conds; i++) {
                bool first = true, any = false;
                char buf[256];

                for (size_t k = 0; k < i; k++)
                        if (same_key(&q->conds[k], &q->conds[i]))
                                first = false;
                if (!first)
                        continue;
                for (size_t k = i; k < q->n_conds; k++) {
                        if (!same_key(&q->conds[k], &q->conds[i]))
                                continue;
                        if (cond_matches(&q->conds[k], r, buf, sizeof(buf))) {
                                any = true;
                                break;
                        }
                }
                if (!any)
                        return 0;
                if (len < sizeof(matched) - 1) {
                        int w = snprintf(matched + len, sizeof(matched) - len, "%s%s", len ? ", " : "", buf);
                        if (w > 0)
                                len = MIN(len + (size_t) w, sizeof(matched) - 1);
                }
        }
        if (ret_matched) {
                *ret_matched = strdup(matched);
                if (!*ret_matched)
                        return -ENOMEM;
        }
        return 1;
}

static int dup_or_null(char **dst, const char *src) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

int quirk_db_apply(const struct quirk_db *db, struct hw_report *r) {
        int count = 0;

        for (size_t i = 0; i < db->n; i++) {
                const struct quirk *q = &db->quirks[i];
                struct quirk_match *nm, *m;
                char *matched = NULL;
                int k;

                k = quirk_matches(q, r, &matched);
                if (k < 0)
                        return k;
                if (k == 0)
                        continue;
                nm = reallocarray(r->quirks, r->n_quirks + 1, sizeof(*nm));
                if (!nm) {
                        free(matched);
                        return -ENOMEM;
                }
                r->quirks = nm;
                m = &r->quirks[r->n_quirks++];
                *m = (struct quirk_match) { .matched = matched, .unsupported = q->unsupported };
                if (dup_or_null(&m->id, q->id) < 0 || dup_or_null(&m->reason, q->reason) < 0 ||
                    dup_or_null(&m->advice, q->advice) < 0 || dup_or_null(&m->source, q->source) < 0 ||
                    dup_or_null(&m->xen_cmdline, q->xen_cmdline) < 0 ||
                    dup_or_null(&m->linux_cmdline, q->linux_cmdline) < 0)
                        return -ENOMEM;
                count++;
        }
        return count;
}

void quirk_match_done(struct quirk_match *m) {
        free(m->id);
        free(m->reason);
        free(m->advice);
        free(m->source);
        free(m->xen_cmdline);
        free(m->linux_cmdline);
        free(m->matched);
        *m = (struct quirk_match) {};
}
