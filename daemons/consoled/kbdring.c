/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/kbdif.h>

#include "kbdring.h"
#include "shmem.h"

_Static_assert(XENKBD_IN_RING_LEN == KBD_IN_RING_LEN, "kbdif ring");
_Static_assert(offsetof(struct xenkbd_page, in_cons) == 0, "kbdif layout");
_Static_assert(offsetof(struct xenkbd_page, in_prod) == 4, "kbdif layout");
_Static_assert(offsetof(struct xenkbd_key, keycode) == 4, "kbdif layout");
_Static_assert(offsetof(struct xenkbd_position, rel_z) == 12, "kbdif layout");
_Static_assert(offsetof(struct xenkbd_motion, rel_z) == 12, "kbdif layout");

#define KBD_OFF_IN_CONS 0u
#define KBD_OFF_IN_PROD 4u
#define KBD_OFF_OUT_CONS 8u
#define KBD_OFF_OUT_PROD 12u
#define KBD_OUT_RING_LEN (XENKBD_OUT_RING_SIZE / XENKBD_OUT_EVENT_SIZE)

static int fail(const char **ret_reason, const char *reason, int r) {
        if (ret_reason)
                *ret_reason = reason;
        return r;
}

int kbd_page_check(void *page, size_t size, uint32_t prod, const char **ret_reason) {
        uint32_t cons, oprod;

        if (!page || size < KBD_PAGE_SIZE)
                return fail(ret_reason, "shared page is shorter than a page", -EPROTO);
        cons = shm_read_u32(page, KBD_OFF_IN_CONS);
        if (prod - cons > KBD_IN_RING_LEN)
                return fail(ret_reason, "in ring consumer index is not within a ring of the producer", -EPROTO);
        /* No out events are defined: hand every slot back without reading it. */
        oprod = shm_read_u32(page, KBD_OFF_OUT_PROD);
        shm_write_u32(page, KBD_OFF_OUT_CONS, oprod);
        return 0;
}

int kbd_ring_push(void *page, size_t size, uint32_t *prod, const KbdEvent *ev,
                  const char **ret_reason) {
        uint8_t e[XENKBD_IN_EVENT_SIZE] = {};
        uint32_t cons, p = *prod;

        if (!page || size < KBD_PAGE_SIZE)
                return fail(ret_reason, "shared page is shorter than a page", -EPROTO);

        switch (ev->type) {
        case KBD_EVENT_KEY:
                if (ev->keycode == 0 || ev->keycode > KBD_KEY_MAX)
                        return fail(ret_reason, "key code out of range", -EINVAL);
                e[0] = XENKBD_TYPE_KEY;
                e[1] = ev->pressed;
                memcpy(e + 4, &ev->keycode, 4);
                break;
        case KBD_EVENT_POS:
                if (ev->x < 0 || ev->y < 0)
                        return fail(ret_reason, "negative absolute position", -EINVAL);
                e[0] = XENKBD_TYPE_POS;
                memcpy(e + 4, &ev->x, 4);
                memcpy(e + 8, &ev->y, 4);
                memcpy(e + 12, &ev->z, 4);
                break;
        case KBD_EVENT_MOTION:
                e[0] = XENKBD_TYPE_MOTION;
                memcpy(e + 4, &ev->x, 4);
                memcpy(e + 8, &ev->y, 4);
                memcpy(e + 12, &ev->z, 4);
                break;
        default:
                return fail(ret_reason, "unknown event type", -EINVAL);
        }

        cons = shm_read_u32(page, KBD_OFF_IN_CONS);
        if (p - cons > KBD_IN_RING_LEN)
                return fail(ret_reason, "in ring consumer index is not within a ring of the producer", -EPROTO);
        if (p - cons == KBD_IN_RING_LEN)
                return fail(ret_reason, "in ring is full", -ENOSPC);

        memcpy((uint8_t *) page + XENKBD_IN_RING_OFFS + (size_t) (p % KBD_IN_RING_LEN) * XENKBD_IN_EVENT_SIZE,
               e, sizeof(e));
        shm_wmb();
        shm_write_u32(page, KBD_OFF_IN_PROD, ++p);
        *prod = p;
        return 0;
}
