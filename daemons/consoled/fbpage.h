/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The paravirtual framebuffer's shared page (xen/include/public/io/fbif.h), parsed
 * as untrusted bytes: every field the guest writes is read once into a local,
 * every size and offset is checked against limits before anything is mapped or
 * drawn.  Pure functions over a byte buffer; no Xen calls (see xenback.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FB_PAGE_SIZE 4096u
#define FB_PD_ENTRIES 256u
/* Offsets in struct xenfb_page (same for the 32- and 64-bit ABIs up to depth). */
#define FB_OFF_IN_CONS 0u
#define FB_OFF_IN_PROD 4u
#define FB_OFF_OUT_CONS 8u
#define FB_OFF_OUT_PROD 12u
#define FB_OFF_WIDTH 16u
#define FB_OFF_HEIGHT 20u
#define FB_OFF_LINE_LENGTH 24u
#define FB_OFF_MEM_LENGTH 28u
#define FB_OFF_DEPTH 32u

/* Limits a frontend must stay inside; fb_limits_default() gives the built-in ones. */
typedef struct FbLimits {
        uint32_t max_width;
        uint32_t max_height;
        uint32_t max_mem;   /* bytes of framebuffer memory */
} FbLimits;

/* One framebuffer layout: the page header, or a resize event. */
typedef struct FbMode {
        uint32_t width;
        uint32_t height;
        uint32_t stride;    /* bytes per line */
        uint32_t depth;     /* bits per pixel: 8, 16, 24 or 32 */
        uint32_t offset;    /* of the first pixel in the framebuffer memory */
} FbMode;

typedef struct FbConfig {
        unsigned word_size;       /* 4 (x86_32-abi) or 8 (x86_64-abi): size of pd[] entries */
        FbMode mode;
        uint32_t mem_length;
        uint32_t n_pages;         /* framebuffer pages */
        uint32_t n_dirs;          /* page-directory pages used */
        uint64_t dirs[FB_PD_ENTRIES];
} FbConfig;

typedef enum FbEventType {
        FB_EVENT_UPDATE,
        FB_EVENT_RESIZE,
} FbEventType;

typedef struct FbEvent {
        FbEventType type;
        /* FB_EVENT_UPDATE: a rectangle, already clipped to the mode in force */
        uint32_t x, y, width, height;
        /* FB_EVENT_RESIZE: the new layout, already checked against mem_length */
        FbMode mode;
} FbEvent;

/* Out-ring entries per page (XENFB_OUT_RING_LEN); an event array of this size never overflows. */
#define FB_OUT_RING_LEN 51u
#define FB_IN_RING_LEN 25u

void fb_limits_default(FbLimits *ret);

/* Parse the header and page directory of a frontend's shared page.
 * word_size is 8 unless the frontend's "protocol" node says x86_32-abi.
 * Returns 0, or -EPROTO with *ret_reason naming what the frontend got wrong. */
int fb_page_parse(const void *page, size_t size, unsigned word_size, const FbLimits *limits,
                  FbConfig *ret, const char **ret_reason);

/* Check a mode (from the page or a resize event) against the limits and mem_length. */
int fb_mode_check(const FbMode *mode, uint32_t mem_length, const FbLimits *limits,
                  const char **ret_reason);

/* Read the frame numbers of the framebuffer pages out of the config's directory
 * pages (dir_pages[i] is the mapping of cfg->dirs[i], FB_PAGE_SIZE bytes each).
 * ret_frames must hold cfg->n_pages entries. */
int fb_dir_collect(const FbConfig *cfg, const void *const *dir_pages, uint64_t *ret_frames,
                   const char **ret_reason);

/* Consume the out ring (frontend -> back end): reads out_prod once, copies each
 * entry before looking at it, clips updates to the mode in force (*mode, updated
 * by resize events), writes out_cons.  *cons is the back end's own consumer index
 * (never re-read from the page).  events must hold FB_OUT_RING_LEN entries.
 * Returns the number of events, or -EPROTO for a frontend to disconnect. */
int fb_ring_consume(void *page, size_t size, uint32_t *cons, FbMode *mode, uint32_t mem_length,
                    const FbLimits *limits, FbEvent *events, const char **ret_reason);

/* Queue a refresh-period event on the in ring (back end -> frontend); *prod is
 * the back end's own producer index.  -ENOSPC when the ring is full, -EPROTO when
 * the frontend's in_cons is impossible. */
int fb_ring_push_refresh(void *page, size_t size, uint32_t *prod, uint32_t period_ms,
                         const char **ret_reason);

/* Bytes per pixel of a depth in bits, rounding up. */
static inline uint32_t fb_bytes_per_pixel(uint32_t depth) {
        return (depth + 7) / 8;
}
