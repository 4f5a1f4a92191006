/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-ui: the UIVM's user interface.  One sd-event loop drives the bus client,
 * libinput and redraws; frames go to the PV framebuffer, or offscreen for tests. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "cairn-config.h"
#include "display.h"
#include "hwinfo.h"
#include "input.h"
#include "log.h"
#include "model.h"
#include "render.h"
#include "script.h"
#include "ui.h"
#include "util.h"

#ifndef CAIRN_UI_FONT
#define CAIRN_UI_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif
#ifndef CAIRN_UI_FONT_BOLD
#define CAIRN_UI_FONT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#endif

static const char *arg_bus = CBUS_DEFAULT_ADDRESS;
static const char *arg_fb = "/dev/fb0";
static const char *arg_tty = "/dev/tty0";
static const char *arg_screenshot;
static const char *arg_script;
static const char *arg_hwcheck;
static const char *arg_font;
static const char *arg_font_bold;
static int arg_width, arg_height;       /* offscreen when set */
static unsigned arg_script_timeout = 30;

typedef struct app {
        sd_event *event;
        display d;
        render *rnd;
        model m;
        ui u;
        hwinfo hw;
        cbus *bus;
        input *in;
        sd_event_source *redraw;
        bool offscreen;
        int tty_fd;

        script sc;
        bool have_script;
        bool script_running, script_again, script_waiting, script_sleeping;
        unsigned signals, wait_signals_from;
        sd_event_source *script_timer;   /* sleep or wait timeout */
        int exit_code;
} app;

static void script_run(app *a);

static void invalidate(app *a) {
        if (a->redraw)
                sd_event_source_set_enabled(a->redraw, SD_EVENT_ONESHOT);
}

static void draw_now(app *a) {
        render_frame(a->rnd, &a->u, &a->m, &a->hw, !a->offscreen);
        display_present(&a->d);
}

static int on_redraw(sd_event_source *s, void *userdata) {
        draw_now(userdata);
        return 0;
}

/* ---- events from the bus and input ---- */

static void on_model_changed(void *userdata) {
        app *a = userdata;
        ui_model_changed(&a->u, &a->m);
        invalidate(a);
        if (a->have_script)
                script_run(a);
        else if (a->offscreen && a->m.vmm_link != MODEL_LINK_CONNECTING && a->m.net_link != MODEL_LINK_CONNECTING)
                sd_event_exit(a->event, 0);     /* a plain screenshot: the first answers are in */
}

static void on_state_signal(void *userdata) {
        app *a = userdata;
        a->signals++;           /* on_model_changed() runs next and resumes the script */
}

static void do_action(app *a, ui_action act) {
        if (act.kind != UI_ACTION_NONE)
                cbus_action(a->bus, &act);
        invalidate(a);
}

/* An action's outcome stays in the footer until the user moves to another screen. */
static void forget_notice_on_screen_change(app *a, lay_screen before) {
        if (a->u.screen != before)
                a->m.notice[0] = '\0';
}

static void on_key(void *userdata, ui_key key) {
        app *a = userdata;
        lay_screen before = a->u.screen;
        ui_action act = ui_key_press(&a->u, &a->m, a->d.canvas->w, a->d.canvas->h, key);

        forget_notice_on_screen_change(a, before);
        do_action(a, act);
}

static void on_motion(void *userdata, int x, int y) {
        app *a = userdata;
        ui_pointer_move(&a->u, x, y);
        invalidate(a);
}

static void on_click(void *userdata, int x, int y) {
        app *a = userdata;
        lay_screen before = a->u.screen;
        ui_action act = ui_click(&a->u, &a->m, a->d.canvas->w, a->d.canvas->h, x, y);

        forget_notice_on_screen_change(a, before);
        do_action(a, act);
}

static const cbus_ops bus_ops = {
        .changed = on_model_changed,
        .state_signal = on_state_signal,
};

static const input_ops in_ops = {
        .key = on_key,
        .motion = on_motion,
        .click = on_click,
};

/* ---- offscreen script ---- */

static void script_finish(app *a, int code) {
        a->script_timer = sd_event_source_disable_unref(a->script_timer);
        a->have_script = false;
        a->exit_code = code;
        sd_event_exit(a->event, code);
}

static int on_script_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        app *a = userdata;
        const script_cmd *c = &a->sc.cmds[a->sc.pc];

        a->script_timer = sd_event_source_disable_unref(a->script_timer);
        if (a->script_sleeping) {
                a->script_sleeping = false;
                a->sc.pc++;
                script_run(a);
                return 0;
        }
        log_error("%s:%u: timed out after %u s waiting", arg_script, c->line, arg_script_timeout);
        script_finish(a, 3);
        return 0;
}

static bool wait_done(app *a, const script_cmd *c) {
        const model_vm *vm;

        switch (c->op) {
        case SCRIPT_WAIT_SIGNAL:
                return a->signals > a->wait_signals_from;
        case SCRIPT_WAIT_STATE:
                vm = model_find_vm(&a->m, c->arg);
                return vm && strcmp(vm->state, c->arg2) == 0;
        case SCRIPT_WAIT_CONNECTED:
                return a->m.bus_connected && a->m.vmm_link == MODEL_LINK_UP;
        case SCRIPT_WAIT_DISCONNECTED:
                return !a->m.bus_connected || a->m.vmm_link == MODEL_LINK_DOWN;
        case SCRIPT_WAIT_NETWORK:
                return a->m.bus_connected && a->m.net_link == MODEL_LINK_UP;
        default:
                return true;
        }
}

static void script_run(app *a) {
        if (a->script_running) {
                a->script_again = true;
                return;
        }
        a->script_running = true;
        do {
                a->script_again = false;
                while (a->have_script && a->sc.pc < a->sc.n && !a->script_sleeping) {
                        const script_cmd *c = &a->sc.cmds[a->sc.pc];
                        int r;

                        switch (c->op) {
                        case SCRIPT_KEY:
                                on_key(a, c->key);
                                break;
                        case SCRIPT_CLICK:
                                on_click(a, c->x, c->y);
                                break;
                        case SCRIPT_MOVE:
                                on_motion(a, c->x, c->y);
                                break;
                        case SCRIPT_WAIT_SIGNAL:
                        case SCRIPT_WAIT_STATE:
                        case SCRIPT_WAIT_CONNECTED:
                        case SCRIPT_WAIT_DISCONNECTED:
                        case SCRIPT_WAIT_NETWORK:
                                if (!a->script_waiting) {
                                        a->script_waiting = true;
                                        a->wait_signals_from = a->signals;
                                        r = sd_event_add_time_relative(a->event, &a->script_timer, CLOCK_MONOTONIC,
                                                                       arg_script_timeout * 1000000ULL, 0,
                                                                       on_script_timer, a);
                                        if (r < 0) {
                                                log_error_errno(r, "Failed to arm the script timer: %m");
                                                script_finish(a, 1);
                                                goto out;
                                        }
                                }
                                if (!wait_done(a, c))
                                        goto out;
                                a->script_waiting = false;
                                a->script_timer = sd_event_source_disable_unref(a->script_timer);
                                break;
                        case SCRIPT_SLEEP:
                                r = sd_event_add_time_relative(a->event, &a->script_timer, CLOCK_MONOTONIC,
                                                               c->x * 1000ULL, 0, on_script_timer, a);
                                if (r < 0) {
                                        log_error_errno(r, "Failed to arm the script timer: %m");
                                        script_finish(a, 1);
                                        goto out;
                                }
                                a->script_sleeping = true;
                                goto out;
                        case SCRIPT_SCREENSHOT:
                                draw_now(a);
                                r = display_write_png(&a->d, c->arg);
                                if (r < 0) {
                                        script_finish(a, 1);
                                        goto out;
                                }
                                log_info("%s:%u: wrote %s", arg_script, c->line, c->arg);
                                break;
                        case SCRIPT_QUIT:
                                script_finish(a, 0);
                                goto out;
                        }
                        a->sc.pc++;
                }
                if (a->have_script && a->sc.pc >= a->sc.n)
                        script_finish(a, 0);
        } while (a->script_again);
out:
        a->script_running = false;
}

static int on_script_start(sd_event_source *s, void *userdata) {
        script_run(userdata);
        return 0;
}

/* Without a script: wait for the first answer (or failure) from the VM manager, then shoot. */
static int on_plain_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        app *a = userdata;
        sd_event_exit(a->event, 0);
        return 0;
}

/* ---- setup ---- */

static void help(void) {
        printf("Usage: cairn-ui [OPTIONS]\n"
               "\n"
               "The Cairn UI VM's user interface: VM tiles, start/stop/switch, network, about.\n"
               "\n"
               "  --bus ADDRESS          D-Bus address (default %s)\n"
               "  --fb DEVICE            framebuffer device (default /dev/fb0)\n"
               "  --tty DEVICE           console switched to graphics mode (default /dev/tty0)\n"
               "  --hwcheck FILE         cairn-hwcheck JSON report for the About screen\n"
               "  --font FILE            regular TrueType font (default %s)\n"
               "  --font-bold FILE       bold TrueType font (default %s)\n"
               "  --offscreen WxH        render into memory, no framebuffer or input devices\n"
               "  --screenshot FILE.png  offscreen: write the final frame here\n"
               "  --script FILE          offscreen: run input/wait/screenshot commands from FILE\n"
               "  --script-timeout SEC   offscreen: give up a wait after SEC seconds (default 30)\n"
               "  --log-level LEVEL      err, warning, notice, info (default), debug\n"
               "  -h, --help             this text\n"
               "  --version              print the version\n"
               "\n"
               "Keys: arrows move the focus, Tab/Shift+Tab cycle, Enter/Space activate,\n"
               "Escape/Backspace go back.\n",
               CBUS_DEFAULT_ADDRESS, CAIRN_UI_FONT, CAIRN_UI_FONT_BOLD);
}

static int parse_argv(int argc, char **argv) {
        enum {
                ARG_BUS = 0x100, ARG_FB, ARG_TTY, ARG_HWCHECK, ARG_FONT, ARG_FONT_BOLD, ARG_OFFSCREEN,
                ARG_SCREENSHOT, ARG_SCRIPT, ARG_SCRIPT_TIMEOUT, ARG_LOG_LEVEL, ARG_VERSION,
        };
        static const struct option options[] = {
                { "bus", required_argument, NULL, ARG_BUS },
                { "fb", required_argument, NULL, ARG_FB },
                { "tty", required_argument, NULL, ARG_TTY },
                { "hwcheck", required_argument, NULL, ARG_HWCHECK },
                { "font", required_argument, NULL, ARG_FONT },
                { "font-bold", required_argument, NULL, ARG_FONT_BOLD },
                { "offscreen", required_argument, NULL, ARG_OFFSCREEN },
                { "screenshot", required_argument, NULL, ARG_SCREENSHOT },
                { "script", required_argument, NULL, ARG_SCRIPT },
                { "script-timeout", required_argument, NULL, ARG_SCRIPT_TIMEOUT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_BUS:
                        arg_bus = optarg;
                        break;
                case ARG_FB:
                        arg_fb = optarg;
                        break;
                case ARG_TTY:
                        arg_tty = optarg;
                        break;
                case ARG_HWCHECK:
                        arg_hwcheck = optarg;
                        break;
                case ARG_FONT:
                        arg_font = optarg;
                        break;
                case ARG_FONT_BOLD:
                        arg_font_bold = optarg;
                        break;
                case ARG_OFFSCREEN:
                        r = display_parse_size(optarg, &arg_width, &arg_height);
                        if (r < 0)
                                return log_error_errno(r, "--offscreen wants WxH between 64x64 and 8192x8192, not '%s'", optarg);
                        break;
                case ARG_SCREENSHOT:
                        arg_screenshot = optarg;
                        break;
                case ARG_SCRIPT:
                        arg_script = optarg;
                        break;
                case ARG_SCRIPT_TIMEOUT: {
                        uint64_t v;
                        if (parse_u64(optarg, &v) < 0 || v == 0 || v > 3600)
                                return log_error_errno(-EINVAL, "--script-timeout wants seconds (1..3600), not '%s'", optarg);
                        arg_script_timeout = (unsigned) v;
                        break;
                }
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "Unknown log level '%s'", optarg);
                        log_set_max_level(r);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("cairn-ui %s\n", CAIRN_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s' (see --help)", argv[optind]);
        if ((arg_script || arg_screenshot) && arg_width == 0)
                return log_error_errno(-EINVAL, "--script and --screenshot need --offscreen WxH");
        if (arg_width && !arg_screenshot && !arg_script)
                return log_error_errno(-EINVAL, "--offscreen needs --screenshot FILE or --script FILE");
        return 1;
}

static void tty_graphics(app *a, bool on) {
        if (on) {
                a->tty_fd = open(arg_tty, O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (a->tty_fd < 0) {
                        log_debug_errno(negative_errno(), "Cannot open %s, the text console may draw over the UI: %m", arg_tty);
                        return;
                }
                if (ioctl(a->tty_fd, KDSETMODE, KD_GRAPHICS) < 0)
                        log_debug_errno(negative_errno(), "%s: cannot switch to graphics mode: %m", arg_tty);
        } else if (a->tty_fd >= 0) {
                (void) ioctl(a->tty_fd, KDSETMODE, KD_TEXT);
                close(a->tty_fd);
                a->tty_fd = -1;
        }
}

static const char *const regular_fonts[] = {
        CAIRN_UI_FONT,
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        NULL,
};
static const char *const bold_fonts[] = {
        CAIRN_UI_FONT_BOLD,
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        NULL,
};

static int run(app *a) {
        const char *font = arg_font ?: render_find_font(regular_fonts);
        const char *font_bold = arg_font_bold ?: render_find_font(bold_fonts);
        sigset_t mask;
        int r;

        if (!font || !font_bold)
                return log_error_errno(-ENOENT, "No font found (install fonts-dejavu-core, or pass --font and --font-bold)");
        if (!font_bold)
                font_bold = font;

        if (arg_hwcheck)
                (void) hwinfo_load(arg_hwcheck, &a->hw);   /* the About screen says it is missing */

        if (a->offscreen)
                r = display_open_offscreen(&a->d, arg_width, arg_height);
        else
                r = display_open_fb(&a->d, arg_fb);
        if (r < 0)
                return r;
        r = render_new(a->d.canvas, font, font_bold, &a->rnd);
        if (r < 0)
                return r;

        r = sd_event_default(&a->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(a->event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(a->event, NULL, SIGINT, NULL, NULL);

        if (!a->offscreen) {
                r = sd_event_add_defer(a->event, &a->redraw, on_redraw, a);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up redraws: %m");
                tty_graphics(a, true);
                r = input_new(a->event, a->d.canvas->w, a->d.canvas->h, &in_ops, a, &a->in);
                if (r < 0)
                        log_warning_errno(r, "No input devices: the UI is view-only until restarted: %m");
        }

        r = cbus_new(a->event, arg_bus, &a->m, &bus_ops, a, &a->bus);
        if (r < 0)
                return r;

        if (a->offscreen && arg_script) {
                r = script_load(arg_script, &a->sc);
                if (r < 0)
                        return r;
                a->have_script = true;
                r = sd_event_add_defer(a->event, NULL, on_script_start, a);
                if (r < 0)
                        return log_error_errno(r, "Failed to start the script: %m");
        } else if (a->offscreen) {
                r = sd_event_add_time_relative(a->event, NULL, CLOCK_MONOTONIC, 5 * 1000000ULL, 0, on_plain_timeout, a);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm a timer: %m");
        }

        r = sd_event_loop(a->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (a->offscreen && arg_screenshot) {
                int k;
                draw_now(a);
                k = display_write_png(&a->d, arg_screenshot);
                if (k < 0)
                        return k;
        }
        return a->exit_code ? -ETIMEDOUT : 0;
}

int main(int argc, char **argv) {
        app a = { .tty_fd = -1 };
        int r;

        log_set_program_name("cairn-ui");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        a.offscreen = arg_width > 0;

        r = run(&a);

        tty_graphics(&a, false);
        cbus_free(a.bus);
        input_free(a.in);
        sd_event_source_disable_unref(a.redraw);
        sd_event_source_disable_unref(a.script_timer);
        script_done(&a.sc);
        render_free(a.rnd);
        display_close(&a.d);
        sd_event_unref(a.event);
        if (TTF_WasInit())
                TTF_Quit();
        SDL_Quit();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
