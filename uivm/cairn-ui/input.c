/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <unistd.h>

#include <libinput.h>
#include <libudev.h>

#include "input.h"
#include "log.h"

struct input {
        struct udev *udev;
        struct libinput *li;
        sd_event_source *source;
        int width, height;
        double x, y;
        bool shift_l, shift_r;
        const input_ops *ops;
        void *userdata;
};

static int open_restricted(const char *path, int flags, void *userdata) {
        int fd = open(path, flags | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static void close_restricted(int fd, void *userdata) {
        close(fd);
}

static const struct libinput_interface li_interface = {
        .open_restricted = open_restricted,
        .close_restricted = close_restricted,
};

int input_map_key(unsigned code, bool shift, ui_key *ret) {
        switch (code) {
        case KEY_UP:
                *ret = UI_KEY_UP;
                return 0;
        case KEY_DOWN:
                *ret = UI_KEY_DOWN;
                return 0;
        case KEY_LEFT:
                *ret = UI_KEY_LEFT;
                return 0;
        case KEY_RIGHT:
                *ret = UI_KEY_RIGHT;
                return 0;
        case KEY_TAB:
                *ret = shift ? UI_KEY_BACKTAB : UI_KEY_TAB;
                return 0;
        case KEY_ENTER:
        case KEY_KPENTER:
        case KEY_SPACE:
                *ret = UI_KEY_ENTER;
                return 0;
        case KEY_ESC:
        case KEY_BACKSPACE:
                *ret = UI_KEY_ESCAPE;
                return 0;
        default:
                return -ENOENT;
        }
}

static void clamp_pointer(input *in) {
        if (in->x < 0)
                in->x = 0;
        if (in->y < 0)
                in->y = 0;
        if (in->x > in->width - 1)
                in->x = in->width - 1;
        if (in->y > in->height - 1)
                in->y = in->height - 1;
}

static void handle(input *in, struct libinput_event *ev) {
        switch (libinput_event_get_type(ev)) {
        case LIBINPUT_EVENT_KEYBOARD_KEY: {
                struct libinput_event_keyboard *k = libinput_event_get_keyboard_event(ev);
                unsigned code = libinput_event_keyboard_get_key(k);
                bool pressed = libinput_event_keyboard_get_key_state(k) == LIBINPUT_KEY_STATE_PRESSED;
                ui_key key;

                if (code == KEY_LEFTSHIFT)
                        in->shift_l = pressed;
                else if (code == KEY_RIGHTSHIFT)
                        in->shift_r = pressed;
                else if (pressed && input_map_key(code, in->shift_l || in->shift_r, &key) >= 0)
                        in->ops->key(in->userdata, key);
                break;
        }
        case LIBINPUT_EVENT_POINTER_MOTION: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                in->x += libinput_event_pointer_get_dx(p);
                in->y += libinput_event_pointer_get_dy(p);
                clamp_pointer(in);
                in->ops->motion(in->userdata, (int) in->x, (int) in->y);
                break;
        }
        case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                in->x = libinput_event_pointer_get_absolute_x_transformed(p, (uint32_t) in->width);
                in->y = libinput_event_pointer_get_absolute_y_transformed(p, (uint32_t) in->height);
                clamp_pointer(in);
                in->ops->motion(in->userdata, (int) in->x, (int) in->y);
                break;
        }
        case LIBINPUT_EVENT_POINTER_BUTTON: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                if (libinput_event_pointer_get_button(p) == BTN_LEFT &&
                    libinput_event_pointer_get_button_state(p) == LIBINPUT_BUTTON_STATE_PRESSED)
                        in->ops->click(in->userdata, (int) in->x, (int) in->y);
                break;
        }
        case LIBINPUT_EVENT_TOUCH_DOWN: {
                struct libinput_event_touch *t = libinput_event_get_touch_event(ev);
                in->x = libinput_event_touch_get_x_transformed(t, (uint32_t) in->width);
                in->y = libinput_event_touch_get_y_transformed(t, (uint32_t) in->height);
                clamp_pointer(in);
                in->ops->click(in->userdata, (int) in->x, (int) in->y);
                break;
        }
        default:
                break;
        }
}

static int on_input(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        input *in = userdata;
        struct libinput_event *ev;
        int r;

        r = libinput_dispatch(in->li);
        if (r < 0)
                log_warning_errno(r, "libinput: dispatch failed: %m");
        while ((ev = libinput_get_event(in->li))) {
                handle(in, ev);
                libinput_event_destroy(ev);
        }
        return 0;
}

input *input_free(input *in) {
        if (!in)
                return NULL;
        sd_event_source_disable_unref(in->source);
        if (in->li)
                libinput_unref(in->li);
        if (in->udev)
                udev_unref(in->udev);
        free(in);
        return NULL;
}

int input_new(sd_event *e, int width, int height, const input_ops *ops, void *userdata, input **ret) {
        input *in;
        int r;

        in = calloc(1, sizeof(*in));
        if (!in)
                return log_oom();
        in->width = width;
        in->height = height;
        in->x = width / 2.0;
        in->y = height / 2.0;
        in->ops = ops;
        in->userdata = userdata;

        in->udev = udev_new();
        if (!in->udev) {
                input_free(in);
                return log_error_errno(-ENOMEM, "udev: cannot create context");
        }
        in->li = libinput_udev_create_context(&li_interface, in, in->udev);
        if (!in->li) {
                input_free(in);
                return log_error_errno(-ENOMEM, "libinput: cannot create context");
        }
        if (libinput_udev_assign_seat(in->li, "seat0") < 0) {
                input_free(in);
                return log_error_errno(-ENODEV, "libinput: cannot assign seat0");
        }
        r = sd_event_add_io(e, &in->source, libinput_get_fd(in->li), EPOLLIN, on_input, in);
        if (r < 0) {
                input_free(in);
                return log_error_errno(r, "Failed to watch libinput: %m");
        }
        /* Devices added when the seat was assigned are waiting already. */
        on_input(in->source, libinput_get_fd(in->li), EPOLLIN, in);
        *ret = in;
        return 0;
}
