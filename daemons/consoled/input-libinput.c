/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libinput.h>
#include <libudev.h>
#include <linux/input.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "input.h"
#include "log.h"

struct Input {
        struct udev *udev;
        struct libinput *li;
        sd_event_source *source;
        InputHandlers handlers;
        void *userdata;
};

static int open_restricted(const char *path, int flags, void *user_data) {
        int fd = open(path, flags | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        /* Exclusive: no other reader in dom0 (nor SDL's own evdev code) sees these events. */
        if (ioctl(fd, EVIOCGRAB, (void *) 1) < 0)
                log_warning_errno(negative_errno(), "Failed to grab %s: %m", path);
        return fd;
}

static void close_restricted(int fd, void *user_data) {
        (void) ioctl(fd, EVIOCGRAB, (void *) 0);
        close(fd);
}

static const struct libinput_interface interface = {
        .open_restricted = open_restricted,
        .close_restricted = close_restricted,
};

static void handle(Input *in, struct libinput_event *ev) {
        const InputHandlers *h = &in->handlers;

        switch (libinput_event_get_type(ev)) {
        case LIBINPUT_EVENT_DEVICE_ADDED:
                log_info("Input device: %s.", libinput_device_get_name(libinput_event_get_device(ev)));
                break;
        case LIBINPUT_EVENT_KEYBOARD_KEY: {
                struct libinput_event_keyboard *k = libinput_event_get_keyboard_event(ev);
                if (h->key)
                        h->key(libinput_event_keyboard_get_key(k),
                               libinput_event_keyboard_get_key_state(k) == LIBINPUT_KEY_STATE_PRESSED,
                               libinput_event_keyboard_get_time_usec(k), in->userdata);
                break;
        }
        case LIBINPUT_EVENT_POINTER_MOTION: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                if (h->motion)
                        h->motion(libinput_event_pointer_get_dx(p), libinput_event_pointer_get_dy(p),
                                  in->userdata);
                break;
        }
        case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                if (h->position)
                        h->position(libinput_event_pointer_get_absolute_x_transformed(p, 1),
                                    libinput_event_pointer_get_absolute_y_transformed(p, 1),
                                    in->userdata);
                break;
        }
        case LIBINPUT_EVENT_POINTER_BUTTON: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                if (h->key)
                        h->key(libinput_event_pointer_get_button(p),
                               libinput_event_pointer_get_button_state(p) == LIBINPUT_BUTTON_STATE_PRESSED,
                               libinput_event_pointer_get_time_usec(p), in->userdata);
                break;
        }
        case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL: {
                struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);
                if (h->wheel && libinput_event_pointer_has_axis(p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL)) {
                        double v120 = libinput_event_pointer_get_scroll_value_v120(
                                p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL);
                        if (v120 != 0)
                                h->wheel((int32_t) (v120 / 120), in->userdata);
                }
                break;
        }
        case LIBINPUT_EVENT_TOUCH_DOWN:
        case LIBINPUT_EVENT_TOUCH_MOTION: {
                struct libinput_event_touch *t = libinput_event_get_touch_event(ev);
                if (h->position)
                        h->position(libinput_event_touch_get_x_transformed(t, 1),
                                    libinput_event_touch_get_y_transformed(t, 1), in->userdata);
                break;
        }
        default:
                break;
        }
}

static int on_input(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Input *in = userdata;
        struct libinput_event *ev;
        int r;

        r = libinput_dispatch(in->li);
        if (r < 0)
                log_warning_errno(r, "libinput dispatch failed: %m");
        while ((ev = libinput_get_event(in->li))) {
                handle(in, ev);
                libinput_event_destroy(ev);
        }
        return 0;
}

int input_open(sd_event *event, const char *seat, const InputHandlers *handlers, void *userdata,
               Input **ret) {
        Input *in;
        int r;

        in = calloc(1, sizeof(Input));
        if (!in)
                return log_oom();
        in->handlers = *handlers;
        in->userdata = userdata;
        in->udev = udev_new();
        if (!in->udev) {
                input_free(in);
                return log_error_errno(-ENOMEM, "Failed to create a udev context.");
        }
        in->li = libinput_udev_create_context(&interface, in, in->udev);
        if (!in->li) {
                input_free(in);
                return log_error_errno(-ENOMEM, "Failed to create a libinput context.");
        }
        if (libinput_udev_assign_seat(in->li, seat) < 0) {
                input_free(in);
                return log_error_errno(-ENODEV, "Failed to assign libinput to seat %s.", seat);
        }
        r = sd_event_add_io(event, &in->source, libinput_get_fd(in->li), EPOLLIN, on_input, in);
        if (r < 0) {
                input_free(in);
                return log_error_errno(r, "Failed to watch libinput: %m");
        }
        /* Devices already present arrive as DEVICE_ADDED on the first dispatch. */
        (void) on_input(in->source, -1, 0, in);
        *ret = in;
        return 0;
}

Input *input_free(Input *in) {
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
