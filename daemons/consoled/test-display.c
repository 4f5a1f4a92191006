/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What reaches the screen: a guest framebuffer's pixels in each depth, scaled
 * and letterboxed, and dom0's lock screen; on SDL's dummy video driver with the
 * software renderer, read back pixel by pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display.h"

#define BG 0x1b1f24u

static Display *d;

static uint32_t px(int32_t x, int32_t y) {
        uint32_t c = 0;

        assert_int_equal(display_read_pixel(d, x, y, &c), 0);
        return c;
}

static void test_fb_32(void **state) {
        FbMode m = { .width = 512, .height = 384, .stride = 512 * 4, .depth = 32 };
        uint32_t *fb = calloc(512 * 384, 4);
        int32_t sx, sy;

        assert_non_null(fb);
        for (int y = 0; y < 384; y++)
                for (int x = 0; x < 512; x++)
                        fb[y * 512 + x] = x < 256 ? 0x00ff0000 : (y < 192 ? 0x000000ff : 0x0000ff00);
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 512 * 384 * 4, &m, 0, 0, 512, 384), 0);
        /* Scaled by 2 to fill 1024x768. */
        assert_int_equal(px(100, 100), 0xff0000);
        assert_int_equal(px(900, 100), 0x0000ff);
        assert_int_equal(px(900, 700), 0x00ff00);
        assert_int_equal(px(1023, 767), 0x00ff00);

        /* A partial update touches only its rectangle. */
        for (int y = 10; y < 20; y++)
                for (int x = 10; x < 20; x++)
                        fb[y * 512 + x] = 0x00ffffff;
        fb[0] = 0x00123456;   /* changed but outside the update: not copied yet */
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 512 * 384 * 4, &m, 10, 10, 10, 10), 0);
        assert_int_equal(px(30, 30), 0xffffff);
        assert_int_equal(px(0, 0), 0xff0000);

        assert_true(display_to_surface(d, 1023, 767, &sx, &sy));
        assert_int_equal(sx, 511);
        assert_int_equal(sy, 383);
        free(fb);
}

static void test_fb_letterbox_16(void **state) {
        FbMode m = { .width = 800, .height = 400, .stride = 1600 + 64, .depth = 16, .offset = 32 };
        size_t size = 32 + (size_t) m.stride * 400;
        uint8_t *fb = calloc(1, size);
        int32_t sx, sy;

        assert_non_null(fb);
        for (int y = 0; y < 400; y++)
                for (int x = 0; x < 800; x++) {
                        uint16_t v = 0xf800;   /* RGB565 red */
                        memcpy(fb + 32 + (size_t) y * m.stride + (size_t) x * 2, &v, 2);
                }
        assert_int_equal(display_present_fb(d, fb, size, &m, 0, 0, 800, 400), 0);
        /* 800x400 scaled by 1.28 is 1024x512, centred: bands of 128 above and below. */
        assert_int_equal(px(10, 10), BG);
        assert_int_equal(px(10, 127), BG);
        assert_int_equal(px(10, 130) & 0xf80000, 0xf80000);
        assert_int_equal(px(10, 130) & 0x00ffff, 0);
        assert_int_equal(px(10, 700), BG);
        assert_false(display_to_surface(d, 10, 10, &sx, &sy));
        assert_true(display_to_surface(d, 512, 128, &sx, &sy));
        assert_int_equal(sx, 400);
        assert_int_equal(sy, 0);

        /* Rectangles outside the mode or the mapping are refused. */
        assert_int_equal(display_present_fb(d, fb, size, &m, 700, 0, 101, 1), -EINVAL);
        assert_int_equal(display_present_fb(d, fb, size, &m, 0, 0, 0, 1), -EINVAL);
        /* The last row needs its pixels, not its padding: exactly that much is enough. */
        assert_int_equal(display_present_fb(d, fb, 32 + (size_t) m.stride * 399 + 1600, &m, 0, 0, 800, 400), 0);
        assert_int_equal(display_present_fb(d, fb, 32 + (size_t) m.stride * 399 + 1599, &m, 0, 0, 800, 400), -EINVAL);
        free(fb);
}

static void test_lock_screen(void **state) {
        uint32_t dot, bar;

        assert_int_equal(display_present_lock(d, 3, 0, false), 0);
        /* Dots at box.x + 20 + i * 20 (box 480 wide, centred), on the centre line. */
        dot = px(512 - 240 + 20 + 2 * 20 + 6, 384);
        assert_int_equal(dot, 0x88c0d0);
        assert_int_equal(px(512 - 240 + 20 + 3 * 20 + 6, 384), 0x2e3440);   /* no fourth dot */
        assert_int_equal(px(512, 384 + 40 + 16 + 4), BG);                    /* no error bar */

        assert_int_equal(display_present_lock(d, 0, 1, false), 0);
        assert_int_equal(px(512 - 240 + 20 + 6, 384), 0x2e3440);            /* prompt cleared */
        bar = px(512, 384 + 40 + 16 + 4);
        assert_int_equal(bar, 0xbf616a);

        assert_int_equal(display_present_blank(d), 0);
        assert_int_equal(px(512, 384), BG);
}

/* Pixels of colour rgb in a band of the screen (text is anti-aliased: count exact hits). */
static unsigned count_in_band(int32_t y0, int32_t y1, uint32_t rgb) {
        unsigned n = 0;

        for (int32_t y = y0; y < y1; y++)
                for (int32_t x = 0; x < 1024; x += 2)
                        n += px(x, y) == rgb;
        return n;
}

static void test_lock_words(void **state) {
        unsigned red_words, none;

        if (access(DISPLAY_FONT, R_OK) < 0)
                skip();
        /* The title band above the padlock's box is not empty. */
        assert_int_equal(display_present_lock(d, 0, 0, false), 0);
        assert_true(count_in_band(384 - 110, 384 - 110 + 32, 0xd8dee9) > 20);
        /* "Wrong passphrase" in red under the hint only after a wrong one. */
        none = count_in_band(384 + 40 + 40 + 20, 384 + 40 + 40 + 60, 0xbf616a);
        assert_int_equal(display_present_lock(d, 0, 1, false), 0);
        red_words = count_in_band(384 + 40 + 40 + 20, 384 + 40 + 40 + 60, 0xbf616a);
        assert_int_equal(none, 0);
        assert_true(red_words > 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fb_32),
                cmocka_unit_test(test_fb_letterbox_16),
                cmocka_unit_test(test_lock_screen),
                cmocka_unit_test(test_lock_words),
        };
        int r;

        setenv("SDL_RENDER_DRIVER", "software", 1);
        r = display_open("dummy", &d);
        if (r < 0) {
                fprintf(stderr, "SKIP: SDL has no dummy video driver here\n");
                return 77;
        }
        r = cmocka_run_group_tests(tests, NULL, NULL);
        display_free(d);
        return r;
}
