/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Draws a frame (SDL2 software renderer + SDL2_ttf) into an SDL_Surface. */
#pragma once

#include <SDL.h>

#include "hwinfo.h"
#include "model.h"
#include "ui.h"

typedef struct render render;

/* Fonts: paths to a regular and a bold TrueType face. */
int render_new(SDL_Surface *target, const char *font_regular, const char *font_bold, render **ret);
render *render_free(render *r);
void render_frame(render *r, const ui *u, const model *m, const hwinfo *hw, bool draw_pointer);

/* First existing file of a NULL-terminated list, or NULL. */
const char *render_find_font(const char *const *candidates);
