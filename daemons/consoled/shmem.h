/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and writing a page shared with an untrusted guest: each index is
 * loaded exactly once (never re-read after it was checked), with the barriers of
 * xen/include/public/io/ring.h.  Offsets are 4-byte aligned by the protocols. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t shm_read_u32(const void *page, size_t offset) {
        return __atomic_load_n((const uint32_t *) ((const uint8_t *) page + offset), __ATOMIC_RELAXED);
}

static inline void shm_write_u32(void *page, size_t offset, uint32_t v) {
        __atomic_store_n((uint32_t *) ((uint8_t *) page + offset), v, __ATOMIC_RELAXED);
}

/* Load a little-endian field out of a private copy (not the shared page). */
static inline uint32_t copy_u32(const uint8_t *copy, size_t offset) {
        uint32_t v;
        memcpy(&v, copy + offset, sizeof(v));
        return v;
}

static inline int32_t copy_i32(const uint8_t *copy, size_t offset) {
        int32_t v;
        memcpy(&v, copy + offset, sizeof(v));
        return v;
}

/* After reading a producer index, before reading the entries it covers. */
#define shm_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
/* After writing entries, before publishing the producer index. */
#define shm_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
/* Between reading entries and handing their slots back with a consumer index. */
#define shm_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
