/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one palette of cairn-ui (shared with the tests, which look for these colours). */
#pragma once

#include <stdint.h>

typedef struct pal_colour {
        uint8_t r, g, b;
} pal_colour;

#define PAL_BACKGROUND   ((pal_colour) { 0x10, 0x16, 0x22 })
#define PAL_HEADER       ((pal_colour) { 0x16, 0x1e, 0x2d })
#define PAL_SURFACE      ((pal_colour) { 0x1f, 0x29, 0x3b })
#define PAL_SURFACE_HI   ((pal_colour) { 0x29, 0x35, 0x4b })
#define PAL_LINE         ((pal_colour) { 0x33, 0x41, 0x58 })
#define PAL_TEXT         ((pal_colour) { 0xe8, 0xec, 0xf2 })
#define PAL_MUTED        ((pal_colour) { 0x93, 0xa0, 0xb4 })
#define PAL_FAINT        ((pal_colour) { 0x5b, 0x67, 0x7c })
#define PAL_ACCENT       ((pal_colour) { 0x6c, 0xb4, 0xff })
#define PAL_ACCENT_DARK  ((pal_colour) { 0x1d, 0x4e, 0x89 })
#define PAL_GOOD         ((pal_colour) { 0x3c, 0xcf, 0x91 })
#define PAL_BUSY         ((pal_colour) { 0xf2, 0xb8, 0x4b })
#define PAL_IDLE         ((pal_colour) { 0x7a, 0x86, 0x99 })
#define PAL_BAD          ((pal_colour) { 0xf2, 0x6d, 0x6d })
#define PAL_BANNER       ((pal_colour) { 0x5c, 0x3d, 0x0e })
#define PAL_BANNER_TEXT  ((pal_colour) { 0xff, 0xe2, 0xa8 })
