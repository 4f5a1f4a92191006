/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootsrc.h"
#include "util.h"

#define ISO_SECTOR 2048u

struct boot_source {
        char *root;             /* directory mode */
        int iso_fd;             /* ISO file mode */
        const uint8_t *mem;     /* ISO memory mode */
        uint64_t iso_size;
        uint32_t root_lba, root_len;
        unsigned susp_skip;
};

static int path_check(const char *path) {
        const char *p = path;

        if (!path || path[0] != '/')
                return -EINVAL;
        while (*p) {
                const char *e;
                size_t n;

                while (*p == '/')
                        p++;
                e = strchrnul(p, '/');
                n = (size_t) (e - p);
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                p = e;
        }
        return 0;
}

/* Read `size` bytes at `offset` of the ISO image. */
static int iso_pread(boot_source *s, uint64_t offset, void *buf, size_t size) {
        if (offset > s->iso_size || size > s->iso_size - offset)
                return -EBADMSG;
        if (s->mem) {
                memcpy(buf, s->mem + offset, size);
                return 0;
        }
        while (size > 0) {
                ssize_t k = pread(s->iso_fd, buf, size, (off_t) offset);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EBADMSG;
                buf = (uint8_t *) buf + k;
                size -= (size_t) k;
                offset += (uint64_t) k;
        }
        return 0;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static int iso_init(boot_source *s) {
        uint8_t pvd[ISO_SECTOR], sect[ISO_SECTOR];
        uint32_t len;
        int r;

        r = iso_pread(s, 16 * ISO_SECTOR, pvd, sizeof(pvd));
        if (r < 0)
                return r;
        if (pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0)
                return -EBADMSG;
        if (pvd[156] < 34)
                return -EBADMSG;
        s->root_lba = le32(pvd + 156 + 2);
        s->root_len = le32(pvd + 156 + 10);
        if (s->root_len == 0 || s->root_len > 64u * 1024 * 1024)
                return -EBADMSG;

        /* The root's "." record carries the SUSP "SP" entry telling how many bytes of
         * every system-use area to skip (0 in practice). */
        r = iso_pread(s, (uint64_t) s->root_lba * ISO_SECTOR, sect, sizeof(sect));
        if (r < 0)
                return r;
        len = sect[0];
        if (len >= 34 + 7 && sect[32] == 1) {
                const uint8_t *su = sect + 34;

                if (su[0] == 'S' && su[1] == 'P' && su[2] >= 7 && su[4] == 0xbe && su[5] == 0xef)
                        s->susp_skip = su[6];
        }
        return 0;
}

/* Rock Ridge name of a directory record, if any, into name (NUL-terminated). */
static bool rr_name(boot_source *s, const uint8_t *rec, size_t reclen, char *name, size_t size) {
        size_t namelen = rec[32];
        size_t off = 33 + namelen + ((namelen & 1) ? 0 : 1) + s->susp_skip;
        size_t n = 0;
        bool found = false;

        while (off + 4 <= reclen) {
                const uint8_t *e = rec + off;
                size_t elen = e[2];

                if (elen < 4 || off + elen > reclen)
                        break;
                if (e[0] == 'N' && e[1] == 'M' && elen >= 5) {
                        size_t part = elen - 5;

                        if (e[4] & 0x6) /* CURRENT / PARENT: not a real name */
                                return false;
                        if (n + part >= size)
                                return false;
                        memcpy(name + n, e + 5, part);
                        n += part;
                        found = true;
                }
                if (e[0] == 'S' && e[1] == 'T')
                        break;
                off += elen;
        }
        name[n] = '\0';
        return found && n > 0;
}

static void iso_plain_name(const uint8_t *rec, char *name, size_t size) {
        size_t n = rec[32], j = 0;

        for (size_t i = 0; i < n && j + 1 < size; i++) {
                char c = (char) rec[33 + i];

                if (c == ';')
                        break;
                name[j++] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
        }
        if (j > 0 && name[j - 1] == '.')
                j--;
        name[j] = '\0';
}

/* Look up one component in a directory extent. */
static int iso_find(boot_source *s, uint32_t dir_lba, uint32_t dir_len, const char *comp, size_t complen,
                    uint32_t *ret_lba, uint32_t *ret_len, bool *ret_dir) {
        uint8_t sect[ISO_SECTOR];
        uint32_t nsect = (dir_len + ISO_SECTOR - 1) / ISO_SECTOR;

        for (uint32_t i = 0; i < nsect; i++) {
                size_t off = 0;
                int r = iso_pread(s, ((uint64_t) dir_lba + i) * ISO_SECTOR, sect, sizeof(sect));

                if (r < 0)
                        return r;
                while (off + 34 <= ISO_SECTOR) {
                        const uint8_t *rec = sect + off;
                        size_t reclen = rec[0];
                        char name[256];

                        if (reclen == 0)
                                break;
                        if (reclen < 34 || off + reclen > ISO_SECTOR || 33u + rec[32] > reclen)
                                return -EBADMSG;
                        off += reclen;
                        if (rec[32] == 1 && (rec[33] == 0 || rec[33] == 1))
                                continue; /* "." and ".." */
                        if (!rr_name(s, rec, reclen, name, sizeof(name)))
                                iso_plain_name(rec, name, sizeof(name));
                        if (strlen(name) != complen || memcmp(name, comp, complen) != 0)
                                continue;
                        if (rec[25] & 0x80) /* multi-extent file: not supported */
                                return -EFBIG;
                        *ret_lba = le32(rec + 2);
                        *ret_len = le32(rec + 10);
                        *ret_dir = rec[25] & 0x02;
                        return 0;
                }
        }
        return -ENOENT;
}

static int iso_lookup(boot_source *s, const char *path, uint32_t *ret_lba, uint32_t *ret_len) {
        uint32_t lba = s->root_lba, len = s->root_len;
        bool dir = true;
        const char *p = path;
        unsigned depth = 0;

        while (*p) {
                const char *e;
                int r;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                if (!dir)
                        return -ENOTDIR;
                if (++depth > 32)
                        return -ELOOP;
                e = strchrnul(p, '/');
                r = iso_find(s, lba, len, p, (size_t) (e - p), &lba, &len, &dir);
                if (r < 0)
                        return r;
                p = e;
        }
        if (dir)
                return -EISDIR;
        *ret_lba = lba;
        *ret_len = len;
        return 0;
}

int boot_source_open_dir(const char *root, boot_source **ret) {
        boot_source *s;
        struct stat st;

        if (stat(root, &st) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->iso_fd = -1;
        s->root = strdup(root);
        if (!s->root) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int boot_source_open_iso(const char *path, boot_source **ret) {
        _cleanup_(boot_source_freep) boot_source *s = NULL;
        struct stat st;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->iso_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->iso_fd < 0)
                return negative_errno();
        if (fstat(s->iso_fd, &st) < 0)
                return negative_errno();
        s->iso_size = (uint64_t) st.st_size;
        r = iso_init(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int boot_source_open_iso_memory(const void *data, size_t size, boot_source **ret) {
        _cleanup_(boot_source_freep) boot_source *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->iso_fd = -1;
        s->mem = data;
        s->iso_size = size;
        r = iso_init(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

void boot_source_free(boot_source *s) {
        if (!s)
                return;
        if (s->iso_fd >= 0)
                close(s->iso_fd);
        free(s->root);
        free(s);
}

static int dir_open(boot_source *s, const char *path, int *ret_fd, uint64_t *ret_size) {
        _cleanup_free_ char *full = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (asprintf(&full, "%s%s", s->root, path) < 0)
                return -ENOMEM;
        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        *ret_size = (uint64_t) st.st_size;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int boot_source_read(boot_source *s, const char *path, size_t max_size, uint8_t **ret_data,
                     size_t *ret_size) {
        int r;

        r = path_check(path);
        if (r < 0)
                return r;
        if (s->root) {
                _cleanup_free_ char *full = NULL;
                char *data = NULL;

                if (asprintf(&full, "%s%s", s->root, path) < 0)
                        return -ENOMEM;
                r = read_full_file(full, max_size, &data, ret_size);
                if (r < 0)
                        return r;
                *ret_data = (uint8_t *) data;
                return 0;
        } else {
                uint32_t lba, len;
                uint8_t *buf;

                r = iso_lookup(s, path, &lba, &len);
                if (r < 0)
                        return r;
                if (len > max_size)
                        return -EFBIG;
                buf = malloc((size_t) len + 1);
                if (!buf)
                        return -ENOMEM;
                r = iso_pread(s, (uint64_t) lba * ISO_SECTOR, buf, len);
                if (r < 0) {
                        free(buf);
                        return r;
                }
                buf[len] = 0;
                *ret_data = buf;
                *ret_size = len;
                return 0;
        }
}

int boot_source_digest(boot_source *s, const char *path, uint8_t ret[MEAS_DIGEST_SIZE],
                       uint64_t *ret_size) {
        _cleanup_(meas_sha256_freep) meas_sha256 *c = NULL;
        _cleanup_close_ int fd = -1;
        uint64_t offset = 0, size;
        _cleanup_free_ uint8_t *buf = NULL;
        const size_t bufsize = 1024 * 1024;
        int r;

        r = path_check(path);
        if (r < 0)
                return r;
        if (s->root) {
                r = dir_open(s, path, &fd, &size);
                if (r < 0)
                        return r;
        } else {
                uint32_t lba, len;

                r = iso_lookup(s, path, &lba, &len);
                if (r < 0)
                        return r;
                offset = (uint64_t) lba * ISO_SECTOR;
                size = len;
        }
        r = meas_sha256_new(&c);
        if (r < 0)
                return r;
        buf = malloc(bufsize);
        if (!buf)
                return -ENOMEM;
        for (uint64_t done = 0; done < size;) {
                size_t n = (size_t) MIN((uint64_t) bufsize, size - done);

                if (s->root) {
                        ssize_t k = read(fd, buf, n);

                        if (k < 0) {
                                if (errno == EINTR)
                                        continue;
                                return negative_errno();
                        }
                        if (k == 0)
                                return -EIO; /* file shrank under us */
                        n = (size_t) k;
                } else {
                        r = iso_pread(s, offset + done, buf, n);
                        if (r < 0)
                                return r;
                }
                meas_sha256_update(c, buf, n);
                done += n;
        }
        meas_sha256_final(c, ret);
        if (ret_size)
                *ret_size = size;
        return 0;
}
