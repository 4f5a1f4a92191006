/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <png.h>

#include "display.h"
#include "log.h"
#include "util.h"

int display_parse_size(const char *s, int *ret_w, int *ret_h) {
        unsigned w, h;
        char tail;

        if (sscanf(s, "%ux%u%c", &w, &h, &tail) != 2)
                return -EINVAL;
        if (w < 64 || h < 64 || w > 8192 || h > 8192)
                return -ERANGE;
        *ret_w = (int) w;
        *ret_h = (int) h;
        return 0;
}

int display_open_offscreen(display *d, int width, int height) {
        memset(d, 0, sizeof(*d));
        d->fb_fd = -1;
        d->canvas = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_XRGB8888);
        if (!d->canvas)
                return log_error_errno(-ENOMEM, "Failed to create a %dx%d surface: %s", width, height, SDL_GetError());
        return 0;
}

/* The SDL pixel format for a framebuffer's channel layout, or UNKNOWN. */
static Uint32 fb_format(const struct fb_var_screeninfo *v) {
        Uint32 rmask = ((1u << v->red.length) - 1) << v->red.offset;
        Uint32 gmask = ((1u << v->green.length) - 1) << v->green.offset;
        Uint32 bmask = ((1u << v->blue.length) - 1) << v->blue.offset;

        if (v->bits_per_pixel != 16 && v->bits_per_pixel != 24 && v->bits_per_pixel != 32)
                return SDL_PIXELFORMAT_UNKNOWN;
        return SDL_MasksToPixelFormatEnum((int) v->bits_per_pixel, rmask, gmask, bmask, 0);
}

int display_open_fb(display *d, const char *path) {
        struct fb_var_screeninfo v;
        struct fb_fix_screeninfo f;
        Uint32 fmt;
        int r;

        memset(d, 0, sizeof(*d));
        d->fb_fd = open(path, O_RDWR | O_CLOEXEC);
        if (d->fb_fd < 0)
                return log_error_errno(negative_errno(), "Failed to open framebuffer %s: %m", path);
        if (ioctl(d->fb_fd, FBIOGET_VSCREENINFO, &v) < 0 || ioctl(d->fb_fd, FBIOGET_FSCREENINFO, &f) < 0) {
                r = log_error_errno(negative_errno(), "%s: cannot read the screen geometry: %m", path);
                goto fail;
        }
        fmt = fb_format(&v);
        if (fmt == SDL_PIXELFORMAT_UNKNOWN || f.type != FB_TYPE_PACKED_PIXELS) {
                r = log_error_errno(-ENOTSUP, "%s: unsupported pixel layout (%u bpp, type %u)", path,
                                    v.bits_per_pixel, f.type);
                goto fail;
        }
        if (v.xres == 0 || v.yres == 0 || v.xres > 8192 || v.yres > 8192 ||
            (uint64_t) f.line_length * v.yres > f.smem_len ||
            (uint64_t) f.line_length < (uint64_t) v.xres * v.bits_per_pixel / 8) {
                r = log_error_errno(-EINVAL, "%s: inconsistent geometry %ux%u, stride %u, memory %u", path,
                                    v.xres, v.yres, f.line_length, f.smem_len);
                goto fail;
        }
        d->fb_map_size = f.smem_len;
        d->fb_map = mmap(NULL, d->fb_map_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fb_fd, 0);
        if (d->fb_map == MAP_FAILED) {
                d->fb_map = NULL;
                r = log_error_errno(negative_errno(), "%s: cannot map the framebuffer: %m", path);
                goto fail;
        }
        /* Visible part only: xres x yres at the fb's own stride, from the panned offset. */
        d->fb = SDL_CreateRGBSurfaceWithFormatFrom(
                (uint8_t *) d->fb_map + (size_t) v.yoffset * f.line_length + (size_t) v.xoffset * v.bits_per_pixel / 8,
                (int) v.xres, (int) v.yres, (int) v.bits_per_pixel, (int) f.line_length, fmt);
        if (!d->fb) {
                r = log_error_errno(-ENOMEM, "%s: %s", path, SDL_GetError());
                goto fail;
        }
        d->canvas = SDL_CreateRGBSurfaceWithFormat(0, (int) v.xres, (int) v.yres, 32, SDL_PIXELFORMAT_XRGB8888);
        if (!d->canvas) {
                r = log_error_errno(-ENOMEM, "Failed to create the canvas: %s", SDL_GetError());
                goto fail;
        }
        log_info("%s: %ux%u, %u bpp, stride %u", path, v.xres, v.yres, v.bits_per_pixel, f.line_length);
        return 0;
fail:
        display_close(d);
        return r;
}

void display_present(display *d) {
        if (d->fb)
                SDL_BlitSurface(d->canvas, NULL, d->fb, NULL);
}

void display_close(display *d) {
        if (d->fb)
                SDL_FreeSurface(d->fb);
        if (d->canvas)
                SDL_FreeSurface(d->canvas);
        if (d->fb_map)
                munmap(d->fb_map, d->fb_map_size);
        if (d->fb_fd >= 0)
                close(d->fb_fd);
        memset(d, 0, sizeof(*d));
        d->fb_fd = -1;
}

/* The libpng part; nothing it changes after setjmp() is read after a longjmp(). */
static int png_encode(FILE *f, SDL_Surface *s, png_byte *row) {
        png_structp png;
        png_infop info;

        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        if (!png)
                return -ENOMEM;
        info = png_create_info_struct(png);
        if (!info) {
                png_destroy_write_struct(&png, NULL);
                return -ENOMEM;
        }
        if (setjmp(png_jmpbuf(png))) {
                png_destroy_write_struct(&png, &info);
                return -EIO;
        }
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32) s->w, (png_uint_32) s->h, 8, PNG_COLOR_TYPE_RGB,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < s->h; y++) {
                const Uint32 *px = (const Uint32 *) ((const uint8_t *) s->pixels + (size_t) y * s->pitch);
                for (int x = 0; x < s->w; x++) {
                        row[x * 3] = (png_byte) (px[x] >> 16);
                        row[x * 3 + 1] = (png_byte) (px[x] >> 8);
                        row[x * 3 + 2] = (png_byte) px[x];
                }
                png_write_row(png, row);
        }
        png_write_end(png, NULL);
        png_destroy_write_struct(&png, &info);
        return 0;
}

int display_write_png(const display *d, const char *path) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_free_ png_byte *row = NULL;
        FILE *f;
        int r;

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return log_oom();
        row = malloc((size_t) d->canvas->w * 3);
        if (!row)
                return log_oom();
        f = fopen(tmp, "we");
        if (!f)
                return log_error_errno(negative_errno(), "Failed to create %s: %m", tmp);
        SDL_LockSurface(d->canvas);
        r = png_encode(f, d->canvas, row);
        SDL_UnlockSurface(d->canvas);
        if (r < 0)
                log_error_errno(r, "Failed to encode PNG %s: %m", tmp);
        if (fclose(f) != 0 && r >= 0)
                r = log_error_errno(negative_errno(), "Failed to write %s: %m", tmp);
        if (r >= 0 && rename(tmp, path) < 0)
                r = log_error_errno(negative_errno(), "Failed to rename %s to %s: %m", tmp, path);
        if (r < 0)
                unlink(tmp);
        return r;
}
