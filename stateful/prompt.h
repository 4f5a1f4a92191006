/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking a person at a terminal: a secret with echo off, and a yes/no question. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Print question on fd, read one line with echo off into locked memory (secret_alloc).
 * Returns 0 and the line without its newline, -ENODATA for an empty line, -EPIPE at end of
 * input, -E2BIG for a line longer than max_size - 1 (the rest of it is discarded). */
int prompt_secret(int fd, const char *question, size_t max_size, char **ret, size_t *ret_size);

/* Print question on fd and read one line; true only for "y" or "yes" (any case). */
int prompt_yes_no(int fd, const char *question, bool *ret);
