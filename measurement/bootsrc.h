/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read-only access to the files of a boot medium: a directory (an unpacked ISO tree or
 * a mounted ESP) or an ISO 9660 image with Rock Ridge names, read without mounting. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "macro.h"

typedef struct boot_source boot_source;

int boot_source_open_dir(const char *root, boot_source **ret);
int boot_source_open_iso(const char *path, boot_source **ret);
/* Same as open_iso, over an image in memory (tests, fuzzing); data must outlive the source. */
int boot_source_open_iso_memory(const void *data, size_t size, boot_source **ret);
void boot_source_free(boot_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(boot_source *, boot_source_free);

/* Path is absolute inside the medium ("/boot/xen.gz"); "." and ".." components are refused.
 * Returns -ENOENT when missing, -EFBIG over max_size. */
int boot_source_read(boot_source *s, const char *path, size_t max_size, uint8_t **ret_data,
                     size_t *ret_size);
/* SHA-256 of a file's contents, streamed. */
int boot_source_digest(boot_source *s, const char *path, uint8_t ret[MEAS_DIGEST_SIZE],
                       uint64_t *ret_size);
