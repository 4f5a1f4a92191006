/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json_writer *j, FILE *f) {
        *j = (struct json_writer) { .f = f };
        j->first[0] = true;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s) {
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (s[0] >= 0xe0 && s[0] <= 0xef) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if (s[0] == 0xe0 && s[1] < 0xa0)
                        return 0;
                if (s[0] == 0xed && s[1] >= 0xa0)
                        return 0;
                return 3;
        }
        if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                if (s[0] == 0xf0 && s[1] < 0x90)
                        return 0;
                if (s[0] == 0xf4 && s[1] >= 0x90)
                        return 0;
                return 4;
        }
        return 0;
}

void json_write_escaped(FILE *f, const char *str) {
        const unsigned char *s = (const unsigned char *) str;

        fputc('"', f);
        while (*s) {
                size_t n;

                switch (*s) {
                case '"':
                        fputs("\\\"", f);
                        s++;
                        continue;
                case '\\':
                        fputs("\\\\", f);
                        s++;
                        continue;
                case '\n':
                        fputs("\\n", f);
                        s++;
                        continue;
                case '\t':
                        fputs("\\t", f);
                        s++;
                        continue;
                case '\r':
                        fputs("\\r", f);
                        s++;
                        continue;
                default:
                        break;
                }
                if (*s < 0x20 || *s == 0x7f) {
                        fprintf(f, "\\u%04x", *s);
                        s++;
                        continue;
                }
                n = utf8_len(s);
                if (n == 0) {
                        fputs("\\ufffd", f);
                        s++;
                        continue;
                }
                fwrite(s, 1, n, f);
                s += n;
        }
        fputc('"', f);
}

static void member(struct json_writer *j, const char *key) {
        if (!j->first[j->depth])
                fputc(',', j->f);
        j->first[j->depth] = false;
        if (j->depth > 0) {
                fputc('\n', j->f);
                for (unsigned i = 0; i < j->depth; i++)
                        fputs("  ", j->f);
        }
        if (key) {
                json_write_escaped(j->f, key);
                fputs(": ", j->f);
        }
}

static void open_(struct json_writer *j, const char *key, char c) {
        member(j, key);
        fputc(c, j->f);
        if (j->depth + 1 < JSON_MAX_DEPTH)
                j->depth++;
        j->first[j->depth] = true;
}

static void close_(struct json_writer *j, char c) {
        bool empty = j->first[j->depth];

        if (j->depth > 0)
                j->depth--;
        if (!empty) {
                fputc('\n', j->f);
                for (unsigned i = 0; i < j->depth; i++)
                        fputs("  ", j->f);
        }
        fputc(c, j->f);
        if (j->depth == 0)
                fputc('\n', j->f);
}

void json_begin_object(struct json_writer *j, const char *key) {
        open_(j, key, '{');
}
void json_end_object(struct json_writer *j) {
        close_(j, '}');
}
void json_begin_array(struct json_writer *j, const char *key) {
        open_(j, key, '[');
}
void json_end_array(struct json_writer *j) {
        close_(j, ']');
}

void json_string(struct json_writer *j, const char *key, const char *value) {
        member(j, key);
        if (value)
                json_write_escaped(j->f, value);
        else
                fputs("null", j->f);
}

void json_uint(struct json_writer *j, const char *key, uint64_t value) {
        member(j, key);
        fprintf(j->f, "%" PRIu64, value);
}

void json_int(struct json_writer *j, const char *key, int64_t value) {
        member(j, key);
        fprintf(j->f, "%" PRId64, value);
}

void json_bool(struct json_writer *j, const char *key, bool value) {
        member(j, key);
        fputs(value ? "true" : "false", j->f);
}

void json_null(struct json_writer *j, const char *key) {
        member(j, key);
        fputs("null", j->f);
}
