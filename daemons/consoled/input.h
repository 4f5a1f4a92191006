/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every keyboard, mouse, touchpad and tablet through libinput with udev
 * hotplug, each device grabbed (EVIOCGRAB) so nothing else in dom0 reads it.
 * Driven by sd-event on libinput's fd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct Input Input;

typedef struct InputHandlers {
        /* Keys and buttons (BTN_LEFT...) as Linux key codes; time_usec is the
         * kernel's timestamp of the event (CLOCK_MONOTONIC), 0 if unknown. */
        void (*key)(uint32_t code, bool pressed, uint64_t time_usec, void *userdata);
        /* Relative motion in screen pixels (mice, touchpads). */
        void (*motion)(double dx, double dy, void *userdata);
        /* Absolute position in [0, 1) of the screen (tablets, touch screens). */
        void (*position)(double x, double y, void *userdata);
        /* Wheel, in detents (positive: towards the user). */
        void (*wheel)(int32_t steps, void *userdata);
} InputHandlers;

int input_open(sd_event *event, const char *seat, const InputHandlers *handlers, void *userdata,
               Input **ret);
Input *input_free(Input *in);
