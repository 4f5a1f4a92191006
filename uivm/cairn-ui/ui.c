/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

void ui_init(ui *u) {
        memset(u, 0, sizeof(*u));
        u->screen = LAY_SCREEN_HOME;
}

static const model_vm *detail_vm(const ui *u, const model *m) {
        return model_find_vm((model *) m, u->detail_vm);
}

void ui_layout(const ui *u, const model *m, int width, int height, lay_layout *ret) {
        const model_vm *vm = u->screen == LAY_SCREEN_DETAIL ? detail_vm(u, m) : NULL;
        bool reachable = m->bus_connected && m->vmm_link == MODEL_LINK_UP;
        lay_params p = {
                .screen = u->screen,
                .n_vms = m->n_vms,
                .focus_tile = u->has_focus && u->focus_kind == LAY_TILE ? u->focus_index : -1,
                .banner = !reachable,
                .can_start = vm && reachable && model_can_start(vm->state),
                .can_stop = vm && reachable && model_can_stop(vm->state),
                .can_switch = vm && reachable && model_can_switch(vm->state),
        };

        lay_build(ret, width, height, &p);
}

int ui_focus_widget(const ui *u, const lay_layout *l) {
        int i;

        /* Focus is always somewhere: before the first move, on the first content widget. */
        if (!u->has_focus)
                return lay_move(l, -1, LAY_DOWN);
        i = lay_find(l, u->focus_kind, u->focus_index);
        /* A button that became disabled (Start once the VM runs) hands the focus to the
         * first enabled content widget (Back), not to whatever follows it. */
        if (i < 0 || !l->widgets[i].enabled)
                i = lay_move(l, -1, LAY_DOWN);
        return i;
}

static void set_focus(ui *u, const lay_layout *l, int i) {
        if (i < 0 || (size_t) i >= l->n_widgets) {
                u->has_focus = false;
                return;
        }
        u->has_focus = true;
        u->focus_kind = l->widgets[i].kind;
        u->focus_index = l->widgets[i].index;
}

static void focus_identity(ui *u, lay_kind kind, int index) {
        u->has_focus = true;
        u->focus_kind = kind;
        u->focus_index = index;
}

void ui_model_changed(ui *u, const model *m) {
        if (u->screen == LAY_SCREEN_DETAIL && !detail_vm(u, m)) {
                u->screen = LAY_SCREEN_HOME;
                u->has_focus = false;
        }
        if (u->has_focus && u->focus_kind == LAY_TILE) {
                if (m->n_vms == 0)
                        focus_identity(u, LAY_TAB, 0);
                else if ((size_t) u->focus_index >= m->n_vms)
                        u->focus_index = (int) m->n_vms - 1;
        }
}

static void go_home(ui *u, const model *m) {
        const model_vm *vm = u->screen == LAY_SCREEN_DETAIL ? detail_vm(u, m) : NULL;

        u->screen = LAY_SCREEN_HOME;
        if (vm)
                focus_identity(u, LAY_TILE, (int) (vm - m->vms));
        else
                focus_identity(u, LAY_TAB, 0);
}

static ui_action activate(ui *u, const model *m, const lay_widget *w) {
        ui_action a = { .kind = UI_ACTION_NONE };
        static const lay_screen tab_screens[] = { LAY_SCREEN_HOME, LAY_SCREEN_NETWORK, LAY_SCREEN_ABOUT };

        if (!w->enabled)
                return a;
        switch (w->kind) {
        case LAY_TAB:
                u->screen = tab_screens[w->index % 3];
                focus_identity(u, LAY_TAB, w->index);
                break;
        case LAY_TILE:
                if ((size_t) w->index >= m->n_vms)
                        break;
                memcpy(u->detail_vm, m->vms[w->index].name, sizeof(u->detail_vm));
                u->screen = LAY_SCREEN_DETAIL;
                /* Focus the most likely action: start a stopped VM, switch to a running one. */
                if (model_can_start(m->vms[w->index].state))
                        focus_identity(u, LAY_START, 0);
                else if (model_can_switch(m->vms[w->index].state))
                        focus_identity(u, LAY_SWITCH, 0);
                else
                        focus_identity(u, LAY_BACK, 0);
                break;
        case LAY_BACK:
                go_home(u, m);
                break;
        case LAY_START:
        case LAY_STOP:
        case LAY_SWITCH:
                a.kind = w->kind == LAY_START ? UI_ACTION_START :
                         w->kind == LAY_STOP ? UI_ACTION_STOP : UI_ACTION_SWITCH;
                memcpy(a.vm, u->detail_vm, sizeof(a.vm));
                break;
        }
        return a;
}

ui_action ui_key_press(ui *u, const model *m, int width, int height, ui_key key) {
        ui_action none = { .kind = UI_ACTION_NONE };
        lay_layout l;
        int cur;

        ui_layout(u, m, width, height, &l);
        cur = ui_focus_widget(u, &l);

        switch (key) {
        case UI_KEY_UP:
        case UI_KEY_DOWN:
        case UI_KEY_LEFT:
        case UI_KEY_RIGHT: {
                static const lay_dir dirs[] = {
                        [UI_KEY_UP] = LAY_UP, [UI_KEY_DOWN] = LAY_DOWN,
                        [UI_KEY_LEFT] = LAY_LEFT, [UI_KEY_RIGHT] = LAY_RIGHT,
                };
                set_focus(u, &l, lay_move(&l, cur, dirs[key]));
                return none;
        }
        case UI_KEY_TAB:
        case UI_KEY_BACKTAB:
                set_focus(u, &l, lay_next(&l, cur, key == UI_KEY_BACKTAB));
                return none;
        case UI_KEY_ENTER:
                if (cur < 0)
                        return none;
                return activate(u, m, &l.widgets[cur]);
        case UI_KEY_ESCAPE:
                if (u->screen != LAY_SCREEN_HOME)
                        go_home(u, m);
                return none;
        }
        return none;
}

ui_action ui_click(ui *u, const model *m, int width, int height, int x, int y) {
        ui_action none = { .kind = UI_ACTION_NONE };
        lay_layout l;
        int i;

        ui_pointer_move(u, x, y);
        ui_layout(u, m, width, height, &l);
        i = lay_hit(&l, x, y);
        if (i < 0)
                return none;
        set_focus(u, &l, i);
        return activate(u, m, &l.widgets[i]);
}

void ui_pointer_move(ui *u, int x, int y) {
        u->pointer_x = x;
        u->pointer_y = y;
        u->pointer_seen = true;
}

int ui_key_from_string(const char *s, ui_key *ret) {
        static const struct {
                const char *name;
                ui_key key;
        } keys[] = {
                { "Up", UI_KEY_UP },         { "Down", UI_KEY_DOWN },
                { "Left", UI_KEY_LEFT },     { "Right", UI_KEY_RIGHT },
                { "Tab", UI_KEY_TAB },       { "shift+Tab", UI_KEY_BACKTAB },
                { "BackTab", UI_KEY_BACKTAB }, { "Return", UI_KEY_ENTER },
                { "Enter", UI_KEY_ENTER },   { "space", UI_KEY_ENTER },
                { "Escape", UI_KEY_ESCAPE },
        };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strcasecmp(s, keys[i].name) == 0) {
                        *ret = keys[i].key;
                        return 0;
                }
        return -EINVAL;
}
