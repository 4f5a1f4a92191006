/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The paravirtual keyboard/pointer's shared page (xen/include/public/io/kbdif.h):
 * the back end produces into the in ring, the untrusted frontend consumes and
 * writes in_cons, which is read once and checked before a slot is reused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KBD_PAGE_SIZE 4096u
#define KBD_IN_RING_LEN 51u
/* Highest Linux key code a frontend accepts (KEY_MAX in linux/input-event-codes.h). */
#define KBD_KEY_MAX 0x2ffu

typedef enum KbdEventType {
        KBD_EVENT_KEY,      /* keycode, pressed */
        KBD_EVENT_POS,      /* absolute x, y (0..width-1, 0..height-1), wheel z */
        KBD_EVENT_MOTION,   /* relative x, y, z */
} KbdEventType;

typedef struct KbdEvent {
        KbdEventType type;
        uint32_t keycode;
        bool pressed;
        int32_t x, y, z;
} KbdEvent;

/* Queue one event for the frontend.  *prod is the back end's own producer index.
 * -ENOSPC when the ring is full (the frontend is slow: drop or retry), -EPROTO
 * when the frontend's in_cons is impossible (disconnect it), -EINVAL for an
 * event the protocol cannot carry. */
int kbd_ring_push(void *page, size_t size, uint32_t *prod, const KbdEvent *ev,
                  const char **ret_reason);

/* Check the frontend-written indexes of a freshly mapped page against the back
 * end's producer index, and consume (ignore) the unused out ring. */
int kbd_page_check(void *page, size_t size, uint32_t prod, const char **ret_reason);
