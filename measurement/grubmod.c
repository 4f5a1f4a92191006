/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grubmod.h"
#include "macro.h"

void strv_free(char **l) {
        if (!l)
                return;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
}

static uint64_t rd(const uint8_t *p, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

/* Mirrors grub_dl_resolve_dependencies(): the section named ".moddeps" lists the
 * dependencies as NUL-terminated names, stopping at an empty name. */
int grubmod_deps(const uint8_t *e, size_t size, char ***ret_names) {
        uint64_t shoff, stroff, strsize;
        unsigned shentsize, shnum, shstrndx;
        char **names = NULL;
        size_t n = 0;

        if (size < 64 || memcmp(e, "\177ELF", 4) != 0 || e[4] != 2 /* ELFCLASS64 */ ||
            e[5] != 1 /* little endian */)
                return -EBADMSG;
        shoff = rd(e + 0x28, 8);
        shentsize = (unsigned) rd(e + 0x3a, 2);
        shnum = (unsigned) rd(e + 0x3c, 2);
        shstrndx = (unsigned) rd(e + 0x3e, 2);
        if (shentsize < 64 || shnum == 0 || shstrndx >= shnum || shoff > size ||
            (uint64_t) shnum * shentsize > size - shoff)
                return -EBADMSG;

        stroff = rd(e + shoff + (uint64_t) shstrndx * shentsize + 0x18, 8);
        strsize = rd(e + shoff + (uint64_t) shstrndx * shentsize + 0x20, 8);
        if (stroff > size || strsize > size - stroff)
                return -EBADMSG;

        for (unsigned i = 0; i < shnum; i++) {
                const uint8_t *sh = e + shoff + (uint64_t) i * shentsize;
                uint64_t nameoff = rd(sh, 4), off = rd(sh + 0x18, 8), sz = rd(sh + 0x20, 8);
                const char *p, *max;

                if (nameoff >= strsize)
                        return -EBADMSG;
                if (strnlen((const char *) e + stroff + nameoff, strsize - nameoff) != 8 ||
                    memcmp(e + stroff + nameoff, ".moddeps", 8) != 0)
                        continue;
                if (off > size || sz > size - off)
                        return -EBADMSG;
                p = (const char *) e + off;
                max = p + sz;
                while (p < max && *p) {
                        size_t len = strnlen(p, (size_t) (max - p));
                        char **nl;

                        if (len == (size_t) (max - p) || len > 64)
                                goto bad;
                        nl = realloc(names, (n + 2) * sizeof(char *));
                        if (!nl)
                                goto oom;
                        names = nl;
                        names[n] = strndup(p, len);
                        if (!names[n])
                                goto oom;
                        names[++n] = NULL;
                        p += len + 1;
                }
                break;
        }
        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        *ret_names = names;
        return (int) n;
bad:
        strv_free(names);
        return -EBADMSG;
oom:
        strv_free(names);
        return -ENOMEM;
}
