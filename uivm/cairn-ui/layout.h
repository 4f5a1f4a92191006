/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Geometry of every screen and keyboard focus movement between its widgets.
 * Pure arithmetic shared by the renderer, the input handling and the tests, so
 * a test can ask where a tile is and check the pixels there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define LAY_WIDGETS_MAX 80

typedef struct lay_rect {
        int x, y, w, h;
} lay_rect;

typedef enum lay_screen {
        LAY_SCREEN_HOME,
        LAY_SCREEN_DETAIL,
        LAY_SCREEN_NETWORK,
        LAY_SCREEN_ABOUT,
} lay_screen;

typedef enum lay_kind {
        LAY_TAB,        /* index: 0 machines, 1 network, 2 about */
        LAY_TILE,       /* index: VM */
        LAY_BACK,
        LAY_START,
        LAY_STOP,
        LAY_SWITCH,
} lay_kind;

typedef enum lay_dir {
        LAY_UP,
        LAY_DOWN,
        LAY_LEFT,
        LAY_RIGHT,
} lay_dir;

typedef struct lay_widget {
        lay_kind kind;
        int index;
        lay_rect r;
        bool enabled;
        bool visible;   /* tiles scrolled out of view are not */
} lay_widget;

typedef struct lay_layout {
        int width, height;
        float scale;            /* 1.0 at 1024x768 */
        int margin, gap;
        lay_rect header;        /* wordmark and tabs */
        lay_rect banner;        /* connection problem (h == 0 when none) */
        lay_rect content;
        lay_rect footer;        /* key hints */
        int tile_cols, tile_rows_visible, tile_first_row;
        lay_widget widgets[LAY_WIDGETS_MAX];
        size_t n_widgets;
} lay_layout;

typedef struct lay_params {
        lay_screen screen;
        size_t n_vms;
        int focus_tile;         /* tile to keep in view, -1 for none */
        bool banner;
        bool can_start, can_stop, can_switch;   /* detail screen */
} lay_params;

/* Scale a design size (points at 1024x768) to pixels. */
int lay_px(const lay_layout *l, int points);

void lay_build(lay_layout *l, int width, int height, const lay_params *p);

/* Index of the widget with this identity, or -1. */
int lay_find(const lay_layout *l, lay_kind kind, int index);
/* Topmost visible, enabled widget under a point, or -1. */
int lay_hit(const lay_layout *l, int x, int y);
/* The widget reached from `current` in a direction (spatially nearest enabled one), or
 * `current` when there is none that way.  current == -1 picks the first enabled widget. */
int lay_move(const lay_layout *l, int current, lay_dir dir);
/* Next/previous enabled widget in reading order, wrapping. */
int lay_next(const lay_layout *l, int current, bool backwards);

/* Parts of a tile: icon square, state dot, text origin. */
typedef struct lay_tile_parts {
        lay_rect icon;
        lay_rect dot;
        int text_x, name_y, state_y;
        int pad;
} lay_tile_parts;
void lay_tile_parts_get(const lay_layout *l, lay_rect tile, lay_tile_parts *ret);

/* Width of the focus ring and its distance outside a widget. */
int lay_focus_ring_width(const lay_layout *l);
int lay_focus_ring_offset(const lay_layout *l);
