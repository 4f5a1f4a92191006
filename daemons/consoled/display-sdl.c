/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SDL window back end: the drawn picture copied into the window's surface
 * (SDL_GetWindowSurface, SDL_UpdateWindowSurfaceRects).  For tests on SDL's
 * dummy driver and for running in a desktop window; dom0 uses display-drm.c. */
#include <SDL.h>
#include <errno.h>
#include <stdlib.h>

#include "display-backend.h"
#include "log.h"
#include "macro.h"

typedef struct SdlOutput {
        SDL_Window *window;
} SdlOutput;

static void sdl_free(void *impl) {
        SdlOutput *o = impl;

        if (!o)
                return;
        if (o->window)
                SDL_DestroyWindow(o->window);
        free(o);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

static int sdl_present(void *impl, const SDL_Surface *screen, const SDL_Rect *r) {
        SdlOutput *o = impl;
        SDL_Surface *ws = SDL_GetWindowSurface(o->window);
        SDL_Rect from = *r, to = *r;

        if (!ws)
                return log_warning_errno(-EIO, "Failed to get the window's surface: %s", SDL_GetError());
        /* The screen picture has no alpha: a plain copy, converted to the window's format. */
        if (SDL_BlitSurface((SDL_Surface *) screen, &from, ws, &to) < 0 ||
            SDL_UpdateWindowSurfaceRects(o->window, r, 1) < 0)
                return log_warning_errno(-EIO, "Failed to show the picture: %s", SDL_GetError());
        return 0;
}

static const DisplayBackend sdl_backend = {
        .name = "sdl",
        .present = sdl_present,
        .free = sdl_free,
};

int display_open_sdl(const char *driver, Display **ret) {
        SdlOutput *o;
        SDL_Surface *ws;

        if (driver)
                SDL_SetHint(SDL_HINT_VIDEODRIVER, driver);
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0)
                return log_error_errno(-ENODEV, "Failed to start SDL video (%s): %s",
                                       driver ?: "default driver", SDL_GetError());
        o = calloc(1, sizeof(SdlOutput));
        if (!o) {
                SDL_QuitSubSystem(SDL_INIT_VIDEO);
                return log_oom();
        }
        o->window = SDL_CreateWindow("cairn-consoled", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                     0, 0, SDL_WINDOW_FULLSCREEN_DESKTOP);
        ws = o->window ? SDL_GetWindowSurface(o->window) : NULL;
        if (!ws) {
                log_error("Failed to create the display window (SDL %s): %s", SDL_GetCurrentVideoDriver(),
                          SDL_GetError());
                sdl_free(o);
                return -ENODEV;
        }
        SDL_ShowCursor(SDL_DISABLE);
        log_debug("SDL video driver %s.", SDL_GetCurrentVideoDriver());
        return display_new(ws->w, ws->h, &sdl_backend, o, ret);
}
