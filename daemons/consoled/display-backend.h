/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the shared drawing (display-draw.c) and a back end that shows it
 * (display-drm.c, display-sdl.c; a fake in the tests).  The drawing keeps one
 * offscreen XRGB8888 picture of the whole screen; after each draw it hands the
 * back end that picture and the rectangle that changed. */
#pragma once

#include <SDL.h>

#include "display.h"

typedef struct DisplayBackend {
        const char *name;       /* for the log: "drm", "sdl" */
        /* Show rectangle r of screen (XRGB8888, the display's size); 0 or -errno. */
        int (*present)(void *impl, const SDL_Surface *screen, const SDL_Rect *r);
        void (*free)(void *impl);
} DisplayBackend;

/* A display of w x h pixels shown by backend; takes impl (freed with backend->free,
 * also on failure).  Opens the lock screen's font and presents the blank screen. */
int display_new(int w, int h, const DisplayBackend *backend, void *impl, Display **ret);
