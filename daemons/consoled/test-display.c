/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What reaches the screen: a guest framebuffer's pixels in each depth, scaled
 * and letterboxed, partial updates, and dom0's lock screen.  The drawing
 * (display-draw.c) runs twice: on a fake back end that keeps only what it was
 * handed (so a changed pixel outside the presented rectangles shows up as
 * stale), and on SDL's dummy video driver through the window back end
 * (display-sdl.c), read back from the window's surface.  Every pixel looked at
 * is compared between what the display says it presented and what the output
 * got. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <SDL.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display-backend.h"
#include "macro.h"

#define BG 0x1b1f24u
#define W 1024
#define H 768

static Display *d;
static uint32_t (*out_pixel)(int32_t x, int32_t y);

/* ---- the fake back end: a copy of each presented rectangle ---- */

static struct {
        uint32_t pixels[W * H];
        SDL_Rect last;
        unsigned presents, frees;
} fake;

static int fake_present(void *impl, const SDL_Surface *screen, const SDL_Rect *r) {
        assert_ptr_equal(impl, &fake);
        assert_int_equal(screen->w, W);
        assert_int_equal(screen->h, H);
        assert_int_equal(screen->format->format, SDL_PIXELFORMAT_XRGB8888);
        assert_true(r->x >= 0 && r->y >= 0 && r->w > 0 && r->h > 0 && r->x + r->w <= W && r->y + r->h <= H);
        for (int y = r->y; y < r->y + r->h; y++)
                memcpy(&fake.pixels[y * W + r->x],
                       (const uint8_t *) screen->pixels + (size_t) y * screen->pitch + (size_t) r->x * 4,
                       (size_t) r->w * 4);
        fake.last = *r;
        fake.presents++;
        return 0;
}

static void fake_free(void *impl) {
        assert_ptr_equal(impl, &fake);
        fake.frees++;
}

static const DisplayBackend fake_backend = { .name = "fake", .present = fake_present, .free = fake_free };

static uint32_t fake_pixel(int32_t x, int32_t y) {
        return fake.pixels[y * W + x] & 0xffffff;
}

static int setup_fake(void **state) {
        memset(&fake, 0, sizeof(fake));
        out_pixel = fake_pixel;
        if (display_new(W, H, &fake_backend, &fake, &d) < 0)
                return -1;
        /* The blank screen was presented whole at open. */
        return fake.presents == 1 && fake.last.w == W && fake.last.h == H ? 0 : -1;
}

static int teardown_fake(void **state) {
        d = display_free(d);
        return fake.frees == 1 ? 0 : -1;
}

/* ---- SDL's dummy driver: the window's own surface ---- */

static SDL_Window *window;

/* display-sdl.c's window: the only one. */
static SDL_Window *find_window(void) {
        for (Uint32 id = 1; id < 1000; id++) {
                SDL_Window *w = SDL_GetWindowFromID(id);

                if (w)
                        return w;
        }
        return NULL;
}

static uint32_t sdl_pixel(int32_t x, int32_t y) {
        SDL_Surface *s = SDL_GetWindowSurface(window);
        Uint32 v = 0;
        Uint8 r, g, b;

        assert_non_null(s);
        assert_int_equal(s->format->BytesPerPixel, 4);
        memcpy(&v, (const uint8_t *) s->pixels + (size_t) y * s->pitch + (size_t) x * 4, 4);
        SDL_GetRGB(v, s->format, &r, &g, &b);
        return (uint32_t) r << 16 | (uint32_t) g << 8 | b;
}

static int setup_sdl(void **state) {
        uint32_t w, h;

        out_pixel = sdl_pixel;
        if (display_open_sdl("dummy", &d) < 0)
                return -1;
        window = find_window();
        display_size(d, &w, &h);
        /* The cases below are written for the dummy driver's 1024x768. */
        return window && w == W && h == H ? 0 : -1;
}

static int teardown_sdl(void **state) {
        d = display_free(d);
        window = NULL;
        return 0;
}

/* ---- the cases, on either ---- */

static uint32_t px(int32_t x, int32_t y) {
        uint32_t c = 0;

        assert_int_equal(display_read_pixel(d, x, y, &c), 0);
        assert_int_equal(out_pixel(x, y), c);   /* the output got what was drawn */
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
        assert_int_equal(px(20, 20), 0xffffff);
        assert_int_equal(px(39, 39), 0xffffff);
        assert_int_equal(px(19, 19), 0xff0000);
        assert_int_equal(px(40, 40), 0xff0000);
        assert_int_equal(px(0, 0), 0xff0000);
        if (out_pixel == fake_pixel) {
                /* Only the scaled rectangle was handed on. */
                assert_int_equal(fake.last.x, 20);
                assert_int_equal(fake.last.y, 20);
                assert_int_equal(fake.last.w, 20);
                assert_int_equal(fake.last.h, 20);
        }

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
        assert_int_equal(px(10, 639) & 0xf80000, 0xf80000);
        assert_int_equal(px(10, 640), BG);
        assert_int_equal(px(10, 700), BG);
        assert_false(display_to_surface(d, 10, 10, &sx, &sy));
        assert_true(display_to_surface(d, 512, 128, &sx, &sy));
        assert_int_equal(sx, 400);
        assert_int_equal(sy, 0);

        /* Rectangles outside the mode or the mapping are refused. */
        assert_int_equal(display_present_fb(d, fb, size, &m, 700, 0, 101, 1), -EINVAL);
        assert_int_equal(display_present_fb(d, fb, size, &m, 0, 0, 0, 1), -EINVAL);
        assert_int_equal(display_present_fb(d, fb, size, &m, 0, 400, 1, 1), -EINVAL);
        /* The last row needs its pixels, not its padding: exactly that much is enough. */
        assert_int_equal(display_present_fb(d, fb, 32 + (size_t) m.stride * 399 + 1600, &m, 0, 0, 800, 400), 0);
        assert_int_equal(display_present_fb(d, fb, 32 + (size_t) m.stride * 399 + 1599, &m, 0, 0, 800, 400), -EINVAL);
        free(fb);
}

static void test_fb_24_down(void **state) {
        /* 2048x1536, bytes B, G, R: shown at half size; the top-left quarter green. */
        FbMode m = { .width = 2048, .height = 1536, .stride = 2048 * 3, .depth = 24 };
        size_t size = (size_t) m.stride * m.height;
        uint8_t *fb = calloc(1, size);

        assert_non_null(fb);
        for (uint32_t y = 0; y < m.height; y++)
                for (uint32_t x = 0; x < m.width; x++) {
                        uint8_t *p = fb + (size_t) y * m.stride + (size_t) x * 3;

                        if (x < 1024 && y < 768)
                                p[1] = 0xff;
                        else
                                p[0] = 0x80;   /* blue */
                }
        assert_int_equal(display_present_fb(d, fb, size, &m, 0, 0, m.width, m.height), 0);
        assert_int_equal(px(0, 0), 0x00ff00);
        assert_int_equal(px(511, 383), 0x00ff00);
        assert_int_equal(px(512, 383), 0x000080);
        assert_int_equal(px(1023, 767), 0x000080);
        free(fb);
}

static uint32_t next_random(uint32_t *seed) {
        *seed = *seed * 1103515245u + 12345u;
        return *seed >> 8;
}

/* Partial updates at a scale that is not a whole number leave the screen exactly as
 * a whole redraw of the same framebuffer does: no seams, no stale edges. */
static void test_fb_partial_equals_whole(void **state) {
        FbMode m = { .width = 640, .height = 480, .stride = 640 * 4, .depth = 32 };   /* scaled by 1.6 */
        uint32_t *fb = calloc(640 * 480, 4), *after_parts = malloc((size_t) W * H * 4), seed = 7;

        assert_non_null(fb);
        assert_non_null(after_parts);
        for (size_t i = 0; i < 640 * 480; i++)
                fb[i] = next_random(&seed) & 0xffffff;
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 640 * 480 * 4, &m, 0, 0, 640, 480), 0);
        for (int k = 0; k < 200; k++) {
                uint32_t x = next_random(&seed) % 640, y = next_random(&seed) % 480;
                uint32_t w = 1 + next_random(&seed) % MIN(640 - x, 40u), h = 1 + next_random(&seed) % MIN(480 - y, 40u);

                for (uint32_t j = y; j < y + h; j++)
                        for (uint32_t i = x; i < x + w; i++)
                                fb[j * 640 + i] = next_random(&seed) & 0xffffff;
                assert_int_equal(display_present_fb(d, (uint8_t *) fb, 640 * 480 * 4, &m, x, y, w, h), 0);
        }
        for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                        after_parts[y * W + x] = px(x, y);
        assert_int_equal(display_present_blank(d), 0);
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 640 * 480 * 4, &m, 0, 0, 640, 480), 0);
        for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                        if (px(x, y) != after_parts[y * W + x])
                                fail_msg("(%d, %d): %06x after the updates, %06x redrawn whole", x, y,
                                         after_parts[y * W + x], px(x, y));
        free(after_parts);
        free(fb);
}

/* After the lock screen, even a small update brings the whole framebuffer back. */
static void test_fb_after_lock(void **state) {
        FbMode m = { .width = 512, .height = 384, .stride = 512 * 4, .depth = 32 };
        uint32_t *fb = calloc(512 * 384, 4);

        assert_non_null(fb);
        for (size_t i = 0; i < 512 * 384; i++)
                fb[i] = 0x00336699;
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 512 * 384 * 4, &m, 0, 0, 512, 384), 0);
        assert_int_equal(display_present_lock(d, 0, 0, false), 0);
        assert_int_equal(px(512, 384), 0x2e3440);
        fb[0] = 0x00ffffff;
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 512 * 384 * 4, &m, 0, 0, 1, 1), 0);
        assert_int_equal(px(512, 384), 0x336699);
        assert_int_equal(px(1023, 767), 0x336699);
        assert_int_equal(px(1, 1), 0xffffff);
        free(fb);
}

static void test_lock_screen(void **state) {
        uint32_t dot, bar;

        assert_int_equal(display_present_lock(d, 3, 0, false), 0);
        /* Dots at box.x + 20 + i * 20 (box 480 wide, centred), on the centre line. */
        dot = px(512 - 240 + 20 + 2 * 20 + 6, 384);
        assert_int_equal(dot, 0x88c0d0);
        assert_int_equal(px(512 - 240 + 20 + 3 * 20 + 6, 384), 0x2e3440);   /* no fourth dot */
        assert_int_equal(px(512 - 240, 384), 0x88c0d0);                     /* the box's frame */
        assert_int_equal(px(512 - 241, 384), BG);
        assert_int_equal(px(512 - 30 + 5, 384 - 170 + 5), 0xd8dee9);         /* the padlock */
        assert_int_equal(px(512, 384 + 40 + 16 + 4), BG);                    /* no error bar */

        assert_int_equal(display_present_lock(d, 0, 1, false), 0);
        assert_int_equal(px(512 - 240 + 20 + 6, 384), 0x2e3440);            /* prompt cleared */
        bar = px(512, 384 + 40 + 16 + 4);
        assert_int_equal(bar, 0xbf616a);

        assert_int_equal(display_present_blank(d), 0);
        assert_int_equal(px(512, 384), BG);
        assert_int_equal(px(0, 0), BG);
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

static void test_read_pixel_and_screenshot(void **state) {
        char path[] = "/tmp/test-display-XXXXXX";
        SDL_Surface *bmp, *shot;
        uint32_t c, v;
        int fd;

        assert_int_equal(display_present_lock(d, 0, 1, false), 0);
        assert_int_equal(display_read_pixel(d, -1, 0, &c), -EINVAL);
        assert_int_equal(display_read_pixel(d, 0, H, &c), -EINVAL);
        assert_int_equal(display_read_pixel(d, W, 0, &c), -EINVAL);

        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(display_screenshot(d, path), 0);
        bmp = SDL_LoadBMP(path);
        unlink(path);
        assert_non_null(bmp);
        assert_int_equal(bmp->w, W);
        assert_int_equal(bmp->h, H);
        /* Read it back whatever depth SDL wrote it in. */
        shot = SDL_ConvertSurfaceFormat(bmp, SDL_PIXELFORMAT_XRGB8888, 0);
        SDL_FreeSurface(bmp);
        assert_non_null(shot);
        v = ((const uint32_t *) ((const uint8_t *) shot->pixels + (size_t) (384 + 40 + 16 + 4) * shot->pitch))[512];
        assert_int_equal(v & 0xffffff, 0xbf616a);
        v = ((const uint32_t *) shot->pixels)[0];
        assert_int_equal(v & 0xffffff, BG);
        bmp = shot;
        SDL_FreeSurface(bmp);
        assert_int_equal(display_screenshot(d, "/nonexistent/dir/shot.bmp"), -EIO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fb_32),
                cmocka_unit_test(test_fb_letterbox_16),
                cmocka_unit_test(test_fb_24_down),
                cmocka_unit_test(test_fb_partial_equals_whole),
                cmocka_unit_test(test_fb_after_lock),
                cmocka_unit_test(test_lock_screen),
                cmocka_unit_test(test_lock_words),
                cmocka_unit_test(test_read_pixel_and_screenshot),
        };
        int r;

        r = cmocka_run_group_tests_name("fake back end", tests, setup_fake, teardown_fake);
        /* The SDL window back end on the dummy driver, which every SDL2 build has. */
        r += cmocka_run_group_tests_name("SDL dummy", tests, setup_sdl, teardown_sdl);
        return r == 0 ? 0 : 1;
}
