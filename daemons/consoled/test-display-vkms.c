/* SPDX-License-Identifier: GPL-2.0-or-later */
/* display-drm.c on a real kernel driver: vkms, the virtual KMS driver
 * (`modprobe vkms` makes a /dev/dri/cardN with a connected "Virtual" connector).
 * Presents a known framebuffer, then, from a second open of the card, finds the
 * framebuffer the CRTC scans out (drmModeGetFB; root), maps it and compares every
 * pixel; after display_free() that framebuffer is gone from the CRTC.  Only vkms
 * is used: a real screen is never touched.  Skips (77) when there is no vkms card,
 * saying why. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "display.h"

#define SKIP 77

static int fail(const char *what) {
        fprintf(stderr, "FAIL: %s\n", what);
        return EXIT_FAILURE;
}

/* The first card driven by vkms; NULL when none, with why in reason. */
static char *find_vkms(char *reason, size_t reason_size) {
        glob_t g = {};
        char *found = NULL;

        if (glob("/dev/dri/card*", 0, NULL, &g) != 0) {
                snprintf(reason, reason_size, "no /dev/dri/card* here (no DRM in this kernel or container)");
                globfree(&g);
                return NULL;
        }
        snprintf(reason, reason_size, "none of the %zu cards in /dev/dri is vkms", g.gl_pathc);
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
                int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
                drmVersion *v;

                if (fd < 0) {
                        snprintf(reason, reason_size, "cannot open %s: %s", g.gl_pathv[i], strerror(errno));
                        continue;
                }
                v = drmGetVersion(fd);
                if (v && v->name && strcmp(v->name, "vkms") == 0)
                        found = strdup(g.gl_pathv[i]);
                drmFreeVersion(v);
                close(fd);
        }
        globfree(&g);
        return found;
}

/* The framebuffer id some CRTC of fd scans out, 0 when none. */
static uint32_t scanned_out_fb(int fd) {
        drmModeRes *res = drmModeGetResources(fd);
        uint32_t fb = 0;

        for (int i = 0; res && i < res->count_crtcs && !fb; i++) {
                drmModeCrtc *c = drmModeGetCrtc(fd, res->crtcs[i]);

                if (c && c->mode_valid)
                        fb = c->buffer_id;
                drmModeFreeCrtc(c);
        }
        drmModeFreeResources(res);
        return fb;
}

static uint32_t pattern(uint32_t x, uint32_t y) {
        return (x * 7u + y * 13u * 256u + (x ^ y) * 65536u) & 0xffffff;
}

int main(void) {
        char reason[256], *card;
        Display *d = NULL;
        uint32_t w, h, fb_id, *fb, bad = 0;
        drmModeFB *info;
        uint64_t offset;
        uint8_t *m;
        FbMode mode;
        int fd, r;

        card = find_vkms(reason, sizeof(reason));
        if (!card) {
                printf("SKIP: no vkms device: %s (load it with \"modprobe vkms\").\n", reason);
                return SKIP;
        }
        if (geteuid() != 0) {
                printf("SKIP: reading another client's framebuffer back needs root.\n");
                return SKIP;
        }
        printf("vkms is %s\n", card);

        r = display_open_drm(card, &d);
        if (r < 0)
                return fail("display_open_drm() on vkms");
        display_size(d, &w, &h);
        fb = calloc((size_t) w * h, 4);
        if (!fb)
                return fail("out of memory");
        for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++)
                        fb[y * w + x] = pattern(x, y);
        mode = (FbMode) { .width = w, .height = h, .stride = w * 4, .depth = 32 };
        if (display_present_fb(d, (uint8_t *) fb, (size_t) w * h * 4, &mode, 0, 0, w, h) < 0)
                return fail("display_present_fb()");

        /* What the CRTC scans out, seen from a second open of the card. */
        fd = open(card, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return fail("second open of the card");
        fb_id = scanned_out_fb(fd);
        if (!fb_id)
                return fail("no CRTC scans anything out after display_open_drm()");
        info = drmModeGetFB(fd, fb_id);
        if (!info || !info->handle)
                return fail("drmModeGetFB() gave no handle");
        if (info->width != w || info->height != h || info->bpp != 32 || info->depth != 24)
                return fail("the scanned-out framebuffer is not the display's size in XRGB8888");
        if (drmModeMapDumbBuffer(fd, info->handle, &offset) < 0)
                return fail("MAP_DUMB on the scanned-out framebuffer");
        m = mmap(NULL, (size_t) info->pitch * h, PROT_READ, MAP_SHARED, fd, (off_t) offset);
        if (m == MAP_FAILED)
                return fail("mmap of the scanned-out framebuffer");
        for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                        uint32_t v;

                        memcpy(&v, m + (size_t) y * info->pitch + (size_t) x * 4, 4);
                        if ((v & 0xffffff) != pattern(x, y) && bad++ < 5)
                                fprintf(stderr, "(%u, %u): %06x on screen, %06x presented\n", x, y, v & 0xffffff,
                                        pattern(x, y));
                }
        munmap(m, (size_t) info->pitch * h);
        (void) drmCloseBufferHandle(fd, info->handle);
        drmModeFreeFB(info);
        if (bad > 0)
                return fail("the dumb buffer does not hold the presented framebuffer");

        d = display_free(d);
        if (scanned_out_fb(fd) == fb_id)
                return fail("the CRTC still scans out our framebuffer after display_free()");
        close(fd);
        free(fb);
        free(card);
        printf("OK: %ux%u presented and read back from the scanned-out dumb buffer.\n", w, h);
        return EXIT_SUCCESS;
}
