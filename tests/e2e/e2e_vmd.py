"""End-to-end test of cairn-vmd and cairnctl on real Xen (issue 4: cairn-vmd).

Boots the test ISO (root shell on hvc0), checks that cairn-vmd runs and answers
`cairnctl list --json`, then drives a tiny PV guest through cairn-vmd: start,
`xl destroy` from outside (vmd must notice and restart it), a restart of the
daemon itself (it must adopt the running domain), a reload that adds a
definition, and a clean stop that the
guest's kernel carries out (no destroy after the timeout).

The guest is dom0's own kernel (extracted from the ISO on the host) with a
ramdisk built here: a static /init that prints a line and waits, which is also
the guest's /sbin/poweroff.  Both reach dom0 on an extra raw disk holding a tar
archive, so nothing big is typed over the serial console.
"""
import json
import os
import re
import shutil
import subprocess
import tarfile
import time

from harness import Machine, Skip, TestFailure

ORDER = 40
READY = r"cairn: dom0 ready"
BOOT_TIMEOUT = 900

INIT_C = r"""
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        const char *base = strrchr(argv[0], '/');
        static const char msg[] = "cairn-test-vm: init running\n";

        base = base ? base + 1 : argv[0];
        if (strcmp(base, "poweroff") == 0) {   /* run by orderly_poweroff() */
                sync();
                reboot(RB_POWER_OFF);
                return 1;
        }
        if (write(1, msg, sizeof(msg) - 1) < 0)
                return 1;
        for (;;)
                pause();
}
"""

VM_DEF = """name=testvm
type=pv
memory=128
vcpus=1
kernel=/run/testvm/vmlinuz
ramdisk=/run/testvm/initrd.cpio
cmdline=console=hvc0 quiet
restart=on-crash
restart_max=3
shutdown_timeout=90
"""


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def cpio_newc(entries):
    """A newc cpio archive of (name, mode, data, rdev_major, rdev_minor)."""
    out = bytearray()

    def pad4():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data, major, minor) in enumerate(entries + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        namez = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(namez), 0]
        out += b"070701" + "".join(f"{v:08x}" for v in fields).encode() + namez
        pad4()
        out += data
        pad4()
    return bytes(out)


def guest_archive(t, name, init_c, extra=()):
    """out/tests/TEST/NAME.tar: a test guest for `xl create`-style starts: dom0's
    kernel (vmlinuz, from the test ISO) and initrd.cpio with /init built from init_c
    (static), /sbin/poweroff (the same program) and the (path, bytes) pairs of extra."""
    for tool in ("gcc", "xorriso"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is not installed")
    work = t.outdir / name
    work.mkdir(exist_ok=True)
    (work / "init.c").write_text(init_c)
    r = subprocess.run(["gcc", "-static", "-Os", "-s", "-o", str(work / "init"), str(work / "init.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip(f"cannot build a static guest /init here: {r.stderr.strip()[-300:]}")
    r = subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(t.test_iso),
                        "-extract", "/boot/vmlinuz", str(work / "vmlinuz")],
                       capture_output=True, text=True)
    check(r.returncode == 0 and (work / "vmlinuz").exists(),
          f"cannot extract /boot/vmlinuz from {t.test_iso}: {r.stderr[-300:]}")
    init = (work / "init").read_bytes()
    cpio = cpio_newc([
        ("dev", 0o040755, b"", 0, 0),
        ("dev/console", 0o020600, b"", 5, 1),
        ("sbin", 0o040755, b"", 0, 0),
        ("init", 0o100755, init, 0, 0),
        ("sbin/poweroff", 0o100755, init, 0, 0),
    ] + [(path, 0o100644, data, 0, 0) for path, data in extra])
    (work / "initrd.cpio").write_bytes(cpio)
    tar = t.outdir / f"{name}.tar"
    with tarfile.open(tar, "w", format=tarfile.USTAR_FORMAT) as tf:
        tf.add(work / "vmlinuz", arcname="vmlinuz")
        tf.add(work / "initrd.cpio", arcname="initrd.cpio")
    return tar


def build_guest(t):
    """out/tests/NAME/testvm.tar: the lifecycle test's guest."""
    return guest_archive(t, "testvm", INIT_C)


def seen(m, pattern):
    """Every match of pattern on the serial console since the boot began (status
    lines arrive between the shell's commands, so they are counted, not waited
    for in the shell's stream)."""
    return re.findall(pattern, m.console.text())


def wait_seen(m, pattern, count, timeout, fail=None):
    """Wait until pattern has been seen more than count times; the last match."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = seen(m, pattern)
        if len(found) > count:
            return found[-1]
        if fail and seen(m, fail):
            raise TestFailure(f"waiting for /{pattern}/: {seen(m, fail)[-1]}")
        time.sleep(1)
    raise TestFailure(f"/{pattern}/ did not appear (again) within {timeout}s")


def vm_json(m, name):
    out = m.shell(f"cairnctl --json show {name} 2>&1")
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise TestFailure(f"cairnctl --json show {name} printed no JSON:\n{out}")


def wait_vm(m, name, want, timeout=180, not_domid=None):
    deadline = time.monotonic() + timeout
    v = None
    while time.monotonic() < deadline:
        try:
            v = vm_json(m, name)
        except TestFailure as e:  # not there yet (a reload in progress)
            v = str(e)
            time.sleep(2)
            continue
        if v["state"] == want and (not_domid is None or v["domid"] != not_domid):
            return v
        time.sleep(2)
    raise TestFailure(f"{name} did not reach {want} in {timeout}s; last: {v}")


def journal(m, pattern):
    return m.shell(f"journalctl -b -u cairn-vmd --no-pager -o cat | grep -E '{pattern}' || true")


def e2e_vms_vmd_lifecycle(t):
    """cairn-vmd on Xen: list, start a PV guest, xl destroy -> restart, adopt, clean stop;
    no process in dom0 crashed."""
    if not t.test_iso.exists():
        raise Skip("no test ISO; run ./build.sh images")
    tar = build_guest(t)

    with Machine(t.outdir, iso=t.test_iso, firmware="ovmf", boot="cd", tpm=False, smp=1,
                 memory=2048, disks=[str(tar)], name="vmd") as m:
        idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"],
                                    timeout=BOOT_TIMEOUT)
        check(idx == 0, f"dom0 did not come up: {match.group(0)}")
        m.shell("dmesg -n 1")

        # The daemon runs from its unit and answers on the system bus.
        state = m.shell("systemctl is-active cairn-vmd", check=False)[1].strip()
        if state != "active":
            log = m.shell("journalctl -b -u cairn-vmd --no-pager | tail -20", check=False)[1]
            raise TestFailure(f"cairn-vmd is {state}:\n{log}")
        # The dom0 end of the cross-domain D-Bus proxy runs beside it.
        state = m.shell("systemctl is-active cairn-rpc-proxy", check=False)[1].strip()
        if state != "active":
            log = m.shell("journalctl -b -u cairn-rpc-proxy --no-pager | tail -20", check=False)[1]
            raise TestFailure(f"cairn-rpc-proxy is {state}:\n{log}")
        out = m.shell("cairnctl list --json 2>&1").strip()
        try:
            listed = json.loads(out.splitlines()[-1])
        except (ValueError, IndexError):
            raise TestFailure(f"cairnctl list --json printed no JSON:\n{out}")
        check(isinstance(listed, list), f"cairnctl list --json is not a list: {out}")
        # This boot asked for no autostart (the harness's default, through the test
        # hook: cairn-vmd --no-autostart): the service VMs are defined, and stopped.
        states = {v.get("name"): v.get("state") for v in listed if isinstance(v, dict)}
        check(states.get("ndvm") == "stopped" and states.get("uivm") == "stopped",
              f"with --no-autostart the service VMs are not defined and stopped: {states}")
        log = m.shell("journalctl -b -u cairn-vmd --no-pager -o cat", check=False)[1]
        check("Autostart is off (--no-autostart)" in log, f"cairn-vmd does not say autostart is off:\n{log[-2000:]}")
        m.mark("vmd answers")

        # The guest files, from the extra disk.
        disk = m.shell("for d in /dev/sd?; do tar -tf $d 2>/dev/null | grep -q initrd.cpio && echo $d; done").strip()
        check(disk.startswith("/dev/sd"), f"no disk holds the guest archive: {disk!r}")
        m.shell(f"mkdir -p /run/testvm/vms && tar -xf {disk} -C /run/testvm && ls -l /run/testvm")
        # A loop-device disk: libxl runs the "block" hotplug script for it, a child
        # process that cairn-vmd's loop must reap and hand back to libxl.
        out = m.shell("truncate -s 4M /run/testvm/disk.img && losetup -f --show /run/testvm/disk.img")
        loop = (out.split() or [""])[-1]  # a "cairn: ..." console line may come first
        check(loop.startswith("/dev/loop"), f"no loop device: {loop!r}")
        # Written from the shell; checked by cairn-vmd -n.
        lines = " ".join(f"'{line}'" for line in VM_DEF.strip().splitlines() + [f"disk={loop},xvda,w"])
        m.shell(f"printf '%s\\n' {lines} > /run/testvm/vms/testvm.vm")
        checked = m.shell("cairn-vmd -n --vm-dir /run/testvm/vms")
        check("name=testvm" in checked and "restart=on-crash" in checked,
              f"cairn-vmd -n did not accept the definition:\n{checked}")
        m.shell("printf 'name=broken\\nmemory=lots\\n' > /run/testvm/vms/broken.vm")
        rc, bad = m.shell("cairn-vmd -n --vm-dir /run/testvm/vms", check=False)
        check(rc == 1 and "broken.vm:2: memory \"lots\"" in bad, f"a bad definition was not reported:\n{bad}")

        # Point the running unit at the test directory.
        m.shell("mkdir -p /run/systemd/system/cairn-vmd.service.d && printf '%s\\n' '[Service]' "
                "'ExecStart=' 'ExecStart=/usr/sbin/cairn-vmd --log-level debug --vm-dir /run/testvm/vms' "
                "> /run/systemd/system/cairn-vmd.service.d/test.conf && systemctl daemon-reload "
                "&& systemctl restart cairn-vmd", timeout=240)
        check(m.shell("systemctl is-active cairn-vmd").strip() == "active", "cairn-vmd did not restart")
        # The broken definition is skipped with its file and line; the good one is there.
        bad = journal(m, "broken.vm")
        check("broken.vm:2:" in bad, f"the journal does not name broken.vm:2:\n{bad}")
        v = vm_json(m, "testvm")
        check(v["state"] == "stopped" and v["domid"] == -1 and v["memory_mib"] == 128, f"testvm: {v}")

        # Start.
        m.shell("cairnctl start testvm")
        m.wait_for(r"cairn: testvm running", timeout=180)
        v = wait_vm(m, "testvm", "running")
        first = v["domid"]
        check(first > 0, f"testvm runs as domain {first}")
        xl = m.shell("xl list")
        check(re.search(rf"^testvm\s+{first}\s", xl, re.M), f"xl list does not show testvm as {first}:\n{xl}")
        reaped = journal(m, "libxl child [0-9]+ exited")
        check("exited (code 1, status 0)" in reaped,
              f"no hotplug child of libxl was reaped through the event loop:\n{reaped}")
        # Its children (none should be left, and none a zombie): "PID (COMM) STATE".
        kids = m.shell("p=$(systemctl show -p MainPID --value cairn-vmd); [ \"$p\" -gt 0 ] && "
                       "for f in /proc/[0-9]*/stat; do read -r a b c d e < $f 2>/dev/null && "
                       "[ \"$d\" = \"$p\" ] && echo \"$a $b $c\"; done; true").strip()
        check(not re.search(r"\) Z$", kids, re.M), f"cairn-vmd left zombie children:\n{kids}")
        vbd = m.shell("xl block-list testvm")
        check(re.search(r"^51712\s", vbd, re.M), f"testvm has no xvda (vbd 51712):\n{vbd}")
        m.mark("testvm running")

        # Destroyed behind vmd's back: noticed, restarted with a new domid.
        m.shell("xl destroy testvm")
        v = wait_vm(m, "testvm", "running", not_domid=first)
        second = v["domid"]
        noticed = journal(m, "destroyed outside|restart 1 of")
        check("destroyed outside cairn-vmd" in noticed, f"vmd did not log the outside destroy:\n{noticed}")
        m.mark("restarted after xl destroy")

        # Restarting the daemon leaves the domain running; the new daemon adopts it.
        m.shell("systemctl restart cairn-vmd", timeout=240)
        v = wait_vm(m, "testvm", "running", timeout=60)
        check(v["domid"] == second, f"after a daemon restart testvm is {v}, not adopted domain {second}")
        check("adopted" in journal(m, "adopted"), "the new daemon did not log the adoption")

        # Memory: RSS of the daemon managing a running VM.
        rss = m.shell("grep VmRSS /proc/$(systemctl show -p MainPID --value cairn-vmd)/status")
        kib = int(re.search(r"(\d+)", rss).group(1))
        print(f"cairn-vmd VmRSS: {kib} KiB")
        (t.outdir / "vmd-rss.txt").write_text(f"{kib}\n")
        check(kib < 20 * 1024, f"cairn-vmd RSS is {kib} KiB, over 20 MiB")

        # Reload: a new definition appears, the running VM stays as it is.
        m.shell("printf '%s\\n' 'name=later' 'kernel=/run/testvm/vmlinuz' > /run/testvm/vms/later.vm "
                "&& systemctl reload cairn-vmd")
        later = wait_vm(m, "later", "stopped", timeout=60)
        check(later["domid"] == -1, f"later: {later}")
        v = vm_json(m, "testvm")
        check(v["state"] == "running" and v["domid"] == second, f"after a reload testvm is {v}")

        # Clean stop: the guest powers itself off well before the 90 s timeout.
        t0 = time.monotonic()
        m.shell("cairnctl stop testvm")
        wait_vm(m, "testvm", "stopped", timeout=80)
        took = time.monotonic() - t0
        log = journal(m, "shut down|did not shut down")
        check("shut down (poweroff)" in log and "did not shut down" not in log,
              f"testvm was not powered off cleanly (after {took:.0f}s):\n{log}")
        check("testvm" not in m.shell("xl list"), "testvm is still in xl list")
        m.mark("testvm stopped")
        print(f"clean stop took {took:.0f}s")

        # dom0 carried the guest, its restarts and the daemon's without a crash.
        crashes = m.crashes()
        check(not crashes, "processes crashed in dom0:\n" + "\n".join(crashes))
