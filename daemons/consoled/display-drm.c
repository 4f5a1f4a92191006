/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DRM/KMS back end: one dumb buffer (DRM_IOCTL_MODE_CREATE_DUMB, mapped),
 * put on a CRTC once with drmModeSetCrtc; each draw copies the changed rectangle
 * from the drawn picture into it and tells the driver with DIRTYFB.  No page
 * flips, no GBM/EGL, no mesa.  Opening a card with nobody else DRM master makes
 * us master; the CRTC's previous framebuffer is put back on display_free(). */
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

#include "display-backend.h"
#include "log.h"
#include "macro.h"

typedef struct DrmOutput {
        char *device;
        int fd;
        uint32_t connector_id, crtc_id;
        drmModeModeInfo mode;
        drmModeCrtc *saved;     /* the CRTC as we found it, NULL if it could not be read */
        bool have_dumb, have_fb, crtc_set, no_dirty;
        uint32_t handle, fb_id, pitch;
        uint64_t size;
        uint8_t *map;
} DrmOutput;

static void drm_free(void *impl) {
        DrmOutput *o = impl;
        int r;

        if (!o)
                return;
        if (o->crtc_set) {
                if (o->saved && o->saved->mode_valid && o->saved->buffer_id)
                        r = drmModeSetCrtc(o->fd, o->crtc_id, o->saved->buffer_id, o->saved->x, o->saved->y,
                                           &o->connector_id, 1, &o->saved->mode);
                else
                        r = drmModeSetCrtc(o->fd, o->crtc_id, 0, 0, 0, NULL, 0, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to give CRTC %u of %s back: %m", o->crtc_id, o->device);
        }
        if (o->map)
                (void) munmap(o->map, o->size);
        if (o->have_fb)
                (void) drmModeRmFB(o->fd, o->fb_id);
        if (o->have_dumb)
                (void) drmModeDestroyDumbBuffer(o->fd, o->handle);
        if (o->saved)
                drmModeFreeCrtc(o->saved);
        if (o->fd >= 0)
                (void) close(o->fd);
        free(o->device);
        free(o);
}

static int drm_present(void *impl, const SDL_Surface *screen, const SDL_Rect *r) {
        DrmOutput *o = impl;
        drmModeClip clip = {
                .x1 = (unsigned short) r->x,
                .y1 = (unsigned short) r->y,
                .x2 = (unsigned short) (r->x + r->w),
                .y2 = (unsigned short) (r->y + r->h),
        };
        int k;

        /* The picture is the mode's size and r lies inside it (display-draw.c); copy
         * only r, so scanout memory is written once and never read. */
        for (int y = r->y; y < r->y + r->h; y++)
                memcpy(o->map + (size_t) y * o->pitch + (size_t) r->x * 4,
                       (const uint8_t *) screen->pixels + (size_t) y * (size_t) screen->pitch + (size_t) r->x * 4,
                       (size_t) r->w * 4);
        if (o->no_dirty)
                return 0;
        k = drmModeDirtyFB(o->fd, o->fb_id, &clip, 1);
        if (k == -ENOSYS || k == -EOPNOTSUPP) {
                /* The driver scans the dumb buffer out as it is. */
                log_debug("%s has no DIRTYFB: not calling it again.", o->device);
                o->no_dirty = true;
                return 0;
        }
        if (k < 0)
                return log_debug_errno(k, "DIRTYFB on %s failed: %m", o->device);
        return 0;
}

static const DisplayBackend drm_backend = {
        .name = "drm",
        .present = drm_present,
        .free = drm_free,
};

/* The connector's current CRTC, else the first CRTC one of its encoders can drive. */
static uint32_t pick_crtc(int fd, const drmModeRes *res, const drmModeConnector *c) {
        drmModeEncoder *e;
        uint32_t crtc = 0;

        if (c->encoder_id) {
                e = drmModeGetEncoder(fd, c->encoder_id);
                if (e) {
                        crtc = e->crtc_id;
                        drmModeFreeEncoder(e);
                        if (crtc)
                                return crtc;
                }
        }
        for (int i = 0; i < c->count_encoders && !crtc; i++) {
                e = drmModeGetEncoder(fd, c->encoders[i]);
                if (!e)
                        continue;
                for (int j = 0; j < res->count_crtcs && j < 32 && !crtc; j++)
                        if (e->possible_crtcs & (1u << j))
                                crtc = res->crtcs[j];
                drmModeFreeEncoder(e);
        }
        return crtc;
}

static const drmModeModeInfo *preferred_mode(const drmModeConnector *c) {
        for (int i = 0; i < c->count_modes; i++)
                if (c->modes[i].type & DRM_MODE_TYPE_PREFERRED)
                        return &c->modes[i];
        return &c->modes[0];
}

/* Everything up to the mode set, on o->device.  On failure fills err (one line, naming
 * the device) and returns -errno; o is then freed by the caller. */
static int drm_setup(DrmOutput *o, char *err, size_t err_size) {
        drmModeRes *res = NULL;
        drmModeConnector *c = NULL;
        drmVersion *v;
        char connector[64] = "?";
        uint64_t offset;
        void *map;
        int r;

        o->fd = open(o->device, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (o->fd < 0) {
                r = negative_errno();
                snprintf(err, err_size, "Failed to open %s: %s", o->device, strerror(-r));
                return r;
        }
        res = drmModeGetResources(o->fd);
        if (!res) {
                r = negative_errno();
                snprintf(err, err_size, "%s is not a KMS device (no mode resources): %s", o->device, strerror(-r));
                return r;
        }
        for (int i = 0; i < res->count_connectors && !c; i++) {
                c = drmModeGetConnector(o->fd, res->connectors[i]);
                if (c && (c->connection != DRM_MODE_CONNECTED || c->count_modes <= 0)) {
                        drmModeFreeConnector(c);
                        c = NULL;
                }
        }
        if (!c) {
                snprintf(err, err_size, "No connected screen on %s (%d connectors).", o->device,
                         res->count_connectors);
                r = -ENODEV;
                goto out;
        }
        o->connector_id = c->connector_id;
        o->mode = *preferred_mode(c);
        snprintf(connector, sizeof(connector), "%s-%u", drmModeGetConnectorTypeName(c->connector_type) ?: "Unknown",
                 c->connector_type_id);
        o->crtc_id = pick_crtc(o->fd, res, c);
        if (!o->crtc_id) {
                snprintf(err, err_size, "No CRTC can drive connector %s on %s.", connector, o->device);
                r = -ENODEV;
                goto out;
        }
        o->saved = drmModeGetCrtc(o->fd, o->crtc_id);

        r = drmModeCreateDumbBuffer(o->fd, o->mode.hdisplay, o->mode.vdisplay, 32, 0, &o->handle, &o->pitch,
                                    &o->size);
        if (r < 0) {
                snprintf(err, err_size, "Failed to create a %ux%u dumb buffer on %s: %s", o->mode.hdisplay,
                         o->mode.vdisplay, o->device, strerror(-r));
                goto out;
        }
        o->have_dumb = true;
        if (o->pitch < (uint32_t) o->mode.hdisplay * 4 || o->size < (uint64_t) o->pitch * o->mode.vdisplay) {
                snprintf(err, err_size, "%s gave a dumb buffer too small for %ux%u (pitch %u, %llu bytes).",
                         o->device, o->mode.hdisplay, o->mode.vdisplay, o->pitch, (unsigned long long) o->size);
                r = -EIO;
                goto out;
        }
        /* XRGB8888: depth 24 in 32 bits. */
        r = drmModeAddFB(o->fd, o->mode.hdisplay, o->mode.vdisplay, 24, 32, o->pitch, o->handle, &o->fb_id);
        if (r < 0) {
                snprintf(err, err_size, "Failed to add an XRGB8888 framebuffer on %s: %s", o->device, strerror(-r));
                goto out;
        }
        o->have_fb = true;
        r = drmModeMapDumbBuffer(o->fd, o->handle, &offset);
        if (r < 0) {
                snprintf(err, err_size, "Failed to map the dumb buffer of %s: %s", o->device, strerror(-r));
                goto out;
        }
        map = mmap(NULL, o->size, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, (off_t) offset);
        if (map == MAP_FAILED) {
                r = negative_errno();
                snprintf(err, err_size, "Failed to map the dumb buffer of %s: %s", o->device, strerror(-r));
                goto out;
        }
        o->map = map;
        r = drmModeSetCrtc(o->fd, o->crtc_id, o->fb_id, 0, 0, &o->connector_id, 1, &o->mode);
        if (r < 0) {
                snprintf(err, err_size, "Failed to set mode %s on %s (connector %s, CRTC %u): %s%s",
                         o->mode.name, o->device, connector, o->crtc_id, strerror(-r),
                         r == -EACCES || r == -EPERM ? " (another process is DRM master?)" : "");
                goto out;
        }
        o->crtc_set = true;
        v = drmGetVersion(o->fd);
        log_info("DRM %s (%s): connector %s, mode %s, CRTC %u, dumb buffer pitch %u.", o->device,
                 v && v->name ? v->name : "?", connector, o->mode.name, o->crtc_id, o->pitch);
        if (v)
                drmFreeVersion(v);
        r = 0;
out:
        if (c)
                drmModeFreeConnector(c);
        drmModeFreeResources(res);
        return r;
}

/* One device; on failure err says why (one line naming the device). */
static int open_one(const char *device, char *err, size_t err_size, Display **ret) {
        DrmOutput *o;
        int r;

        o = calloc(1, sizeof(DrmOutput));
        if (!o)
                return log_oom();
        o->fd = -1;
        o->device = strdup(device);
        if (!o->device) {
                free(o);
                return log_oom();
        }
        r = drm_setup(o, err, err_size);
        if (r < 0) {
                drm_free(o);
                return r;
        }
        return display_new(o->mode.hdisplay, o->mode.vdisplay, &drm_backend, o, ret);
}

int display_open_drm(const char *device, Display **ret) {
        char err[256] = "";
        glob_t g = {};
        int r;

        if (device) {
                r = open_one(device, err, sizeof(err), ret);
                if (r < 0 && err[0])
                        log_error("%s", err);
                return r;
        }
        /* The first card with a connected screen. */
        if (glob("/dev/dri/card*", 0, NULL, &g) != 0) {
                globfree(&g);
                return log_error_errno(-ENODEV, "No DRM device (/dev/dri/card*).");
        }
        r = -ENODEV;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                if (err[0])
                        log_debug("%s", err);
                err[0] = '\0';
                r = open_one(g.gl_pathv[i], err, sizeof(err), ret);
                if (r >= 0)
                        break;
        }
        if (r < 0 && err[0])
                log_error("%s%s", err, g.gl_pathc > 1 ? " (and no other /dev/dri/card* has a screen)" : "");
        globfree(&g);
        return r;
}
