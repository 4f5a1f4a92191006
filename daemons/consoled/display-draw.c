/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The drawing, shared by every back end: software only, over SDL surfaces
 * (SDL_FillRect, SDL2_ttf; no SDL video driver, no GPU).  The guest's pixels
 * are first copied into a picture of their own in XRGB8888 (the guest may keep
 * writing its page), then scaled into the offscreen screen picture, nearest
 * pixel, so that a rectangle scales exactly as it would in a whole frame.  Only
 * the changed part of the screen is handed to the back end. */
#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "display-backend.h"
#include "log.h"
#include "macro.h"

struct Display {
        const DisplayBackend *backend;
        void *impl;
        int w, h;
        SDL_Surface *screen;    /* what was last presented, XRGB8888 */
        SDL_Surface *guest;     /* copy of the focused framebuffer, XRGB8888; NULL before one */
        FbMode guest_mode;
        bool showing_guest;     /* the screen shows guest (not the lock screen or blank) */
        SDL_Rect dst;           /* where the guest picture lands on screen */
        uint32_t *src_x;        /* dst.w entries: guest column of each screen column */
        TTF_Font *title, *body; /* NULL without the font: the lock screen has no words then */
};

/* Calm palette: the lock screen is dom0's, and looks it. */
#define BG_R 0x1b
#define BG_G 0x1f
#define BG_B 0x24

static Uint32 guest_format(uint32_t depth) {
        switch (depth) {
        case 32: return SDL_PIXELFORMAT_XRGB8888;   /* little-endian words */
        case 24: return SDL_PIXELFORMAT_BGR24;      /* bytes B, G, R */
        case 16: return SDL_PIXELFORMAT_RGB565;
        default: return SDL_PIXELFORMAT_UNKNOWN;
        }
}

int display_new(int w, int h, const DisplayBackend *backend, void *impl, Display **ret) {
        Display *d;
        int r;

        d = calloc(1, sizeof(Display));
        if (!d) {
                backend->free(impl);
                return log_oom();
        }
        d->backend = backend;
        d->impl = impl;
        d->w = w;
        d->h = h;
        d->screen = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_XRGB8888);
        if (!d->screen) {
                display_free(d);
                return log_error_errno(-ENOMEM, "Failed to allocate a %dx%d picture: %s", w, h, SDL_GetError());
        }
        if (TTF_Init() == 0) {
                d->title = TTF_OpenFont(DISPLAY_FONT, MAX(18, h / 24));
                d->body = TTF_OpenFont(DISPLAY_FONT, MAX(12, h / 48));
        }
        if (!d->title || !d->body)
                log_warning("No font (%s: %s); the lock screen will have no text.", DISPLAY_FONT,
                            TTF_GetError());
        r = display_present_blank(d);
        if (r < 0) {
                display_free(d);
                return r;
        }
        log_info("Display %s: %dx%d.", backend->name, w, h);
        *ret = d;
        return 0;
}

Display *display_free(Display *d) {
        if (!d)
                return NULL;
        if (d->title)
                TTF_CloseFont(d->title);
        if (d->body)
                TTF_CloseFont(d->body);
        if (TTF_WasInit())
                TTF_Quit();
        SDL_FreeSurface(d->guest);
        SDL_FreeSurface(d->screen);
        free(d->src_x);
        d->backend->free(d->impl);
        free(d);
        return NULL;
}

void display_size(Display *d, uint32_t *ret_w, uint32_t *ret_h) {
        *ret_w = (uint32_t) d->w;
        *ret_h = (uint32_t) d->h;
}

static Uint32 rgb(Display *d, Uint8 r, Uint8 g, Uint8 b) {
        return SDL_MapRGB(d->screen->format, r, g, b);
}

static int present(Display *d, const SDL_Rect *r) {
        if (r->w <= 0 || r->h <= 0)
                return 0;
        return d->backend->present(d->impl, d->screen, r);
}

static int present_all(Display *d) {
        SDL_Rect all = { 0, 0, d->w, d->h };

        return present(d, &all);
}

static void clear(Display *d) {
        SDL_FillRect(d->screen, NULL, rgb(d, BG_R, BG_G, BG_B));
}

int display_present_blank(Display *d) {
        d->showing_guest = false;
        clear(d);
        return present_all(d);
}

/* A new guest mode: a picture for it, and where it lands (scaled to fit, aspect kept, centred). */
static int guest_new(Display *d, const FbMode *m) {
        SDL_Surface *g;
        uint32_t *src_x;
        double scale;
        SDL_Rect dst;

        scale = MIN((double) d->w / m->width, (double) d->h / m->height);
        dst.w = MAX(1, (int) (m->width * scale));
        dst.h = MAX(1, (int) (m->height * scale));
        dst.x = (d->w - dst.w) / 2;
        dst.y = (d->h - dst.h) / 2;
        g = SDL_CreateRGBSurfaceWithFormat(0, (int) m->width, (int) m->height, 32, SDL_PIXELFORMAT_XRGB8888);
        src_x = calloc((size_t) dst.w, sizeof(uint32_t));
        if (!g || !src_x) {
                SDL_FreeSurface(g);
                free(src_x);
                return log_error_errno(-ENOMEM, "Failed to allocate a %ux%u picture: %s", m->width, m->height,
                                       SDL_GetError());
        }
        for (int x = 0; x < dst.w; x++)
                src_x[x] = (uint32_t) ((uint64_t) x * m->width / (uint64_t) dst.w);
        SDL_FreeSurface(d->guest);
        free(d->src_x);
        d->guest = g;
        d->src_x = src_x;
        d->guest_mode = *m;
        d->dst = dst;
        return 0;
}

/* The screen columns (or rows) [*ret_lo, *ret_hi) of dst whose nearest guest pixel is in
 * [lo, hi): those with floor(i * n / len) in [lo, hi), i.e. i from ceil(lo * len / n). */
static void scaled_span(uint32_t lo, uint32_t hi, uint32_t n, int len, int *ret_lo, int *ret_hi) {
        *ret_lo = (int) (((uint64_t) lo * (uint64_t) len + n - 1) / n);
        *ret_hi = (int) (((uint64_t) hi * (uint64_t) len + n - 1) / n);
}

/* Scale guest rectangle (x, y, w, h) onto the screen; returns the screen rectangle drawn. */
static SDL_Rect scale_guest(Display *d, uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
        const FbMode *m = &d->guest_mode;
        const uint8_t *src = d->guest->pixels;
        uint8_t *dst = d->screen->pixels;
        int x0, x1, y0, y1;

        scaled_span(x, x + w, m->width, d->dst.w, &x0, &x1);
        scaled_span(y, y + h, m->height, d->dst.h, &y0, &y1);
        for (int sy = y0; sy < y1; sy++) {
                size_t row = (size_t) ((uint64_t) sy * m->height / (uint64_t) d->dst.h);
                const uint32_t *from = (const uint32_t *) (src + row * (size_t) d->guest->pitch);
                uint32_t *to = (uint32_t *) (dst + (size_t) (d->dst.y + sy) * (size_t) d->screen->pitch) + d->dst.x;

                for (int sx = x0; sx < x1; sx++)
                        to[sx] = from[d->src_x[sx]];
        }
        return (SDL_Rect) { d->dst.x + x0, d->dst.y + y0, x1 - x0, y1 - y0 };
}

int display_present_fb(Display *d, const uint8_t *fb, size_t fb_size, const FbMode *m,
                       uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
        uint32_t bpp = fb_bytes_per_pixel(m->depth);
        Uint32 fmt = guest_format(m->depth);
        bool whole = false;
        SDL_Rect drawn;
        uint64_t end;
        int r;

        if (fmt == SDL_PIXELFORMAT_UNKNOWN)
                return display_present_blank(d);
        /* The caller clipped to the mode, and the mode was checked against mem_length;
         * check again against what is really mapped. */
        if (w == 0 || h == 0 || (uint64_t) x + w > m->width || (uint64_t) y + h > m->height)
                return -EINVAL;
        end = (uint64_t) m->offset + (uint64_t) m->stride * (y + h - 1) + (uint64_t) (x + w) * bpp;
        if (end > fb_size)
                return -EINVAL;

        if (!d->guest || memcmp(&d->guest_mode, m, sizeof(*m)) != 0) {
                r = guest_new(d, m);
                if (r < 0)
                        return r;
                whole = true;
        }
        if (!d->showing_guest)
                whole = true;   /* the screen showed something else: all of it again */
        if (whole && (x != 0 || y != 0 || w != m->width || h != m->height)) {
                /* Our copy may be stale outside the rectangle: take the whole framebuffer. */
                end = (uint64_t) m->offset + (uint64_t) m->stride * (m->height - 1) + (uint64_t) m->width * bpp;
                if (end > fb_size)
                        return -EINVAL;
                x = y = 0;
                w = m->width;
                h = m->height;
        }
        if (SDL_ConvertPixels((int) w, (int) h, fmt, fb + m->offset + (size_t) y * m->stride + (size_t) x * bpp,
                              (int) m->stride, SDL_PIXELFORMAT_XRGB8888,
                              (uint8_t *) d->guest->pixels + (size_t) y * (size_t) d->guest->pitch + (size_t) x * 4,
                              d->guest->pitch) < 0)
                return log_warning_errno(-EIO, "Failed to copy the framebuffer: %s", SDL_GetError());
        if (whole) {
                clear(d);
                (void) scale_guest(d, 0, 0, m->width, m->height);
                d->showing_guest = true;
                return present_all(d);
        }
        drawn = scale_guest(d, x, y, w, h);
        return present(d, &drawn);
}

/* A one-pixel frame just inside r. */
static void frame(Display *d, const SDL_Rect *r, Uint32 color) {
        SDL_Rect edges[4] = {
                { r->x, r->y, r->w, 1 },
                { r->x, r->y + r->h - 1, r->w, 1 },
                { r->x, r->y, 1, r->h },
                { r->x + r->w - 1, r->y, 1, r->h },
        };

        SDL_FillRects(d->screen, edges, 4, color);
}

/* One line of text centred on cx, top at y. */
static void draw_text(Display *d, TTF_Font *font, const char *text, SDL_Color color, int cx, int y) {
        SDL_Surface *surf;
        SDL_Rect r;

        if (!font)
                return;
        surf = TTF_RenderUTF8_Blended(font, text, color);
        if (!surf)
                return;
        r = (SDL_Rect) { cx - surf->w / 2, y, surf->w, surf->h };
        SDL_BlitSurface(surf, NULL, d->screen, &r);   /* blended: the text is anti-aliased */
        SDL_FreeSurface(surf);
}

int display_present_lock(Display *d, size_t prompt_len, unsigned failed, bool waiting) {
        static const SDL_Color fg = { 0xd8, 0xde, 0xe9, 255 }, dim = { 0x81, 0x8a, 0x99, 255 },
                               red = { 0xbf, 0x61, 0x6a, 255 };
        int cx = d->w / 2, cy = d->h / 2, box_w = MIN(d->w - 40, 480);
        SDL_Rect box = { cx - box_w / 2, cy - 40, box_w, 80 };
        SDL_Rect lock_body = { cx - 30, cy - 170, 60, 50 };
        size_t dots = MIN(prompt_len, (size_t) MAX(box_w - 40, 0) / 20);
        Uint32 light = rgb(d, 0xd8, 0xde, 0xe9), accent = rgb(d, 0x88, 0xc0, 0xd0);
        int below = box.y + box.h + 40 + (d->body ? TTF_FontLineSkip(d->body) : 0) + 8;

        d->showing_guest = false;
        clear(d);
        /* A padlock: body and shackle. */
        SDL_FillRect(d->screen, &lock_body, light);
        for (int i = 0; i < 6; i++) {
                SDL_Rect shackle = { cx - 20 + i, cy - 210 + i, 40 - 2 * i, 40 };
                frame(d, &shackle, light);
        }
        /* The prompt. */
        SDL_FillRect(d->screen, &box, rgb(d, 0x2e, 0x34, 0x40));
        frame(d, &box, accent);
        for (size_t i = 0; i < dots; i++) {
                SDL_Rect dot = { box.x + 20 + (int) i * 20, cy - 6, 12, 12 };
                SDL_FillRect(d->screen, &dot, accent);
        }
        if (failed > 0) {
                SDL_Rect bar = { box.x, box.y + box.h + 16, box.w, 8 };
                SDL_FillRect(d->screen, &bar, rgb(d, red.r, red.g, red.b));
        }
        draw_text(d, d->title, "This computer is locked", fg, cx, cy - 110);
        draw_text(d, d->body, "Type the passphrase and press Enter", dim, cx, box.y + box.h + 40);
        if (waiting)
                draw_text(d, d->body, "Wrong passphrase. Wait a moment before trying again.", red, cx, below);
        else if (failed > 0)
                draw_text(d, d->body, "Wrong passphrase", red, cx, below);
        return present_all(d);
}

bool display_to_surface(Display *d, int32_t sx, int32_t sy, int32_t *ret_x, int32_t *ret_y) {
        if (!d->guest || d->dst.w <= 0 || d->dst.h <= 0)
                return false;
        if (sx < d->dst.x || sy < d->dst.y || sx >= d->dst.x + d->dst.w || sy >= d->dst.y + d->dst.h)
                return false;
        *ret_x = (int32_t) ((int64_t) (sx - d->dst.x) * d->guest_mode.width / d->dst.w);
        *ret_y = (int32_t) ((int64_t) (sy - d->dst.y) * d->guest_mode.height / d->dst.h);
        return true;
}

int display_read_pixel(Display *d, int32_t x, int32_t y, uint32_t *ret_rgb) {
        uint32_t px;

        if (x < 0 || y < 0 || x >= d->w || y >= d->h)
                return -EINVAL;
        memcpy(&px, (const uint8_t *) d->screen->pixels + (size_t) y * (size_t) d->screen->pitch + (size_t) x * 4, 4);
        *ret_rgb = px & 0xffffff;
        return 0;
}

int display_screenshot(Display *d, const char *path) {
        if (SDL_SaveBMP(d->screen, path) < 0)
                return log_error_errno(-EIO, "Failed to save %s: %s", path, SDL_GetError());
        return 0;
}
