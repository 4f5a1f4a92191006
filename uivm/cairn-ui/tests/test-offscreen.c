/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Offscreen integration test: a private dbus-daemon, the stand-in VM manager and
 * network service (ui-standin), and cairn-ui driven by a script.  The test reads
 * the screenshots back and checks pixels where the shared layout says things are:
 * tile count, focus ring, state colours, the detail screen, a StateChanged signal
 * from the stand-in, the "reconnecting" banner when the stand-in dies and when the
 * bus itself goes away, and recovery after each.
 *
 * Usage: test-offscreen CAIRN_UI UI_STANDIN HWCHECK_JSON */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "palette.h"

#define W 1024
#define H 768

static char dir[64] = "/tmp/cairn-ui-test.XXXXXX";
static const char *ui_bin, *standin_bin, *hwcheck;
static char address[200], conf[200];
static pid_t dbus_pid = -1, standin_pid = -1, ui_pid = -1;
static int failures;

static void cleanup(void) {
        char cmd[200];
        pid_t *pids[] = { &ui_pid, &standin_pid, &dbus_pid };

        for (size_t i = 0; i < 3; i++)
                if (*pids[i] > 0) {
                        kill(*pids[i], SIGKILL);
                        waitpid(*pids[i], NULL, 0);
                        *pids[i] = -1;
                }
        if (!getenv("CAIRN_UI_TEST_KEEP")) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", dir);
        } else
                fprintf(stderr, "kept %s\n", dir);
}

static _Noreturn void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        cleanup();
        exit(EXIT_FAILURE);
}

static void check(bool ok, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, ok ? "ok: " : "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (!ok)
                failures++;
}

static pid_t spawn(char *const argv[]) {
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                execv(argv[0], argv);
                fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        return pid;
}

static void stop(pid_t *pid, int sig) {
        if (*pid <= 0)
                return;
        kill(*pid, sig);
        waitpid(*pid, NULL, 0);
        *pid = -1;
}

static bool exists(const char *path) {
        return access(path, F_OK) == 0;
}

static void sleep_ms(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

/* Wait for a file, failing early if cairn-ui exits. */
static void wait_file(const char *path, int seconds) {
        for (int i = 0; i < seconds * 50; i++) {
                int status;
                if (exists(path))
                        return;
                if (ui_pid > 0 && waitpid(ui_pid, &status, WNOHANG) == ui_pid) {
                        ui_pid = -1;
                        die("cairn-ui exited (status %d) before writing %s", status, path);
                }
                sleep_ms(20);
        }
        die("timed out waiting for %s", path);
}

static void start_dbus(void) {
        char sock[120], arg[240];
        snprintf(sock, sizeof(sock), "%s/bus", dir);
        unlink(sock);
        snprintf(arg, sizeof(arg), "--config-file=%s", conf);
        dbus_pid = spawn((char *[]) { "/usr/bin/dbus-daemon", arg, "--nofork", "--nosyslog", NULL });
        wait_file(sock, 10);
}

static void start_standin(void) {
        char ready[120];
        snprintf(ready, sizeof(ready), "%s/ready", dir);
        unlink(ready);
        standin_pid = spawn((char *[]) { (char *) standin_bin, "--bus", address, "--ready", ready, NULL });
        wait_file(ready, 10);
}

/* ---- pixels ---- */

typedef struct image {
        png_image png;
        uint8_t *rgb;
} image;

static void load(const char *name, image *img) {
        char path[160];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        memset(img, 0, sizeof(*img));
        img->png.version = PNG_IMAGE_VERSION;
        if (!png_image_begin_read_from_file(&img->png, path))
                die("%s: %s", path, img->png.message);
        img->png.format = PNG_FORMAT_RGB;
        if (img->png.width != W || img->png.height != H)
                die("%s: %ux%u, wanted %dx%d", path, img->png.width, img->png.height, W, H);
        img->rgb = malloc(PNG_IMAGE_SIZE(img->png));
        if (!img->rgb || !png_image_finish_read(&img->png, NULL, img->rgb, 0, NULL))
                die("%s: cannot decode", path);
}

static void unload(image *img) {
        free(img->rgb);
        png_image_free(&img->png);
}

static pal_colour px(const image *img, int x, int y) {
        const uint8_t *p = img->rgb + ((size_t) y * W + x) * 3;
        return (pal_colour) { p[0], p[1], p[2] };
}

static bool same(pal_colour a, pal_colour b) {
        return a.r == b.r && a.g == b.g && a.b == b.b;
}

static void expect(const image *img, const char *what, int x, int y, pal_colour want) {
        pal_colour got = px(img, x, y);
        check(same(got, want), "%s: pixel (%d,%d) is #%02x%02x%02x, want #%02x%02x%02x", what, x, y,
              got.r, got.g, got.b, want.r, want.g, want.b);
}

static size_t count_colour(const image *img, lay_rect r, pal_colour c) {
        size_t n = 0;
        for (int y = r.y; y < r.y + r.h; y++)
                for (int x = r.x; x < r.x + r.w; x++)
                        n += same(px(img, x, y), c);
        return n;
}

static lay_layout home_layout(size_t n_vms, bool banner) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_HOME, .n_vms = n_vms, .focus_tile = -1, .banner = banner };
        lay_build(&l, W, H, &p);
        return l;
}

static lay_rect tile_rect(const lay_layout *l, int i) {
        return l->widgets[lay_find(l, LAY_TILE, i)].r;
}

/* A point on a tile's surface with no text or icon: right of the name, top third. */
static void tile_probe(const lay_layout *l, int i, int *x, int *y) {
        lay_rect r = tile_rect(l, i);
        *x = r.x + r.w - lay_px(l, 8);
        *y = r.y + r.h / 2;
}

static void check_tiles(const image *img, const char *shot, bool banner, int focus) {
        lay_layout l = home_layout(4, banner), l5 = home_layout(5, banner);
        int x, y;
        char what[120];

        for (int i = 0; i < 4; i++) {
                tile_probe(&l, i, &x, &y);
                snprintf(what, sizeof(what), "%s: tile %d drawn", shot, i);
                expect(img, what, x, y, i == focus ? PAL_SURFACE_HI : PAL_SURFACE);
        }
        /* Exactly four: where a fifth would be, there is background. */
        tile_probe(&l5, 4, &x, &y);
        snprintf(what, sizeof(what), "%s: no fifth tile", shot);
        expect(img, what, x, y, PAL_BACKGROUND);

        /* The focus ring: accent just outside the focused tile, not around the others. */
        for (int i = 0; i < 2; i++) {
                lay_rect r = tile_rect(&l, i);
                snprintf(what, sizeof(what), "%s: focus ring %s tile %d", shot, i == focus ? "around" : "not around", i);
                expect(img, what, r.x + r.w / 2, r.y - lay_focus_ring_offset(&l) - 2, i == focus ? PAL_ACCENT : PAL_BACKGROUND);
        }
}

static void check_dot(const image *img, const char *shot, bool banner, int i, const char *vm, pal_colour c) {
        lay_layout l = home_layout(4, banner);
        lay_tile_parts p;
        char what[120];

        lay_tile_parts_get(&l, tile_rect(&l, i), &p);
        snprintf(what, sizeof(what), "%s: state colour of %s", shot, vm);
        expect(img, what, p.dot.x + p.dot.w / 2, p.dot.y + p.dot.h / 2, c);
}

static void check_banner(const image *img, const char *shot, bool want) {
        lay_layout l = home_layout(4, true);
        char what[120];

        snprintf(what, sizeof(what), "%s: %s", shot, want ? "banner drawn" : "no banner");
        expect(img, what, l.width - 3, l.banner.y + l.banner.h / 2, want ? PAL_BANNER : PAL_BACKGROUND);
        if (want) {
                size_t n = count_colour(img, l.banner, PAL_BANNER_TEXT);
                check(n > 200, "%s: banner text drawn (%zu text pixels)", shot, n);
        }
}

static lay_layout detail_layout(bool start, bool stop, bool sw) {
        lay_layout l;
        lay_params p = { .screen = LAY_SCREEN_DETAIL, .can_start = start, .can_stop = stop, .can_switch = sw };
        lay_build(&l, W, H, &p);
        return l;
}

static void check_button(const image *img, const char *shot, const lay_layout *l, lay_kind k, const char *name,
                         pal_colour c) {
        lay_rect r = l->widgets[lay_find(l, k, 0)].r;
        char what[120];
        snprintf(what, sizeof(what), "%s: %s button", shot, name);
        expect(img, what, r.x + lay_px(l, 10), r.y + r.h / 2, c);
}

/* ---- the run ---- */

static void write_script(const char *path) {
        FILE *f = fopen(path, "we");
        if (!f)
                die("%s: %s", path, strerror(errno));
        fprintf(f,
                "wait-connected\n"
                "wait-network\n"
                "screenshot %1$s/01-home.png\n"
                "key Down\n"
                "key Return\n"
                "screenshot %1$s/02-detail.png\n"
                "key Return\n"
                "wait-state work running\n"
                "screenshot %1$s/03-started.png\n"
                "key Escape\n"
                "wait-signal\n"
                "screenshot %1$s/04-signal.png\n"
                "wait-disconnected\n"
                "screenshot %1$s/05-lost.png\n"
                "wait-connected\n"
                "screenshot %1$s/06-back.png\n"
                "wait-disconnected\n"
                "screenshot %1$s/07-nobus.png\n"
                "wait-connected\n"
                "screenshot %1$s/08-rebus.png\n",
                dir);
        fclose(f);
}

static void write_conf(void) {
        FILE *f = fopen(conf, "we");
        if (!f)
                die("%s: %s", conf, strerror(errno));
        fprintf(f,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n"
                "  <type>session</type>\n"
                "  <listen>unix:path=%s/bus</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                "    <allow eavesdrop=\"true\"/>\n"
                "    <allow own=\"*\"/>\n"
                "  </policy>\n"
                "</busconfig>\n",
                dir);
        fclose(f);
}

int main(int argc, char **argv) {
        char script_path[120], path[160];
        image img;
        int status;

        if (argc != 4) {
                fprintf(stderr, "Usage: %s CAIRN_UI UI_STANDIN HWCHECK_JSON\n", argv[0]);
                return EXIT_FAILURE;
        }
        ui_bin = argv[1];
        standin_bin = argv[2];
        hwcheck = argv[3];
        if (access("/usr/bin/dbus-daemon", X_OK) < 0) {
                printf("SKIP: /usr/bin/dbus-daemon not installed (Debian package dbus)\n");
                return 77;
        }
        signal(SIGPIPE, SIG_IGN);
        if (!mkdtemp(dir))
                die("mkdtemp: %s", strerror(errno));
        snprintf(conf, sizeof(conf), "%s/bus.conf", dir);
        snprintf(address, sizeof(address), "unix:path=%s/bus", dir);
        snprintf(script_path, sizeof(script_path), "%s/script", dir);
        write_conf();
        write_script(script_path);

        start_dbus();
        start_standin();
        ui_pid = spawn((char *[]) { (char *) ui_bin, "--offscreen", "1024x768", "--bus", address,
                                    "--script", script_path, "--script-timeout", "20",
                                    "--hwcheck", (char *) hwcheck, NULL });

        snprintf(path, sizeof(path), "%s/03-started.png", dir);
        wait_file(path, 30);
        kill(standin_pid, SIGUSR1);                     /* "personal" starts elsewhere */
        snprintf(path, sizeof(path), "%s/04-signal.png", dir);
        wait_file(path, 30);
        stop(&standin_pid, SIGKILL);                    /* the VM manager dies */
        snprintf(path, sizeof(path), "%s/05-lost.png", dir);
        wait_file(path, 30);
        start_standin();
        snprintf(path, sizeof(path), "%s/06-back.png", dir);
        wait_file(path, 30);
        stop(&dbus_pid, SIGKILL);                       /* the bus itself goes away */
        stop(&standin_pid, SIGKILL);
        snprintf(path, sizeof(path), "%s/07-nobus.png", dir);
        wait_file(path, 30);
        sleep_ms(700);                                  /* let a reconnect attempt fail first */
        start_dbus();
        start_standin();
        snprintf(path, sizeof(path), "%s/08-rebus.png", dir);
        wait_file(path, 30);
        if (waitpid(ui_pid, &status, 0) != ui_pid)
                die("waitpid: %s", strerror(errno));
        ui_pid = -1;
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "cairn-ui exit status %d", status);

        /* Home: four tiles, focus on the first, state colours. */
        load("01-home.png", &img);
        check_tiles(&img, "home", false, 0);
        check_banner(&img, "home", false);
        check_dot(&img, "home", false, 0, "ndvm", PAL_GOOD);
        check_dot(&img, "home", false, 1, "personal", PAL_IDLE);
        check_dot(&img, "home", false, 3, "work", PAL_IDLE);
        unload(&img);

        /* Detail of "work" (stopped): Start enabled and focused, Stop and Switch disabled. */
        load("02-detail.png", &img);
        {
                lay_layout l = detail_layout(true, false, false), hl = home_layout(4, false);
                lay_rect r = l.widgets[lay_find(&l, LAY_START, 0)].r;
                int x, y;
                check_button(&img, "detail", &l, LAY_START, "Start (enabled)", PAL_ACCENT_DARK);
                check_button(&img, "detail", &l, LAY_STOP, "Stop (disabled)", PAL_SURFACE);
                check_button(&img, "detail", &l, LAY_SWITCH, "Switch to (disabled)", PAL_SURFACE);
                expect(&img, "detail: focus ring on Start", r.x + r.w / 2, r.y - lay_focus_ring_offset(&l) - 2, PAL_ACCENT);
                tile_probe(&hl, 2, &x, &y);
                expect(&img, "detail: home tiles gone", x, y, PAL_BACKGROUND);
        }
        unload(&img);

        /* Start went to the stand-in, which answered with StateChanged: buttons follow. */
        load("03-started.png", &img);
        {
                lay_layout l = detail_layout(false, true, true);
                check_button(&img, "started", &l, LAY_START, "Start (disabled)", PAL_SURFACE);
                check_button(&img, "started", &l, LAY_STOP, "Stop (enabled)", PAL_SURFACE_HI);
        }
        unload(&img);

        /* Back home (focus on work's tile); personal started by a signal alone. */
        load("04-signal.png", &img);
        check_tiles(&img, "signal", false, 3);
        check_dot(&img, "signal", false, 1, "personal", PAL_GOOD);
        check_dot(&img, "signal", false, 3, "work", PAL_GOOD);
        unload(&img);

        load("05-lost.png", &img);
        check_banner(&img, "manager gone", true);
        unload(&img);

        /* Recovered: fresh state from the restarted stand-in (both stopped again). */
        load("06-back.png", &img);
        check_banner(&img, "manager back", false);
        check_tiles(&img, "manager back", false, 3);
        check_dot(&img, "manager back", false, 1, "personal", PAL_IDLE);
        unload(&img);

        load("07-nobus.png", &img);
        check_banner(&img, "bus gone", true);
        unload(&img);

        load("08-rebus.png", &img);
        check_banner(&img, "bus back", false);
        check_tiles(&img, "bus back", false, 3);
        check_dot(&img, "bus back", false, 0, "ndvm", PAL_GOOD);
        unload(&img);

        /* A peer that accepts the connection and never speaks: the UI must not freeze. */
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                char mute_addr[200], mute_script[120];
                struct timespec t0, t1;
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                FILE *f;

                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute", dir);
                if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
                        die("mute socket: %s", strerror(errno));
                snprintf(mute_addr, sizeof(mute_addr), "unix:path=%s", sa.sun_path);
                snprintf(mute_script, sizeof(mute_script), "%s/mute-script", dir);
                f = fopen(mute_script, "we");
                if (!f)
                        die("%s: %s", mute_script, strerror(errno));
                fprintf(f, "wait-disconnected\nscreenshot %s/09-mute.png\n", dir);
                fclose(f);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                ui_pid = spawn((char *[]) { (char *) ui_bin, "--offscreen", "1024x768", "--bus", mute_addr,
                                            "--script", mute_script, "--script-timeout", "20", NULL });
                if (waitpid(ui_pid, &status, 0) != ui_pid)
                        die("waitpid: %s", strerror(errno));
                ui_pid = -1;
                clock_gettime(CLOCK_MONOTONIC, &t1);
                close(fd);
                check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mute peer: cairn-ui exit status %d", status);
                check(t1.tv_sec - t0.tv_sec < 15, "mute peer: gave up on it and exited in %lld s",
                      (long long) (t1.tv_sec - t0.tv_sec));
                load("09-mute.png", &img);
                check_banner(&img, "mute peer", true);
                unload(&img);
        }

        cleanup();
        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all checks passed\n");
        return EXIT_SUCCESS;
}
