/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

int lay_px(const lay_layout *l, int points) {
        return (int) (points * l->scale + 0.5f);
}

static void add(lay_layout *l, lay_kind kind, int index, lay_rect r, bool enabled, bool visible) {
        if (l->n_widgets >= LAY_WIDGETS_MAX)
                return;
        l->widgets[l->n_widgets++] = (lay_widget) {
                .kind = kind, .index = index, .r = r, .enabled = enabled, .visible = visible,
        };
}

static void build_tiles(lay_layout *l, const lay_params *p) {
        int tw = lay_px(l, 292), th = lay_px(l, 132), gap = l->gap;
        int top = l->content.y + lay_px(l, 56);         /* below the screen title */
        int avail_w = l->content.w, avail_h = l->content.y + l->content.h - top;
        int cols, rows_visible, rows, first = 0;

        cols = (avail_w + gap) / (tw + gap);
        if (cols < 1)
                cols = 1;
        /* Stretch tiles to fill the row exactly. */
        tw = (avail_w - (cols - 1) * gap) / cols;
        rows_visible = (avail_h + gap) / (th + gap);
        if (rows_visible < 1)
                rows_visible = 1;
        rows = ((int) p->n_vms + cols - 1) / cols;

        if (p->focus_tile >= 0) {
                int frow = p->focus_tile / cols;
                if (frow >= rows_visible)
                        first = frow - rows_visible + 1;
        }
        if (first > rows - rows_visible)
                first = rows - rows_visible > 0 ? rows - rows_visible : 0;

        l->tile_cols = cols;
        l->tile_rows_visible = rows_visible;
        l->tile_first_row = first;

        for (size_t i = 0; i < p->n_vms && l->n_widgets < LAY_WIDGETS_MAX; i++) {
                int row = (int) i / cols, col = (int) i % cols;
                lay_rect r = {
                        .x = l->content.x + col * (tw + gap),
                        .y = top + (row - first) * (th + gap),
                        .w = tw,
                        .h = th,
                };
                add(l, LAY_TILE, (int) i, r, true, row >= first && row < first + rows_visible);
        }
}

static void build_detail(lay_layout *l, const lay_params *p) {
        int bh = lay_px(l, 44), bw = lay_px(l, 148), gap = lay_px(l, 16);
        int x = l->content.x, y;

        add(l, LAY_BACK, 0, (lay_rect) { x, l->content.y, lay_px(l, 120), lay_px(l, 36) }, true, true);
        /* Title block (name, state) then the action row. */
        y = l->content.y + lay_px(l, 36) + lay_px(l, 110);
        add(l, LAY_START, 0, (lay_rect) { x, y, bw, bh }, p->can_start, true);
        add(l, LAY_STOP, 0, (lay_rect) { x + bw + gap, y, bw, bh }, p->can_stop, true);
        add(l, LAY_SWITCH, 0, (lay_rect) { x + 2 * (bw + gap), y, bw, bh }, p->can_switch, true);
}

void lay_build(lay_layout *l, int width, int height, const lay_params *p) {
        float sx = width / 1024.0f, sy = height / 768.0f;
        int header_h, footer_h, banner_h, tab_w, tab_h, x;

        memset(l, 0, sizeof(*l));
        l->width = width;
        l->height = height;
        l->scale = sx < sy ? sx : sy;
        if (l->scale < 0.75f)
                l->scale = 0.75f;
        if (l->scale > 2.5f)
                l->scale = 2.5f;
        l->margin = lay_px(l, 40);
        l->gap = lay_px(l, 20);

        header_h = lay_px(l, 72);
        footer_h = lay_px(l, 40);
        banner_h = p->banner ? lay_px(l, 48) : 0;
        l->header = (lay_rect) { 0, 0, width, header_h };
        l->footer = (lay_rect) { 0, height - footer_h, width, footer_h };
        l->banner = (lay_rect) { 0, header_h, width, banner_h };
        l->content = (lay_rect) {
                .x = l->margin,
                .y = header_h + banner_h + lay_px(l, 28),
                .w = width - 2 * l->margin,
                .h = height - footer_h - header_h - banner_h - lay_px(l, 28) - lay_px(l, 12),
        };

        /* Tabs, right of the wordmark. */
        tab_w = lay_px(l, 120);
        tab_h = lay_px(l, 40);
        x = l->margin + lay_px(l, 140);
        for (int i = 0; i < 3; i++)
                add(l, LAY_TAB, i,
                    (lay_rect) { x + i * (tab_w + lay_px(l, 8)), (header_h - tab_h) / 2, tab_w, tab_h },
                    true, true);

        switch (p->screen) {
        case LAY_SCREEN_HOME:
                build_tiles(l, p);
                break;
        case LAY_SCREEN_DETAIL:
                build_detail(l, p);
                break;
        case LAY_SCREEN_NETWORK:
        case LAY_SCREEN_ABOUT:
                break;
        }
}

int lay_find(const lay_layout *l, lay_kind kind, int index) {
        for (size_t i = 0; i < l->n_widgets; i++)
                if (l->widgets[i].kind == kind && l->widgets[i].index == index)
                        return (int) i;
        return -1;
}

static bool inside(lay_rect r, int x, int y) {
        return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

int lay_hit(const lay_layout *l, int x, int y) {
        for (size_t i = 0; i < l->n_widgets; i++) {
                const lay_widget *w = &l->widgets[i];
                if (w->visible && w->enabled && inside(w->r, x, y))
                        return (int) i;
        }
        return -1;
}

static int first_enabled(const lay_layout *l) {
        /* Content first: the tab bar is reached by moving up. */
        for (size_t i = 0; i < l->n_widgets; i++)
                if (l->widgets[i].enabled && l->widgets[i].kind != LAY_TAB)
                        return (int) i;
        for (size_t i = 0; i < l->n_widgets; i++)
                if (l->widgets[i].enabled)
                        return (int) i;
        return -1;
}

/* Overlap of [a0,a1) and [b0,b1), or the negative gap between them. */
static int overlap(int a0, int a1, int b0, int b1) {
        int lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
        return hi - lo;
}

int lay_move(const lay_layout *l, int current, lay_dir dir) {
        const lay_widget *c;
        long best_score = LONG_MAX;
        int best = current;

        if (current < 0 || (size_t) current >= l->n_widgets)
                return first_enabled(l);
        c = &l->widgets[current];

        for (size_t i = 0; i < l->n_widgets; i++) {
                const lay_widget *w = &l->widgets[i];
                long primary, secondary;
                int ov;

                if ((int) i == current || !w->enabled)
                        continue;
                switch (dir) {
                case LAY_UP:
                        primary = (long) c->r.y - (w->r.y + w->r.h);
                        ov = overlap(c->r.x, c->r.x + c->r.w, w->r.x, w->r.x + w->r.w);
                        break;
                case LAY_DOWN:
                        primary = (long) w->r.y - (c->r.y + c->r.h);
                        ov = overlap(c->r.x, c->r.x + c->r.w, w->r.x, w->r.x + w->r.w);
                        break;
                case LAY_LEFT:
                        primary = (long) c->r.x - (w->r.x + w->r.w);
                        ov = overlap(c->r.y, c->r.y + c->r.h, w->r.y, w->r.y + w->r.h);
                        break;
                case LAY_RIGHT:
                default:
                        primary = (long) w->r.x - (c->r.x + c->r.w);
                        ov = overlap(c->r.y, c->r.y + c->r.h, w->r.y, w->r.y + w->r.h);
                        break;
                }
                if (primary < 0)
                        continue;       /* not in that direction */
                /* Sideways distance: none when the widgets line up, else the gap. */
                secondary = ov > 0 ? 0 : -ov;
                /* Left/right stay within a row; up/down may move sideways to the
                 * nearest widget of the next row (the last tile of a short row). */
                if ((dir == LAY_LEFT || dir == LAY_RIGHT) && ov <= 0)
                        continue;
                long score = primary + 4 * secondary;
                if (score < best_score) {
                        best_score = score;
                        best = (int) i;
                }
        }
        return best;
}

int lay_next(const lay_layout *l, int current, bool backwards) {
        int n = (int) l->n_widgets;

        if (n == 0)
                return -1;
        if (current < 0 || current >= n)
                return first_enabled(l);
        for (int k = 1; k <= n; k++) {
                int i = backwards ? (current - k + n * 2) % n : (current + k) % n;
                if (l->widgets[i].enabled)
                        return i;
        }
        return current;
}

void lay_tile_parts_get(const lay_layout *l, lay_rect tile, lay_tile_parts *ret) {
        int pad = lay_px(l, 20), icon = lay_px(l, 44), dot = lay_px(l, 12);

        ret->pad = pad;
        ret->icon = (lay_rect) { tile.x + pad, tile.y + pad, icon, icon };
        ret->text_x = tile.x + pad + icon + lay_px(l, 16);
        ret->name_y = tile.y + pad - lay_px(l, 2);
        ret->state_y = tile.y + tile.h - pad - lay_px(l, 20);
        ret->dot = (lay_rect) { tile.x + pad, ret->state_y + (lay_px(l, 20) - dot) / 2, dot, dot };
}

int lay_focus_ring_width(const lay_layout *l) {
        return lay_px(l, 3);
}

int lay_focus_ring_offset(const lay_layout *l) {
        return lay_px(l, 4);
}
