/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/fbif.h>

#include "fbpage.h"
#include "macro.h"
#include "shmem.h"

_Static_assert(offsetof(struct xenfb_page, width) == FB_OFF_WIDTH, "fbif layout");
_Static_assert(offsetof(struct xenfb_page, height) == FB_OFF_HEIGHT, "fbif layout");
_Static_assert(offsetof(struct xenfb_page, line_length) == FB_OFF_LINE_LENGTH, "fbif layout");
_Static_assert(offsetof(struct xenfb_page, mem_length) == FB_OFF_MEM_LENGTH, "fbif layout");
_Static_assert(offsetof(struct xenfb_page, depth) == FB_OFF_DEPTH, "fbif layout");
_Static_assert(offsetof(struct xenfb_page, out_prod) == FB_OFF_OUT_PROD, "fbif layout");
_Static_assert(XENFB_OUT_RING_LEN == FB_OUT_RING_LEN, "fbif ring");
_Static_assert(XENFB_IN_RING_LEN == FB_IN_RING_LEN, "fbif ring");
_Static_assert(offsetof(struct xenfb_resize, offset) == 20, "fbif layout");
_Static_assert(offsetof(struct xenfb_update, height) == 16, "fbif layout");

/* Frame numbers above this are not addressable by any x86 Xen (52-bit physical). */
#define FB_MAX_FRAME ((UINT64_C(1) << 40) - 1)

void fb_limits_default(FbLimits *ret) {
        *ret = (FbLimits) {
                .max_width = 3840,
                .max_height = 2400,
                .max_mem = 3840u * 2400u * 4u,
        };
}

static int fail(const char **ret_reason, const char *reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EPROTO;
}

static bool depth_ok(uint32_t depth) {
        return depth == 8 || depth == 16 || depth == 24 || depth == 32;
}

int fb_mode_check(const FbMode *m, uint32_t mem_length, const FbLimits *limits,
                  const char **ret_reason) {
        uint64_t row, need;

        if (m->width == 0 || m->height == 0)
                return fail(ret_reason, "framebuffer width or height is zero");
        if (m->width > limits->max_width || m->height > limits->max_height)
                return fail(ret_reason, "framebuffer is larger than the display limits");
        if (!depth_ok(m->depth))
                return fail(ret_reason, "framebuffer depth is not 8, 16, 24 or 32 bits");
        row = (uint64_t) m->width * fb_bytes_per_pixel(m->depth);
        if (m->stride < row)
                return fail(ret_reason, "line length is shorter than a row of pixels");
        if (m->stride > 4 * row + 4096)
                return fail(ret_reason, "line length is implausibly long");
        /* The last row needs only `row` bytes, not a whole stride. */
        need = (uint64_t) m->offset + (uint64_t) m->stride * (m->height - 1) + row;
        if (need > mem_length)
                return fail(ret_reason, "framebuffer does not fit in mem_length");
        return 0;
}

int fb_page_parse(const void *page, size_t size, unsigned word_size, const FbLimits *limits,
                  FbConfig *ret, const char **ret_reason) {
        const uint8_t *p = page;
        size_t pd_off;
        uint32_t per_dir;
        int32_t width, height;
        FbConfig c = {};
        int r;

        if (!page || size < FB_PAGE_SIZE)
                return fail(ret_reason, "shared page is shorter than a page");
        if (word_size != 4 && word_size != 8)
                return fail(ret_reason, "unknown frontend ABI");

        /* Each header field read once, into c. */
        width = (int32_t) shm_read_u32(p, FB_OFF_WIDTH);
        height = (int32_t) shm_read_u32(p, FB_OFF_HEIGHT);
        c.mode.stride = shm_read_u32(p, FB_OFF_LINE_LENGTH);
        c.mem_length = shm_read_u32(p, FB_OFF_MEM_LENGTH);
        c.mode.depth = __atomic_load_n(p + FB_OFF_DEPTH, __ATOMIC_RELAXED);
        c.word_size = word_size;

        if (width <= 0 || height <= 0)
                return fail(ret_reason, "framebuffer width or height is not positive");
        c.mode.width = (uint32_t) width;
        c.mode.height = (uint32_t) height;
        if (c.mem_length == 0 || c.mem_length > limits->max_mem)
                return fail(ret_reason, "mem_length is zero or larger than the limit");
        r = fb_mode_check(&c.mode, c.mem_length, limits, ret_reason);
        if (r < 0)
                return r;

        c.n_pages = (c.mem_length + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE;
        per_dir = FB_PAGE_SIZE / word_size;
        c.n_dirs = (c.n_pages + per_dir - 1) / per_dir;
        if (c.n_dirs > FB_PD_ENTRIES)
                return fail(ret_reason, "framebuffer needs more than 256 directory pages");

        /* pd[] starts after depth, aligned to the ABI's word. */
        pd_off = (FB_OFF_DEPTH + 1 + word_size - 1) / word_size * word_size;
        for (uint32_t i = 0; i < c.n_dirs; i++) {
                uint64_t f;

                if (word_size == 8)
                        f = shm_read_u32(p, pd_off + 8 * i) |
                            (uint64_t) shm_read_u32(p, pd_off + 8 * i + 4) << 32;
                else
                        f = shm_read_u32(p, pd_off + 4 * i);
                if (f == 0 || f > FB_MAX_FRAME)
                        return fail(ret_reason, "page directory entry is zero or out of range");
                c.dirs[i] = f;
        }

        *ret = c;
        return 0;
}

int fb_dir_collect(const FbConfig *cfg, const void *const *dir_pages, uint64_t *ret_frames,
                   const char **ret_reason) {
        uint32_t per_dir = FB_PAGE_SIZE / cfg->word_size;

        if (cfg->n_dirs > FB_PD_ENTRIES || cfg->n_pages > cfg->n_dirs * per_dir)
                return fail(ret_reason, "inconsistent framebuffer configuration");
        for (uint32_t i = 0; i < cfg->n_pages; i++) {
                const uint8_t *d = dir_pages[i / per_dir];
                size_t off = (size_t) (i % per_dir) * cfg->word_size;
                uint64_t f;

                if (!d)
                        return fail(ret_reason, "page directory page is not mapped");
                if (cfg->word_size == 8)
                        f = shm_read_u32(d, off) | (uint64_t) shm_read_u32(d, off + 4) << 32;
                else
                        f = shm_read_u32(d, off);
                if (f == 0 || f > FB_MAX_FRAME)
                        return fail(ret_reason, "framebuffer frame number is zero or out of range");
                ret_frames[i] = f;
        }
        return 0;
}

/* Clip [pos, pos+len) to [0, limit); false when nothing is left. */
static bool clip(int32_t pos, int32_t len, uint32_t limit, uint32_t *ret_pos, uint32_t *ret_len) {
        int64_t a = pos, b = (int64_t) pos + len;

        if (len <= 0)
                return false;
        a = MAX(a, 0);
        b = MIN(b, (int64_t) limit);
        if (b <= a)
                return false;
        *ret_pos = (uint32_t) a;
        *ret_len = (uint32_t) (b - a);
        return true;
}

int fb_ring_consume(void *page, size_t size, uint32_t *cons, FbMode *mode, uint32_t mem_length,
                    const FbLimits *limits, FbEvent *events, const char **ret_reason) {
        uint32_t prod, c = *cons;
        int n = 0, r;

        if (!page || size < FB_PAGE_SIZE)
                return fail(ret_reason, "shared page is shorter than a page");

        prod = shm_read_u32(page, FB_OFF_OUT_PROD);
        shm_rmb();
        if (prod - c > FB_OUT_RING_LEN)
                return fail(ret_reason, "out ring producer index is more than a ring ahead");

        for (; c != prod; c++) {
                uint8_t e[XENFB_OUT_EVENT_SIZE];
                FbEvent ev = {};

                memcpy(e, (uint8_t *) page + XENFB_OUT_RING_OFFS +
                          (size_t) (c % FB_OUT_RING_LEN) * XENFB_OUT_EVENT_SIZE, sizeof(e));
                switch (e[0]) {
                case XENFB_TYPE_UPDATE:
                        ev.type = FB_EVENT_UPDATE;
                        if (!clip(copy_i32(e, 4), copy_i32(e, 12), mode->width, &ev.x, &ev.width) ||
                            !clip(copy_i32(e, 8), copy_i32(e, 16), mode->height, &ev.y, &ev.height))
                                continue;  /* empty after clipping: nothing to draw */
                        break;
                case XENFB_TYPE_RESIZE: {
                        int32_t v[5];

                        for (size_t i = 0; i < 5; i++)
                                v[i] = copy_i32(e, 4 + 4 * i);
                        for (size_t i = 0; i < 5; i++)
                                if (v[i] < 0)
                                        return fail(ret_reason, "resize event has a negative field");
                        ev.type = FB_EVENT_RESIZE;
                        ev.mode = (FbMode) {
                                .width = (uint32_t) v[0],
                                .height = (uint32_t) v[1],
                                .stride = (uint32_t) v[2],
                                .depth = (uint32_t) v[3],
                                .offset = (uint32_t) v[4],
                        };
                        r = fb_mode_check(&ev.mode, mem_length, limits, ret_reason);
                        if (r < 0)
                                return r;
                        *mode = ev.mode;
                        break;
                }
                default:
                        continue;  /* unknown types are ignored, as the protocol asks */
                }
                events[n++] = ev;
        }

        shm_mb();
        shm_write_u32(page, FB_OFF_OUT_CONS, c);
        *cons = c;
        return n;
}

int fb_ring_push_refresh(void *page, size_t size, uint32_t *prod, uint32_t period_ms,
                         const char **ret_reason) {
        uint32_t cons, p = *prod;
        uint8_t *slot;

        if (!page || size < FB_PAGE_SIZE)
                return fail(ret_reason, "shared page is shorter than a page");
        cons = shm_read_u32(page, FB_OFF_IN_CONS);
        if (p - cons > FB_IN_RING_LEN)
                return fail(ret_reason, "in ring consumer index is ahead of the producer");
        if (p - cons == FB_IN_RING_LEN)
                return -ENOSPC;

        slot = (uint8_t *) page + XENFB_IN_RING_OFFS + (size_t) (p % FB_IN_RING_LEN) * XENFB_IN_EVENT_SIZE;
        memset(slot, 0, XENFB_IN_EVENT_SIZE);
        slot[0] = XENFB_TYPE_REFRESH_PERIOD;
        memcpy(slot + 4, &period_ms, sizeof(period_ms));
        shm_wmb();
        shm_write_u32(page, FB_OFF_IN_PROD, ++p);
        *prod = p;
        return 0;
}
