/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest writes the whole framebuffer shared page and its directory pages:
 * input byte 0 picks the ABI, the next 4096 bytes are the shared page, the rest
 * fills the directory pages.  Whatever the bytes, parsing never reads outside
 * the buffers and everything accepted obeys the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fbpage.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) uint8_t page[FB_PAGE_SIZE];
static _Alignas(4096) uint8_t dirs[4][FB_PAGE_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FbLimits limits;
        FbConfig c;
        FbEvent ev[FB_OUT_RING_LEN];
        const void *dir_ptrs[FB_PD_ENTRIES] = {};
        const char *reason = NULL;
        unsigned word;
        uint32_t cons, prod;
        FbMode mode;
        int n;

        if (size < 1)
                return 0;
        word = data[0] & 1 ? 4 : 8;
        data++, size--;
        memset(page, 0, sizeof(page));
        memcpy(page, data, MIN(size, sizeof(page)));
        memset(dirs, 0, sizeof(dirs));
        if (size > sizeof(page))
                memcpy(dirs, data + sizeof(page), MIN(size - sizeof(page), sizeof(dirs)));

        fb_limits_default(&limits);
        limits.max_mem = 4 * 1024 * 1024;   /* what 4 directory pages can cover at 32 bits */
        if (fb_page_parse(page, sizeof(page), word, &limits, &c, &reason) < 0) {
                if (!reason)
                        abort();
                return 0;
        }
        if (c.mode.width > limits.max_width || c.mode.height > limits.max_height ||
            c.mem_length > limits.max_mem || c.n_dirs > 4 || c.n_dirs == 0 ||
            (uint64_t) c.mode.stride * (c.mode.height - 1) + c.mode.width * fb_bytes_per_pixel(c.mode.depth) > c.mem_length)
                abort();

        for (uint32_t i = 0; i < c.n_dirs; i++)
                dir_ptrs[i] = dirs[i];
        {
                uint64_t *frames = calloc(c.n_pages, sizeof(uint64_t));
                if (!frames)
                        abort();
                (void) fb_dir_collect(&c, dir_ptrs, frames, NULL);
                free(frames);
        }

        /* The out ring, consumed from wherever the page says. */
        memcpy(&prod, page + FB_OFF_OUT_PROD, 4);
        memcpy(&cons, page + FB_OFF_OUT_CONS, 4);
        mode = c.mode;
        n = fb_ring_consume(page, sizeof(page), &cons, &mode, c.mem_length, &limits, ev, &reason);
        if (n > (int) FB_OUT_RING_LEN)
                abort();
        for (int i = 0; i < n; i++)
                if (ev[i].type == FB_EVENT_UPDATE &&
                    ((uint64_t) ev[i].x + ev[i].width > limits.max_width ||
                     (uint64_t) ev[i].y + ev[i].height > limits.max_height || ev[i].width == 0))
                        abort();
        if (n >= 0 && cons != prod)
                abort();
        (void) fb_ring_push_refresh(page, sizeof(page), &prod, 50, NULL);
        return 0;
}
