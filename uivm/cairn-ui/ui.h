/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The screen state machine: which screen is shown, what has focus, and what a key
 * or a click does.  Actions that need dom0 are returned to the caller. */
#pragma once

#include <stdbool.h>

#include "layout.h"
#include "model.h"

typedef enum ui_key {
        UI_KEY_UP,
        UI_KEY_DOWN,
        UI_KEY_LEFT,
        UI_KEY_RIGHT,
        UI_KEY_TAB,
        UI_KEY_BACKTAB,
        UI_KEY_ENTER,
        UI_KEY_ESCAPE,
} ui_key;

typedef enum ui_action_kind {
        UI_ACTION_NONE,
        UI_ACTION_START,
        UI_ACTION_STOP,
        UI_ACTION_SWITCH,
} ui_action_kind;

typedef struct ui_action {
        ui_action_kind kind;
        char vm[33];
} ui_action;

typedef struct ui {
        lay_screen screen;
        /* Focus by identity, so it survives relayouts; has_focus false = nothing yet. */
        bool has_focus;
        lay_kind focus_kind;
        int focus_index;
        char detail_vm[33];
        int pointer_x, pointer_y;
        bool pointer_seen;
} ui;

void ui_init(ui *u);
/* The layout of the current screen for this model. */
void ui_layout(const ui *u, const model *m, int width, int height, lay_layout *ret);
/* Widget index of the focus in `l` (the first content widget before any move), or -1. */
int ui_focus_widget(const ui *u, const lay_layout *l);
/* The model changed (VM list replaced): keep the focus and screen valid. */
void ui_model_changed(ui *u, const model *m);

ui_action ui_key_press(ui *u, const model *m, int width, int height, ui_key key);
ui_action ui_click(ui *u, const model *m, int width, int height, int x, int y);
void ui_pointer_move(ui *u, int x, int y);

/* Parse a key name ("Up", "Return", "Tab", "shift+Tab"...); -EINVAL when unknown. */
int ui_key_from_string(const char *s, ui_key *ret);
