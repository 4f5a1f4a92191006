/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lock passphrase: a crypt(3) hash (yescrypt "$y$" by default, as Debian's
 * passwd writes; "$gy$", "$7$", "$2b$", "$6$" also accepted) read from one line
 * of a root-only file on the config volume, checked in dom0 with libcrypt. */
#pragma once

#include <stdbool.h>

#define LOCKPW_DEFAULT_PATH "/config/console/lock-passphrase.hash"
#define LOCKPW_HASH_MAX 512

typedef struct LockPw {
        char hash[LOCKPW_HASH_MAX + 1];
} LockPw;

/* Parse the file's text: one hash line, an optional trailing newline.
 * Returns 0, or -EINVAL with *ret_reason saying what is wrong. */
int lockpw_parse(const char *text, size_t size, LockPw *ret, const char **ret_reason);
/* Read and parse path; -ENOENT when there is none (Lock is then refused). */
int lockpw_load(const char *path, LockPw *ret);
/* 1 when pass matches, 0 when not, -errno when libcrypt fails. Constant time in the compare. */
int lockpw_verify(const LockPw *pw, const char *pass);
/* Make a yescrypt hash of pass (for tests and the setup tool). */
int lockpw_hash(const char *pass, LockPw *ret);
