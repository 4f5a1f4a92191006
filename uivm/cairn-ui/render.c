/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <SDL_ttf.h>

#include "cairn-config.h"
#include "log.h"
#include "palette.h"
#include "render.h"

struct render {
        SDL_Surface *target;
        SDL_Renderer *r;
        TTF_Font *title, *heading, *body, *body_bold, *small;
        lay_layout l;
};

const char *render_find_font(const char *const *candidates) {
        for (size_t i = 0; candidates[i]; i++)
                if (access(candidates[i], R_OK) == 0)
                        return candidates[i];
        return NULL;
}

static TTF_Font *open_font(const char *path, int px) {
        TTF_Font *f = TTF_OpenFont(path, px);
        if (!f)
                log_error("Failed to open font %s: %s", path, TTF_GetError());
        return f;
}

render *render_free(render *r) {
        if (!r)
                return NULL;
        if (r->title)
                TTF_CloseFont(r->title);
        if (r->heading)
                TTF_CloseFont(r->heading);
        if (r->body)
                TTF_CloseFont(r->body);
        if (r->body_bold)
                TTF_CloseFont(r->body_bold);
        if (r->small)
                TTF_CloseFont(r->small);
        if (r->r)
                SDL_DestroyRenderer(r->r);
        free(r);
        return NULL;
}

int render_new(SDL_Surface *target, const char *font_regular, const char *font_bold, render **ret) {
        render *r;
        lay_params p = { .screen = LAY_SCREEN_HOME, .focus_tile = -1 };

        if (!TTF_WasInit() && TTF_Init() < 0)
                return log_error_errno(-EIO, "Failed to initialise SDL_ttf: %s", TTF_GetError());
        r = calloc(1, sizeof(*r));
        if (!r)
                return log_oom();
        r->target = target;
        r->r = SDL_CreateSoftwareRenderer(target);
        if (!r->r) {
                log_error("Failed to create the software renderer: %s", SDL_GetError());
                render_free(r);
                return -EIO;
        }
        SDL_SetRenderDrawBlendMode(r->r, SDL_BLENDMODE_BLEND);

        /* One type scale: 30 / 19 / 15 / 13 points at 1024x768. */
        lay_build(&r->l, target->w, target->h, &p);
        r->title = open_font(font_bold, lay_px(&r->l, 30));
        r->heading = open_font(font_bold, lay_px(&r->l, 19));
        r->body = open_font(font_regular, lay_px(&r->l, 15));
        r->body_bold = open_font(font_bold, lay_px(&r->l, 15));
        r->small = open_font(font_regular, lay_px(&r->l, 13));
        if (!r->title || !r->heading || !r->body || !r->body_bold || !r->small) {
                render_free(r);
                return -ENOENT;
        }
        *ret = r;
        return 0;
}

/* ---- primitives ---- */

static void colour(render *r, pal_colour c) {
        SDL_SetRenderDrawColor(r->r, c.r, c.g, c.b, 0xff);
}

static void fill(render *r, lay_rect rc, pal_colour c) {
        SDL_Rect s = { rc.x, rc.y, rc.w, rc.h };
        colour(r, c);
        SDL_RenderFillRect(r->r, &s);
}

/* A filled rectangle with rounded corners, one span per scanline of each corner. */
static void fill_round(render *r, lay_rect rc, int radius, pal_colour c) {
        if (radius * 2 > rc.h)
                radius = rc.h / 2;
        if (radius * 2 > rc.w)
                radius = rc.w / 2;
        colour(r, c);
        SDL_Rect mid = { rc.x, rc.y + radius, rc.w, rc.h - 2 * radius };
        SDL_RenderFillRect(r->r, &mid);
        for (int i = 0; i < radius; i++) {
                float dy = radius - i - 0.5f;
                int inset = radius - (int) (SDL_sqrtf((float) radius * radius - dy * dy) + 0.5f);
                SDL_Rect top = { rc.x + inset, rc.y + i, rc.w - 2 * inset, 1 };
                SDL_Rect bot = { rc.x + inset, rc.y + rc.h - 1 - i, rc.w - 2 * inset, 1 };
                SDL_RenderFillRect(r->r, &top);
                SDL_RenderFillRect(r->r, &bot);
        }
}

static lay_rect grow(lay_rect rc, int by) {
        return (lay_rect) { rc.x - by, rc.y - by, rc.w + 2 * by, rc.h + 2 * by };
}

static void focus_ring(render *r, lay_rect rc, int radius, pal_colour behind) {
        int off = lay_focus_ring_offset(&r->l), w = lay_focus_ring_width(&r->l);
        fill_round(r, grow(rc, off + w), radius + off + w, PAL_ACCENT);
        fill_round(r, grow(rc, off), radius + off, behind);
}

static void dot(render *r, lay_rect rc, pal_colour c) {
        fill_round(r, rc, rc.w / 2, c);
}

typedef enum { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER } align;

/* Draw UTF-8 text with its top at y, shortened with an ellipsis to max_w (0: no limit).
 * Returns the width drawn. */
static int text(render *r, TTF_Font *f, const char *s, int x, int y, pal_colour c, align a, int max_w) {
        char buf[256];
        SDL_Surface *surf;
        SDL_Texture *tex;
        int w = 0, h = 0;

        if (!s || !*s)
                return 0;
        snprintf(buf, sizeof(buf), "%s", s);
        TTF_SizeUTF8(f, buf, &w, &h);
        if (max_w > 0 && w > max_w) {
                size_t n = strlen(buf);
                while (n > 0) {
                        n--;
                        while (n > 0 && ((unsigned char) buf[n] & 0xc0) == 0x80)
                                n--;
                        snprintf(buf + n, sizeof(buf) - n, "\xe2\x80\xa6");
                        TTF_SizeUTF8(f, buf, &w, &h);
                        if (w <= max_w)
                                break;
                }
        }
        surf = TTF_RenderUTF8_Blended(f, buf, (SDL_Color) { c.r, c.g, c.b, 0xff });
        if (!surf)
                return 0;
        tex = SDL_CreateTextureFromSurface(r->r, surf);
        if (tex) {
                SDL_Rect dst = { x, y, surf->w, surf->h };
                if (a == ALIGN_RIGHT)
                        dst.x = x - surf->w;
                else if (a == ALIGN_CENTER)
                        dst.x = x - surf->w / 2;
                SDL_RenderCopy(r->r, tex, NULL, &dst);
                SDL_DestroyTexture(tex);
        }
        w = surf->w;
        SDL_FreeSurface(surf);
        return w;
}

static int text_h(TTF_Font *f) {
        return TTF_FontHeight(f);
}

static pal_colour tone_colour(model_tone t) {
        switch (t) {
        case MODEL_TONE_GOOD:
                return PAL_GOOD;
        case MODEL_TONE_BUSY:
                return PAL_BUSY;
        case MODEL_TONE_IDLE:
                return PAL_IDLE;
        case MODEL_TONE_BAD:
        default:
                return PAL_BAD;
        }
}

/* A monitor glyph: screen, stand, base. */
static void icon_vm(render *r, lay_rect box, pal_colour c, bool lit) {
        int u = box.w / 11;
        lay_rect screen = { box.x + u, box.y + 2 * u, box.w - 2 * u, box.h - 5 * u };
        lay_rect glass = grow(screen, -u);

        fill_round(r, box, box.w / 5, PAL_SURFACE_HI);
        fill_round(r, screen, u, c);
        fill(r, glass, lit ? PAL_ACCENT_DARK : PAL_SURFACE_HI);
        fill(r, (lay_rect) { box.x + box.w / 2 - u / 2, screen.y + screen.h, u, u + 1 }, c);
        fill(r, (lay_rect) { box.x + box.w / 2 - 2 * u, screen.y + screen.h + u, 4 * u, u }, c);
}

/* ---- screens ---- */

static const char *const tab_names[] = { "Machines", "Network", "About" };

static void draw_header(render *r, const ui *u, const model *m, int focus) {
        const lay_layout *l = &r->l;
        int cy = l->header.h / 2;
        static const lay_screen tab_screen[] = { LAY_SCREEN_HOME, LAY_SCREEN_NETWORK, LAY_SCREEN_ABOUT };
        lay_rect mark = { l->margin, cy - lay_px(l, 11), lay_px(l, 22), lay_px(l, 22) };
        bool ok = m->bus_connected && m->vmm_link == MODEL_LINK_UP;

        fill(r, l->header, PAL_HEADER);
        fill(r, (lay_rect) { 0, l->header.h - 1, l->width, 1 }, PAL_LINE);

        /* Wordmark: three stacked stones and the name. */
        fill_round(r, (lay_rect) { mark.x + lay_px(l, 6), mark.y, lay_px(l, 10), lay_px(l, 6) }, lay_px(l, 3), PAL_ACCENT);
        fill_round(r, (lay_rect) { mark.x + lay_px(l, 3), mark.y + lay_px(l, 8), lay_px(l, 16), lay_px(l, 6) }, lay_px(l, 3), PAL_ACCENT);
        fill_round(r, (lay_rect) { mark.x, mark.y + lay_px(l, 16), lay_px(l, 22), lay_px(l, 6) }, lay_px(l, 3), PAL_ACCENT);
        text(r, r->heading, "Cairn", mark.x + lay_px(l, 32), cy - text_h(r->heading) / 2, PAL_TEXT, ALIGN_LEFT, 0);

        for (size_t i = 0; i < l->n_widgets; i++) {
                const lay_widget *w = &l->widgets[i];
                bool active;
                if (w->kind != LAY_TAB)
                        continue;
                active = tab_screen[w->index] == u->screen ||
                         (w->index == 0 && u->screen == LAY_SCREEN_DETAIL);
                if ((int) i == focus)
                        focus_ring(r, w->r, lay_px(l, 8), PAL_HEADER);
                if (active)
                        fill_round(r, w->r, lay_px(l, 8), PAL_SURFACE);
                text(r, active ? r->body_bold : r->body, tab_names[w->index], w->r.x + w->r.w / 2,
                     w->r.y + (w->r.h - text_h(r->body)) / 2, active ? PAL_TEXT : PAL_MUTED, ALIGN_CENTER, 0);
                if (active)
                        fill_round(r, (lay_rect) { w->r.x + lay_px(l, 24), w->r.y + w->r.h - lay_px(l, 4), w->r.w - lay_px(l, 48), lay_px(l, 3) },
                                   lay_px(l, 1), PAL_ACCENT);
        }

        /* Link state, right-aligned. */
        {
                const char *s = ok ? "Connected to dom0" :
                                !m->bus_connected ? "Reconnecting\xe2\x80\xa6" :
                                m->vmm_link == MODEL_LINK_CONNECTING ? "Connecting\xe2\x80\xa6" :
                                "VM manager unavailable";
                int x = l->width - l->margin;
                int tw = text(r, r->small, s, x, cy - text_h(r->small) / 2, PAL_MUTED, ALIGN_RIGHT, 0);
                int d = lay_px(l, 10);
                dot(r, (lay_rect) { x - tw - d - lay_px(l, 8), cy - d / 2, d, d }, ok ? PAL_GOOD : PAL_BUSY);
        }
}

static void draw_banner(render *r, const model *m) {
        const lay_layout *l = &r->l;
        const char *s;

        if (l->banner.h == 0)
                return;
        s = !m->bus_connected ? "Cannot reach dom0: reconnecting" :
            m->vmm_link == MODEL_LINK_CONNECTING ? "Connecting to the VM manager\xe2\x80\xa6" :
            "Cannot reach the VM manager: reconnecting";
        fill(r, l->banner, PAL_BANNER);
        dot(r, (lay_rect) { l->margin, l->banner.y + (l->banner.h - lay_px(l, 12)) / 2, lay_px(l, 12), lay_px(l, 12) }, PAL_BUSY);
        text(r, r->body_bold, s, l->margin + lay_px(l, 24), l->banner.y + (l->banner.h - text_h(r->body_bold)) / 2,
             PAL_BANNER_TEXT, ALIGN_LEFT, l->width - 2 * l->margin);
}

static void draw_footer(render *r, const ui *u, const model *m) {
        const lay_layout *l = &r->l;
        const char *hints = u->screen == LAY_SCREEN_HOME ?
                "\xe2\x86\x90\xe2\x86\x91\xe2\x86\x93\xe2\x86\x92 Move    Enter Open    Tab Next" :
                "\xe2\x86\x90\xe2\x86\x91\xe2\x86\x93\xe2\x86\x92 Move    Enter Select    Esc Back";
        int y = l->footer.y + (l->footer.h - text_h(r->small)) / 2;

        fill(r, (lay_rect) { 0, l->footer.y, l->width, 1 }, PAL_LINE);
        text(r, r->small, hints, l->width - l->margin, y, PAL_FAINT, ALIGN_RIGHT, 0);
        if (m->notice[0])
                text(r, r->small, m->notice, l->margin, y, m->notice_is_error ? PAL_BAD : PAL_MUTED, ALIGN_LEFT,
                     l->width / 2 + l->width / 8);
}

static void screen_title(render *r, const char *title, const char *aside) {
        const lay_layout *l = &r->l;
        text(r, r->title, title, l->content.x, l->content.y, PAL_TEXT, ALIGN_LEFT, 0);
        if (aside)
                text(r, r->body, aside, l->content.x + l->content.w,
                     l->content.y + text_h(r->title) - text_h(r->body) - lay_px(l, 2), PAL_MUTED, ALIGN_RIGHT, 0);
}

static void draw_tile(render *r, const lay_widget *w, const model_vm *vm, bool focused) {
        const lay_layout *l = &r->l;
        lay_tile_parts p;
        char mem[32], sub[64];
        int right = w->r.x + w->r.w - lay_px(l, 20);
        bool running = strcmp(vm->state, "running") == 0;

        lay_tile_parts_get(l, w->r, &p);
        if (focused)
                focus_ring(r, w->r, lay_px(l, 12), PAL_BACKGROUND);
        fill_round(r, w->r, lay_px(l, 12), focused ? PAL_SURFACE_HI : PAL_SURFACE);
        icon_vm(r, p.icon, running ? PAL_ACCENT : PAL_FAINT, running);

        text(r, r->heading, vm->name, p.text_x, p.name_y, PAL_TEXT, ALIGN_LEFT, right - p.text_x);
        snprintf(sub, sizeof(sub), "%s \xc2\xb7 %u vCPU%s", model_type_label(vm->type), vm->vcpus,
                 vm->vcpus == 1 ? "" : "s");
        text(r, r->small, sub, p.text_x, p.name_y + text_h(r->heading) + lay_px(l, 2), PAL_MUTED, ALIGN_LEFT,
             right - p.text_x);

        dot(r, p.dot, tone_colour(model_state_tone(vm->state)));
        text(r, r->body, model_state_label(vm->state), p.dot.x + p.dot.w + lay_px(l, 8),
             p.state_y + (lay_px(l, 20) - text_h(r->body)) / 2, PAL_TEXT, ALIGN_LEFT, 0);
        model_format_memory(vm->memory_mib, mem, sizeof(mem));
        text(r, r->body, mem, right, p.state_y + (lay_px(l, 20) - text_h(r->body)) / 2, PAL_MUTED, ALIGN_RIGHT, 0);
}

static void draw_home(render *r, const ui *u, const model *m, int focus) {
        const lay_layout *l = &r->l;
        char aside[64];
        size_t shown = 0;

        snprintf(aside, sizeof(aside), "%zu VM%s", m->n_vms, m->n_vms == 1 ? "" : "s");
        screen_title(r, "Machines", m->n_vms ? aside : NULL);

        for (size_t i = 0; i < l->n_widgets; i++) {
                const lay_widget *w = &l->widgets[i];
                if (w->kind != LAY_TILE || !w->visible || (size_t) w->index >= m->n_vms)
                        continue;
                draw_tile(r, w, &m->vms[w->index], (int) i == focus);
                shown++;
        }
        if (m->n_vms == 0) {
                const char *s = m->vmm_link == MODEL_LINK_UP ? "No VMs are defined." :
                                "Waiting for the VM manager\xe2\x80\xa6";
                text(r, r->body, s, l->content.x, l->content.y + lay_px(l, 64), PAL_MUTED, ALIGN_LEFT, 0);
        } else if (shown < m->n_vms) {
                char more[64];
                snprintf(more, sizeof(more), "Showing %zu of %zu", shown, m->n_vms);
                text(r, r->small, more, l->content.x, l->footer.y - text_h(r->small) - lay_px(l, 6),
                     PAL_FAINT, ALIGN_LEFT, 0);
        }
}

static void draw_button(render *r, const lay_widget *w, const char *label, bool primary, bool focused) {
        const lay_layout *l = &r->l;
        pal_colour bg = !w->enabled ? PAL_SURFACE : primary ? PAL_ACCENT_DARK : PAL_SURFACE_HI;

        if (focused)
                focus_ring(r, w->r, lay_px(l, 8), PAL_BACKGROUND);
        fill_round(r, w->r, lay_px(l, 8), bg);
        text(r, r->body_bold, label, w->r.x + w->r.w / 2, w->r.y + (w->r.h - text_h(r->body_bold)) / 2,
             w->enabled ? PAL_TEXT : PAL_FAINT, ALIGN_CENTER, w->r.w - lay_px(l, 12));
}

static void prop_row(render *r, int x, int y, int label_w, const char *label, const char *value, int max_w) {
        text(r, r->body, label, x, y, PAL_MUTED, ALIGN_LEFT, label_w - 8);
        text(r, r->body, value, x + label_w, y, PAL_TEXT, ALIGN_LEFT, max_w - label_w);
}

static void draw_detail(render *r, const ui *u, const model *m, int focus) {
        const lay_layout *l = &r->l;
        const model_vm *vm = model_find_vm((model *) m, u->detail_vm);
        int y, row, lw = lay_px(l, 140);
        char buf[64];

        if (!vm)
                return;
        for (size_t i = 0; i < l->n_widgets; i++) {
                const lay_widget *w = &l->widgets[i];
                bool f = (int) i == focus;
                switch (w->kind) {
                case LAY_BACK:
                        if (f)
                                focus_ring(r, w->r, lay_px(l, 8), PAL_BACKGROUND);
                        text(r, r->body, "\xe2\x80\xb9  Machines", w->r.x + lay_px(l, 8),
                             w->r.y + (w->r.h - text_h(r->body)) / 2, f ? PAL_TEXT : PAL_ACCENT, ALIGN_LEFT, 0);
                        break;
                case LAY_START:
                        draw_button(r, w, "Start", true, f);
                        break;
                case LAY_STOP:
                        draw_button(r, w, "Stop", false, f);
                        break;
                case LAY_SWITCH:
                        draw_button(r, w, "Switch to", false, f);
                        break;
                default:
                        break;
                }
        }

        y = l->content.y + lay_px(l, 36) + lay_px(l, 18);
        text(r, r->title, vm->name, l->content.x, y, PAL_TEXT, ALIGN_LEFT, l->content.w);
        y += text_h(r->title) + lay_px(l, 6);
        {
                int d = lay_px(l, 12), tw;
                dot(r, (lay_rect) { l->content.x, y + (text_h(r->body) - d) / 2, d, d },
                    tone_colour(model_state_tone(vm->state)));
                tw = text(r, r->body_bold, model_state_label(vm->state), l->content.x + d + lay_px(l, 8), y, PAL_TEXT, ALIGN_LEFT, 0);
                if (vm->domid >= 0) {
                        snprintf(buf, sizeof(buf), "\xc2\xb7  domain %lld", (long long) vm->domid);
                        text(r, r->body, buf, l->content.x + d + lay_px(l, 16) + tw, y, PAL_MUTED, ALIGN_LEFT, 0);
                }
        }

        /* Properties card below the buttons. */
        {
                int bi = lay_find(l, LAY_START, 0);
                lay_rect card;
                y = (bi >= 0 ? l->widgets[bi].r.y + l->widgets[bi].r.h : y) + lay_px(l, 32);
                row = text_h(r->body) + lay_px(l, 12);
                card = (lay_rect) { l->content.x, y, l->content.w, 5 * row + lay_px(l, 32) };
                if (card.w > lay_px(l, 720))
                        card.w = lay_px(l, 720);
                fill_round(r, card, lay_px(l, 12), PAL_SURFACE);
                y += lay_px(l, 16) + lay_px(l, 6);
                int x = card.x + lay_px(l, 24), mw = card.w - lay_px(l, 48);
                prop_row(r, x, y, lw, "Type", model_type_label(vm->type), mw);
                y += row;
                model_format_memory(vm->memory_mib, buf, sizeof(buf));
                prop_row(r, x, y, lw, "Memory", buf, mw);
                y += row;
                snprintf(buf, sizeof(buf), "%u", vm->vcpus);
                prop_row(r, x, y, lw, "vCPUs", buf, mw);
                y += row;
                if (vm->domid >= 0)
                        snprintf(buf, sizeof(buf), "%lld", (long long) vm->domid);
                else
                        snprintf(buf, sizeof(buf), "Not running");
                prop_row(r, x, y, lw, "Domain", buf, mw);
                y += row;
                prop_row(r, x, y, lw, "UUID", vm->uuid[0] ? vm->uuid : "\xe2\x80\x94", mw);
        }
}

static void draw_network(render *r, const model *m) {
        const lay_layout *l = &r->l;
        const model_vm *ndvm = model_find_vm((model *) m, "ndvm");
        char sentence[96];
        const char *problem = NULL;
        int y = l->content.y + text_h(r->title) + lay_px(l, 24);

        screen_title(r, "Network", "Interfaces of the network VM");

        if (ndvm && model_service_vm_sentence(ndvm, sentence, sizeof(sentence)))
                problem = sentence;
        else if (!m->bus_connected || m->net_link == MODEL_LINK_DOWN)
                problem = "Cannot reach the network VM: reconnecting";
        else if (m->net_link == MODEL_LINK_CONNECTING)
                problem = "Asking the network VM\xe2\x80\xa6";
        if (problem) {
                lay_rect card = { l->content.x, y, l->content.w, lay_px(l, 64) };
                fill_round(r, card, lay_px(l, 12), PAL_SURFACE);
                dot(r, (lay_rect) { card.x + lay_px(l, 24), card.y + (card.h - lay_px(l, 12)) / 2, lay_px(l, 12), lay_px(l, 12) }, PAL_BUSY);
                text(r, r->body_bold, problem, card.x + lay_px(l, 48), card.y + (card.h - text_h(r->body_bold)) / 2,
                     PAL_TEXT, ALIGN_LEFT, card.w - lay_px(l, 72));
                return;
        }
        if (m->n_ifaces == 0) {
                text(r, r->body, "The network VM reports no interfaces.", l->content.x, y, PAL_MUTED, ALIGN_LEFT, 0);
                return;
        }
        for (size_t i = 0; i < m->n_ifaces; i++) {
                const model_iface *f = &m->ifaces[i];
                int lines = f->n_addrs ? (int) f->n_addrs : 1;
                lay_rect card = { l->content.x, y, l->content.w, lay_px(l, 40) + text_h(r->heading) + lines * (text_h(r->body) + lay_px(l, 4)) };
                bool up = strcmp(f->link, "up") == 0, nocarrier = strcmp(f->link, "no-carrier") == 0;
                const char *label = up ? "Connected" : nocarrier ? "No cable" : "Down";
                int right = card.x + card.w - lay_px(l, 24), tw, d = lay_px(l, 12);

                if (card.y + card.h > l->footer.y - lay_px(l, 8))
                        break;
                fill_round(r, card, lay_px(l, 12), PAL_SURFACE);
                text(r, r->heading, f->name, card.x + lay_px(l, 24), card.y + lay_px(l, 16), PAL_TEXT, ALIGN_LEFT, 0);
                text(r, r->small, f->mac, card.x + lay_px(l, 200), card.y + lay_px(l, 16) + text_h(r->heading) - text_h(r->small) - lay_px(l, 2),
                     PAL_MUTED, ALIGN_LEFT, 0);
                tw = text(r, r->body, label, right, card.y + lay_px(l, 16), PAL_TEXT, ALIGN_RIGHT, 0);
                dot(r, (lay_rect) { right - tw - d - lay_px(l, 8), card.y + lay_px(l, 16) + (text_h(r->body) - d) / 2, d, d },
                    up ? PAL_GOOD : nocarrier ? PAL_BUSY : PAL_IDLE);
                for (int a = 0; a < lines; a++)
                        text(r, r->body, f->n_addrs ? f->addrs[a] : "No address",
                             card.x + lay_px(l, 24), card.y + lay_px(l, 24) + text_h(r->heading) + a * (text_h(r->body) + lay_px(l, 4)),
                             f->n_addrs ? PAL_TEXT : PAL_FAINT, ALIGN_LEFT, 0);
                y += card.h + lay_px(l, 16);
        }
}

static void draw_about(render *r, const hwinfo *hw) {
        const lay_layout *l = &r->l;
        int y = l->content.y + text_h(r->title) + lay_px(l, 24), lw = lay_px(l, 190);
        int row = text_h(r->body) + lay_px(l, 12), x;
        lay_rect card = { l->content.x, y, l->content.w, 0 };

        if (card.w > lay_px(l, 760))
                card.w = lay_px(l, 760);
        screen_title(r, "About", NULL);
        card.h = lay_px(l, 40) + row * (hw && hw->present ? 9 : 3);
        fill_round(r, card, lay_px(l, 12), PAL_SURFACE);
        x = card.x + lay_px(l, 24);
        y += lay_px(l, 20);
        prop_row(r, x, y, lw, "Cairn version", CAIRN_VERSION, card.w - lay_px(l, 48));
        y += row;
        if (!hw || !hw->present) {
                prop_row(r, x, y, lw, "Measured boot", "Unknown", card.w - lay_px(l, 48));
                y += row;
                prop_row(r, x, y, lw, "Hardware", "No hardware report available", card.w - lay_px(l, 48));
                return;
        }
        prop_row(r, x, y, lw, "Measured boot", hw->measured, card.w - lay_px(l, 48));
        y += row;
        prop_row(r, x, y, lw, "Secure Boot", hw->secure_boot, card.w - lay_px(l, 48));
        y += row;
        fill(r, (lay_rect) { x, y + lay_px(l, 2), card.w - lay_px(l, 48), 1 }, PAL_LINE);
        y += lay_px(l, 12);
        prop_row(r, x, y, lw, "Machine", hw->machine, card.w - lay_px(l, 48));
        y += row;
        prop_row(r, x, y, lw, "Processor", hw->cpu, card.w - lay_px(l, 48));
        y += row;
        prop_row(r, x, y, lw, "Memory", hw->memory, card.w - lay_px(l, 48));
        y += row;
        prop_row(r, x, y, lw, "TPM", hw->tpm, card.w - lay_px(l, 48));
        y += row;
        prop_row(r, x, y, lw, "IOMMU", hw->iommu, card.w - lay_px(l, 48));
        y += row;
        {
                bool ok = strcmp(hw->verdict, "ok") == 0, warn = strcmp(hw->verdict, "warn") == 0;
                int d = lay_px(l, 12);
                text(r, r->body, "Hardware check", x, y, PAL_MUTED, ALIGN_LEFT, 0);
                dot(r, (lay_rect) { x + lw, y + (text_h(r->body) - d) / 2, d, d }, ok ? PAL_GOOD : warn ? PAL_BUSY : PAL_BAD);
                text(r, r->body, ok ? "Supported" : warn ? "Supported, with warnings" :
                     strcmp(hw->verdict, "fail") == 0 ? "Not supported" : "Unknown",
                     x + lw + d + lay_px(l, 8), y, PAL_TEXT, ALIGN_LEFT, 0);
        }
}

static void draw_pointer(render *r, int x, int y) {
        /* An arrow, 12 x 18 at 1x: outline then fill, one span per row. */
        int h = lay_px(&r->l, 18);
        for (int pass = 0; pass < 2; pass++) {
                colour(r, pass == 0 ? (pal_colour) { 0, 0, 0 } : PAL_TEXT);
                for (int i = 0; i < h; i++) {
                        int w = i < h * 2 / 3 ? i * 2 / 3 + 1 : (h - i) + 1;
                        SDL_Rect s = { x + pass, y + i, w - 2 * pass, 1 };
                        if (pass == 1 && (i == 0 || i >= h - 1))
                                continue;
                        if (s.w > 0)
                                SDL_RenderFillRect(r->r, &s);
                }
        }
}

void render_frame(render *r, const ui *u, const model *m, const hwinfo *hw, bool with_pointer) {
        int focus;

        ui_layout(u, m, r->target->w, r->target->h, &r->l);
        focus = ui_focus_widget(u, &r->l);

        colour(r, PAL_BACKGROUND);
        SDL_RenderClear(r->r);
        draw_header(r, u, m, focus);
        draw_banner(r, m);
        switch (u->screen) {
        case LAY_SCREEN_HOME:
                draw_home(r, u, m, focus);
                break;
        case LAY_SCREEN_DETAIL:
                draw_detail(r, u, m, focus);
                break;
        case LAY_SCREEN_NETWORK:
                draw_network(r, m);
                break;
        case LAY_SCREEN_ABOUT:
                draw_about(r, hw);
                break;
        }
        draw_footer(r, u, m);
        if (with_pointer && u->pointer_seen)
                draw_pointer(r, u->pointer_x, u->pointer_y);
        SDL_RenderPresent(r->r);
}
