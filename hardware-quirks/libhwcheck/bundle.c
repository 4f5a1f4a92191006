/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle.h"
#include "bytes.h"
#include "util.h"

int bundle_add(struct bundle *b, const char *name, const void *data, size_t size) {
        struct bundle_file *f;

        if (b->n >= BUNDLE_MAX_FILES || strlen(name) >= 100)
                return -E2BIG;
        f = &b->files[b->n];
        f->name = strdup(name);
        f->data = malloc(size ? size : 1);
        if (!f->name || !f->data) {
                free(f->name);
                free(f->data);
                return -ENOMEM;
        }
        if (size)
                memcpy(f->data, data, size);
        f->size = size;
        b->n++;
        return 0;
}

void bundle_done(struct bundle *b) {
        for (size_t i = 0; i < b->n; i++) {
                free(b->files[i].name);
                free(b->files[i].data);
        }
        b->n = 0;
}

static void tar_header(uint8_t h[512], const char *name, size_t size, time_t mtime) {
        unsigned sum = 0;

        memset(h, 0, 512);
        snprintf((char *) h, 100, "%s", name);
        snprintf((char *) h + 100, 8, "%07o", 0644);
        snprintf((char *) h + 108, 8, "%07o", 0);
        snprintf((char *) h + 116, 8, "%07o", 0);
        snprintf((char *) h + 124, 12, "%011llo", (unsigned long long) size);
        snprintf((char *) h + 136, 12, "%011llo", (unsigned long long) mtime);
        memset(h + 148, ' ', 8);
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        snprintf((char *) h + 265, 32, "root");
        snprintf((char *) h + 297, 32, "root");
        for (int i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *) h + 148, 8, "%06o", sum);
        h[155] = ' ';
}

static int gz_write_all(gzFile gz, const void *p, size_t n) {
        const uint8_t *d = p;

        while (n > 0) {
                unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned) n;
                int w = gzwrite(gz, d, chunk);

                if (w <= 0)
                        return -EIO;
                d += w;
                n -= (size_t) w;
        }
        return 0;
}

int bundle_write_targz(const struct bundle *b, const char *path) {
        _cleanup_free_ char *tmp = NULL;
        uint8_t zero[1024] = {};
        time_t now = time(NULL);
        gzFile gz;
        int fd, r = 0;

        if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        gz = gzdopen(fd, "wb9");
        if (!gz) {
                close(fd);
                unlink(tmp);
                return -ENOMEM;
        }
        for (size_t i = 0; i < b->n && r >= 0; i++) {
                uint8_t h[512];
                size_t pad = (512 - b->files[i].size % 512) % 512;

                tar_header(h, b->files[i].name, b->files[i].size, now);
                r = gz_write_all(gz, h, sizeof(h));
                if (r >= 0)
                        r = gz_write_all(gz, b->files[i].data, b->files[i].size);
                if (r >= 0 && pad)
                        r = gz_write_all(gz, zero, pad);
        }
        if (r >= 0)
                r = gz_write_all(gz, zero, sizeof(zero));
        if (gzclose(gz) != Z_OK && r >= 0)
                r = -EIO;
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                unlink(tmp);
        return r;
}

/* ---- redaction ---- */

static const char *const kind_names[_REDACT_KIND_MAX] = {
        [REDACT_SERIAL] = "SERIAL", [REDACT_UUID] = "UUID", [REDACT_ASSET] = "ASSET",
        [REDACT_HOSTNAME] = "HOSTNAME", [REDACT_MAC] = "MAC",
};

/* Values that say nothing about the machine and are too common to search for. */
static bool generic_value(const char *v) {
        static const char *const generic[] = {
                "Default string", "To Be Filled By O.E.M.", "To be filled by O.E.M.", "Not Specified",
                "Not Applicable", "None", "Unknown", "System Serial Number", "Chassis Serial Number",
                "Base Board Serial Number", "Asset-1234567890", "No Asset Tag", "No Asset Information",
                "Default String", "Not Available", "Not Settable", "Not Present", "0123456789",
                "123456789", "Type2 - Board Serial Number", "Type2 - Board Asset Tag", "OEM", "localhost",
        };

        if (strlen(v) < 4)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(generic); i++)
                if (strcasecmp(v, generic[i]) == 0)
                        return true;
        return false;
}

const char *redact_value(struct redactor *rd, enum redact_kind kind, const char *value) {
        struct redact_entry *n;
        char *ph;

        for (size_t i = 0; i < rd->n; i++)
                if (strcmp(rd->entries[i].value, value) == 0)
                        return rd->entries[i].placeholder;
        if (asprintf(&ph, "%s-%u", kind_names[kind], ++rd->counters[kind]) < 0)
                return NULL;
        n = reallocarray(rd->entries, rd->n + 1, sizeof(*n));
        if (!n) {
                free(ph);
                return NULL;
        }
        rd->entries = n;
        rd->entries[rd->n].value = strdup(value);
        if (!rd->entries[rd->n].value) {
                free(ph);
                return NULL;
        }
        rd->entries[rd->n].placeholder = ph;
        rd->entries[rd->n].len = strlen(value);
        rd->entries[rd->n].searchable = !generic_value(value);
        rd->n++;
        return ph;
}

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "aa:bb:cc:dd:ee:ff" or with '-' */
static bool mac_at(const char *s, size_t n) {
        if (n < 17)
                return false;
        for (int i = 0; i < 6; i++) {
                if (!is_hex(s[3 * i]) || !is_hex(s[3 * i + 1]))
                        return false;
                if (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-')
                        return false;
        }
        if (n > 17 && (is_hex(s[17]) || s[17] == ':'))
                return false;
        return true;
}

struct growbuf {
        char *p;
        size_t n, alloc;
};

static int gb_put(struct growbuf *g, const char *s, size_t n) {
        if (g->n + n + 1 > g->alloc) {
                size_t want = MAX(g->alloc * 2, g->n + n + 1 + 256);
                char *q = realloc(g->p, want);

                if (!q)
                        return -ENOMEM;
                g->p = q;
                g->alloc = want;
        }
        memcpy(g->p + g->n, s, n);
        g->n += n;
        g->p[g->n] = '\0';
        return 0;
}

char *redact_text(struct redactor *rd, const char *text, size_t size, size_t *ret_size) {
        struct growbuf g = {};
        size_t i = 0;

        if (gb_put(&g, "", 0) < 0)
                return NULL;
        while (i < size) {
                bool done = false;

                if (mac_at(text + i, size - i) && (i == 0 || (!is_hex(text[i - 1]) && text[i - 1] != ':'))) {
                        char mac[18];
                        const char *ph;

                        memcpy(mac, text + i, 17);
                        mac[17] = '\0';
                        for (char *p = mac; *p; p++)
                                if (*p >= 'A' && *p <= 'F')
                                        *p = (char) (*p - 'A' + 'a');
                        /* all-zero and broadcast addresses identify nothing */
                        if (strcmp(mac, "00:00:00:00:00:00") != 0 && strcmp(mac, "ff:ff:ff:ff:ff:ff") != 0) {
                                ph = redact_value(rd, REDACT_MAC, mac);
                                if (!ph || gb_put(&g, ph, strlen(ph)) < 0)
                                        goto oom;
                                i += 17;
                                continue;
                        }
                }
                for (size_t k = 0; k < rd->n; k++) {
                        const struct redact_entry *e = &rd->entries[k];
                        size_t l = e->len;

                        if (!e->searchable || e->value[0] != text[i] || l > size - i ||
                            memcmp(text + i, e->value, l) != 0)
                                continue;
                        if (gb_put(&g, e->placeholder, strlen(e->placeholder)) < 0)
                                goto oom;
                        i += l;
                        done = true;
                        break;
                }
                if (done)
                        continue;
                if (gb_put(&g, text + i, 1) < 0)
                        goto oom;
                i++;
        }
        if (ret_size)
                *ret_size = g.n;
        return g.p;
oom:
        free(g.p);
        return NULL;
}

char *redact_dmidecode(struct redactor *rd, const char *text, size_t size, size_t *ret_size) {
        static const struct {
                const char *key;
                enum redact_kind kind;
        } keys[] = {
                { "Serial Number:", REDACT_SERIAL }, { "UUID:", REDACT_UUID },
                { "Asset Tag:", REDACT_ASSET },      { "Service Tag:", REDACT_SERIAL },
        };
        struct growbuf g = {};
        size_t pos = 0;
        char *out;

        if (gb_put(&g, "", 0) < 0)
                return NULL;
        while (pos < size) {
                const char *l = text + pos;
                const char *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) + 1 : size - pos;
                size_t ws = 0;
                bool replaced = false;

                pos += n;
                while (ws < n && (l[ws] == '\t' || l[ws] == ' '))
                        ws++;
                for (size_t k = 0; k < ELEMENTSOF(keys) && !replaced; k++) {
                        size_t kl = strlen(keys[k].key);
                        _cleanup_free_ char *v = NULL;
                        const char *ph;

                        if (n - ws < kl || memcmp(l + ws, keys[k].key, kl) != 0)
                                continue;
                        v = strndup(l + ws + kl, n - ws - kl);
                        if (!v)
                                goto oom;
                        if (!*strstrip(v) || strcmp(strstrip(v), "Not Specified") == 0)
                                break;
                        ph = redact_value(rd, keys[k].kind, strstrip(v));
                        if (!ph || gb_put(&g, l, ws + kl) < 0 || gb_put(&g, " ", 1) < 0 ||
                            gb_put(&g, ph, strlen(ph)) < 0 || gb_put(&g, "\n", 1) < 0)
                                goto oom;
                        replaced = true;
                }
                if (!replaced && gb_put(&g, l, n) < 0)
                        goto oom;
        }
        out = redact_text(rd, g.p, g.n, ret_size);
        free(g.p);
        return out;
oom:
        free(g.p);
        return NULL;
}

/* Overwrites string number idx of a structure with 'X' and registers it. */
static int scrub_string(struct redactor *rd, enum redact_kind kind, uint8_t *strs, const uint8_t *end, uint8_t idx) {
        uint8_t *s = strs;

        if (idx == 0)
                return 0;
        while (s < end) {
                uint8_t *z = memchr(s, 0, (size_t) (end - s));
                size_t n = z ? (size_t) (z - s) : (size_t) (end - s);

                if (n == 0)
                        return 0;
                if (--idx == 0) {
                        _cleanup_free_ char *v = strndup((char *) s, n);

                        if (!v)
                                return -ENOMEM;
                        if (*strstrip(v) && !redact_value(rd, kind, strstrip(v)))
                                return -ENOMEM;
                        memset(s, 'X', n);
                        return 0;
                }
                s += n + 1;
        }
        return 0;
}

int redact_smbios_table(struct redactor *rd, uint8_t *data, size_t size) {
        static const struct {
                uint8_t type, offset;
                enum redact_kind kind;
        } fields[] = {
                { 1, 0x07, REDACT_SERIAL }, { 2, 0x07, REDACT_SERIAL }, { 2, 0x08, REDACT_ASSET },
                { 3, 0x07, REDACT_SERIAL }, { 3, 0x08, REDACT_ASSET },  { 4, 0x20, REDACT_SERIAL },
                { 4, 0x21, REDACT_ASSET },  { 17, 0x18, REDACT_SERIAL }, { 17, 0x19, REDACT_ASSET },
                { 22, 0x07, REDACT_SERIAL }, { 39, 0x07, REDACT_SERIAL }, { 39, 0x08, REDACT_ASSET },
        };
        size_t off = 0;
        unsigned count = 0;
        int r;

        while (off + 4 <= size && count++ < 4096) {
                uint8_t *h = data + off, type = h[0], len = h[1];
                uint8_t *p, *end = NULL;

                if (len < 4 || len > size - off)
                        break;
                for (p = h + len; p + 1 < data + size; p++)
                        if (p[0] == 0 && p[1] == 0) {
                                end = p + 1;
                                break;
                        }
                if (!end)
                        break;
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        if (fields[i].type == type && fields[i].offset < len) {
                                r = scrub_string(rd, fields[i].kind, h + len, end, h[fields[i].offset]);
                                if (r < 0)
                                        return r;
                        }
                if (type == 1 && len >= 0x19)
                        memset(h + 8, 0, 16);
                off = (size_t) (end - data) + 1;
                if (type == 127)
                        break;
        }
        return 0;
}

void redactor_done(struct redactor *rd) {
        for (size_t i = 0; i < rd->n; i++) {
                free(rd->entries[i].value);
                free(rd->entries[i].placeholder);
        }
        free(rd->entries);
        *rd = (struct redactor) {};
}
