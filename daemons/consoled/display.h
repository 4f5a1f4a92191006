/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The physical display: SDL2 on KMS ("kmsdrm"; in QEMU the standard VGA through
 * bochs-drm).  Shows the focused domain's framebuffer scaled to fit and centred,
 * or dom0's own lock screen.  Draws only when told (no frame loop). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fbpage.h"

typedef struct Display Display;

/* driver: an SDL video driver name, NULL for SDL's choice ($SDL_VIDEODRIVER). */
int display_open(const char *driver, Display **ret);
Display *display_free(Display *d);

void display_size(Display *d, uint32_t *ret_w, uint32_t *ret_h);
/* Copy a rectangle of a guest framebuffer (mapped, fb_size bytes, in mode) and present. */
int display_present_fb(Display *d, const uint8_t *fb, size_t fb_size, const FbMode *mode,
                       uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* dom0's lock screen: one dot per typed character, a red bar after a wrong passphrase. */
int display_present_lock(Display *d, size_t prompt_len, unsigned failed);
/* Nothing to show (the focused VM has no framebuffer yet). */
int display_present_blank(Display *d);
/* Map a screen position to the last presented framebuffer's pixels; false when outside. */
bool display_to_surface(Display *d, int32_t sx, int32_t sy, int32_t *ret_x, int32_t *ret_y);
/* The colour (0xRRGGBB) at a screen position of what was last presented (tests, screenshots). */
int display_read_pixel(Display *d, int32_t x, int32_t y, uint32_t *ret_rgb);
