/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GRUB module files (ELF64 relocatable objects): the dependency list GRUB's loader
 * follows (section ".moddeps": NUL-separated module names, in load order). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Returns the number of names (>= 0) and an array of strdup'ed names, or -EBADMSG. */
int grubmod_deps(const uint8_t *data, size_t size, char ***ret_names);
void strv_free(char **l);
static inline void strv_freep(char ***p) {
        strv_free(*p);
}
