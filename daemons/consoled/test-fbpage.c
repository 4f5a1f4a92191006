/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PV framebuffer's shared page, good and hostile, built byte by byte the
 * way a guest would write it (layout from xen/io/fbif.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/fbif.h>

#include "fbpage.h"

static _Alignas(4096) uint8_t page[FB_PAGE_SIZE];
static FbLimits limits;

static void put32(size_t off, uint32_t v) {
        memcpy(page + off, &v, 4);
}

static void make_page(int32_t w, int32_t h, uint32_t line, uint32_t mem, uint8_t depth,
                      unsigned word, uint32_t ndirs) {
        size_t pd = word == 8 ? 40 : 36;

        memset(page, 0, sizeof(page));
        put32(FB_OFF_WIDTH, (uint32_t) w);
        put32(FB_OFF_HEIGHT, (uint32_t) h);
        put32(FB_OFF_LINE_LENGTH, line);
        put32(FB_OFF_MEM_LENGTH, mem);
        page[FB_OFF_DEPTH] = depth;
        for (uint32_t i = 0; i < ndirs; i++) {
                uint64_t f = 0x1000 + i;
                memcpy(page + pd + word * i, &f, word);
        }
}

static int parse(FbConfig *c, const char **reason) {
        return fb_page_parse(page, sizeof(page), 8, &limits, c, reason);
}

static void test_good_page(void **state) {
        FbConfig c;
        const char *reason = NULL;

        make_page(1024, 768, 4096, 1024 * 768 * 4, 32, 8, 2);
        assert_int_equal(parse(&c, &reason), 0);
        assert_int_equal(c.mode.width, 1024);
        assert_int_equal(c.mode.height, 768);
        assert_int_equal(c.mode.stride, 4096);
        assert_int_equal(c.mode.depth, 32);
        assert_int_equal(c.n_pages, 768);
        assert_int_equal(c.n_dirs, 2);     /* 512 frame numbers per directory page */
        assert_int_equal(c.dirs[0], 0x1000);
        assert_int_equal(c.dirs[1], 0x1001);
        assert_int_equal(c.dirs[2], 0);
        /* The struct layout matches Xen's own header. */
        assert_int_equal(offsetof(struct xenfb_page, pd), 40);
}

static void test_32bit_abi(void **state) {
        FbConfig c;

        make_page(800, 600, 3200, 800 * 600 * 4, 32, 4, 1);
        assert_int_equal(fb_page_parse(page, sizeof(page), 4, &limits, &c, NULL), 0);
        assert_int_equal(c.n_pages, 469);
        assert_int_equal(c.n_dirs, 1);    /* 1024 per directory page */
        assert_int_equal(c.dirs[0], 0x1000);
        assert_int_equal(fb_page_parse(page, sizeof(page), 2, &limits, &c, NULL), -EPROTO);
}

static void expect_bad(const char *what) {
        FbConfig c;
        const char *reason = NULL;

        assert_int_equal(parse(&c, &reason), -EPROTO);
        assert_non_null(reason);
        if (!strstr(reason, what))
                fail_msg("reason \"%s\" does not mention \"%s\"", reason, what);
}

static void test_hostile_header(void **state) {
        make_page(0, 768, 4096, 4 << 20, 32, 8, 2);
        expect_bad("width or height");
        make_page(1024, -1, 4096, 4 << 20, 32, 8, 2);
        expect_bad("width or height");
        make_page(100000, 10, 400000, 4000000, 32, 8, 2);
        expect_bad("larger than the display limits");
        make_page(1024, 768, 4096, 4 << 20, 7, 8, 2);
        expect_bad("depth");
        make_page(1024, 768, 4092, 4 << 20, 32, 8, 2);
        expect_bad("shorter than a row");
        make_page(1024, 768, 4096, 4096 * 767, 32, 8, 2);
        expect_bad("does not fit");
        make_page(1024, 768, 4096, UINT32_MAX, 32, 8, 2);
        expect_bad("mem_length");
        make_page(1024, 768, 4096, 0, 32, 8, 2);
        expect_bad("mem_length");
        make_page(1024, 768, 0xfffffff0u, 4 << 20, 32, 8, 2);
        expect_bad("line length");
}

static void test_hostile_directory(void **state) {
        FbConfig c;
        uint64_t huge = UINT64_C(1) << 60;

        /* Second directory page missing. */
        make_page(1024, 768, 4096, 1024 * 768 * 4, 32, 8, 1);
        expect_bad("page directory entry");
        /* A frame number no machine has. */
        make_page(1024, 768, 4096, 1024 * 768 * 4, 32, 8, 2);
        memcpy(page + 48, &huge, 8);
        expect_bad("page directory entry");
        /* More than 256 directory pages, even with raised limits. */
        limits.max_mem = UINT32_MAX;
        make_page(3840, 2400, 3840 * 4, 0xfffff000u, 32, 8, 256);
        expect_bad("256 directory pages");
        fb_limits_default(&limits);
        /* Short buffers never get read. */
        assert_int_equal(fb_page_parse(page, 100, 8, &limits, &c, NULL), -EPROTO);
        assert_int_equal(fb_page_parse(NULL, 4096, 8, &limits, &c, NULL), -EPROTO);
}

static void test_dir_collect(void **state) {
        _Alignas(8) static uint64_t dir0[512], dir1[512];
        const void *dirs[2] = { dir0, dir1 };
        uint64_t *frames;
        FbConfig c;
        const char *reason = NULL;

        make_page(1024, 768, 4096, 1024 * 768 * 4, 32, 8, 2);
        assert_int_equal(parse(&c, NULL), 0);
        for (size_t i = 0; i < 512; i++) {
                dir0[i] = 0x20000 + i;
                dir1[i] = i < 256 ? 0x30000 + i : 0;   /* unused tail stays zero */
        }
        frames = calloc(c.n_pages, sizeof(uint64_t));
        assert_non_null(frames);
        assert_int_equal(fb_dir_collect(&c, dirs, frames, NULL), 0);
        assert_int_equal(frames[0], 0x20000);
        assert_int_equal(frames[511], 0x20000 + 511);
        assert_int_equal(frames[512], 0x30000);
        assert_int_equal(frames[767], 0x30000 + 255);

        dir1[100] = 0;
        assert_int_equal(fb_dir_collect(&c, dirs, frames, &reason), -EPROTO);
        assert_non_null(strstr(reason, "frame number"));
        dirs[1] = NULL;
        assert_int_equal(fb_dir_collect(&c, dirs, frames, NULL), -EPROTO);
        free(frames);
}

static uint32_t out_prod;

static void put_event(const void *ev) {
        memcpy(page + XENFB_OUT_RING_OFFS + (out_prod % XENFB_OUT_RING_LEN) * XENFB_OUT_EVENT_SIZE,
               ev, XENFB_OUT_EVENT_SIZE);
        out_prod++;
        put32(FB_OFF_OUT_PROD, out_prod);
}

static void update(int32_t x, int32_t y, int32_t w, int32_t h) {
        union xenfb_out_event e = { .update = { XENFB_TYPE_UPDATE, x, y, w, h } };
        put_event(&e);
}

static void resize(int32_t w, int32_t h, int32_t stride, int32_t depth, int32_t offset) {
        union xenfb_out_event e = { .resize = { XENFB_TYPE_RESIZE, w, h, stride, depth, offset } };
        put_event(&e);
}

static void test_ring(void **state) {
        FbEvent ev[FB_OUT_RING_LEN];
        FbMode mode = { 1024, 768, 4096, 32, 0 };
        uint32_t cons = 0, mem = 4 << 20;
        union xenfb_out_event junk = { .type = 0x77 };
        const char *reason = NULL;
        int n;

        memset(page, 0, sizeof(page));
        out_prod = 0;
        update(10, 20, 30, 40);
        update(-5, -5, 10, 10);          /* clipped to (0,0) 5x5 */
        update(1000, 760, 100, 100);     /* clipped to 24x8 */
        update(2000, 0, 10, 10);         /* entirely outside: dropped */
        update(0, 0, -1, 10);            /* negative: dropped */
        update(INT32_MAX, 0, INT32_MAX, 1);  /* overflowing sum: dropped */
        put_event(&junk);                /* unknown type: ignored */
        resize(800, 600, 3200, 32, 0);
        update(700, 500, 500, 500);      /* clipped by the new mode */
        n = fb_ring_consume(page, sizeof(page), &cons, &mode, mem, &limits, ev, &reason);
        assert_int_equal(n, 5);
        assert_int_equal(ev[0].type, FB_EVENT_UPDATE);
        assert_int_equal(ev[0].x, 10);
        assert_int_equal(ev[0].height, 40);
        assert_int_equal(ev[1].x, 0);
        assert_int_equal(ev[1].width, 5);
        assert_int_equal(ev[1].height, 5);
        assert_int_equal(ev[2].width, 24);
        assert_int_equal(ev[2].height, 8);
        assert_int_equal(ev[3].type, FB_EVENT_RESIZE);
        assert_int_equal(ev[3].mode.width, 800);
        assert_int_equal(ev[4].width, 100);
        assert_int_equal(ev[4].height, 100);
        assert_int_equal(mode.width, 800);
        assert_int_equal(cons, 9);
        assert_int_equal(*(uint32_t *) (page + FB_OFF_OUT_CONS), 9);

        /* Nothing new: nothing to do. */
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, mem, &limits, ev, NULL), 0);

        /* A resize past mem_length disconnects. */
        resize(1920, 1080, 7680, 32, 0);
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, mem, &limits, ev, &reason), -EPROTO);
        assert_non_null(strstr(reason, "mem_length"));
        assert_int_equal(mode.width, 800);

        /* Negative offset. */
        cons = out_prod;
        resize(800, 600, 3200, 32, -4096);
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, mem, &limits, ev, NULL), -EPROTO);
}

static void test_ring_indexes(void **state) {
        FbEvent ev[FB_OUT_RING_LEN];
        FbMode mode = { 1024, 768, 4096, 32, 0 };
        uint32_t cons;
        const char *reason = NULL;

        /* A producer more than a ring ahead. */
        memset(page, 0, sizeof(page));
        cons = 0;
        put32(FB_OFF_OUT_PROD, FB_OUT_RING_LEN + 1);
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, 4 << 20, &limits, ev, &reason), -EPROTO);
        assert_non_null(strstr(reason, "producer"));
        assert_int_equal(cons, 0);
        /* Behind the consumer is the same as far ahead. */
        cons = 10;
        put32(FB_OFF_OUT_PROD, 9);
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, 4 << 20, &limits, ev, NULL), -EPROTO);

        /* Exactly a full ring, across the 2^32 wrap. */
        memset(page, 0, sizeof(page));
        cons = out_prod = UINT32_MAX - 10;
        for (unsigned i = 0; i < FB_OUT_RING_LEN; i++)
                update(0, 0, 1, 1);
        assert_int_equal(fb_ring_consume(page, sizeof(page), &cons, &mode, 4 << 20, &limits, ev, NULL),
                         FB_OUT_RING_LEN);
        assert_int_equal(cons, out_prod);
}

static void test_refresh(void **state) {
        uint32_t prod = 0;
        const char *reason = NULL;
        union xenfb_in_event *e;

        memset(page, 0, sizeof(page));
        for (unsigned i = 0; i < FB_IN_RING_LEN; i++)
                assert_int_equal(fb_ring_push_refresh(page, sizeof(page), &prod, 50, NULL), 0);
        assert_int_equal(fb_ring_push_refresh(page, sizeof(page), &prod, 50, NULL), -ENOSPC);
        assert_int_equal(prod, FB_IN_RING_LEN);
        assert_int_equal(*(uint32_t *) (page + FB_OFF_IN_PROD), FB_IN_RING_LEN);
        e = &XENFB_IN_RING_REF(page, 3);
        assert_int_equal(e->type, XENFB_TYPE_REFRESH_PERIOD);
        assert_int_equal(e->refresh_period.period, 50);
        /* The frontend consumed some. */
        put32(FB_OFF_IN_CONS, 5);
        assert_int_equal(fb_ring_push_refresh(page, sizeof(page), &prod, 0, NULL), 0);
        /* A consumer ahead of the producer. */
        put32(FB_OFF_IN_CONS, prod + 1);
        assert_int_equal(fb_ring_push_refresh(page, sizeof(page), &prod, 0, &reason), -EPROTO);
        assert_non_null(reason);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_page),
                cmocka_unit_test(test_32bit_abi),
                cmocka_unit_test(test_hostile_header),
                cmocka_unit_test(test_hostile_directory),
                cmocka_unit_test(test_dir_collect),
                cmocka_unit_test(test_ring),
                cmocka_unit_test(test_ring_indexes),
                cmocka_unit_test(test_refresh),
        };

        fb_limits_default(&limits);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
