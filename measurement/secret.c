/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "secret.h"
#include "util.h"

/* A header in front of the buffer keeps the size for erase and munlock. */
typedef struct secret_header {
        size_t size;
        size_t pad;
} secret_header;

void *secret_alloc(size_t size) {
        secret_header *h;

        if (size > SIZE_MAX - sizeof(*h))
                return NULL;
        h = calloc(1, sizeof(*h) + size);
        if (!h)
                return NULL;
        h->size = size;
        /* Failure to lock (RLIMIT_MEMLOCK) is tolerated: the buffer is still erased. */
        (void) mlock(h, sizeof(*h) + size);
        return h + 1;
}

size_t secret_size(const void *p) {
        return p ? ((const secret_header *) p - 1)->size : 0;
}

void secret_free(void *p) {
        secret_header *h;

        if (!p)
                return;
        h = (secret_header *) p - 1;
        erase_memory(h, sizeof(*h) + h->size);
        (void) munlock(h, sizeof(*h) + h->size);
        free(h);
}
