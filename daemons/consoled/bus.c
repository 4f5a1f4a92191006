/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "macro.h"
#include "util.h"

static int method_focus(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Console *c = userdata;
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (!vm_name_is_valid(name))
                return sd_bus_error_setf(error, CONSOLE_BUS_ERROR_NO_SUCH_VM,
                                         "\"%.64s\" is not a valid VM name.", name);
        r = console_focus(c, name);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CONSOLE_BUS_ERROR_NO_SUCH_VM,
                                         "VM %s has no display surface.", name);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, CONSOLE_BUS_ERROR_LOCKED,
                                         "The console is locked; unlock it first.");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_lock(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Console *c = userdata;
        int r;

        r = console_lock(c);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_setf(error, CONSOLE_BUS_ERROR_NO_PASSPHRASE,
                                         "No lock passphrase is configured; refusing to lock.");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Console *c = userdata;
        const Surface *s;
        size_t n;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sxuuu)");
        if (r < 0)
                return r;
        n = console_surfaces(c, &s);
        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_append(reply, "(sxuuu)", s[i].name, s[i].domid, s[i].width,
                                          s[i].height, (uint32_t) s[i].state);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int prop_focused(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", console_focused(userdata));
}

static int prop_locked(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) console_locked(userdata));
}

static const sd_bus_vtable console_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Focus", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_focus, 0),
        SD_BUS_METHOD_WITH_ARGS("Lock", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_lock, 0),
        SD_BUS_METHOD_WITH_ARGS("ListSurfaces", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sxuuu)", surfaces),
                                method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Focused", "s", prop_focused, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Locked", "b", prop_locked, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL_WITH_ARGS("FocusChanged", SD_BUS_ARGS("s", vm), 0),
        SD_BUS_VTABLE_END,
};

static int append_stage(sd_bus_message *reply, const LatencyStats *s) {
        return sd_bus_message_append(reply, "(utt)", (uint32_t) MIN(s->count, (uint64_t) UINT32_MAX),
                                     (uint64_t) latency_percentile(s, 50),
                                     (uint64_t) latency_percentile(s, 99));
}

static int method_input_latency(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        InputLatency *lat = userdata;
        int reset, r;

        r = sd_bus_message_read(msg, "b", &reset);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_stage(reply, &lat->received);
        if (r < 0)
                return r;
        r = append_stage(reply, &lat->delivered);
        if (r < 0)
                return r;
        if (reset) {
                latency_reset(&lat->received);
                latency_reset(&lat->delivered);
        }
        return sd_bus_send(NULL, reply, NULL);
}

/* Same interface, its own userdata (sd-bus merges the two in introspection). */
static const sd_bus_vtable latency_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("InputLatency", SD_BUS_ARGS("b", reset),
                                SD_BUS_RESULT("(utt)", received, "(utt)", delivered),
                                method_input_latency, 0),
        SD_BUS_VTABLE_END,
};

static int method_frame_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        FrameStats *f = userdata;
        uint64_t now = now_monotonic_usec();
        int reset, r;

        r = sd_bus_message_read(msg, "b", &reset);
        if (r < 0)
                return r;
        r = sd_bus_reply_method_return(msg, "tttttt", now > f->since ? now - f->since : 0, f->events,
                                       f->presents, f->full, f->pixels, f->busy_usec);
        if (r < 0)
                return r;
        if (reset)
                frames_reset(f, now);
        return 0;
}

static const sd_bus_vtable frames_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("FrameStats", SD_BUS_ARGS("b", reset),
                                SD_BUS_RESULT("t", elapsed_usec, "t", events, "t", presents, "t", full,
                                              "t", pixels, "t", busy_usec),
                                method_frame_stats, 0),
        SD_BUS_VTABLE_END,
};

int console_bus_attach(sd_bus *bus, Console *c, InputLatency *latency, FrameStats *frames) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE,
                                     console_vtable, c);
        if (r < 0)
                return log_error_errno(r, "Failed to add the %s object: %m", CONSOLE_BUS_PATH);
        r = sd_bus_add_object_vtable(bus, NULL, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE,
                                     latency_vtable, latency);
        if (r < 0)
                return log_error_errno(r, "Failed to add InputLatency to %s: %m", CONSOLE_BUS_PATH);
        r = sd_bus_add_object_vtable(bus, NULL, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE,
                                     frames_vtable, frames);
        if (r < 0)
                return log_error_errno(r, "Failed to add FrameStats to %s: %m", CONSOLE_BUS_PATH);
        return 0;
}

void console_bus_emit_focus(sd_bus *bus, const char *name) {
        int r;

        if (!bus)
                return;
        r = sd_bus_emit_signal(bus, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE, "FocusChanged", "s", name);
        if (r < 0)
                log_warning_errno(r, "Failed to emit FocusChanged(%s): %m", name);
        r = sd_bus_emit_properties_changed(bus, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE, "Focused", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged(Focused): %m");
}

void console_bus_emit_locked(sd_bus *bus) {
        int r;

        if (!bus)
                return;
        r = sd_bus_emit_properties_changed(bus, CONSOLE_BUS_PATH, CONSOLE_BUS_INTERFACE, "Locked", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged(Locked): %m");
}
