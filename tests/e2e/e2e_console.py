"""End-to-end tests of cairn-consoled on real Xen (issue 5: the console).

Both boot the test ISO (QEMU -vga std: dom0's bochs DRM driver; consoled draws in
software into a DRM dumb buffer set on the CRTC once, no mesa, no page flips).
cairn-consoled is not enabled at boot; it starts with the UIVM, which requires it,
and which cairn-vmd starts at boot after the NDVM.

e2e_console_uivm_home: the boot starts the NDVM, then consoled and the UIVM, whose
cairn-ui draws into its PV framebuffer; QEMU's screen shows cairn-ui's home screen
(tiles side by side in the UI's palette, the UIVM's running), Right and Enter typed
on QEMU's keyboard open the UIVM's detail screen (a wide card under a row of three
buttons), Escape goes back; `xl destroy uivm`: the picture leaves the screen before
vmd has the new UIVM running, the new one's home screen comes back, and consoled is
the same process.

e2e_console_guest_and_lock boots without the service VMs (the harness's default,
autostart=False) and starts consoled itself, with a lock passphrase of its own.  It then starts a tiny PV guest through cairn-vmd from a definition with vfb=yes and
vkb=yes and checks that:

- no QEMU device model runs in dom0 for it (vmd hot-adds the vfb, the vkb's back end
  type is linux) and both back ends reach Connected (state 4), served by consoled;
- the guest's /init (static, built here; dom0's kernel, whose xen-fbfront and
  xen-kbdfront are built in: any that are modules are loaded from the dom0 base
  the image was built from) filled /dev/fb0 with a known picture and said so on
  its console;
- after `Focus` on org.cairn.Console1, QEMU's screen (QMP screendump) shows that
  picture: the guest's colours where consoled scales its framebuffer to;
- a key typed on QEMU's keyboard (PS/2, read by libinput in dom0) reaches the
  focused guest: its /init prints every key event it reads from its PV keyboard;
- what the shown guest draws reaches the screen while it is shown: F10 starts
  the guest's loop of whole-screen frames (write() to /dev/fb0, so xen-fbfront
  sends an update event for each), a screendump shows one of its frames and
  consoled's FrameStats counts whole-screen updates presented; F10 again stops
  the loop and the guest's picture comes back;
- `Lock` shows dom0's lock screen (padlock, prompt box), one dot per typed key,
  a wrong passphrase is refused (red bar, logged), the right one unlocks and the
  guest's picture is back; no key typed while locked reached the guest;
- a second framebuffer guest (colours swapped): `Focus` switches the screen to it
  and back, a typed key reaches only the focused guest; the secure attention key
  (Ctrl+Alt+Home) takes the focus from both (to the UIVM; none runs here) and
  neither gets it or the key typed after it.
"""
import os
import re
import struct
import tarfile
import time
import zlib
from pathlib import Path

from harness import Machine, Skip, TestFailure
from e2e_vmd import BOOT_TIMEOUT, READY, check, guest_archive, seen, wait_seen

ORDER = 45
GUEST = "fbtest"
GUEST2 = "fbtest2"  # a second framebuffer guest, its picture's colours swapped

# The lock passphrase for this test and its sha512crypt hash (consoled's
# --passphrase-file; docs/consoled.md, "Lock passphrase").
LOCK_PASSPHRASE = "cairn-lock-test"
LOCK_HASH = ("$6$cairnlocktest$4WHivosFy0nKZ.ZQ5TKB992oppDeRaAouzxhM6obxPtk1h70pQeTmpdFg90rKJZ95DlSexbxqWKeldd9vp7Cn.")
# Lock screen colours and layout (daemons/consoled/display-draw.c).
LOCK_LIGHT = (0xD8, 0xDE, 0xE9)
LOCK_BOX = (0x2E, 0x34, 0x40)
LOCK_ACCENT = (0x88, 0xC0, 0xD0)
LOCK_RED = (0xBF, 0x61, 0x6A)
KEY_Q, KEY_W, KEY_E, KEY_R, KEY_A, KEY_Z, KEY_HOME = 16, 17, 18, 19, 30, 44, 102

# The picture: the whole framebuffer in BASE, its top-left quarter in MARK (so a
# mirrored, shifted or cropped picture fails too).
BASE = (0xE0, 0x50, 0x10)
MARK = (0x10, 0x60, 0xD0)

FB_INIT_C = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/fb.h>
#include <linux/input.h>
#include <linux/kd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const modules[] = { @MODULES@NULL };

/* The framebuffer, and a copy of the picture drawn at start. */
static int fb_fd = -1;
static struct fb_var_screeninfo fb_v;
static struct fb_fix_screeninfo fb_f;
static uint8_t *picture;
static size_t picture_len;

static void say(const char *line) {
        if (write(1, line, strlen(line)) < 0)
                return;
}

static void fail(const char *what) {
        char line[256];

        snprintf(line, sizeof(line), "cairn-fbguest: FAILED: %s (errno %d)\n", what, errno);
        say(line);
        for (;;)
                pause();
}

static uint32_t pixel(const struct fb_var_screeninfo *v, unsigned r, unsigned g, unsigned b) {
        return (uint32_t) (r >> (8 - v->red.length)) << v->red.offset |
               (uint32_t) (g >> (8 - v->green.length)) << v->green.offset |
               (uint32_t) (b >> (8 - v->blue.length)) << v->blue.offset;
}

/* Fills a framebuffer image (fb_v, fb_f's geometry): top_left over the top-left
 * quadrant, rest everywhere else. */
static void fill(uint8_t *dst, uint32_t top_left, uint32_t rest) {
        for (unsigned y = 0; y < fb_v.yres; y++) {
                uint32_t *row = (uint32_t *) (dst + (size_t) y * fb_f.line_length);

                for (unsigned x = 0; x < fb_v.xres; x++)
                        row[x] = x < fb_v.xres / 2 && y < fb_v.yres / 2 ? top_left : rest;
        }
}

/* F10 starts and stops a loop of whole-screen frames, solid MARK and BASE in
 * turn, each written with write(): xen-fbfront sends the back end an update of
 * the whole screen for each (tests/bench/bench-console's frames per second).
 * Every 2 s it prints how many it wrote. */
static void frame_loop(void) {
        uint8_t *buf[2];
        struct timespec t0, t;
        unsigned long frames = 0;
        long next = 2000;
        char line[128];

        for (int i = 0; i < 2; i++) {
                uint32_t colour = i == 0 ? pixel(&fb_v, @MARK@) : pixel(&fb_v, @BASE@);

                buf[i] = malloc(picture_len);
                if (!buf[i])
                        fail("malloc");
                fill(buf[i], colour, colour);
        }
        say("cairn-fbguest: frame loop started\n");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                long ms;

                if (pwrite(fb_fd, buf[frames & 1], picture_len, 0) != (ssize_t) picture_len)
                        fail("write /dev/fb0");
                frames++;
                clock_gettime(CLOCK_MONOTONIC, &t);
                ms = (long) (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
                if (ms >= next) {
                        snprintf(line, sizeof(line), "cairn-fbguest: frames %lu in %ld ms\n", frames, ms);
                        say(line);
                        next += 2000;
                }
        }
}

static void toggle_frame_loop(void) {
        static pid_t child = 0;

        if (child > 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                child = 0;
                /* The picture back, as one whole-screen update. */
                if (pwrite(fb_fd, picture, picture_len, 0) != (ssize_t) picture_len)
                        fail("write /dev/fb0");
                say("cairn-fbguest: frame loop stopped, picture back\n");
                return;
        }
        child = fork();
        if (child == 0) {
                frame_loop();
                _exit(1);
        }
        if (child < 0)
                fail("fork");
}

/* Print every key event of every input device (the PV keyboard and pointer appear
 * once kbdfront connects: look for new ones every 2 s). */
static void watch_input(void) {
        struct pollfd pfd[8];
        bool open_dev[8] = { false };
        size_t n = 0;
        char path[32], line[96];

        for (;;) {
                for (int i = 0; i < 8 && n < 8; i++) {
                        int e;

                        if (open_dev[i])
                                continue;
                        snprintf(path, sizeof(path), "/dev/input/event%d", i);
                        e = open(path, O_RDONLY | O_CLOEXEC);
                        if (e < 0)
                                continue;
                        open_dev[i] = true;
                        pfd[n++] = (struct pollfd) { .fd = e, .events = POLLIN };
                        snprintf(line, sizeof(line), "cairn-fbguest: input %s\n", path);
                        say(line);
                }
                if (poll(pfd, n, 2000) <= 0)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        struct input_event ev;

                        if (!(pfd[i].revents & POLLIN) || read(pfd[i].fd, &ev, sizeof(ev)) != sizeof(ev))
                                continue;
                        if (ev.type != EV_KEY)
                                continue;
                        snprintf(line, sizeof(line), "cairn-fbguest: key %u %d\n", ev.code, ev.value);
                        say(line);
                        if (ev.code == KEY_F10 && ev.value == 1)
                                toggle_frame_loop();
                }
        }
}

int main(int argc, char *argv[]) {
        const char *base = strrchr(argv[0], '/');
        struct fb_var_screeninfo v;
        struct fb_fix_screeninfo f;
        char line[128];
        uint8_t *fb;
        int fd = -1, tty;

        signal(SIGCHLD, SIG_DFL);

        base = base ? base + 1 : argv[0];
        if (strcmp(base, "poweroff") == 0) {
                sync();
                reboot(RB_POWER_OFF);
                return 1;
        }
        if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY)
                fail("mount devtmpfs");
        for (size_t i = 0; modules[i]; i++) {
                int m = open(modules[i], O_RDONLY | O_CLOEXEC);

                if (m < 0 || (syscall(SYS_finit_module, m, "", 0) < 0 && errno != EEXIST))
                        fail(modules[i]);
                close(m);
        }
        say("cairn-fbguest: modules loaded\n");
        for (int i = 0; i < 600 && fd < 0; i++) {
                fd = open("/dev/fb0", O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        usleep(100000);
        }
        if (fd < 0)
                fail("no /dev/fb0 after 60 s");
        /* Keep the framebuffer console off our picture. */
        tty = open("/dev/tty1", O_RDWR | O_CLOEXEC);
        if (tty >= 0)
                (void) ioctl(tty, KDSETMODE, KD_GRAPHICS);
        if (ioctl(fd, FBIOGET_VSCREENINFO, &v) < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &f) < 0)
                fail("FBIOGET_*SCREENINFO");
        if (v.bits_per_pixel != 32)
                fail("not 32 bits per pixel");
        fb = mmap(NULL, f.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (fb == MAP_FAILED)
                fail("mmap /dev/fb0");
        fb_fd = fd;
        fb_v = v;
        fb_f = f;
        picture_len = (size_t) f.line_length * v.yres;
        picture = malloc(picture_len);
        if (!picture || picture_len > f.smem_len)
                fail("keep a copy of the picture");
        fill(fb, pixel(&v, @MARK@), pixel(&v, @BASE@));
        /* Written through the mapping: fbfront's deferred I/O sends the update. */
        (void) msync(fb, f.smem_len, MS_SYNC);
        memcpy(picture, fb, picture_len);
        snprintf(line, sizeof(line), "cairn-fbguest: fb0 %ux%u %ubpp filled\n", v.xres, v.yres,
                 v.bits_per_pixel);
        say(line);
        watch_input();
}
"""

VM_DEF = f"""name={GUEST}
type=pv
memory=128
vcpus=1
kernel=/run/fbtest/vmlinuz
ramdisk=/run/fbtest/initrd.cpio
cmdline=console=hvc0
vfb=yes
vkb=yes
"""
VM_DEF2 = VM_DEF.replace(f"name={GUEST}", f"name={GUEST2}").replace("initrd.cpio", "initrd2.cpio")


def module_chain(base, names):
    """(kver, [relative .ko paths]) for those of names that are modules, with their
    dependencies, in load order, from the dom0 base's modules.dep (Debian's 6.1 has
    both front ends built in: then there is nothing to load)."""
    kvers = sorted(p.name for p in (Path(base) / "usr/lib/modules").iterdir() if (p / "modules.dep").exists())
    check(kvers, f"no modules.dep under {base}/usr/lib/modules")
    kver = kvers[-1]
    kdir = Path(base) / "usr/lib/modules" / kver

    def name(path):
        return os.path.basename(path).split(".ko")[0].replace("_", "-")

    builtin = {name(p) for p in (kdir / "modules.builtin").read_text().split()}
    deps = {}
    for line in (kdir / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
    byname = {name(m): m for m in deps}
    order = []

    def add(mod):
        if mod in order:
            return
        for d in reversed(deps[mod]):
            add(d)
        order.append(mod)

    for n in names:
        if n in builtin:
            print(f"guest: {n} is built into {kver}")
            continue
        check(n in byname, f"{n} is neither a module nor built in ({base}, {kver})")
        add(byname[n])
    return kver, order


def build_fb_guest(t):
    """out/tests/NAME/fbtest.tar: dom0's kernel and a ramdisk whose /init fills fb0."""
    base = (t.images / "dom0.base").read_text().strip()
    kver, mods = module_chain(base, ["xen-fbfront", "xen-kbdfront", "evdev"])
    for m in mods:
        check(m.endswith(".ko"), f"compressed module {m}: the guest /init loads plain .ko files only")
    extra = [(f"m{i:02d}.ko", (Path(base) / "usr/lib/modules" / kver / m).read_bytes()) for i, m in enumerate(mods)]

    def src(mark, base):
        return (FB_INIT_C.replace("@MODULES@", "".join(f'"/m{i:02d}.ko", ' for i in range(len(mods))))
                .replace("@MARK@", "%d, %d, %d" % mark).replace("@BASE@", "%d, %d, %d" % base))

    print("guest modules to load: " + (" ".join(os.path.basename(m) for m in mods) or "none"))
    tar = guest_archive(t, GUEST, src(MARK, BASE), extra)
    # The second guest's ramdisk (colours swapped) goes in the same archive.
    guest_archive(t, GUEST2, src(BASE, MARK), extra)
    with tarfile.open(tar, "a", format=tarfile.USTAR_FORMAT) as tf:
        tf.add(t.outdir / GUEST2 / "initrd.cpio", arcname="initrd2.cpio")
    return tar


def read_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG (QEMU's screendump)."""
    data = Path(path).read_bytes()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    check(depth == 8 and ctype in (2, 6) and interlace == 0, f"{path}: unsupported PNG {hdr}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        prev = line
    return w, h, rows


def near(px, want, tol=12):
    return all(abs(a - b) <= tol for a, b in zip(px, want))


def share(rows, x0, y0, x1, y1, want, step=4):
    """The share of sampled pixels in [x0,x1)x[y0,y1) that are close to want."""
    hit = total = 0
    for y in range(y0, y1, step):
        row = rows[y]
        for x in range(x0, x1, step):
            total += 1
            hit += near(row[3 * x:3 * x + 3], want)
    return hit / max(total, 1)


def shown_area(w, h, fb_w, fb_h):
    """Where consoled shows a domain's fb_w x fb_h framebuffer on a w x h screen
    (scaled to fit, centred): (x0, y0, width, height)."""
    scale = min(w / fb_w, h / fb_h)
    dw, dh = int(fb_w * scale), int(fb_h * scale)
    return (w - dw) // 2, (h - dh) // 2, dw, dh


def guest_area(path, fb_w, fb_h):
    """The rectangles of the screen (path) where consoled shows a fb_w x fb_h guest,
    scaled and centred, less a margin: (rows, top-left quadrant, right half,
    bottom-left quadrant), each as x0, y0, x1, y1."""
    w, h, rows = read_png(path)
    x0, y0, dw, dh = shown_area(w, h, fb_w, fb_h)
    m = 8  # stay clear of the scaled edges
    return (rows, (x0 + m, y0 + m, x0 + dw // 2 - m, y0 + dh // 2 - m),
            (x0 + dw // 2 + m, y0 + m, x0 + dw - m, y0 + dh - m),
            (x0 + m, y0 + dh // 2 + m, x0 + dw // 2 - m, y0 + dh - m))


def check_screen(path, fb_w, fb_h, mark_rgb=MARK, base_rgb=BASE):
    """The guest's picture, scaled and centred (letterboxed) as consoled shows it."""
    rows, top_left, right, below = guest_area(path, fb_w, fb_h)
    mark = share(rows, *top_left, mark_rgb)
    base_right = share(rows, *right, base_rgb)
    base_below = share(rows, *below, base_rgb)
    print(f"screen {len(rows[0]) // 3}x{len(rows)}, guest {fb_w}x{fb_h}, its top-left quadrant at {top_left}: "
          f"mark {mark:.3f}, base right {base_right:.3f}, base below {base_below:.3f}")
    check(mark >= 0.98 and base_right >= 0.98 and base_below >= 0.98,
          f"the screen ({path}) does not show the guest's picture: share of the expected colour "
          f"top-left {mark:.3f}, right half {base_right:.3f}, bottom-left {base_below:.3f} (want >= 0.98)")
    return len(rows[0]) // 3, len(rows)


# The frame loop's count line in the guest's console: frames written, milliseconds.
FRAMES_WRITTEN = r"cairn-fbguest: frames (\d+) in (\d+) ms"


def frame_stats(m, reset=False):
    """consoled's FrameStats as a dict (reset: start the figures again after this)."""
    out = console_call(m, "FrameStats", "b", "true" if reset else "false").split()
    check(out and out[0] == "tttttt", f"FrameStats answered {out}")
    return dict(zip(("elapsed_usec", "events", "presents", "full", "pixels", "busy_usec"), map(int, out[1:7])))


def wait_frames(m, name, fb_w, fb_h, timeout=120, interval=2):
    """Screendumps until the screen shows a frame of the guest's frame loop (solid
    MARK or BASE) rather than its picture (MARK top-left, BASE elsewhere): BASE over
    most of the top-left quadrant, or MARK over most of the right half.  consoled
    writes the one scanned-out buffer while it is shown, so a screendump taken
    during a copy holds parts of two frames; either part is enough."""
    deadline = time.monotonic() + timeout
    while True:
        shot = m.screendump(name)
        rows, top_left, right, _ = guest_area(shot, fb_w, fb_h)
        base_top_left, mark_right = share(rows, *top_left, BASE), share(rows, *right, MARK)
        print(f"{shot}: BASE over the top-left quadrant {base_top_left:.3f}, MARK over the right half "
              f"{mark_right:.3f}")
        if base_top_left >= 0.5 or mark_right >= 0.5:
            return shot
        check(time.monotonic() < deadline, f"no frame of the guest's frame loop on the screen within {timeout} s "
                                           f"(last: {shot})")
        time.sleep(interval)


def wait_picture(m, name, fb_w, fb_h, mark_rgb=MARK, base_rgb=BASE, timeout=90, interval=3):
    """Screendumps (saved as name) until the screen shows a guest's picture; returns
    the path.  dom0 draws in software under TCG: a new picture may take a while."""
    deadline = time.monotonic() + timeout
    while True:
        shot = m.screendump(name)
        try:
            check_screen(shot, fb_w, fb_h, mark_rgb, base_rgb)
            return shot
        except TestFailure:
            if time.monotonic() > deadline:
                raise
        time.sleep(interval)


def boot_console(m):
    """Wait for dom0, then start cairn-consoled (not started at boot yet) with this
    test's lock passphrase; it must have the screen (bochs DRM under -vga std)."""
    idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"],
                                timeout=BOOT_TIMEOUT)
    check(idx == 0, f"dom0 did not come up: {match.group(0)}")
    m.shell("dmesg -n 1")
    m.shell("mkdir -p /run/fbtest /run/systemd/system/cairn-consoled.service.d && "
            f"printf '%s\\n' '{LOCK_HASH}' > /run/fbtest/lock.hash && chmod 600 /run/fbtest/lock.hash && "
            "printf '%s\\n' '[Service]' 'ExecStart=' "
            "'ExecStart=/usr/sbin/cairn-consoled --passphrase-file /run/fbtest/lock.hash' "
            "> /run/systemd/system/cairn-consoled.service.d/test.conf && systemctl daemon-reload")
    m.shell("systemctl start --no-block cairn-consoled", check=False)
    for _ in range(60):
        state = m.shell("systemctl is-active cairn-consoled", check=False)[1].strip()
        if state != "activating":
            break
        time.sleep(2)
    log = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | tail -20", check=False)[1]
    print("cairn-consoled journal:\n" + log)
    check(state == "active", f"cairn-consoled is {state}:\n{log}")
    drm = m.shell("ls /dev/dri; lsmod | grep -E '^bochs' || true", check=False)[1]
    check("card0" in drm and "bochs" in drm, f"no bochs DRM device in dom0:\n{drm}")
    check(re.search(r"Display drm: \d+x\d+", log), f"consoled has no display:\n{log}")
    m.mark("consoled has the display")


def install_guests(m):
    """The framebuffer guests and their definitions (vfb=yes, vkb=yes) from the extra
    disk; cairn-vmd reads the test's directory, xenconsoled logs guest consoles."""
    disk = m.shell("for d in /dev/sd?; do tar -tf $d 2>/dev/null | grep -q initrd.cpio && echo $d; done").strip()
    check(disk.startswith("/dev/sd"), f"no disk holds the guest archive: {disk!r}")
    m.shell(f"mkdir -p /run/fbtest/vms && tar -xf {disk} -C /run/fbtest")
    lines = " ".join(f"'{line}'" for line in VM_DEF.strip().splitlines())
    lines2 = " ".join(f"'{line}'" for line in VM_DEF2.strip().splitlines())
    m.shell(f"printf '%s\\n' {lines} > /run/fbtest/vms/{GUEST}.vm && "
            f"printf '%s\\n' {lines2} > /run/fbtest/vms/{GUEST2}.vm && cairn-vmd -n --vm-dir /run/fbtest/vms")
    # Guest consoles logged to files; vmd reads the test directory.
    m.shell("mkdir -p /run/systemd/system/xenconsoled.service.d /run/systemd/system/cairn-vmd.service.d "
            "&& printf '%s\\n' '[Service]' 'ExecStart=' 'ExecStart=/usr/lib/xen-4.17/bin/xenconsoled "
            "--pid-file=/run/xenconsoled.pid --log=guest' > /run/systemd/system/xenconsoled.service.d/test.conf "
            "&& printf '%s\\n' '[Service]' 'ExecStart=' 'ExecStart=/usr/sbin/cairn-vmd --vm-dir /run/fbtest/vms' "
            "> /run/systemd/system/cairn-vmd.service.d/test.conf && systemctl daemon-reload "
            "&& systemctl restart xenconsoled && systemctl restart cairn-vmd", timeout=240)


CONSOLE_BUS = "org.cairn.Console1 /org/cairn/Console1 org.cairn.Console1"


def console_call(m, member, *args):
    """busctl call of org.cairn.Console1.MEMBER with busctl-style arguments."""
    return m.shell(f"busctl call {CONSOLE_BUS} {member} {' '.join(args)}".rstrip())


def console_prop(m, name):
    """A property of org.cairn.Console1 as busctl prints it, e.g. 'b true'."""
    return m.shell(f"busctl get-property {CONSOLE_BUS} {name}").strip()


def wait_prop(m, name, want, timeout, why):
    """Poll a property of org.cairn.Console1 until it reads `want`."""
    deadline = time.monotonic() + timeout
    while True:
        got = console_prop(m, name)
        if got == want:
            return
        check(time.monotonic() < deadline,
              f"{why}: {name} is {got}" + (f" (waited {timeout} s)" if timeout else ""))
        time.sleep(2)


def start_guest(m, name):
    """cairnctl start name; wait until its /init filled fb0 and opened its input devices."""
    m.shell(f"cairnctl start {name}")
    started = m.wait_for(rf"cairn: {name} (running|failed[^\n]*)", timeout=240)
    check(started.group(1) == "running", f"{name} did not start: {started.group(0)}")
    deadline = time.monotonic() + 180
    while True:
        text = m.shell(f"cat /var/log/xen/console/guest-{name}.log", check=False)[1]
        if "fb0" in text and "filled" in text and "input /dev/input/event" in text:
            return text
        check(time.monotonic() < deadline and "FAILED" not in text,
              f"{name} did not fill its framebuffer and open its input:\n{text}")
        time.sleep(2)


def e2e_console_guest_and_lock(t):
    """cairn-consoled on Xen: a PV guest's vfb/vkbd served by dom0 without QEMU, its picture on
    screen, keys to it; dom0's lock screen: wrong passphrase refused, right one unlocks."""
    if not t.test_iso.exists():
        raise Skip("no test ISO; run ./build.sh images")
    tar = build_fb_guest(t)

    with Machine(t.outdir, iso=t.test_iso, firmware="ovmf", boot="cd", tpm=False, smp=1,
                 memory=2048, disks=[str(tar)], name="console") as m:
        boot_console(m)
        install_guests(m)

        t0 = time.monotonic()
        m.shell(f"cairnctl start {GUEST}")
        started = m.wait_for(rf"cairn: {GUEST} (running|failed[^\n]*)", timeout=240)
        if started.group(1) != "running":
            log = m.shell("journalctl -b -u cairn-vmd --no-pager -o cat | tail -30", check=False)[1]
            raise TestFailure(f"{GUEST} did not start: {started.group(0)}\n{log}")
        domid = int(m.shell(f"xl domid {GUEST}").strip())
        m.mark(f"{GUEST} running as {domid}")
        vmdlog = m.shell(f"journalctl -b -u cairn-vmd --no-pager -o cat | grep -E '{GUEST}' | tail -8", check=False)[1]
        print("cairn-vmd journal:\n" + vmdlog)

        # Both back ends Connected (4), served by dom0 without a device model.
        paths = {"vfb": f"/local/domain/0/backend/vfb/{domid}/0/state",
                 "vkbd": f"/local/domain/0/backend/vinput/{domid}/0/state"}
        states, took = {}, {}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(took) < 2:
            for kind, p in paths.items():
                if kind not in took:
                    states[kind] = m.shell(f"xenstore-read {p} 2>&1", check=False)[1].strip()
                    if states[kind] == "4":
                        took[kind] = time.monotonic() - t0
            time.sleep(1)
        guestlog = m.shell(f"cat /var/log/xen/console/guest-{GUEST}.log 2>&1", check=False)[1]
        print("guest console:\n" + guestlog)
        # Problems here are collected: the screen is checked all the same.
        problems = []
        if len(took) < 2:
            tree = m.shell(f"xenstore-ls -f /local/domain/0/backend | grep '/{domid}/' | head -60", check=False)[1]
            problems.append(f"back ends not Connected after 180 s: {states}\n{tree}")
        print("Connected after cairnctl start: " + ", ".join(f"{k} {v:.1f}s" for k, v in took.items()))
        # libxl puts a linux-type vkb under backend/vinput (no backend-type node there,
        # seen on 4.17.7); backend/vkbd would be a QEMU keyboard.
        rc, qkbd = m.shell(f"xenstore-ls /local/domain/0/backend/vkbd/{domid} 2>&1", check=False)
        if rc == 0:
            problems.append(f"the guest has a QEMU-type keyboard under backend/vkbd:\n{qkbd}")
        qemu = m.shell("pgrep -a qemu || true", check=False)[1].strip()
        if qemu:
            problems.append(f"a QEMU process runs in dom0:\n{qemu}")
        dm = m.shell(f"xenstore-ls /local/domain/0/device-model/{domid} 2>&1 || true", check=False)[1]
        m.mark("back ends connected")

        # The guest filled its framebuffer and said so.
        filled = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            guestlog = m.shell(f"cat /var/log/xen/console/guest-{GUEST}.log", check=False)[1]
            filled = re.search(r"cairn-fbguest: fb0 (\d+)x(\d+) 32bpp filled", guestlog)
            if filled or "FAILED" in guestlog:
                break
            time.sleep(2)
        check(filled, f"the guest did not fill its framebuffer:\n{guestlog}")
        fb_w, fb_h = int(filled.group(1)), int(filled.group(2))
        m.mark("guest filled fb0")

        listed = console_call(m, "ListSurfaces")
        print("ListSurfaces: " + listed.strip())
        if not re.search(rf'"{GUEST}" {domid} {fb_w} {fb_h} 1', listed):
            problems.append(f"ListSurfaces does not show {GUEST} connected at {fb_w}x{fb_h}: {listed}")
        before = m.screendump("console-before-focus.png")
        console_call(m, "Focus", "s", GUEST)
        wait_prop(m, "Focused", f's "{GUEST}"', 0, "after Focus")
        # dom0 draws in software under TCG: the first frame may take a while.
        # Screendumps until the picture is there (or 120 s went by).
        log = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | tail -15", check=False)[1]
        print("cairn-consoled journal:\n" + log)
        t_focus = time.monotonic()
        try:
            shot = wait_picture(m, "console-guest.png", fb_w, fb_h, timeout=120, interval=5)
        except TestFailure as e:
            log = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | tail -15", check=False)[1]
            raise TestFailure(f"{e}\ncairn-consoled journal:\n{log}")
        shown = time.monotonic() - t_focus
        m.mark("guest picture on screen")
        print(f"screendumps: {before} {shot}; the picture was on screen {shown:.1f}s after Focus returned")
        # Before the focus, the screen was not the guest's: the check above can fail.
        try:
            check_screen(before, fb_w, fb_h)
            raise TestFailure("the screen showed the guest's picture before Focus")
        except TestFailure as e:
            if "before Focus" in str(e):
                raise
        (t.outdir / "console-connect.txt").write_text(
            "".join(f"{k} {v:.1f}\n" for k, v in took.items()) + f"shown {shown:.1f}\ndevice-model: {dm.strip()}\n")
        log = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | tail -15", check=False)[1]
        print("cairn-consoled journal:\n" + log)
        check(not problems, "\n".join(problems))

        def guest_keys(name=GUEST):
            text = m.shell(f"cat /var/log/xen/console/guest-{name}.log", check=False)[1]
            return [(int(c), int(v)) for c, v in re.findall(r"cairn-fbguest: key (\d+) (-?\d+)", text)], text

        # A key typed on the machine's keyboard reaches the focused guest.
        m.send_text("q")
        deadline = time.monotonic() + 60
        while True:
            keys, text = guest_keys()
            if (KEY_Q, 1) in keys and (KEY_Q, 0) in keys:
                break
            check(time.monotonic() < deadline, f"the focused guest did not get the key q (code {KEY_Q}) in 60 s; "
                  f"its console:\n{text[-1500:]}")
            time.sleep(2)
        m.mark("key reached the guest")

        # What the shown guest draws reaches the screen while it is shown (consoled
        # asks the frontend for update events): F10 starts the guest's loop of
        # whole-screen frames, solid in its two colours in turn.
        frame_stats(m, reset=True)
        m.send_key("f10")
        shot = wait_frames(m, "console-frames.png", fb_w, fb_h)
        time.sleep(10)
        stats = frame_stats(m)
        m.send_key("f10")  # stops the loop; the guest writes its picture back
        wait_picture(m, "console-picture-back.png", fb_w, fb_h, timeout=120)
        guestlog = guest_keys()[1]
        written = re.findall(FRAMES_WRITTEN, guestlog)
        print(f"frames: screen {shot}; FrameStats {stats}; the guest's last count {written[-1:]}")
        check(stats["full"] > 0, f"consoled presented no whole-screen update from the guest's frames: {stats}")
        keys_before_lock = len(guest_keys()[0])
        m.mark("guest frames shown")

        # Lock: dom0's lock screen, drawn by consoled.
        console_call(m, "Lock")
        wait_prop(m, "Locked", "b true", 0, "after Lock")

        def lock_screen(name, dots, red):
            """Screendumps until the lock screen shows `dots` dots (and the red bar when red)."""
            deadline = time.monotonic() + 90
            while True:
                shot = m.screendump(name)
                w, h, rows = read_png(shot)
                cx, cy = w // 2, h // 2
                box_w = min(w - 40, 480)
                bx, by = cx - box_w // 2, cy - 40
                found = {
                    "padlock": share(rows, cx - 26, cy - 166, cx + 26, cy - 124, LOCK_LIGHT, step=2),
                    "prompt box": share(rows, bx + 20 + 20 * 20, by + 10, bx + box_w - 10, by + 30, LOCK_BOX, step=2),
                    "no guest picture": 1.0 - share(rows, 0, 0, w, h, BASE, step=8),
                }
                for i in range(dots + 1):
                    x = bx + 20 + i * 20
                    found[f"dot {i + 1}" if i < dots else f"no dot {i + 1}"] = (
                        share(rows, x + 2, cy - 4, x + 10, cy + 4, LOCK_ACCENT, step=1) if i < dots else
                        1.0 - share(rows, x + 2, cy - 4, x + 10, cy + 4, LOCK_ACCENT, step=1))
                bar = share(rows, bx + 4, by + 80 + 17, bx + box_w - 4, by + 80 + 23, LOCK_RED, step=2)
                found["red bar" if red else "no red bar"] = bar if red else 1.0 - bar
                bad = {k: round(v, 3) for k, v in found.items() if v < 0.9}
                if not bad:
                    print(f"{shot}: lock screen with {dots} dots{', red bar' if red else ''}")
                    return shot
                if time.monotonic() > deadline:
                    raise TestFailure(f"the lock screen ({shot}) is not as expected after 90 s: {bad}")
                time.sleep(3)

        lock_screen("lock-empty.png", 0, False)
        m.mark("lock screen")
        # Keys typed while locked go to dom0's prompt: one dot each.
        m.send_text("zzz")
        lock_screen("lock-3-dots.png", 3, False)
        m.send_text("\n")
        lock_screen("lock-wrong.png", 0, True)
        wrong = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | grep -c 'Wrong passphrase' || true").strip()
        check(wrong.splitlines()[-1] != "0", "consoled did not log the wrong passphrase")
        wait_prop(m, "Locked", "b true", 0, "a wrong passphrase unlocked the console")
        m.mark("wrong passphrase refused")

        m.send_text(LOCK_PASSPHRASE + "\n")
        wait_prop(m, "Locked", "b false", 90, "the right passphrase did not unlock")
        m.mark("unlocked")
        try:
            wait_picture(m, "unlocked.png", fb_w, fb_h)
        except TestFailure as e:
            raise TestFailure(f"after unlocking, the guest's picture is not back: {e}")
        time.sleep(5)
        keys, text = guest_keys()
        leaked = keys[keys_before_lock:]
        check(not leaked, f"keys typed while the console was locked reached the guest: {leaked}\n{text[-1500:]}")
        print(f"the guest got {keys_before_lock} key events before the lock and none from the lock screen")

        # A second framebuffer guest: switching shows its picture, and keys go only
        # to the guest that has the focus.
        start_guest(m, GUEST2)
        m.mark(f"{GUEST2} filled fb0")

        def focus(name):
            console_call(m, "Focus", "s", name)

        def typed(ch, code, to, not_to):
            """Type ch; it must reach guest `to` (None: no guest) and none of `not_to`."""
            before = {g: len(guest_keys(g)[0]) for g in [GUEST, GUEST2]}
            m.send_text(ch)
            deadline = time.monotonic() + 60
            while to:
                keys, text = guest_keys(to)
                if (code, 1) in keys[before[to]:] and (code, 0) in keys[before[to]:]:
                    break
                check(time.monotonic() < deadline, f"{to} did not get the key {ch!r} in 60 s:\n{text[-800:]}")
                time.sleep(2)
            if not to:
                time.sleep(10)
            for g in not_to:
                keys, text = guest_keys(g)
                got = [k for k in keys[before[g]:] if k[0] == code]
                check(not got, f"the key {ch!r} reached {g}, which does not have the focus: {got}")

        focus(GUEST2)
        wait_picture(m, "switched-to-fbtest2.png", fb_w, fb_h, BASE, MARK)
        typed("w", KEY_W, GUEST2, [GUEST])
        m.mark(f"switched to {GUEST2}, key only there")
        focus(GUEST)
        wait_picture(m, "switched-back.png", fb_w, fb_h)
        typed("e", KEY_E, GUEST, [GUEST2])
        m.mark(f"switched back to {GUEST}, key only there")

        # The secure attention key: the focus goes to the UIVM (none runs here, so
        # to no VM); no guest gets the key or what is typed after it.
        before = {g: len(guest_keys(g)[0]) for g in [GUEST, GUEST2]}
        m.send_key("ctrl-alt-home")
        wait_prop(m, "Focused", 's ""', 60, "after the secure attention key")
        for g in [GUEST, GUEST2]:
            keys = guest_keys(g)[0]
            home = [k for k in keys[before[g]:] if k[0] == KEY_HOME]
            check(not home, f"the secure attention key reached {g}: {keys[before[g]:]}")
        typed("r", KEY_R, None, [GUEST, GUEST2])
        m.mark("secure attention key")

        # dom0 carried both guests without a crash in any of its processes.
        crashes = m.crashes()
        check(not crashes, "processes crashed in dom0 while it served the guests:\n" + "\n".join(crashes))


# cairn-ui's palette (uivm/cairn-ui/palette.h, read from there so that the test and
# the UI cannot drift apart).
def ui_palette():
    text = (Path(__file__).resolve().parents[2] / "uivm/cairn-ui/palette.h").read_text()
    pal = {name: (int(r, 16), int(g, 16), int(b, 16)) for name, r, g, b in re.findall(
        r"#define PAL_(\w+)\s+\(\(pal_colour\) \{ 0x(\w\w), 0x(\w\w), 0x(\w\w) \}\)", text)}
    check({"BACKGROUND", "SURFACE", "SURFACE_HI", "GOOD"} <= set(pal), f"palette.h: {sorted(pal)}")
    return pal


def card_runs(row, x0, dw, card):
    """The runs of a card colour in one screen row between x0 and x0 + dw: (start, end) pairs."""
    runs, start = [], None
    for x in range(x0, x0 + dw + 1):
        inside = x < x0 + dw and any(near(row[3 * x:3 * x + 3], c, tol=6) for c in card)
        if inside and start is None:
            start = x
        elif not inside and start is not None:
            runs.append((start, x))
            start = None
    return runs


def ui_screen(path, fb_w, fb_h):
    """What cairn-ui shows in a screendump where consoled shows the UIVM's fb_w x fb_h
    framebuffer: a dict with 'background' (share of the UI's background colour),
    'cards' (the most runs of card colour at least a fifth of the screen wide in one
    row below the header), 'widest' (the widest such run, as a share of the width),
    'buttons' (the most runs of card colour a tenth to a fifth of the width in one
    row), 'running' (pixels of the running-state green below the header) and 'kind':
    'home' when a row holds two or more such cards and none is wider than half the
    screen (the tiles, side by side), 'detail' when a card is wider than half the
    screen (the VM's facts) and a row holds three buttons (Start, Stop, Switch to),
    'network' when a card spans the whole content width (more than 85 % of the
    screen: a card per interface, or the card saying what is wrong; the detail and
    about cards are narrower) and no row holds three buttons, else None."""
    pal = ui_palette()
    w, h, rows = read_png(path)
    x0, y0, dw, dh = shown_area(w, h, fb_w, fb_h)
    background = share(rows, x0, y0, x0 + dw, y0 + dh, pal["BACKGROUND"], step=8)
    card = (pal["SURFACE"], pal["SURFACE_HI"])
    body = y0 + dh // 8  # below the header (tabs, link state with its green dot)
    wide_cards, buttons, widest, running = 0, 0, 0.0, 0
    for y in range(body, y0 + dh, 2):
        row = rows[y]
        runs = [(end - start) / dw for start, end in card_runs(row, x0, dw, card) if end - start >= dw // 20]
        running += sum(near(row[3 * x:3 * x + 3], pal["GOOD"], tol=20) for x in range(x0, x0 + dw, 2))
        wide_cards = max(wide_cards, len([r for r in runs if r >= 0.2]))
        buttons = max(buttons, len([r for r in runs if 0.1 <= r < 0.2]))
        widest = max([widest] + runs)
    kind = None
    if widest > 0.5 and buttons >= 3:
        kind = "detail"
    elif widest > 0.85 and buttons < 3:
        kind = "network"
    elif wide_cards >= 2 and widest <= 0.5:
        kind = "home"
    return {"kind": kind, "background": background, "cards": wide_cards, "buttons": buttons, "widest": widest,
            "running": running}


def tile_centres(path, fb_w, fb_h):
    """The home screen's tiles in a screendump: (screen width, screen height, the
    centres of the tiles in the first row that holds two or more side by side)."""
    pal = ui_palette()
    w, h, rows = read_png(path)
    x0, y0, dw, dh = shown_area(w, h, fb_w, fb_h)
    card = (pal["SURFACE"], pal["SURFACE_HI"])
    first, last, centres = None, None, []
    for y in range(y0 + dh // 8, y0 + dh):
        runs = [(start + end) // 2 for start, end in card_runs(rows[y], x0, dw, card)
                if 0.2 * dw <= end - start <= 0.5 * dw]
        if len(runs) >= 2:
            if first is None:
                first, centres = y, runs
            last = y
        elif first is not None and y - last > dh // 10:
            break
    check(first is not None, f"no tiles side by side in {path}")
    return w, h, [(x, (first + last) // 2) for x in centres]


def click(m, x, y, w, h):
    """A left click at screen pixel (x, y) of a w x h screen, through QEMU's USB tablet
    (absolute axes 0..32767), which dom0's libinput and consoled read like any tablet."""
    m.qmp("input-send-event", {"events": [
        {"type": "abs", "data": {"axis": "x", "value": round(x * 32767 / max(w - 1, 1))}},
        {"type": "abs", "data": {"axis": "y", "value": round(y * 32767 / max(h - 1, 1))}}]})
    time.sleep(0.5)
    for down in (True, False):
        m.qmp("input-send-event", {"events": [{"type": "btn", "data": {"down": down, "button": "left"}}]})
        time.sleep(0.2)


def wait_ui(m, name, fb_w, fb_h, kind, timeout=180, interval=3):
    """Screendumps (saved as name) until cairn-ui's screen of `kind` is shown, with
    the running green below the header: a running VM (the UIVM itself) on home and
    detail, a connected interface on network; returns the path."""
    deadline = time.monotonic() + timeout
    while True:
        shot = m.screendump(name)
        seen = ui_screen(shot, fb_w, fb_h)
        print(f"{shot}: {seen['kind']} (background {seen['background']:.2f}, cards side by side "
              f"{seen['cards']}, buttons {seen['buttons']}, widest {seen['widest']:.2f}, green {seen['running']})")
        if seen["kind"] == kind and seen["background"] >= 0.3 and seen["running"] > 0:
            return shot
        check(time.monotonic() < deadline,
              f"no {kind} screen of cairn-ui within {timeout} s (last: {shot}: {seen})")
        time.sleep(interval)


def uivm_framebuffer(t):
    """The UIVM's framebuffer size from its definition (xen_fbfront.video=MiB,W,H),
    for a boot without a shell to ask consoled."""
    vm = (t.root / "rootfs/dom0/overlay/usr/share/cairn/vms/uivm.vm").read_text()
    found = re.search(r"xen_fbfront\.video=\d+,(\d+),(\d+)", vm)
    check(found, "uivm.vm sets no xen_fbfront.video=MiB,W,H")
    return int(found.group(1)), int(found.group(2))


def uivm_surface(m, timeout=180):
    """consoled's surface of the UIVM, once its framebuffer is connected: (width, height)."""
    deadline = time.monotonic() + timeout
    while True:
        out = m.shell(f"busctl call {CONSOLE_BUS} ListSurfaces", check=False)[1]
        found = re.search(r'"uivm" \d+ (\d+) (\d+) (\d+)', out)
        if found and found.group(3) == "1":
            return int(found.group(1)), int(found.group(2))
        check(time.monotonic() < deadline, f"consoled has no connected surface of the UIVM after {timeout} s: {out}")
        time.sleep(3)


def e2e_console_uivm_home(t):
    """The UIVM on QEMU's screen, nothing asked: vmd starts it at boot after the NDVM,
    and consoled with it (requires=); cairn-ui draws its home screen into the UIVM's PV
    framebuffer and consoled shows it; keys typed on QEMU's keyboard move the focus and
    open a VM's detail screen, and so does a click of QEMU's USB tablet; the UIVM killed (xl destroy) is restarted by vmd and its
    home screen comes back, consoled still the same process."""
    if not t.test_iso.exists():
        raise Skip("no test ISO; run ./build.sh images")
    # A USB tablet beside the PS/2 keyboard and mouse: the pointer test clicks with it.
    with Machine(t.outdir, iso=t.test_iso, firmware="ovmf", boot="cd", tpm=False, smp=2,
                 memory=2048, name="ui", autostart=True,
                 extra_args=["-device", "qemu-xhci,id=tabletbus", "-device", "usb-tablet,bus=tabletbus.0"]) as m:
        idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"],
                                    timeout=BOOT_TIMEOUT)
        check(idx == 0, f"dom0 did not come up: {match.group(0)}")
        started = m.wait_for(r"cairn: uivm (running|failed[^\n]*)", timeout=400)
        check(started.group(1) == "running", f"the UIVM did not start at boot: {started.group(0)}")
        text = m.console.text()
        check(-1 < text.find("cairn: ndvm running") < text.find("cairn: uivm running"),
              "the UIVM came up before the NDVM")
        m.shell("dmesg -n 1")
        consoled = m.shell("systemctl show -p MainPID --value cairn-consoled").strip()
        log = m.shell("journalctl -b -u cairn-consoled --no-pager -o cat | tail -20", check=False)[1]
        check(consoled not in ("", "0"), f"starting the UIVM did not start consoled:\n{log}")
        check(re.search(r"Display drm: \d+x\d+", log), f"consoled has no display:\n{log}")
        fb_w, fb_h = uivm_surface(m)
        check(console_prop(m, "Focused") == 's "uivm"', f"the UIVM does not have the focus: {console_prop(m, 'Focused')}")
        m.mark(f"uivm framebuffer {fb_w}x{fb_h} connected")

        # The home screen: a tile per VM (ndvm, uivm), the UIVM's running.
        wait_ui(m, "ui-home.png", fb_w, fb_h, "home", timeout=240)
        m.mark("home screen")

        # Keys: right moves the focus to the second tile (uivm), Enter opens its
        # detail; Escape goes back home.
        m.send_key("right")
        time.sleep(2)
        m.send_key("ret")
        wait_ui(m, "ui-detail.png", fb_w, fb_h, "detail", timeout=90)
        m.mark("detail screen")
        m.send_key("esc")
        home = wait_ui(m, "ui-home-again.png", fb_w, fb_h, "home", timeout=90)

        # The pointer: a click on the first tile (the NDVM's; the focus is on the
        # second) opens its detail, no key pressed.  The click goes QEMU's tablet ->
        # dom0's libinput -> consoled -> the UIVM's PV absolute pointer -> cairn-ui.
        w, h, tiles = tile_centres(home, fb_w, fb_h)
        print(f"tiles at {tiles} on a {w}x{h} screen")
        click(m, *tiles[0], w, h)
        wait_ui(m, "ui-detail-click.png", fb_w, fb_h, "detail", timeout=90)
        m.mark("detail screen by a click")
        m.send_key("esc")
        wait_ui(m, "ui-home-after-click.png", fb_w, fb_h, "home", timeout=90)

        # Killed: its picture leaves the screen at once (not left there, focused and
        # frozen); vmd restarts the UIVM and the UI of the new domain comes back, with
        # the same consoled.
        first = m.shell("xl domid uivm").strip()
        runs = len(seen(m, r"cairn: uivm running"))
        m.shell("xl destroy uivm")
        # Blank before vmd has the new UIVM running (its framebuffer, black at
        # first, connects only once its kernel boots).
        while True:
            restarted = len(seen(m, r"cairn: uivm running")) > runs
            gone = m.screendump("ui-destroyed.png")
            shown = ui_screen(gone, fb_w, fb_h)
            print(f"{gone} after xl destroy: {shown}")
            # consoled's own backdrop: no card, no state dot, nothing of the UI.
            if shown["widest"] == 0 and shown["running"] == 0:
                break
            check(not restarted, f"the destroyed UIVM's picture stayed on the screen until the new one ran ({gone})")
            time.sleep(0.5)
        m.mark("uivm destroyed, its picture gone")
        wait_seen(m, r"cairn: uivm running", runs, 300, r"cairn: uivm failed[^\r\n]*")
        second = m.shell("xl domid uivm").strip()
        check(second != first, f"the UIVM is still domain {first}")
        m.mark(f"uivm restarted as domain {second}")
        wait_ui(m, "ui-home-restarted.png", fb_w, fb_h, "home", timeout=240)
        now = m.shell("systemctl show -p MainPID --value cairn-consoled").strip()
        check(now == consoled, f"consoled was restarted (process {consoled}, now {now})")
        m.mark("home screen after the restart")
        crashes = m.crashes()
        check(not crashes, "processes crashed in dom0:\n" + "\n".join(crashes))
