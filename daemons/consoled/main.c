/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-consoled: dom0's display and input server and the back end of every
 * domain's PV framebuffer and keyboard.  Wires the pieces together on one
 * sd-event loop: xenback (xenstore, rings), console (focus, SAK, lock),
 * display (DRM dumb buffer, or an SDL window), input (libinput), bus
 * (org.cairn.Console1). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "cairn-config.h"
#include "console.h"
#include "display.h"
#include "input.h"
#include "lockpw.h"
#include "log.h"
#include "macro.h"
#include "pacer.h"
#include "util.h"
#include "xenback.h"

static const char *arg_passphrase_file = LOCKPW_DEFAULT_PATH;
typedef enum DisplayKind { DISPLAY_DRM, DISPLAY_SDL } DisplayKind;
static DisplayKind arg_display_kind = DISPLAY_DRM;
static const char *arg_display_where = NULL;    /* DRM device path or SDL driver; NULL: the default */
static const char *arg_seat = "seat0";
static bool arg_display = true;
static bool arg_xen = true;
static uint64_t arg_idle_lock_usec = 10 * 60 * 1000000ULL;

typedef struct Server {
        sd_bus *bus;
        Console *console;
        XenBack *xen;
        Display *display;
        LockPw pw;
        double cursor_x, cursor_y;
        int64_t shown_domid;
        int64_t drawn_domid;    /* whose framebuffer the last full redraw showed (-1 none) */
        sd_event_source *idle;
        InputLatency latency;
        FrameStats frames;
        Pacer pacer;                    /* the shown domain's updates not yet presented */
        sd_event_source *present_timer;
        uint64_t key_time;      /* evdev time of the key being handled (0: none) */
} Server;

static void help(void) {
        printf("Usage: cairn-consoled [OPTIONS]\n\n"
               "Owns dom0's display and input devices, serves every domain's paravirtual\n"
               "framebuffer and keyboard, shows the focused domain and sends input to it\n"
               "only, and serves org.cairn.Console1 on the system bus.\n\n"
               "Keys: Ctrl+Alt+Home brings the UIVM forward (secure attention key, never\n"
               "seen by a VM); Ctrl+Alt+F1..F12 focus the N-th surface; while locked,\n"
               "every key goes to dom0's passphrase prompt.\n\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --passphrase-file PATH  crypt(3) hash of the lock passphrase\n"
               "                             (default %s; without it Lock is refused)\n"
               "     --display drm[:DEVICE]  Draw on a DRM/KMS dumb buffer (the default; DEVICE\n"
               "                             like /dev/dri/card0, else the first card with a\n"
               "                             connected screen)\n"
               "     --display sdl[:DRIVER]  Draw in an SDL window (DRIVER: an SDL video driver,\n"
               "                             e.g. dummy, x11, wayland; else SDL's choice)\n"
               "     --video-driver DRIVER   Same as --display sdl:DRIVER\n"
               "     --seat SEAT             udev seat for input devices (default seat0)\n"
               "     --no-display            No display and no input devices (bus and back end only)\n"
               "     --no-xen                No PV back end (display, input and bus only)\n"
               "     --idle-lock SECONDS     Lock after this long without input (default 600;\n"
               "                             0: never; needs the passphrase file)\n"
               "     --log-level LEVEL       err, warning, notice, info (default) or debug\n",
               LOCKPW_DEFAULT_PATH);
}

/* --display drm[:DEVICE] | sdl[:DRIVER] */
static int parse_display(const char *s) {
        const char *colon = strchr(s, ':');
        size_t n = colon ? (size_t) (colon - s) : strlen(s);

        if (n == 3 && strncmp(s, "drm", 3) == 0)
                arg_display_kind = DISPLAY_DRM;
        else if (n == 3 && strncmp(s, "sdl", 3) == 0)
                arg_display_kind = DISPLAY_SDL;
        else
                return -EINVAL;
        if (colon && !colon[1])
                return -EINVAL;
        arg_display_where = colon ? colon + 1 : NULL;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_PASSPHRASE_FILE, ARG_DISPLAY, ARG_VIDEO_DRIVER, ARG_SEAT, ARG_NO_DISPLAY,
               ARG_NO_XEN, ARG_IDLE_LOCK, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "passphrase-file", required_argument, NULL, ARG_PASSPHRASE_FILE },
                { "display", required_argument, NULL, ARG_DISPLAY },
                { "video-driver", required_argument, NULL, ARG_VIDEO_DRIVER },
                { "seat", required_argument, NULL, ARG_SEAT },
                { "no-display", no_argument, NULL, ARG_NO_DISPLAY },
                { "no-xen", no_argument, NULL, ARG_NO_XEN },
                { "idle-lock", required_argument, NULL, ARG_IDLE_LOCK },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        int c, l;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("cairn-consoled %s\n", CAIRN_VERSION);
                        return 0;
                case ARG_PASSPHRASE_FILE:
                        arg_passphrase_file = optarg;
                        break;
                case ARG_DISPLAY:
                        if (parse_display(optarg) < 0) {
                                log_error("--display takes drm, drm:DEVICE, sdl or sdl:DRIVER, not \"%s\".",
                                          optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_VIDEO_DRIVER:
                        if (!optarg[0]) {
                                log_error("--video-driver takes an SDL video driver name.");
                                return -EINVAL;
                        }
                        arg_display_kind = DISPLAY_SDL;
                        arg_display_where = optarg;
                        break;
                case ARG_SEAT:
                        arg_seat = optarg;
                        break;
                case ARG_NO_DISPLAY:
                        arg_display = false;
                        break;
                case ARG_NO_XEN:
                        arg_xen = false;
                        break;
                case ARG_IDLE_LOCK: {
                        uint64_t secs;

                        if (parse_u64(optarg, &secs) < 0 || secs > 7 * 24 * 3600) {
                                log_error("--idle-lock takes seconds (0 to 604800), not \"%s\".", optarg);
                                return -EINVAL;
                        }
                        arg_idle_lock_usec = secs * 1000000ULL;
                        break;
                }
                case ARG_LOG_LEVEL:
                        l = log_level_from_string(optarg);
                        if (l < 0) {
                                log_error("Unknown log level \"%s\".", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(l);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument \"%s\"; see --help.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* ---- drawing: what the screen shows follows from the console state ---- */

static const Surface *focused_surface(Server *s) {
        return console_surface_find(s->console, console_focused(s->console));
}

static void redraw(void *userdata) {
        Server *s = userdata;
        const Surface *f;
        const uint8_t *fb;
        FbMode mode;
        size_t size;
        int r;

        if (!s->display)
                return;
        pacer_drop(&s->pacer);
        if (console_locked(s->console)) {
                (void) display_present_lock(s->display, console_prompt_length(s->console),
                                            console_failed_attempts(s->console),
                                            console_backoff_remaining(s->console) > 0);
                return;
        }
        f = focused_surface(s);
        fb = f && f->domid >= 0 && s->xen ? xenback_framebuffer(s->xen, (uint32_t) f->domid, &mode, &size) : NULL;
        if (!fb) {
                if (s->drawn_domid >= 0)
                        log_info("Showing no framebuffer.");
                s->drawn_domid = -1;
                (void) display_present_blank(s->display);
                return;
        }
        r = display_present_fb(s->display, fb, size, &mode, 0, 0, mode.width, mode.height);
        if (r < 0)
                log_warning_errno(r, "Failed to show the framebuffer of %s: %m", f->name);
        else if (s->drawn_domid != f->domid)
                log_info("Showing the framebuffer of %s (domain %" PRIi64 ", %ux%u).", f->name, f->domid,
                         mode.width, mode.height);
        s->drawn_domid = r < 0 ? -1 : f->domid;
}

/* ---- console hooks ---- */

static uint64_t now_usec(void *userdata);

static void send_key(int64_t domid, uint32_t keycode, bool pressed, void *userdata) {
        Server *s = userdata;

        /* Counted only for a key from a keyboard just now (not the releases
         * sent when the focus moves), once it is in the guest's ring. */
        if (s->xen && domid >= 0 && xenback_send_key(s->xen, (uint32_t) domid, keycode, pressed) == 0 &&
            s->key_time != 0)
                latency_add(&s->latency.delivered, s->key_time, now_usec(s));
}

static void send_pointer(int64_t domid, int32_t x, int32_t y, int32_t wheel, void *userdata) {
        Server *s = userdata;
        const Surface *f = focused_surface(s);

        if (s->xen && f && domid >= 0)
                (void) xenback_send_pointer(s->xen, (uint32_t) domid, x, y, f->width, f->height, wheel);
}

static void focus_changed(const char *name, void *userdata) {
        Server *s = userdata;
        const Surface *f = console_surface_find(s->console, name);

        log_info("Focus: %s.", name[0] ? name : "(none)");
        if (s->xen) {
                if (s->shown_domid >= 0)
                        xenback_set_visible(s->xen, (uint32_t) s->shown_domid, false);
                s->shown_domid = f ? f->domid : -1;
                if (s->shown_domid >= 0)
                        xenback_set_visible(s->xen, (uint32_t) s->shown_domid, true);
        }
        console_bus_emit_focus(s->bus, name);
}

static void lock_changed(bool locked, void *userdata) {
        Server *s = userdata;

        log_info("Console %s.", locked ? "locked" : "unlocked");
        console_bus_emit_locked(s->bus);
}

static int check_passphrase(const char *pass, void *userdata) {
        Server *s = userdata;
        int r;

        r = lockpw_verify(&s->pw, pass);
        if (r < 0)
                return log_error_errno(r, "Failed to check the passphrase: %m");
        if (r == 0)
                log_notice("Wrong passphrase at the lock screen.");
        return r;
}

static uint64_t now_usec(void *userdata) {
        return now_monotonic_usec();
}

/* ---- back-end hooks ---- */

/* The name of domid's surface: the domain's name in xenstore or, once the domain
 * is gone (xl destroy, a crash: its xenstore directory goes first), the name of the
 * surface that shows domid.  Without this, a destroyed UIVM's last picture would
 * stay on the screen, focused, and its restarted successor would never be shown. */
static int surface_name(Server *s, uint32_t domid, char *name, size_t size) {
        const Surface *list;
        size_t n;

        if (xenback_domain_name(s->xen, domid, name, size) >= 0)
                return 0;
        n = console_surfaces(s->console, &list);
        for (size_t i = 0; i < n; i++)
                if (list[i].domid == (int64_t) domid) {
                        snprintf(name, size, "%s", list[i].name);
                        return 0;
                }
        return -ENOENT;
}

static void fb_state(uint32_t domid, bool connected, bool failed, const FbMode *mode, void *userdata) {
        Server *s = userdata;
        char name[CONSOLE_NAME_MAX + 1];
        int r;

        if (surface_name(s, domid, name, sizeof(name)) < 0)
                return;
        if (connected)
                r = console_surface_set(s->console, name, domid, mode->width, mode->height, SURFACE_CONNECTED);
        else if (failed)
                r = console_surface_set(s->console, name, domid, 0, 0, SURFACE_FAILED);
        else
                r = console_surface_remove(s->console, name);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to record the surface of %s: %m", name);
        /* The focused VM's framebuffer, maybe in a new domain (a restarted VM keeps
         * its name and focus): that domain is the one shown now. */
        if (connected && s->shown_domid != (int64_t) domid && strcmp(console_focused(s->console), name) == 0) {
                if (s->shown_domid >= 0)
                        xenback_set_visible(s->xen, (uint32_t) s->shown_domid, false);
                s->shown_domid = domid;
                xenback_set_visible(s->xen, domid, true);
        }
        redraw(s);
}

/* The shown domain's pending updates, as one rectangle, if it may be presented
 * now; else the timer is set for when it may. */
static void present_pending(Server *s) {
        const Surface *f = focused_surface(s);
        const uint8_t *fb;
        uint32_t x, y, w, h;
        uint64_t now = now_usec(s), end, at = 0;
        FbMode mode;
        size_t size;
        int r;

        if (!s->display || console_locked(s->console) || !f || f->domid < 0 || !s->xen) {
                pacer_drop(&s->pacer);
                return;
        }
        if (!pacer_due(&s->pacer, now, &at)) {
                if (at > 0 && s->present_timer) {
                        (void) sd_event_source_set_time(s->present_timer, at);
                        (void) sd_event_source_set_enabled(s->present_timer, SD_EVENT_ONESHOT);
                }
                return;
        }
        fb = xenback_framebuffer(s->xen, (uint32_t) f->domid, &mode, &size);
        if (!fb || !pacer_take(&s->pacer, &x, &y, &w, &h)) {
                pacer_drop(&s->pacer);
                return;
        }
        r = display_present_fb(s->display, fb, size, &mode, x, y, w, h);
        end = now_usec(s);
        if (r >= 0)
                frames_add(&s->frames, w, h, x == 0 && y == 0 && w == mode.width && h == mode.height, now, end);
        pacer_presented(&s->pacer, end);
}

static int on_present_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        present_pending(userdata);
        return 0;
}

static void fb_update(uint32_t domid, uint32_t x, uint32_t y, uint32_t w, uint32_t h, void *userdata) {
        Server *s = userdata;
        const Surface *f = focused_surface(s);
        FbMode mode;
        size_t size;

        if (!s->display || console_locked(s->console) || !f || f->domid != (int64_t) domid)
                return;
        if (!xenback_framebuffer(s->xen, domid, &mode, &size))
                return;
        s->frames.events++;
        if (pacer_add(&s->pacer, x, y, w, h, mode.width, mode.height))
                present_pending(s);
}

/* ---- idle lock: one timer, pushed back by every input event ---- */

static int on_idle(sd_event_source *es, uint64_t usec, void *userdata) {
        Server *s = userdata;

        if (!console_locked(s->console)) {
                log_info("No input for %" PRIu64 " s: locking.", arg_idle_lock_usec / 1000000);
                (void) console_lock(s->console);
        }
        return 0;
}

static void activity(Server *s) {
        uint64_t now;

        if (!s->idle || sd_event_now(sd_event_source_get_event(s->idle), CLOCK_MONOTONIC, &now) < 0)
                return;
        (void) sd_event_source_set_time(s->idle, now + arg_idle_lock_usec);
        (void) sd_event_source_set_enabled(s->idle, SD_EVENT_ONESHOT);
}

/* ---- input ---- */

static void on_key(uint32_t code, bool pressed, uint64_t time_usec, void *userdata) {
        Server *s = userdata;

        latency_add(&s->latency.received, time_usec, now_usec(s));
        activity(s);
        s->key_time = time_usec;
        console_key(s->console, code, pressed);
        s->key_time = 0;
}

static void pointer_at(Server *s, int32_t wheel) {
        int32_t x, y;

        activity(s);
        if (s->display && display_to_surface(s->display, (int32_t) s->cursor_x, (int32_t) s->cursor_y, &x, &y))
                console_pointer(s->console, x, y, wheel);
}

static void on_motion(double dx, double dy, void *userdata) {
        Server *s = userdata;
        uint32_t w, h;

        if (!s->display)
                return;
        display_size(s->display, &w, &h);
        s->cursor_x = MAX(0.0, MIN(s->cursor_x + dx, (double) w - 1));
        s->cursor_y = MAX(0.0, MIN(s->cursor_y + dy, (double) h - 1));
        pointer_at(s, 0);
}

static void on_position(double x, double y, void *userdata) {
        Server *s = userdata;
        uint32_t w, h;

        if (!s->display)
                return;
        display_size(s->display, &w, &h);
        s->cursor_x = MAX(0.0, MIN(x * w, (double) w - 1));
        s->cursor_y = MAX(0.0, MIN(y * h, (double) h - 1));
        pointer_at(s, 0);
}

static void on_wheel(int32_t steps, void *userdata) {
        pointer_at(userdata, steps);
}

static int run(void) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Server s = { .shown_domid = -1, .drawn_domid = -1 };
        Input *input = NULL;
        ConsoleHooks hooks = {
                .send_key = send_key,
                .send_pointer = send_pointer,
                .focus_changed = focus_changed,
                .lock_changed = lock_changed,
                .redraw = redraw,
                .now_usec = now_usec,
        };
        static const XenBackHooks xen_hooks = { .fb_state = fb_state, .fb_update = fb_update };
        static const InputHandlers input_handlers = {
                .key = on_key,
                .motion = on_motion,
                .position = on_position,
                .wheel = on_wheel,
        };
        FbLimits limits;
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(negative_errno(), "Failed to block signals: %m");
        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

        r = lockpw_load(arg_passphrase_file, &s.pw);
        if (r == 0)
                hooks.check_passphrase = check_passphrase;
        else if (r == -ENOENT)
                log_warning("No lock passphrase in %s: Lock will be refused.", arg_passphrase_file);
        else
                log_warning_errno(r, "Cannot use the lock passphrase in %s (%m): Lock will be refused.",
                                  arg_passphrase_file);

        r = console_new(&hooks, &s, &s.console);
        if (r < 0)
                return log_oom();

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        frames_reset(&s.frames, now_usec(&s));
        r = console_bus_attach(bus, s.console, &s.latency, &s.frames);
        if (r < 0)
                goto out;
        r = sd_bus_request_name(bus, CONSOLE_BUS_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to own %s: %m", CONSOLE_BUS_NAME);
                goto out;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Failed to attach the bus to the event loop: %m");
                goto out;
        }
        s.bus = bus;

        if (arg_display) {
                /* Input first: its grab keeps SDL's own evdev code from reading the devices. */
                /* A machine without a screen or input devices still boots: the bus
                 * and the back ends are served, nothing is shown. */
                r = input_open(event, arg_seat, &input_handlers, &s, &input);
                if (r < 0) {
                        log_warning_errno(r, "No input devices (%m): continuing without input.");
                        input = NULL;
                }
                r = arg_display_kind == DISPLAY_DRM ? display_open_drm(arg_display_where, &s.display)
                                                    : display_open_sdl(arg_display_where, &s.display);
                if (r < 0) {
                        log_warning("No display: continuing without a screen (bus, back ends and input only).");
                        s.display = NULL;
                }
        }
        if (arg_xen) {
                fb_limits_default(&limits);
                r = xenback_new(event, &limits, &xen_hooks, &s, &s.xen);
                if (r < 0)
                        goto out;
        }

        /* Off until an update has to wait for its turn (present_pending). */
        r = sd_event_add_time(event, &s.present_timer, CLOCK_MONOTONIC, 0, 1000, on_present_timer, &s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s.present_timer, SD_EVENT_OFF);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the present timer: %m");
                goto out;
        }

        if (arg_idle_lock_usec > 0 && hooks.check_passphrase) {
                r = sd_event_add_time_relative(event, &s.idle, CLOCK_MONOTONIC, arg_idle_lock_usec,
                                               100 * 1000, on_idle, &s);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up the idle lock: %m");
                        goto out;
                }
        }

        (void) sd_notify(false, "READY=1\nSTATUS=Serving the console.");
        r = sd_event_loop(event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
out:
        s.idle = sd_event_source_disable_unref(s.idle);
        s.present_timer = sd_event_source_disable_unref(s.present_timer);
        s.bus = NULL;
        s.xen = xenback_free(s.xen);
        input = input_free(input);
        s.display = display_free(s.display);
        s.console = console_free(s.console);
        erase_memory(&s.pw, sizeof(s.pw));
        return r < 0 ? r : 0;
}

int main(int argc, char *argv[]) {
        int r;

        log_set_program_name("cairn-consoled");
        if (getenv("JOURNAL_STREAM"))
                log_set_journal_prefix(1);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        return run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
