/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The physical display.  Shows the focused domain's framebuffer scaled to fit and
 * centred, or dom0's own lock screen.  Draws only when told (no frame loop).
 *
 * Everything is drawn in software into one offscreen picture (display-draw.c);
 * a back end shows the rectangles that changed: DRM/KMS dumb buffer
 * (display-drm.c; in QEMU the standard VGA through bochs-drm) or an SDL window
 * (display-sdl.c; SDL's dummy driver in tests, a desktop window by hand). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fbpage.h"

typedef struct Display Display;

/* A DRM/KMS device: its first connected connector in its preferred mode, one dumb
 * buffer set on a CRTC once.  device: a path (/dev/dri/card0), or NULL for the
 * first /dev/dri/card* with a connected connector. */
int display_open_drm(const char *device, Display **ret);
/* An SDL window (fullscreen desktop).  driver: an SDL video driver name, NULL for
 * SDL's choice ($SDL_VIDEODRIVER). */
int display_open_sdl(const char *driver, Display **ret);
Display *display_free(Display *d);

void display_size(Display *d, uint32_t *ret_w, uint32_t *ret_h);
/* Copy a rectangle of a guest framebuffer (mapped, fb_size bytes, in mode) and present. */
int display_present_fb(Display *d, const uint8_t *fb, size_t fb_size, const FbMode *mode,
                       uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* The lock screen's words (fonts-dejavu-core); without the file it has none. */
#define DISPLAY_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

/* dom0's lock screen: one dot per typed character, a red bar and words after a wrong
 * passphrase, and a request to wait while backing off. */
int display_present_lock(Display *d, size_t prompt_len, unsigned failed, bool waiting);
/* Nothing to show (the focused VM has no framebuffer yet). */
int display_present_blank(Display *d);
/* Map a screen position to the last presented framebuffer's pixels; false when outside. */
bool display_to_surface(Display *d, int32_t sx, int32_t sy, int32_t *ret_x, int32_t *ret_y);
/* The colour (0xRRGGBB) at a screen position of what was last presented (tests, screenshots). */
int display_read_pixel(Display *d, int32_t x, int32_t y, uint32_t *ret_rgb);
/* Save what was last presented as a BMP (tests, pictures for the docs). */
int display_screenshot(Display *d, const char *path);
