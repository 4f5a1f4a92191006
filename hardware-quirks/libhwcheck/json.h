/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer: pretty-printed, strings escaped, invalid
 * UTF-8 replaced by U+FFFD, integers as JSON numbers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
        FILE *f;
        unsigned depth;
        bool first[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *j, FILE *f);
/* `key` is the member name inside an object, NULL inside an array or at top. */
void json_begin_object(struct json_writer *j, const char *key);
void json_end_object(struct json_writer *j);
void json_begin_array(struct json_writer *j, const char *key);
void json_end_array(struct json_writer *j);
void json_string(struct json_writer *j, const char *key, const char *value); /* NULL → null */
void json_uint(struct json_writer *j, const char *key, uint64_t value);
void json_int(struct json_writer *j, const char *key, int64_t value);
void json_bool(struct json_writer *j, const char *key, bool value);
void json_null(struct json_writer *j, const char *key);
/* Writes s as a JSON string literal (quotes included). */
void json_write_escaped(FILE *f, const char *s);
