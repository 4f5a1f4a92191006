/* SPDX-License-Identifier: GPL-2.0-or-later */
/* display-drm.c against a fake libdrm: this file defines every libdrm call the
 * back end makes.  The "device" is a temporary file; the dumb buffer is that
 * file, mapped by display-drm.c at the offset MAP_DUMB gave, so the test reads
 * back exactly what would be scanned out.  Checked: the first connected
 * connector and its preferred mode, a CRTC its encoder can drive, one mode set,
 * the pixels (with a pitch wider than the picture), DIRTYFB with the changed
 * rectangle (and drivers without it), the CRTC given back and everything freed
 * on display_free(), and each failure giving everything back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "display.h"
#include "macro.h"

#define BG 0x1b1f24u
#define PAD 64   /* the fake's pitch is the width's bytes plus this */

enum { CONN_OFF = 10, CONN_ON = 11, CONN_ON_2 = 12, ENC = 30, ENC_CURRENT = 31, CRTC_A = 40, CRTC_B = 41 };

typedef struct SetCrtc {
        uint32_t crtc, fb, x, y, connector;
        int n_connectors;
        bool has_mode;
        drmModeModeInfo mode;
} SetCrtc;

static struct {
        char path[64];
        /* what the fake device looks like */
        bool on_connected, on_2_connected, current_encoder, saved_mode_valid;
        int set_crtc_result, dirty_result;
        /* what was done to it */
        int allocs;                     /* objects handed out and not yet freed */
        int dumbs, fbs;                 /* alive */
        uint32_t dumb_w, dumb_h, pitch;
        uint64_t size;
        unsigned n_set_crtc, n_dirty;
        SetCrtc set_crtc[8];
        drmModeClip last_clip;
} fake;

static drmModeModeInfo make_mode(uint16_t w, uint16_t h, uint32_t type) {
        drmModeModeInfo m = { .hdisplay = w, .vdisplay = h, .vrefresh = 60, .type = type };

        snprintf(m.name, sizeof(m.name), "%ux%u", w, h);
        return m;
}

/* ---- the fake libdrm ---- */

drmModeResPtr drmModeGetResources(int fd) {
        drmModeRes *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        r->count_connectors = 3;
        r->connectors = calloc(3, sizeof(uint32_t));
        r->connectors[0] = CONN_OFF;
        r->connectors[1] = CONN_ON;
        r->connectors[2] = CONN_ON_2;
        r->count_crtcs = 2;
        r->crtcs = calloc(2, sizeof(uint32_t));
        r->crtcs[0] = CRTC_A;
        r->crtcs[1] = CRTC_B;
        fake.allocs++;
        return r;
}

void drmModeFreeResources(drmModeResPtr r) {
        if (!r)
                return;
        free(r->connectors);
        free(r->crtcs);
        free(r);
        fake.allocs--;
}

drmModeConnectorPtr drmModeGetConnector(int fd, uint32_t id) {
        drmModeConnector *c = calloc(1, sizeof(*c));

        assert_non_null(c);
        c->connector_id = id;
        c->connector_type = DRM_MODE_CONNECTOR_VIRTUAL;
        c->connector_type_id = id - 9;
        c->connection = id == CONN_OFF || (id == CONN_ON && !fake.on_connected) ||
                                (id == CONN_ON_2 && !fake.on_2_connected) ? DRM_MODE_DISCONNECTED : DRM_MODE_CONNECTED;
        c->count_modes = 3;
        c->modes = calloc(3, sizeof(drmModeModeInfo));
        /* The preferred mode is not the first one listed. */
        c->modes[0] = make_mode(1024, 768, DRM_MODE_TYPE_DRIVER);
        c->modes[1] = make_mode(id == CONN_ON ? 800 : 640, id == CONN_ON ? 600 : 400,
                                DRM_MODE_TYPE_DRIVER | DRM_MODE_TYPE_PREFERRED);
        c->modes[2] = make_mode(640, 480, DRM_MODE_TYPE_DRIVER);
        c->count_encoders = 1;
        c->encoders = calloc(1, sizeof(uint32_t));
        c->encoders[0] = ENC;
        c->encoder_id = fake.current_encoder ? ENC_CURRENT : 0;
        fake.allocs++;
        return c;
}

void drmModeFreeConnector(drmModeConnectorPtr c) {
        if (!c)
                return;
        free(c->modes);
        free(c->encoders);
        free(c);
        fake.allocs--;
}

const char *drmModeGetConnectorTypeName(uint32_t type) {
        return type == DRM_MODE_CONNECTOR_VIRTUAL ? "Virtual" : NULL;
}

drmModeEncoderPtr drmModeGetEncoder(int fd, uint32_t id) {
        drmModeEncoder *e = calloc(1, sizeof(*e));

        assert_non_null(e);
        e->encoder_id = id;
        /* ENC can drive only the second CRTC; ENC_CURRENT drives the first now. */
        e->possible_crtcs = id == ENC ? 1u << 1 : 3;
        e->crtc_id = id == ENC_CURRENT ? CRTC_A : 0;
        fake.allocs++;
        return e;
}

void drmModeFreeEncoder(drmModeEncoderPtr e) {
        if (!e)
                return;
        free(e);
        fake.allocs--;
}

drmModeCrtcPtr drmModeGetCrtc(int fd, uint32_t id) {
        drmModeCrtc *c = calloc(1, sizeof(*c));

        assert_non_null(c);
        c->crtc_id = id;
        if (fake.saved_mode_valid) {
                c->buffer_id = 99;      /* the console's framebuffer before us */
                c->x = 0;
                c->y = 0;
                c->mode_valid = 1;
                c->mode = make_mode(640, 480, DRM_MODE_TYPE_DRIVER);
        }
        fake.allocs++;
        return c;
}

void drmModeFreeCrtc(drmModeCrtcPtr c) {
        if (!c)
                return;
        free(c);
        fake.allocs--;
}

int drmModeCreateDumbBuffer(int fd, uint32_t width, uint32_t height, uint32_t bpp, uint32_t flags,
                            uint32_t *handle, uint32_t *pitch, uint64_t *size) {
        assert_int_equal(bpp, 32);
        assert_int_equal(flags, 0);
        fake.dumb_w = width;
        fake.dumb_h = height;
        fake.pitch = width * 4 + PAD;
        fake.size = (uint64_t) fake.pitch * height;
        /* A new dumb buffer is zeroed; the padding must stay so. */
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(ftruncate(fd, (off_t) fake.size), 0);
        *handle = 7;
        *pitch = fake.pitch;
        *size = fake.size;
        fake.dumbs++;
        return 0;
}

int drmModeDestroyDumbBuffer(int fd, uint32_t handle) {
        assert_int_equal(handle, 7);
        fake.dumbs--;
        return 0;
}

int drmModeMapDumbBuffer(int fd, uint32_t handle, uint64_t *offset) {
        assert_int_equal(handle, 7);
        *offset = 0;
        return 0;
}

int drmModeAddFB(int fd, uint32_t width, uint32_t height, uint8_t depth, uint8_t bpp, uint32_t pitch,
                 uint32_t bo_handle, uint32_t *buf_id) {
        assert_int_equal(width, fake.dumb_w);
        assert_int_equal(height, fake.dumb_h);
        assert_int_equal(depth, 24);
        assert_int_equal(bpp, 32);
        assert_int_equal(pitch, fake.pitch);
        assert_int_equal(bo_handle, 7);
        *buf_id = 55;
        fake.fbs++;
        return 0;
}

int drmModeRmFB(int fd, uint32_t id) {
        assert_int_equal(id, 55);
        fake.fbs--;
        return 0;
}

int drmModeSetCrtc(int fd, uint32_t crtc, uint32_t fb, uint32_t x, uint32_t y, uint32_t *connectors, int count,
                   drmModeModeInfoPtr mode) {
        SetCrtc *s;

        assert_true(fake.n_set_crtc < ELEMENTSOF(fake.set_crtc));
        s = &fake.set_crtc[fake.n_set_crtc++];
        *s = (SetCrtc) { .crtc = crtc, .fb = fb, .x = x, .y = y, .n_connectors = count, .has_mode = !!mode };
        if (count > 0)
                s->connector = connectors[0];
        if (mode)
                s->mode = *mode;
        return fake.n_set_crtc == 1 ? fake.set_crtc_result : 0;
}

int drmModeDirtyFB(int fd, uint32_t fb, drmModeClipPtr clips, uint32_t n) {
        assert_int_equal(fb, 55);
        assert_int_equal(n, 1);
        fake.last_clip = clips[0];
        fake.n_dirty++;
        return fake.dirty_result;
}

drmVersionPtr drmGetVersion(int fd) {
        drmVersion *v = calloc(1, sizeof(*v));

        assert_non_null(v);
        v->name = strdup("fake");
        v->name_len = 4;
        fake.allocs++;
        return v;
}

void drmFreeVersion(drmVersionPtr v) {
        if (!v)
                return;
        free(v->name);
        free(v);
        fake.allocs--;
}

/* ---- helpers ---- */

static unsigned open_fds(void) {
        DIR *dir = opendir("/proc/self/fd");
        unsigned n = 0;

        assert_non_null(dir);
        while (readdir(dir))
                n++;
        closedir(dir);
        return n;
}

static int setup(void **state) {
        int fd;

        memset(&fake, 0, sizeof(fake));
        fake.on_connected = true;
        fake.on_2_connected = true;
        fake.saved_mode_valid = true;
        snprintf(fake.path, sizeof(fake.path), "/tmp/test-display-drm-XXXXXX");
        fd = mkstemp(fake.path);
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int teardown(void **state) {
        unlink(fake.path);
        return 0;
}

/* The dumb buffer as scanned out: the whole file, pitch and all. */
static uint8_t *scanout(void) {
        int fd = open(fake.path, O_RDONLY | O_CLOEXEC);
        uint8_t *m;

        assert_true(fd >= 0);
        m = mmap(NULL, fake.size, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        assert_true(m != MAP_FAILED);
        return m;
}

static uint32_t scanout_pixel(const uint8_t *m, uint32_t x, uint32_t y) {
        uint32_t v;

        memcpy(&v, m + (size_t) y * fake.pitch + (size_t) x * 4, 4);
        return v;
}

/* Every pixel of the dumb buffer is what the display says it presented; the padding is untouched. */
static void assert_scanout_is_display(Display *d) {
        uint8_t *m = scanout();

        for (uint32_t y = 0; y < fake.dumb_h; y++) {
                for (uint32_t x = 0; x < fake.dumb_w; x++) {
                        uint32_t c;

                        assert_int_equal(display_read_pixel(d, (int32_t) x, (int32_t) y, &c), 0);
                        if ((scanout_pixel(m, x, y) & 0xffffff) != c)
                                fail_msg("(%u, %u): %06x scanned out, %06x drawn", x, y, scanout_pixel(m, x, y), c);
                }
                for (uint32_t i = fake.dumb_w * 4; i < fake.pitch; i++)
                        assert_int_equal(m[(size_t) y * fake.pitch + i], 0);
        }
        munmap(m, fake.size);
}

/* ---- the cases ---- */

static void test_open_present_free(void **state) {
        FbMode mode = { .width = 400, .height = 300, .stride = 400 * 4, .depth = 32 };
        uint32_t *fb = calloc(400 * 300, 4), w, h;
        unsigned fds = open_fds();
        Display *d = NULL;
        uint8_t *m;

        assert_non_null(fb);
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        assert_non_null(d);
        /* Connector 11 (10 is disconnected) in its preferred mode, on the one CRTC its encoder can drive. */
        display_size(d, &w, &h);
        assert_int_equal(w, 800);
        assert_int_equal(h, 600);
        assert_int_equal(fake.dumbs, 1);
        assert_int_equal(fake.fbs, 1);
        assert_int_equal(fake.n_set_crtc, 1);
        assert_int_equal(fake.set_crtc[0].crtc, CRTC_B);
        assert_int_equal(fake.set_crtc[0].fb, 55);
        assert_int_equal(fake.set_crtc[0].n_connectors, 1);
        assert_int_equal(fake.set_crtc[0].connector, CONN_ON);
        assert_true(fake.set_crtc[0].has_mode);
        assert_int_equal(fake.set_crtc[0].mode.hdisplay, 800);
        assert_int_equal(fake.set_crtc[0].mode.vdisplay, 600);
        assert_int_equal(fake.allocs, 1);   /* only the saved CRTC is kept */
        assert_true(open_fds() > fds);      /* the device (and the font files) */

        /* The blank screen at open, everywhere, and marked dirty whole. */
        m = scanout();
        assert_int_equal(scanout_pixel(m, 0, 0) & 0xffffff, BG);
        assert_int_equal(scanout_pixel(m, 799, 599) & 0xffffff, BG);
        munmap(m, fake.size);
        assert_int_equal(fake.n_dirty, 1);
        assert_int_equal(fake.last_clip.x1, 0);
        assert_int_equal(fake.last_clip.y1, 0);
        assert_int_equal(fake.last_clip.x2, 800);
        assert_int_equal(fake.last_clip.y2, 600);

        /* A framebuffer, scaled by 2: four quadrants. */
        for (int y = 0; y < 300; y++)
                for (int x = 0; x < 400; x++)
                        fb[y * 400 + x] = (x < 200 ? 0x00ff0000 : 0x000000ff) | (y < 150 ? 0 : 0x0000ff00);
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 400 * 300 * 4, &mode, 0, 0, 400, 300), 0);
        m = scanout();
        assert_int_equal(scanout_pixel(m, 0, 0) & 0xffffff, 0xff0000);
        assert_int_equal(scanout_pixel(m, 399, 299) & 0xffffff, 0xff0000);
        assert_int_equal(scanout_pixel(m, 400, 299) & 0xffffff, 0x0000ff);
        assert_int_equal(scanout_pixel(m, 399, 300) & 0xffffff, 0xffff00);
        assert_int_equal(scanout_pixel(m, 799, 599) & 0xffffff, 0x00ffff);
        munmap(m, fake.size);
        assert_scanout_is_display(d);
        assert_int_equal(fake.n_dirty, 2);

        /* A partial update: that rectangle, scaled, reaches the buffer and is marked dirty. */
        for (int y = 100; y < 110; y++)
                for (int x = 50; x < 70; x++)
                        fb[y * 400 + x] = 0x00ffffff;
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, 400 * 300 * 4, &mode, 50, 100, 20, 10), 0);
        assert_int_equal(fake.n_dirty, 3);
        assert_int_equal(fake.last_clip.x1, 100);
        assert_int_equal(fake.last_clip.y1, 200);
        assert_int_equal(fake.last_clip.x2, 140);
        assert_int_equal(fake.last_clip.y2, 220);
        m = scanout();
        assert_int_equal(scanout_pixel(m, 100, 200) & 0xffffff, 0xffffff);
        assert_int_equal(scanout_pixel(m, 139, 219) & 0xffffff, 0xffffff);
        assert_int_equal(scanout_pixel(m, 140, 219) & 0xffffff, 0xff0000);
        munmap(m, fake.size);
        assert_scanout_is_display(d);

        /* The lock screen reaches the buffer too. */
        assert_int_equal(display_present_lock(d, 2, 1, false), 0);
        assert_scanout_is_display(d);
        m = scanout();
        assert_int_equal(scanout_pixel(m, 400, 300 + 40 + 16 + 4) & 0xffffff, 0xbf616a);
        munmap(m, fake.size);

        /* Freed: the old framebuffer back on the CRTC, ours removed, the device closed. */
        d = display_free(d);
        assert_int_equal(fake.n_set_crtc, 2);
        assert_int_equal(fake.set_crtc[1].crtc, CRTC_B);
        assert_int_equal(fake.set_crtc[1].fb, 99);
        assert_int_equal(fake.set_crtc[1].connector, CONN_ON);
        assert_int_equal(fake.set_crtc[1].mode.hdisplay, 640);
        assert_int_equal(fake.dumbs, 0);
        assert_int_equal(fake.fbs, 0);
        assert_int_equal(fake.allocs, 0);
        assert_int_equal(open_fds(), fds);
        free(fb);
}

/* A connector already lit keeps its CRTC; a CRTC that showed nothing is switched off again. */
static void test_current_crtc_and_off(void **state) {
        Display *d = NULL;

        fake.current_encoder = true;
        fake.saved_mode_valid = false;
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        assert_int_equal(fake.set_crtc[0].crtc, CRTC_A);
        d = display_free(d);
        assert_int_equal(fake.n_set_crtc, 2);
        assert_int_equal(fake.set_crtc[1].crtc, CRTC_A);
        assert_int_equal(fake.set_crtc[1].fb, 0);
        assert_int_equal(fake.set_crtc[1].n_connectors, 0);
        assert_false(fake.set_crtc[1].has_mode);
        assert_int_equal(fake.allocs, 0);
}

/* Drivers that scan the dumb buffer out directly have no DIRTYFB: fine, and asked once. */
static void test_dirty_unsupported(void **state) {
        FbMode mode = { .width = 8, .height = 6, .stride = 32, .depth = 32 };
        uint32_t fb[48] = {};
        Display *d = NULL;

        fake.dirty_result = -ENOSYS;
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        assert_int_equal(fake.n_dirty, 1);
        assert_int_equal(display_present_fb(d, (uint8_t *) fb, sizeof(fb), &mode, 0, 0, 8, 6), 0);
        assert_int_equal(display_present_blank(d), 0);
        assert_int_equal(fake.n_dirty, 1);
        assert_scanout_is_display(d);
        d = display_free(d);

        fake.dirty_result = -EOPNOTSUPP;
        fake.n_dirty = 0;
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        assert_int_equal(display_present_blank(d), 0);
        assert_int_equal(fake.n_dirty, 1);
        d = display_free(d);

        /* Other errors are passed on. */
        fake.dirty_result = 0;
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        fake.dirty_result = -EINVAL;
        assert_int_equal(display_present_blank(d), -EINVAL);
        d = display_free(d);
        assert_int_equal(fake.allocs, 0);
        assert_int_equal(fake.dumbs, 0);
}

/* Failures give back everything they took, and never touch the CRTC. */
static void test_failures(void **state) {
        unsigned fds = open_fds();
        Display *d = NULL;

        assert_int_equal(display_open_drm("/nonexistent/card9", &d), -ENOENT);
        assert_null(d);

        /* Nothing connected: no buffer is made. */
        fake.on_connected = fake.on_2_connected = false;
        assert_int_equal(display_open_drm(fake.path, &d), -ENODEV);
        assert_null(d);
        assert_int_equal(fake.n_set_crtc, 0);
        assert_int_equal(fake.dumbs, 0);
        assert_int_equal(fake.allocs, 0);
        assert_int_equal(open_fds(), fds);
        fake.on_connected = fake.on_2_connected = true;

        /* Another process is DRM master: the mode set is refused. */
        fake.set_crtc_result = -EACCES;
        assert_int_equal(display_open_drm(fake.path, &d), -EACCES);
        assert_null(d);
        assert_int_equal(fake.n_set_crtc, 1);
        assert_int_equal(fake.dumbs, 0);
        assert_int_equal(fake.fbs, 0);
        assert_int_equal(fake.allocs, 0);
        assert_int_equal(open_fds(), fds);
}

static void test_second_connector(void **state) {
        Display *d = NULL;
        uint32_t w, h;

        /* The first connected one is 12 now; its preferred mode is 640x400. */
        fake.on_connected = false;
        assert_int_equal(display_open_drm(fake.path, &d), 0);
        display_size(d, &w, &h);
        assert_int_equal(w, 640);
        assert_int_equal(h, 400);
        assert_int_equal(fake.set_crtc[0].connector, CONN_ON_2);
        d = display_free(d);
        assert_int_equal(fake.allocs, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_open_present_free, setup, teardown),
                cmocka_unit_test_setup_teardown(test_current_crtc_and_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dirty_unsupported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
                cmocka_unit_test_setup_teardown(test_second_connector, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
