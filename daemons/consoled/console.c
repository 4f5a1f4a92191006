/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "macro.h"
#include "util.h"

struct Console {
        ConsoleHooks hooks;
        void *userdata;

        Surface surfaces[CONSOLE_MAX_SURFACES];
        size_t n_surfaces;
        char focused[CONSOLE_NAME_MAX + 1];

        /* Physical modifier state, whoever the keys went to. */
        bool ctrl_l, ctrl_r, alt_l, alt_r, shift_l, shift_r;
        /* Keys whose press reached delivered_to; their release goes there too. */
        uint8_t delivered[CONSOLE_KEY_CNT / 8];
        int64_t delivered_to;

        bool locked;
        char pass[CONSOLE_PASS_MAX + 1];
        size_t pass_len;
        unsigned failed;
        uint64_t backoff_until;
};

int console_new(const ConsoleHooks *hooks, void *userdata, Console **ret) {
        Console *c = calloc(1, sizeof(Console));

        if (!c)
                return -ENOMEM;
        c->hooks = *hooks;
        c->userdata = userdata;
        c->delivered_to = -1;
        *ret = c;
        return 0;
}

Console *console_free(Console *c) {
        if (!c)
                return NULL;
        erase_memory(c->pass, sizeof(c->pass));
        free(c);
        return NULL;
}

static Surface *find(Console *c, const char *name) {
        for (size_t i = 0; i < c->n_surfaces; i++)
                if (strcmp(c->surfaces[i].name, name) == 0)
                        return &c->surfaces[i];
        return NULL;
}

const Surface *console_surface_find(Console *c, const char *name) {
        return find(c, name);
}

static void redraw(Console *c) {
        if (c->hooks.redraw)
                c->hooks.redraw(c->userdata);
}

/* Send the release of every key a domain saw pressed, so none stays stuck down. */
static void release_delivered(Console *c) {
        for (uint32_t k = 0; k < CONSOLE_KEY_CNT; k++)
                if (c->delivered[k / 8] & (1u << (k % 8))) {
                        c->delivered[k / 8] &= (uint8_t) ~(1u << (k % 8));
                        if (c->delivered_to >= 0 && c->hooks.send_key)
                                c->hooks.send_key(c->delivered_to, k, false, c->userdata);
                }
        c->delivered_to = -1;
}

static void set_focus(Console *c, const char *name) {
        if (strcmp(c->focused, name) == 0)
                return;
        release_delivered(c);
        snprintf(c->focused, sizeof(c->focused), "%s", name);
        if (c->hooks.focus_changed)
                c->hooks.focus_changed(c->focused, c->userdata);
        redraw(c);
}

int console_surface_set(Console *c, const char *name, int64_t domid, uint32_t width,
                        uint32_t height, SurfaceState state) {
        Surface *s;

        if (!vm_name_is_valid(name) || strlen(name) > CONSOLE_NAME_MAX)
                return -EINVAL;
        if ((unsigned) state >= _SURFACE_STATE_MAX)
                return -EINVAL;
        s = find(c, name);
        if (!s) {
                if (c->n_surfaces >= CONSOLE_MAX_SURFACES)
                        return -E2BIG;
                if (strcmp(name, CONSOLE_UIVM) == 0) {
                        /* The UIVM is always first: Ctrl+Alt+F1. */
                        memmove(c->surfaces + 1, c->surfaces, c->n_surfaces * sizeof(Surface));
                        s = &c->surfaces[0];
                } else
                        s = &c->surfaces[c->n_surfaces];
                c->n_surfaces++;
                *s = (Surface) {};
                snprintf(s->name, sizeof(s->name), "%s", name);
        }
        /* A domain that went away must not keep keys held down. */
        if (s->domid != domid && c->delivered_to == s->domid)
                release_delivered(c);
        s->domid = domid;
        s->width = width;
        s->height = height;
        s->state = state;
        if (c->focused[0] == 0 && strcmp(name, CONSOLE_UIVM) == 0)
                set_focus(c, name);
        else if (strcmp(c->focused, name) == 0)
                redraw(c);
        return 0;
}

int console_surface_remove(Console *c, const char *name) {
        Surface *s = find(c, name);
        size_t i;

        if (!s)
                return -ENOENT;
        if (c->delivered_to == s->domid)
                release_delivered(c);
        i = (size_t) (s - c->surfaces);
        memmove(s, s + 1, (c->n_surfaces - i - 1) * sizeof(Surface));
        c->n_surfaces--;
        if (strcmp(c->focused, name) == 0)
                set_focus(c, find(c, CONSOLE_UIVM) ? CONSOLE_UIVM : "");
        return 0;
}

size_t console_surfaces(Console *c, const Surface **ret) {
        *ret = c->surfaces;
        return c->n_surfaces;
}

const char *console_focused(Console *c) {
        return c->focused;
}

int console_focus(Console *c, const char *name) {
        if (!find(c, name))
                return -ENOENT;
        if (c->locked)
                return -EBUSY;
        set_focus(c, name);
        return 0;
}

bool console_locked(Console *c) {
        return c->locked;
}

size_t console_prompt_length(Console *c) {
        return c->pass_len;
}

unsigned console_failed_attempts(Console *c) {
        return c->failed;
}

uint64_t console_backoff_remaining(Console *c) {
        uint64_t now;

        if (!c->hooks.now_usec || c->backoff_until == 0)
                return 0;
        now = c->hooks.now_usec(c->userdata);
        return now >= c->backoff_until ? 0 : c->backoff_until - now;
}

static void prompt_clear(Console *c) {
        erase_memory(c->pass, sizeof(c->pass));
        c->pass_len = 0;
}

int console_lock(Console *c) {
        if (!c->hooks.check_passphrase)
                return -EOPNOTSUPP;
        if (c->locked)
                return 0;
        release_delivered(c);
        prompt_clear(c);
        c->locked = true;
        if (c->hooks.lock_changed)
                c->hooks.lock_changed(true, c->userdata);
        redraw(c);
        return 0;
}

static void prompt_submit(Console *c) {
        int r;

        c->pass[c->pass_len] = 0;
        r = c->hooks.check_passphrase(c->pass, c->userdata);
        prompt_clear(c);
        if (r > 0) {
                c->locked = false;
                c->failed = 0;
                c->backoff_until = 0;
                if (c->hooks.lock_changed)
                        c->hooks.lock_changed(false, c->userdata);
        } else {
                c->failed++;
                if (c->failed >= CONSOLE_BACKOFF_FREE_ATTEMPTS && c->hooks.now_usec) {
                        unsigned n = MIN(c->failed - CONSOLE_BACKOFF_FREE_ATTEMPTS, 6u);
                        uint64_t wait = MIN(1000000ULL << n, CONSOLE_BACKOFF_MAX_USEC);

                        c->backoff_until = c->hooks.now_usec(c->userdata) + wait;
                }
        }
        redraw(c);
}

char console_key_to_char(uint32_t k, bool shift) {
        static const struct {
                uint32_t key;
                char plain, shifted;
        } map[] = {
                { KEY_1, '1', '!' }, { KEY_2, '2', '@' }, { KEY_3, '3', '#' }, { KEY_4, '4', '$' },
                { KEY_5, '5', '%' }, { KEY_6, '6', '^' }, { KEY_7, '7', '&' }, { KEY_8, '8', '*' },
                { KEY_9, '9', '(' }, { KEY_0, '0', ')' }, { KEY_MINUS, '-', '_' }, { KEY_EQUAL, '=', '+' },
                { KEY_Q, 'q', 'Q' }, { KEY_W, 'w', 'W' }, { KEY_E, 'e', 'E' }, { KEY_R, 'r', 'R' },
                { KEY_T, 't', 'T' }, { KEY_Y, 'y', 'Y' }, { KEY_U, 'u', 'U' }, { KEY_I, 'i', 'I' },
                { KEY_O, 'o', 'O' }, { KEY_P, 'p', 'P' }, { KEY_LEFTBRACE, '[', '{' }, { KEY_RIGHTBRACE, ']', '}' },
                { KEY_A, 'a', 'A' }, { KEY_S, 's', 'S' }, { KEY_D, 'd', 'D' }, { KEY_F, 'f', 'F' },
                { KEY_G, 'g', 'G' }, { KEY_H, 'h', 'H' }, { KEY_J, 'j', 'J' }, { KEY_K, 'k', 'K' },
                { KEY_L, 'l', 'L' }, { KEY_SEMICOLON, ';', ':' }, { KEY_APOSTROPHE, '\'', '"' },
                { KEY_GRAVE, '`', '~' }, { KEY_BACKSLASH, '\\', '|' }, { KEY_Z, 'z', 'Z' },
                { KEY_X, 'x', 'X' }, { KEY_C, 'c', 'C' }, { KEY_V, 'v', 'V' }, { KEY_B, 'b', 'B' },
                { KEY_N, 'n', 'N' }, { KEY_M, 'm', 'M' }, { KEY_COMMA, ',', '<' }, { KEY_DOT, '.', '>' },
                { KEY_SLASH, '/', '?' }, { KEY_SPACE, ' ', ' ' },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (map[i].key == k)
                        return shift ? map[i].shifted : map[i].plain;
        return 0;
}

static void prompt_key(Console *c, uint32_t k) {
        char ch;

        /* Backing off after wrong passphrases: the prompt takes nothing. */
        if (console_backoff_remaining(c) > 0)
                return;
        switch (k) {
        case KEY_ENTER:
        case KEY_KPENTER:
                prompt_submit(c);
                return;
        case KEY_BACKSPACE:
                if (c->pass_len > 0)
                        c->pass[--c->pass_len] = 0;
                redraw(c);
                return;
        case KEY_ESC:
                prompt_clear(c);
                redraw(c);
                return;
        }
        ch = console_key_to_char(k, c->shift_l || c->shift_r);
        if (ch && c->pass_len < CONSOLE_PASS_MAX) {
                c->pass[c->pass_len++] = ch;
                redraw(c);
        }
}

static void track_modifier(Console *c, uint32_t k, bool pressed) {
        switch (k) {
        case KEY_LEFTCTRL: c->ctrl_l = pressed; break;
        case KEY_RIGHTCTRL: c->ctrl_r = pressed; break;
        case KEY_LEFTALT: c->alt_l = pressed; break;
        case KEY_RIGHTALT: c->alt_r = pressed; break;
        case KEY_LEFTSHIFT: c->shift_l = pressed; break;
        case KEY_RIGHTSHIFT: c->shift_r = pressed; break;
        }
}

static int switch_index(uint32_t k) {
        if (k >= KEY_F1 && k <= KEY_F10)
                return (int) (k - KEY_F1);
        if (k == KEY_F11)
                return 10;
        if (k == KEY_F12)
                return 11;
        return -1;
}

void console_key(Console *c, uint32_t k, bool pressed) {
        bool chord;
        int idx;

        if (k >= CONSOLE_KEY_CNT)
                return;
        track_modifier(c, k, pressed);

        if (!pressed) {
                /* A release goes where the press went, or nowhere. */
                if (c->delivered[k / 8] & (1u << (k % 8))) {
                        c->delivered[k / 8] &= (uint8_t) ~(1u << (k % 8));
                        if (c->hooks.send_key)
                                c->hooks.send_key(c->delivered_to, k, false, c->userdata);
                }
                return;
        }

        chord = (c->ctrl_l || c->ctrl_r) && (c->alt_l || c->alt_r);
        if (chord && k == KEY_HOME) {
                /* Secure attention key: handled here, before any routing. */
                if (c->locked) {
                        prompt_clear(c);
                        redraw(c);
                } else
                        set_focus(c, find(c, CONSOLE_UIVM) ? CONSOLE_UIVM : "");
                return;
        }
        idx = chord ? switch_index(k) : -1;
        if (idx >= 0) {
                if (!c->locked && (size_t) idx < c->n_surfaces)
                        set_focus(c, c->surfaces[idx].name);
                return;
        }
        if (c->locked) {
                prompt_key(c, k);
                return;
        }

        {
                const Surface *s = find(c, c->focused);

                if (!s || s->domid < 0 || !c->hooks.send_key)
                        return;
                if (c->delivered_to != s->domid)
                        release_delivered(c);
                c->delivered_to = s->domid;
                c->delivered[k / 8] |= (uint8_t) (1u << (k % 8));
                c->hooks.send_key(s->domid, k, true, c->userdata);
        }
}

void console_pointer(Console *c, int32_t x, int32_t y, int32_t wheel) {
        const Surface *s;

        if (c->locked || !c->hooks.send_pointer)
                return;
        s = find(c, c->focused);
        if (!s || s->domid < 0 || s->width == 0 || s->height == 0)
                return;
        x = MAX(0, MIN(x, (int32_t) s->width - 1));
        y = MAX(0, MIN(y, (int32_t) s->height - 1));
        c->hooks.send_pointer(s->domid, x, y, wheel, c->userdata);
}
