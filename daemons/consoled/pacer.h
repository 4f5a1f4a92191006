/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Paces the presentation of the shown guest's framebuffer updates.  Update
 * events are merged into one dirty rectangle; it is presented at once when the
 * display is idle, else no earlier than PACER_INTERVAL_USEC after the previous
 * present finished.  A guest flooding update events then costs dom0 at most
 * one present per interval, not one per event.  Pure bookkeeping: the caller
 * presents and keeps the timer (daemons/consoled/main.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define PACER_INTERVAL_USEC 16667ULL    /* 60 presents a second at most */

typedef struct Pacer {
        bool pending;
        uint32_t x0, y0, x1, y1;        /* the merged rectangle; x1 and y1 exclusive */
        uint64_t ready_at;              /* the earliest time of the next present */
} Pacer;

/* Merges an update of w x h at (x, y), clipped to width x height (the guest's
 * framebuffer; the numbers come from the guest).  Returns false when nothing of
 * it is inside. */
bool pacer_add(Pacer *p, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t width, uint32_t height);
/* Whether a rectangle is pending and may be presented at `now`; if pending but
 * not yet, *ret_at is when it may. */
bool pacer_due(const Pacer *p, uint64_t now, uint64_t *ret_at);
/* Takes the pending rectangle and clears it; false when none is pending. */
bool pacer_take(Pacer *p, uint32_t *ret_x, uint32_t *ret_y, uint32_t *ret_w, uint32_t *ret_h);
/* A present finished at `end`: the next may start PACER_INTERVAL_USEC later. */
void pacer_presented(Pacer *p, uint64_t end);
/* Drops what is pending (focus moved, console locked, framebuffer gone). */
void pacer_drop(Pacer *p);
