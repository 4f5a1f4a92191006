/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest owns the keyboard page and moves in_cons as it likes while the back
 * end produces: the first 4096 bytes are the page, then each 4-byte word is a
 * new in_cons the guest writes between two events. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbdring.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) uint8_t page[KBD_PAGE_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint32_t prod = 0, cons;
        size_t off;

        memset(page, 0, sizeof(page));
        memcpy(page, data, MIN(size, sizeof(page)));
        memcpy(&prod, page + 4, 4);   /* the back end resumes from the published index */
        (void) kbd_page_check(page, sizeof(page), prod, NULL);

        for (off = sizeof(page); off + 4 <= size; off += 4) {
                KbdEvent ev = {
                        .type = (KbdEventType) (data[off] % 4),
                        .keycode = data[off + 1] | (uint32_t) data[off + 2] << 8,
                        .pressed = data[off + 3] & 1,
                        .x = data[off + 1],
                        .y = data[off + 2],
                };
                uint32_t before = prod;
                int r;

                memcpy(&cons, data + off, 4);
                memcpy(page, &cons, 4);
                r = kbd_ring_push(page, sizeof(page), &prod, &ev, NULL);
                if (r == 0 ? prod != before + 1 : prod != before)
                        abort();
                if (r == 0 && prod - cons > KBD_IN_RING_LEN)
                        abort();
        }
        return 0;
}
