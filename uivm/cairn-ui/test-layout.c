/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tile grid geometry at the two reference sizes, scrolling, hit testing and
 * spatial focus movement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "layout.h"

static const lay_widget *tile(const lay_layout *l, int i) {
        int k = lay_find(l, LAY_TILE, i);
        assert_true(k >= 0);
        return &l->widgets[k];
}

static bool overlaps(lay_rect a, lay_rect b) {
        return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void check_grid(int w, int h, int cols) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = 7, .focus_tile = -1 };

        lay_build(&l, w, h, &p);
        assert_int_equal(l.tile_cols, cols);
        for (int i = 0; i < 7; i++) {
                const lay_widget *t = tile(&l, i);
                /* Inside the content area, horizontally. */
                assert_true(t->r.x >= l.content.x);
                assert_true(t->r.x + t->r.w <= l.content.x + l.content.w);
                for (int j = 0; j < i; j++)
                        assert_false(overlaps(t->r, tile(&l, j)->r));
                if (t->visible)
                        assert_true(t->r.y + t->r.h <= l.footer.y);
        }
        /* Same row, same y; next row below. */
        assert_int_equal(tile(&l, 0)->r.y, tile(&l, 1)->r.y);
        assert_true(tile(&l, cols)->r.y > tile(&l, 0)->r.y + tile(&l, 0)->r.h);
        assert_int_equal(tile(&l, cols)->r.x, tile(&l, 0)->r.x);
}

static void test_grid(void **state) {
        check_grid(1024, 768, 3);
        check_grid(1920, 1080, 4);
        check_grid(640, 480, 2);
}

static void test_scale(void **state) {
        lay_layout a, b;
        lay_params p = { .screen = LAY_SCREEN_HOME, .focus_tile = -1 };

        lay_build(&a, 1024, 768, &p);
        lay_build(&b, 1920, 1080, &p);
        assert_true(a.scale > 0.99f && a.scale < 1.01f);
        assert_true(b.scale > 1.3f && b.scale < 1.5f);
        assert_true(lay_px(&b, 100) > lay_px(&a, 100));
}

static void test_scroll(void **state) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = 30, .focus_tile = -1 };
        int visible = 0;

        lay_build(&l, 1024, 768, &p);
        assert_int_equal(l.tile_first_row, 0);
        assert_true(tile(&l, 0)->visible);
        assert_false(tile(&l, 29)->visible);
        for (int i = 0; i < 30; i++)
                visible += tile(&l, i)->visible;
        assert_int_equal(visible, l.tile_cols * l.tile_rows_visible);

        /* Focusing the last tile scrolls it into view, the first out. */
        p.focus_tile = 29;
        lay_build(&l, 1024, 768, &p);
        assert_true(l.tile_first_row > 0);
        assert_true(tile(&l, 29)->visible);
        assert_false(tile(&l, 0)->visible);
        assert_true(tile(&l, 29)->r.y + tile(&l, 29)->r.h <= l.footer.y);
}

static void test_hit(void **state) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = 4, .focus_tile = -1 };
        const lay_widget *t;

        lay_build(&l, 1024, 768, &p);
        t = tile(&l, 2);
        assert_int_equal(lay_hit(&l, t->r.x + 5, t->r.y + 5), lay_find(&l, LAY_TILE, 2));
        assert_int_equal(lay_hit(&l, t->r.x - 1 - l.gap / 2, t->r.y + 5), -1);
        t = &l.widgets[lay_find(&l, LAY_TAB, 1)];
        assert_int_equal(lay_hit(&l, t->r.x + t->r.w / 2, t->r.y + t->r.h / 2), lay_find(&l, LAY_TAB, 1));
        assert_int_equal(lay_hit(&l, 1, l.height - 2), -1);
}

static void test_move(void **state) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = 5, .focus_tile = -1 };
        int t0, t1, t2, t3, t4;

        lay_build(&l, 1024, 768, &p);   /* 3 columns: 0 1 2 / 3 4 */
        t0 = lay_find(&l, LAY_TILE, 0);
        t1 = lay_find(&l, LAY_TILE, 1);
        t2 = lay_find(&l, LAY_TILE, 2);
        t3 = lay_find(&l, LAY_TILE, 3);
        t4 = lay_find(&l, LAY_TILE, 4);

        assert_int_equal(lay_move(&l, -1, LAY_DOWN), t0);      /* first content widget */
        assert_int_equal(lay_move(&l, t0, LAY_RIGHT), t1);
        assert_int_equal(lay_move(&l, t1, LAY_RIGHT), t2);
        assert_int_equal(lay_move(&l, t2, LAY_RIGHT), t2);     /* edge: stay */
        assert_int_equal(lay_move(&l, t0, LAY_DOWN), t3);
        assert_int_equal(lay_move(&l, t1, LAY_DOWN), t4);
        assert_int_equal(lay_move(&l, t2, LAY_DOWN), t4);      /* nearest in the short row below */
        assert_int_equal(lay_move(&l, t3, LAY_DOWN), t3);      /* last row: stay */
        assert_int_equal(lay_move(&l, t4, LAY_LEFT), t3);
        assert_int_equal(lay_move(&l, t4, LAY_UP), t1);
        /* Up from the first row reaches the tab bar, at the tab above. */
        assert_int_equal(l.widgets[lay_move(&l, t0, LAY_UP)].kind, LAY_TAB);
        assert_int_equal(lay_move(&l, lay_find(&l, LAY_TAB, 0), LAY_RIGHT), lay_find(&l, LAY_TAB, 1));
        assert_int_equal(l.widgets[lay_move(&l, lay_find(&l, LAY_TAB, 0), LAY_DOWN)].kind, LAY_TILE);

        /* Tab order wraps and visits all. */
        int cur = t4, seen = 0;
        for (size_t k = 0; k < l.n_widgets; k++) {
                cur = lay_next(&l, cur, false);
                seen++;
        }
        assert_int_equal(cur, t4);
        assert_int_equal(seen, (int) l.n_widgets);
        assert_int_equal(lay_next(&l, t0, true), lay_find(&l, LAY_TAB, 2));
}

static void test_detail_disabled(void **state) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_DETAIL, .can_start = true, .can_stop = false, .can_switch = false };
        int start, stop, sw;

        lay_build(&l, 1024, 768, &p);
        start = lay_find(&l, LAY_START, 0);
        stop = lay_find(&l, LAY_STOP, 0);
        sw = lay_find(&l, LAY_SWITCH, 0);
        assert_true(start >= 0 && stop >= 0 && sw >= 0);
        assert_true(l.widgets[start].enabled);
        assert_false(l.widgets[stop].enabled);
        /* Disabled buttons are skipped by arrows, Tab and clicks. */
        assert_int_equal(lay_move(&l, start, LAY_RIGHT), start);
        assert_int_equal(lay_hit(&l, l.widgets[stop].r.x + 3, l.widgets[stop].r.y + 3), -1);
        assert_int_not_equal(lay_next(&l, start, false), stop);
        assert_int_not_equal(lay_next(&l, start, false), sw);
        assert_int_equal(l.widgets[lay_move(&l, start, LAY_UP)].kind, LAY_BACK);
}

static void test_banner(void **state) {
        lay_layout a, b;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = 1, .focus_tile = -1 };

        lay_build(&a, 1024, 768, &p);
        p.banner = true;
        lay_build(&b, 1024, 768, &p);
        assert_int_equal(a.banner.h, 0);
        assert_true(b.banner.h > 0);
        assert_int_equal(b.content.y, a.content.y + b.banner.h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_grid),
                cmocka_unit_test(test_scale),
                cmocka_unit_test(test_scroll),
                cmocka_unit_test(test_hit),
                cmocka_unit_test(test_move),
                cmocka_unit_test(test_detail_disabled),
                cmocka_unit_test(test_banner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
