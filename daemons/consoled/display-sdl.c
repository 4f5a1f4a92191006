/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "display.h"
#include "log.h"
#include "macro.h"

struct Display {
        SDL_Window *window;
        SDL_Renderer *renderer;
        SDL_Texture *texture;
        FbMode tex_mode;
        int w, h;
        SDL_Rect dst;          /* where the surface lands on screen */
        TTF_Font *title, *body; /* NULL without the font: the lock screen has no words then */
};

/* Calm palette: the lock screen is dom0's, and looks it. */
#define BG_R 0x1b
#define BG_G 0x1f
#define BG_B 0x24

static Uint32 sdl_format(uint32_t depth) {
        switch (depth) {
        case 32: return SDL_PIXELFORMAT_RGB888;   /* XRGB8888, little-endian words */
        case 24: return SDL_PIXELFORMAT_BGR24;    /* bytes B, G, R */
        case 16: return SDL_PIXELFORMAT_RGB565;
        default: return SDL_PIXELFORMAT_UNKNOWN;
        }
}

int display_open(const char *driver, Display **ret) {
        Display *d;

        if (driver)
                SDL_SetHint(SDL_HINT_VIDEODRIVER, driver);
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        /* kmsdrm: each present waits for its page flip, so what was presented is
         * on the screen when the call returns (no frame left queued behind). */
        SDL_SetHint(SDL_HINT_VIDEO_DOUBLE_BUFFER, "1");
        if (SDL_Init(SDL_INIT_VIDEO) < 0)
                return log_error_errno(-ENODEV, "Failed to start SDL video (%s): %s",
                                       driver ?: "default driver", SDL_GetError());
        d = calloc(1, sizeof(Display));
        if (!d) {
                SDL_Quit();
                return log_oom();
        }
        d->window = SDL_CreateWindow("cairn-consoled", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                     0, 0, SDL_WINDOW_FULLSCREEN_DESKTOP);
        if (!d->window) {
                log_error("Failed to create the display window: %s", SDL_GetError());
                display_free(d);
                return -ENODEV;
        }
        d->renderer = SDL_CreateRenderer(d->window, -1, 0);
        if (!d->renderer) {
                log_error("Failed to create a renderer: %s", SDL_GetError());
                display_free(d);
                return -ENODEV;
        }
        SDL_GetRendererOutputSize(d->renderer, &d->w, &d->h);
        if (TTF_Init() == 0) {
                d->title = TTF_OpenFont(DISPLAY_FONT, MAX(18, d->h / 24));
                d->body = TTF_OpenFont(DISPLAY_FONT, MAX(12, d->h / 48));
        }
        if (!d->title || !d->body)
                log_warning("No font (%s: %s); the lock screen will have no text.", DISPLAY_FONT,
                            TTF_GetError());
        SDL_ShowCursor(SDL_DISABLE);
        log_info("Display %s: %dx%d.", SDL_GetCurrentVideoDriver(), d->w, d->h);
        *ret = d;
        return display_present_blank(d);
}

Display *display_free(Display *d) {
        if (!d)
                return NULL;
        if (d->texture)
                SDL_DestroyTexture(d->texture);
        if (d->title)
                TTF_CloseFont(d->title);
        if (d->body)
                TTF_CloseFont(d->body);
        if (TTF_WasInit())
                TTF_Quit();
        if (d->renderer)
                SDL_DestroyRenderer(d->renderer);
        if (d->window)
                SDL_DestroyWindow(d->window);
        free(d);
        SDL_Quit();
        return NULL;
}

void display_size(Display *d, uint32_t *ret_w, uint32_t *ret_h) {
        *ret_w = (uint32_t) d->w;
        *ret_h = (uint32_t) d->h;
}

static void clear(Display *d) {
        SDL_SetRenderDrawColor(d->renderer, BG_R, BG_G, BG_B, 255);
        SDL_RenderClear(d->renderer);
}

int display_present_blank(Display *d) {
        clear(d);
        SDL_RenderPresent(d->renderer);
        return 0;
}

int display_present_fb(Display *d, const uint8_t *fb, size_t fb_size, const FbMode *m,
                       uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
        uint32_t bpp = fb_bytes_per_pixel(m->depth);
        Uint32 fmt = sdl_format(m->depth);
        SDL_Rect r = { (int) x, (int) y, (int) w, (int) h };
        uint64_t end;

        if (fmt == SDL_PIXELFORMAT_UNKNOWN)
                return display_present_blank(d);
        /* The caller clipped to the mode, and the mode was checked against mem_length;
         * check again against what is really mapped. */
        if (w == 0 || h == 0 || (uint64_t) x + w > m->width || (uint64_t) y + h > m->height)
                return -EINVAL;
        end = (uint64_t) m->offset + (uint64_t) m->stride * (y + h - 1) + (uint64_t) (x + w) * bpp;
        if (end > fb_size)
                return -EINVAL;

        if (!d->texture || memcmp(&d->tex_mode, m, sizeof(*m)) != 0) {
                double scale;

                if (d->texture)
                        SDL_DestroyTexture(d->texture);
                d->texture = SDL_CreateTexture(d->renderer, fmt, SDL_TEXTUREACCESS_STREAMING,
                                               (int) m->width, (int) m->height);
                if (!d->texture)
                        return log_error_errno(-ENOMEM, "Failed to create a %ux%u texture: %s",
                                               m->width, m->height, SDL_GetError());
                d->tex_mode = *m;
                /* Scaled to fit, aspect kept, centred. */
                scale = MIN((double) d->w / m->width, (double) d->h / m->height);
                d->dst.w = (int) (m->width * scale);
                d->dst.h = (int) (m->height * scale);
                d->dst.x = (d->w - d->dst.w) / 2;
                d->dst.y = (d->h - d->dst.h) / 2;
                r = (SDL_Rect) { 0, 0, (int) m->width, (int) m->height };   /* a new texture needs all */
        }
        if (SDL_UpdateTexture(d->texture, &r,
                              fb + m->offset + (size_t) r.y * m->stride + (size_t) r.x * bpp,
                              (int) m->stride) < 0)
                return log_warning_errno(-EIO, "Failed to update the texture: %s", SDL_GetError());
        clear(d);
        SDL_RenderCopy(d->renderer, d->texture, NULL, &d->dst);
        SDL_RenderPresent(d->renderer);
        return 0;
}

/* One line of text centred on cx, top at y. */
static void draw_text(Display *d, TTF_Font *font, const char *text, SDL_Color color, int cx, int y) {
        SDL_Surface *surf;
        SDL_Texture *tex;
        SDL_Rect r;

        if (!font)
                return;
        surf = TTF_RenderUTF8_Blended(font, text, color);
        if (!surf)
                return;
        tex = SDL_CreateTextureFromSurface(d->renderer, surf);
        if (tex) {
                r = (SDL_Rect) { cx - surf->w / 2, y, surf->w, surf->h };
                SDL_RenderCopy(d->renderer, tex, NULL, &r);
                SDL_DestroyTexture(tex);
        }
        SDL_FreeSurface(surf);
}

int display_present_lock(Display *d, size_t prompt_len, unsigned failed, bool waiting) {
        static const SDL_Color fg = { 0xd8, 0xde, 0xe9, 255 }, dim = { 0x81, 0x8a, 0x99, 255 },
                               red = { 0xbf, 0x61, 0x6a, 255 };
        int cx = d->w / 2, cy = d->h / 2, box_w = MIN(d->w - 40, 480);
        SDL_Rect box = { cx - box_w / 2, cy - 40, box_w, 80 };
        SDL_Rect lock_body = { cx - 30, cy - 170, 60, 50 };
        size_t dots = MIN(prompt_len, (size_t) (box_w - 40) / 20);

        clear(d);
        /* A padlock: body and shackle. */
        SDL_SetRenderDrawColor(d->renderer, 0xd8, 0xde, 0xe9, 255);
        SDL_RenderFillRect(d->renderer, &lock_body);
        for (int i = 0; i < 6; i++) {
                SDL_Rect shackle = { cx - 20 + i, cy - 210 + i, 40 - 2 * i, 40 };
                SDL_RenderDrawRect(d->renderer, &shackle);
        }
        /* The prompt. */
        SDL_SetRenderDrawColor(d->renderer, 0x2e, 0x34, 0x40, 255);
        SDL_RenderFillRect(d->renderer, &box);
        SDL_SetRenderDrawColor(d->renderer, 0x88, 0xc0, 0xd0, 255);
        SDL_RenderDrawRect(d->renderer, &box);
        for (size_t i = 0; i < dots; i++) {
                SDL_Rect dot = { box.x + 20 + (int) i * 20, cy - 6, 12, 12 };
                SDL_RenderFillRect(d->renderer, &dot);
        }
        if (failed > 0) {
                SDL_Rect bar = { box.x, box.y + box.h + 16, box.w, 8 };
                SDL_SetRenderDrawColor(d->renderer, 0xbf, 0x61, 0x6a, 255);
                SDL_RenderFillRect(d->renderer, &bar);
        }
        draw_text(d, d->title, "This computer is locked", fg, cx, cy - 110);
        draw_text(d, d->body, "Type the passphrase and press Enter", dim, cx, box.y + box.h + 40);
        if (waiting)
                draw_text(d, d->body, "Wrong passphrase. Wait a moment before trying again.", red, cx,
                          box.y + box.h + 40 + (d->body ? TTF_FontLineSkip(d->body) : 0) + 8);
        else if (failed > 0)
                draw_text(d, d->body, "Wrong passphrase", red, cx,
                          box.y + box.h + 40 + (d->body ? TTF_FontLineSkip(d->body) : 0) + 8);
        SDL_RenderPresent(d->renderer);
        return 0;
}

bool display_to_surface(Display *d, int32_t sx, int32_t sy, int32_t *ret_x, int32_t *ret_y) {
        if (!d->texture || d->dst.w <= 0 || d->dst.h <= 0)
                return false;
        if (sx < d->dst.x || sy < d->dst.y || sx >= d->dst.x + d->dst.w || sy >= d->dst.y + d->dst.h)
                return false;
        *ret_x = (int32_t) ((int64_t) (sx - d->dst.x) * d->tex_mode.width / d->dst.w);
        *ret_y = (int32_t) ((int64_t) (sy - d->dst.y) * d->tex_mode.height / d->dst.h);
        return true;
}

int display_read_pixel(Display *d, int32_t x, int32_t y, uint32_t *ret_rgb) {
        SDL_Rect r = { x, y, 1, 1 };
        uint32_t px = 0;

        if (x < 0 || y < 0 || x >= d->w || y >= d->h)
                return -EINVAL;
        if (SDL_RenderReadPixels(d->renderer, &r, SDL_PIXELFORMAT_RGB888, &px, 4) < 0)
                return log_debug_errno(-EIO, "Failed to read the screen back: %s", SDL_GetError());
        *ret_rgb = px & 0xffffff;
        return 0;
}

int display_screenshot(Display *d, const char *path) {
        SDL_Surface *s;
        int r = 0;

        s = SDL_CreateRGBSurfaceWithFormat(0, d->w, d->h, 32, SDL_PIXELFORMAT_RGB888);
        if (!s)
                return -ENOMEM;
        if (SDL_RenderReadPixels(d->renderer, NULL, SDL_PIXELFORMAT_RGB888, s->pixels, s->pitch) < 0 ||
            SDL_SaveBMP(s, path) < 0)
                r = log_error_errno(-EIO, "Failed to save %s: %s", path, SDL_GetError());
        SDL_FreeSurface(s);
        return r;
}
