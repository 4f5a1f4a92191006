/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where frames go: the PV framebuffer (/dev/fb0, xen-fbfront) or an offscreen
 * surface.  Frames are drawn into `canvas` (XRGB8888) and then copied out. */
#pragma once

#include <SDL.h>

typedef struct display {
        SDL_Surface *canvas;
        SDL_Surface *fb;        /* over the mmapped framebuffer, NULL offscreen */
        void *fb_map;
        size_t fb_map_size;
        int fb_fd;
} display;

int display_open_fb(display *d, const char *path);
int display_open_offscreen(display *d, int width, int height);
/* Copy the canvas to the framebuffer (no-op offscreen). */
void display_present(display *d);
void display_close(display *d);

/* Write the canvas as a PNG (written beside and renamed, so a reader never sees half a file). */
int display_write_png(const display *d, const char *path);

/* Parse "WxH" (each 64..8192). */
int display_parse_size(const char *s, int *ret_w, int *ret_h);
