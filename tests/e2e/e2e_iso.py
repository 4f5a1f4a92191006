"""End-to-end tests of the live ISO (issue: measured live ISO).

Each test boots a real ISO in QEMU (TCG) with OVMF or SeaBIOS and swtpm, and
reads dom0's serial console.  Tests that need to look inside dom0 boot the test
variant (out/cairn-test.iso: the release build plus a root shell on hvc0, see
iso/test-variant/README.md); the checks of the product itself boot the release
ISO (out/cairn.iso).
"""
import contextlib
import re
import shutil
import subprocess
import time

from harness import Machine, TestFailure

ORDER = 10
READY = r"cairn: dom0 ready"
# Under TCG on a loaded 2-core machine a boot takes one to three minutes.
BOOT_TIMEOUT = 900


def check(cond, message):
    if not cond:
        raise TestFailure(message)


@contextlib.contextmanager
def booted(t, iso, firmware, boot, name="boot1", **kw):
    """A started machine that reached dom0 ready (or a TestFailure saying why not)."""
    with Machine(t.outdir, iso=iso, firmware=firmware, boot=boot, name=name, **kw) as m:
        idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"],
                                    timeout=BOOT_TIMEOUT)
        check(idx == 0, f"dom0 did not come up: {match.group(0)}")
        yield m


def check_toolstack(m):
    out = m.shell("xl list")
    check(re.search(r"^Domain-0\s+0\s", out, re.M), f"xl list shows no Domain-0:\n{out}")


def check_dom0_ready(t, firmware, boot):
    with booted(t, t.test_iso, firmware, boot) as m:
        check_toolstack(m)
        # The medium that was found is the one we booted from.
        medium = m.shell("cat /run/cairn/medium-found").strip()
        if boot == "usb":
            check(medium.startswith("/dev/sd"), f"USB boot used medium {medium}, not the stick")
        else:
            check(medium.startswith("/dev/sr"), f"CD boot used medium {medium}, not the CD")


def check_layout(t, m, roothash):
    """/ is overlay(verity squashfs, tmpfs), the squashfs is read-only, PCRs 8 and 9 set."""
    check_toolstack(m)
    root = m.shell("findmnt -n -o FSTYPE,OPTIONS /").strip()
    check(root.startswith("overlay "), f"/ is not an overlay: {root}")
    check("lowerdir=/run/cairn/lower" in root and "upperdir=/run/cairn/rw/upper" in root,
          f"/ overlay has unexpected layers: {root}")
    lower = m.shell("findmnt -n -o FSTYPE,SOURCE,OPTIONS /run/cairn/lower").strip()
    check(lower.startswith("squashfs /dev/mapper/cairn-dom0 ro"),
          f"lower layer is not the read-only verity squashfs: {lower}")
    upper = m.shell("findmnt -n -o FSTYPE /run/cairn/rw").strip()
    check(upper == "tmpfs", f"upper layer is {upper}, not tmpfs")
    status = m.shell("veritysetup status cairn-dom0")
    check(re.search(r"type:\s+VERITY", status), f"cairn-dom0 is not dm-verity:\n{status}")
    check(re.search(r"status:\s+verified", status), f"cairn-dom0 not verified:\n{status}")
    check(roothash in status, f"cairn-dom0 root hash is not {roothash}:\n{status}")
    # The squashfs itself cannot be written.
    rc, out = m.shell("touch /run/cairn/lower/etc/x", check=False)
    check(rc != 0 and "Read-only" in out, f"writing to the squashfs did not fail: {rc} {out}")

    cmdline = m.shell("cat /proc/cmdline").strip()
    check(f"cairn.verity={roothash}" in cmdline,
          f"dom0 command line lacks the verity root hash {roothash}: {cmdline}")

    pcrs = m.shell("tpm2_pcrread sha256:8,9")
    values = dict(re.findall(r"^\s*(\d+)\s*:\s*0x([0-9A-Fa-f]{64})", pcrs, re.M))
    for pcr in ("8", "9"):
        check(pcr in values, f"tpm2_pcrread gave no PCR {pcr}:\n{pcrs}")
        check(set(values[pcr]) != {"0"}, f"PCR {pcr} is zero after a measured boot")
    (t.outdir / "pcrs.txt").write_text(pcrs)


def e2e_iso_ovmf_cd(t):
    """OVMF, ISO as CD: dom0 ready, root is overlay(verity squashfs, tmpfs), PCRs, cmdline;
    files written in dom0 under /etc, /root and /var are gone on the next boot."""
    # One test for both: the layout is why nothing survives, and a boot under TCG
    # costs minutes.
    roothash = t.roothash()
    disk = t.outdir / "scratch.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "64M"], check=True)
    paths = ["/etc/cairn-reset-test", "/root/cairn-reset-test", "/var/lib/cairn-reset-test"]
    tpm = t.outdir / "tpm"
    vars_ = t.outdir / "OVMF_VARS.fd"
    shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars_)
    common = dict(disks=[str(disk)], tpm_state=str(tpm), ovmf_vars=str(vars_))

    with booted(t, t.test_iso, "ovmf", "cd", name="boot1", **common) as m:
        check_layout(t, m, roothash)
        for p in paths:
            m.shell(f"echo written-in-boot-1 > {p} && sync")
        for p in paths:
            check(m.shell(f"cat {p}").strip() == "written-in-boot-1", f"{p} not written")
        m.serial_write(b"systemctl poweroff\n")
        m.wait_exit(300)

    with booted(t, t.test_iso, "ovmf", "cd", name="boot2", **common) as m:
        for p in paths:
            rc, out = m.shell(f"cat {p}", check=False)
            check(rc != 0, f"{p} survived a reboot: {out.strip()}")


def e2e_iso_seabios_cd(t):
    """SeaBIOS, ISO as CD: dom0 ready, xl list works."""
    check_dom0_ready(t, "seabios", "cd")


def e2e_iso_ovmf_usb(t):
    """OVMF, ISO written raw to a USB stick (xHCI): dom0 ready."""
    check_dom0_ready(t, "ovmf", "usb")


def e2e_iso_seabios_usb(t):
    """SeaBIOS, ISO written raw to a USB stick (xHCI): dom0 ready."""
    check_dom0_ready(t, "seabios", "usb")


def iso_file_lba(iso, path):
    """(byte offset, size) of a file inside an ISO image."""
    out = subprocess.run(["xorriso", "-indev", str(iso), "-find", path, "-exec", "report_lba", "--"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"File data lba:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,", out)
    if not m:
        raise TestFailure(f"cannot find {path} in {iso}: {out}")
    return int(m.group(1)) * 2048, int(m.group(3))


def e2e_iso_tampered_image(t):
    """One byte of dom0.squashfs changed: the boot stops with a message, dom0 never comes up."""
    iso = t.outdir / "tampered.iso"
    shutil.copy(t.iso, iso)
    offset, size = iso_file_lba(iso, "/cairn/dom0.squashfs")
    target = offset + size // 2
    with open(iso, "r+b") as f:
        f.seek(target)
        b = f.read(1)
        f.seek(target)
        f.write(bytes([b[0] ^ 0xFF]))
    with Machine(t.outdir, iso=iso, firmware="ovmf", boot="cd") as m:
        idx, match = m.wait_for_any(
            [r"cairn: boot failed: [^\r\n]*\n", READY], timeout=BOOT_TIMEOUT)
        check(idx == 0, "the tampered ISO booted to dom0 ready")
        check("dom0 image" in match.group(0) and "corrupt" in match.group(0),
              f"the failure message does not say the dom0 image is corrupted: {match.group(0)}")
        m.wait_for(r"the system is halted", timeout=60)


def remaster(t, dst, edit_cfg, variant="release", edit_tree=None):
    """A copy of the release (or test) ISO whose cairn.cfg went through edit_cfg, made
    the way scripts/iso.sh makes the release (grub-mkrescue over the same tree).
    edit_tree(tree) may change files first; the tree's files are hard links into the
    build's tree, so it must replace a file, never write into it."""
    tree = t.outdir / f"tree-{dst.stem}"
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["cp", "-al", str(t.out / f"iso-{variant}"), str(tree)], check=True)
    if edit_tree:
        edit_tree(tree)
    cfg = tree / "boot" / "grub" / "cairn.cfg"
    text = cfg.read_text()
    cfg.unlink()  # a hard link into the release tree: replace, never edit in place
    edited = edit_cfg(text)
    check(edited != text, "the edit of cairn.cfg changed nothing")
    cfg.write_text(edited)
    subprocess.run(["grub-mkrescue", f"--output={dst}", str(tree), "--", "-volid", "CAIRN"],
                   check=True, capture_output=True)
    shutil.rmtree(tree, ignore_errors=True)


def e2e_iso_wrong_roothash(t):
    """A command line whose root hash does not match the image: clear message, no dom0."""
    iso = t.outdir / "wrong-hash.iso"
    bad = "0" * 64
    remaster(t, iso, lambda s: re.sub(r"cairn\.verity=[0-9a-f]+", f"cairn.verity={bad}", s))
    with Machine(t.outdir, iso=iso, firmware="seabios", boot="cd") as m:
        idx, match = m.wait_for_any([r"cairn: boot failed: [^\r\n]*\n", READY], timeout=BOOT_TIMEOUT)
        check(idx == 0, "an ISO with a wrong root hash booted to dom0 ready")
        check("dom0 image does not match the root hash" in match.group(0),
              f"unclear failure message: {match.group(0)}")


def e2e_iso_missing_medium(t):
    """The medium the command line names is not there: clear message after the wait."""
    iso = t.outdir / "no-medium.iso"
    remaster(t, iso, lambda s: s.replace("cairn.medium=CAIRN", "cairn.medium=NOSUCHMEDIUM"))
    with Machine(t.outdir, iso=iso, firmware="seabios", boot="cd") as m:
        idx, match = m.wait_for_any([r"cairn: boot failed: [^\r\n]*\n", READY], timeout=BOOT_TIMEOUT)
        check(idx == 0, "booted without its medium")
        check("boot medium not found" in match.group(0), f"unclear failure message: {match.group(0)}")


FORBIDDEN_GRUB = [
    r"Minimum Emacs-like screen editing",   # the entry editor
    r"Minimal BASH-like line editing",      # the GRUB shell
    r"grub> ",
    r"Press Ctrl-x to start",
]


def e2e_iso_grub_locked(t):
    """At the GRUB menu, 'e' and 'c' open no editor and no shell (release ISO, OVMF)."""
    with Machine(t.outdir, iso=t.iso, firmware="ovmf", boot="cd") as m:
        m.wait_for(r"will be\s+(executed|booted) automatically|Use the .* keys", timeout=300)
        before = len(m.serial_text())
        for key in ("e", "c"):
            m.send_key(key)
            # GRUB asks for a superuser name; there is no such user with a password.
            m.wait_for(r"Enter username:", timeout=60)
            m.send_key("ret")
            m.wait_for(r"Enter password:", timeout=60)
            m.send_key("ret")
            m.wait_for(r"Access denied|Username or password incorrect|Cairn", timeout=60)
        m.screendump(t.outdir / "grub-after-keys.png")
        seen = m.serial_text()[before:]
        for pat in FORBIDDEN_GRUB:
            check(not re.search(pat, seen), f"GRUB showed {pat!r} after 'e'/'c'")


def e2e_iso_release_no_shell(t):
    """The release ISO, no key pressed: dom0 ready, the NDVM and then the UIVM started
    at boot, the UIVM's home screen on QEMU's screen, the NDVM's lease on the console;
    then, by keys alone, the Network screen with the NDVM's connected uplink (read
    from cairn-netd on the NDVM's own bus through dom0's proxy); and no shell on its
    console."""
    from e2e_console import uivm_framebuffer, wait_ui
    from e2e_svm import FAILED, LEASE_TIMEOUT, NDVM_LEASE, wait_seen
    # A NIC for the NDVM (and the IOMMU that lets Xen pass it through), as in ./build.sh run.
    with booted(t, t.iso, "ovmf", "cd", autostart=True, net=True, iommu=True, memory=2560) as m:
        for vm in ("ndvm", "uivm"):
            idx, match = m.wait_for_any([rf"cairn: {vm} running", rf"cairn: {vm} failed[^\r\n]*"], timeout=400)
            check(idx == 0, f"the release ISO did not start the {vm.upper()} at boot: {match.group(0)}")
        fb_w, fb_h = uivm_framebuffer(t)
        wait_ui(m, "release-home.png", fb_w, fb_h, "home", timeout=300)
        m.mark("home screen")
        times = dict((label, at) for at, label in m.timeline)
        print(f"release ISO: dom0 ready {times['dom0 ready']:.0f} s, uivm running {times['uivm running']:.0f} s, "
              f"home screen {times['home screen']:.0f} s after QEMU started")
        lease = wait_seen(m, NDVM_LEASE, 0, LEASE_TIMEOUT, FAILED)  # any time since the boot began
        print(f"release ISO: ndvm lease {lease}")

        # The Network screen: up from the first tile reaches the tabs, Left twice
        # stops on Machines, Right is Network.  It shows a card per interface of the
        # NDVM; the uplink's has the green "Connected" dot.  The problem card ("Cannot
        # reach the network VM") and an unplugged link have an amber one.
        for key in ("up", "left", "left", "right", "ret"):
            m.send_key(key)
            time.sleep(1)
        wait_ui(m, "release-network.png", fb_w, fb_h, "network", timeout=120)
        m.mark("network screen")

        before = len(m.serial_text())
        for _ in range(3):
            m.serial_write(b"\r\n")
        m.serial_write(b"echo SHELL_$((6*7))\r\n")
        m.serial_write(b"root\r\n")
        try:
            idx, match = m.wait_for_any([r"SHELL_42", r"login:", r"# $", r"Password:"], timeout=30)
        except TestFailure:
            idx = None
        seen = m.serial_text()[before:]
        check(idx is None, f"the release console answered like a shell or login: {seen[-300:]!r}")
    # And statically: the release initramfs has no test hook, the image no open root.
    listing = subprocess.run(
        ["bash", "-c", f"cd {t.outdir} && xorriso -osirrox on -indev {t.iso} -extract "
         f"/boot/initrd.img initrd.img >/dev/null 2>&1 && "
         f"zstd -dc initrd.img | cpio -t 2>/dev/null"],
        capture_output=True, text=True).stdout
    check("cairn-test-shell" not in listing, "the release initramfs carries the test shell hook")
    shadow = subprocess.run(["unsquashfs", "-cat", str(t.images / "dom0.squashfs"), "etc/shadow"],
                            capture_output=True, text=True, check=True).stdout
    check(re.search(r"^root:[*!]", shadow, re.M), "root is not locked in the dom0 image")
