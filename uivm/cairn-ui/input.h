/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Keyboard and pointer through libinput (udev back end, seat0): the PV keyboard and
 * absolute pointer of xen-kbdfront, or any local device. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "ui.h"

typedef struct input_ops {
        void (*key)(void *userdata, ui_key key);
        void (*motion)(void *userdata, int x, int y);
        void (*click)(void *userdata, int x, int y);
} input_ops;

typedef struct input input;

int input_new(sd_event *e, int width, int height, const input_ops *ops, void *userdata, input **ret);
input *input_free(input *in);

/* Map a Linux key code (KEY_*) to a UI key; shift held turns Tab into BackTab. */
int input_map_key(unsigned code, bool shift, ui_key *ret);
