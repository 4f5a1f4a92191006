/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Producing into the PV keyboard's in ring against a frontend that consumes
 * honestly, slowly, or lies about its consumer index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/input-event-codes.h>
#include <string.h>
#include <xen/io/kbdif.h>

#include "kbdring.h"

static _Alignas(4096) uint8_t page[KBD_PAGE_SIZE];

static struct xenkbd_page *shared(void) {
        return (struct xenkbd_page *) page;
}

static void test_key_and_pos(void **state) {
        uint32_t prod = 0;
        KbdEvent key = { .type = KBD_EVENT_KEY, .keycode = KEY_A, .pressed = true };
        KbdEvent pos = { .type = KBD_EVENT_POS, .x = 100, .y = 200, .z = -1 };
        union xenkbd_in_event *e;

        memset(page, 0, sizeof(page));
        assert_int_equal(kbd_page_check(page, sizeof(page), prod, NULL), 0);
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, NULL), 0);
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &pos, NULL), 0);
        assert_int_equal(prod, 2);
        assert_int_equal(shared()->in_prod, 2);
        e = &XENKBD_IN_RING_REF(page, 0);
        assert_int_equal(e->type, XENKBD_TYPE_KEY);
        assert_int_equal(e->key.pressed, 1);
        assert_int_equal(e->key.keycode, KEY_A);
        e = &XENKBD_IN_RING_REF(page, 1);
        assert_int_equal(e->type, XENKBD_TYPE_POS);
        assert_int_equal(e->pos.abs_x, 100);
        assert_int_equal(e->pos.abs_y, 200);
        assert_int_equal(e->pos.rel_z, -1);
}

static void test_full_and_lying(void **state) {
        KbdEvent key = { .type = KBD_EVENT_KEY, .keycode = KEY_B, .pressed = false };
        uint32_t prod = UINT32_MAX - 3;   /* across the wrap */
        const char *reason = NULL;

        memset(page, 0, sizeof(page));
        shared()->in_cons = prod;
        for (unsigned i = 0; i < KBD_IN_RING_LEN; i++)
                assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, NULL), 0);
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, &reason), -ENOSPC);
        assert_non_null(strstr(reason, "full"));
        /* The frontend consumes one: one slot free again. */
        shared()->in_cons++;
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, NULL), 0);
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, NULL), -ENOSPC);

        /* A consumer index ahead of what was produced. */
        shared()->in_cons = prod + 1;
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, &reason), -EPROTO);
        assert_int_equal(kbd_page_check(page, sizeof(page), prod, NULL), -EPROTO);
        shared()->in_cons = prod - 1000;
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &key, NULL), -EPROTO);
}

static void test_bad_events(void **state) {
        uint32_t prod = 0;
        KbdEvent e;

        memset(page, 0, sizeof(page));
        e = (KbdEvent) { .type = KBD_EVENT_KEY, .keycode = KBD_KEY_MAX + 1 };
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &e, NULL), -EINVAL);
        e = (KbdEvent) { .type = KBD_EVENT_KEY, .keycode = 0 };
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &e, NULL), -EINVAL);
        e = (KbdEvent) { .type = KBD_EVENT_POS, .x = -1 };
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &e, NULL), -EINVAL);
        e = (KbdEvent) { .type = 99 };
        assert_int_equal(kbd_ring_push(page, sizeof(page), &prod, &e, NULL), -EINVAL);
        assert_int_equal(prod, 0);
        assert_int_equal(shared()->in_prod, 0);
        assert_int_equal(kbd_ring_push(page, 100, &prod, &e, NULL), -EPROTO);
}

static void test_out_ring_drained(void **state) {
        memset(page, 0, sizeof(page));
        shared()->out_prod = 7;
        assert_int_equal(kbd_page_check(page, sizeof(page), 0, NULL), 0);
        assert_int_equal(shared()->out_cons, 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_and_pos),
                cmocka_unit_test(test_full_and_lying),
                cmocka_unit_test(test_bad_events),
                cmocka_unit_test(test_out_ring_drained),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
