/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Erase memory in a way the compiler cannot drop (key material). */
void erase_memory(void *p, size_t n);

/* Read a whole file into a NUL-terminated buffer, refusing files over max_size.
 * Returns 0 or -errno (-EFBIG when too large). */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);

/* Write data to path atomically: a temporary file beside it, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* CLOCK_MONOTONIC in microseconds (the clock of sd-event's CLOCK_MONOTONIC timers). */
uint64_t now_monotonic_usec(void);

/* Parse a decimal or 0x-hex unsigned integer that must fill the whole string. */
int parse_u64(const char *s, uint64_t *ret);

/* Strip leading and trailing whitespace in place; returns s advanced past leading space. */
char *strstrip(char *s);

bool startswith(const char *s, const char *prefix);

/* The value of one hexadecimal digit, or -1. */
int unhexchar(char c);

/* A VM (domain) name as Cairn uses it everywhere: [a-z0-9-]{1,VM_NAME_MAX}. */
#define VM_NAME_MAX 32
bool vm_name_is_valid(const char *name);
