/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "macro.h"
#include "pacer.h"

bool pacer_add(Pacer *p, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t width, uint32_t height) {
        uint32_t x1, y1;

        if (x >= width || y >= height || w == 0 || h == 0)
                return false;
        x1 = w > width - x ? width : x + w;
        y1 = h > height - y ? height : y + h;
        if (!p->pending) {
                p->x0 = x, p->y0 = y, p->x1 = x1, p->y1 = y1;
                p->pending = true;
                return true;
        }
        p->x0 = MIN(p->x0, x);
        p->y0 = MIN(p->y0, y);
        p->x1 = MAX(p->x1, x1);
        p->y1 = MAX(p->y1, y1);
        return true;
}

bool pacer_due(const Pacer *p, uint64_t now, uint64_t *ret_at) {
        if (!p->pending)
                return false;
        if (now >= p->ready_at)
                return true;
        if (ret_at)
                *ret_at = p->ready_at;
        return false;
}

bool pacer_take(Pacer *p, uint32_t *ret_x, uint32_t *ret_y, uint32_t *ret_w, uint32_t *ret_h) {
        if (!p->pending)
                return false;
        *ret_x = p->x0;
        *ret_y = p->y0;
        *ret_w = p->x1 - p->x0;
        *ret_h = p->y1 - p->y0;
        p->pending = false;
        return true;
}

void pacer_presented(Pacer *p, uint64_t end) {
        p->ready_at = end + PACER_INTERVAL_USEC;
}

void pacer_drop(Pacer *p) {
        p->pending = false;
}
