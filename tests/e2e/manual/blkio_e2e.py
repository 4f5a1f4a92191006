"""Reproducer of the dom0 crash seen with the service VMs (docs/service-vms.md,
"Status"), with no Cairn daemon in the path.  NOT in ./build.sh test: on QEMU's
CPU with XSAVE and AVX it fails (under QEMU 7.2's TCG), which is what it is for;
on the harness's DEFAULT_CPU (without them) it has passed.  Run by hand:

    cd tests/e2e && CAIRN_QEMU_CPU=max,-smap python3 manual/blkio_e2e.py [GUESTS]

Boots the test ISO, stops cairn-vmd, and starts GUESTS (default 1) tiny PV
guests with plain `xl create`: dom0's kernel, xen-blkfront loaded by a static
/init that reads its xvda (a read-only loop device over a 48 MiB file on tmpfs)
with O_DIRECT, over and over.  Then eight `systemctl daemon-reload`s and two
destroy/create rounds of the first guest.  It passes when no process in dom0
crashed (Machine.crashes(): segfaults, general protection faults, traps, systemd's
"Caught <SIG>", failed assertions) and every guest was built.  The first time
it was run, `(sd-executor)` segfaulted at libc+0x6f087 and the second guest's
build failed with "unable to XZ decompress kernel".
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from e2e_console import module_chain  # noqa: E402
from e2e_vmd import BOOT_TIMEOUT, READY, check, guest_archive  # noqa: E402
from harness import Machine, TestFailure  # noqa: E402

INIT_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const modules[] = { @MODULES@NULL };
static char buf[1 << 20] __attribute__((aligned(4096)));

static void say(const char *line) {
        if (write(1, line, strlen(line)) < 0)
                return;
}

int main(void) {
        char line[128];
        int fd = -1;

        (void) mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        for (size_t i = 0; modules[i]; i++) {
                int m = open(modules[i], O_RDONLY | O_CLOEXEC);

                if (m < 0 || (syscall(SYS_finit_module, m, "", 0) < 0 && errno != EEXIST)) {
                        snprintf(line, sizeof(line), "blkio: loading %s failed (errno %d)\n", modules[i], errno);
                        say(line);
                }
                if (m >= 0)
                        close(m);
        }
        for (int i = 0; i < 600 && fd < 0; i++) {
                fd = open("/dev/xvda", O_RDONLY | O_DIRECT);
                if (fd < 0)
                        usleep(100000);
        }
        if (fd < 0) {
                say("blkio: no /dev/xvda\n");
                for (;;)
                        pause();
        }
        say("blkio: reading\n");
        for (unsigned long pass = 0;; pass++) {
                ssize_t n, total = 0;

                if (lseek(fd, 0, SEEK_SET) < 0)
                        break;
                while ((n = read(fd, buf, sizeof(buf))) > 0)
                        total += n;
                if (pass % 20 == 0) {
                        snprintf(line, sizeof(line), "blkio: pass %lu, %zd bytes\n", pass, total);
                        say(line);
                }
        }
        for (;;)
                pause();
}
"""


def e2e_blkio_dom0_crash(t, guests=1):
    """dom0 stays whole while PV guests (started by xl) read their disks through blkback."""
    base = (t.images / "dom0.base").read_text().strip()
    kver, mods = module_chain(base, ["xen-blkfront"])
    extra = [(f"m{i:02d}.ko", (Path(base) / "usr/lib/modules" / kver / m).read_bytes()) for i, m in enumerate(mods)]
    src = INIT_C.replace("@MODULES@", "".join(f'"/m{i:02d}.ko", ' for i in range(len(mods))))
    tar = guest_archive(t, "blkio", src, extra)
    problems = []
    with Machine(t.outdir, iso=t.test_iso, firmware="ovmf", boot="cd", tpm=False, smp=2, memory=2560,
                 disks=[str(tar)], name="blkio") as m:
        idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"], timeout=BOOT_TIMEOUT)
        check(idx == 0, f"dom0 did not come up: {match.group(0)}")
        m.shell("dmesg -n 1; systemctl stop cairn-vmd")
        disk = m.shell("for d in /dev/sd?; do tar -tf $d 2>/dev/null | grep -q initrd.cpio && echo $d; done").strip()
        m.shell(f"mkdir -p /run/g && tar -xf {disk} -C /run/g && "
                "dd if=/dev/urandom of=/run/g/disk.img bs=1M count=48 2>/dev/null")
        m.shell("mkdir -p /run/systemd/system/xenconsoled.service.d && printf '%s\\n' '[Service]' 'ExecStart=' "
                "'ExecStart=/usr/lib/xen-4.17/bin/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest' "
                "> /run/systemd/system/xenconsoled.service.d/t.conf && systemctl daemon-reload && "
                "systemctl restart xenconsoled")
        for i in range(guests):
            out = m.shell("losetup -f --show -r /run/g/disk.img")
            loop = (out.split() or [""])[-1]  # a "cairn: ..." console line may come first
            check(loop.startswith("/dev/loop"), f"no loop device: {loop!r}")
            m.shell(f"printf '%s\\n' 'name=\"blk{i}\"' 'type=\"pv\"' 'memory=128' 'vcpus=1' "
                    "'kernel=\"/run/g/vmlinuz\"' 'ramdisk=\"/run/g/initrd.cpio\"' 'extra=\"console=hvc0 quiet\"' "
                    f"\"disk=['phy:{loop},xvda,r']\" > /run/g/blk{i}.cfg")
            rc, out = m.shell(f"xl create /run/g/blk{i}.cfg 2>&1", timeout=300, check=False)
            if rc != 0:
                problems.append(f"xl create blk{i}: {out.strip()[-400:]}")
            time.sleep(20)
        time.sleep(60)
        print(m.shell("xl list; tail -qn 1 /var/log/xen/console/guest-blk*.log", check=False)[1])
        for _ in range(8):
            m.shell("timeout 150 systemctl daemon-reload", timeout=200, check=False)
        for _ in range(2):
            rc, out = m.shell("xl destroy blk0; sleep 5; xl create /run/g/blk0.cfg 2>&1", timeout=300, check=False)
            if rc != 0:
                problems.append(f"xl create blk0 again: {out.strip()[-400:]}")
            time.sleep(30)
            m.shell("timeout 150 systemctl daemon-reload", timeout=200, check=False)
        print(m.shell("xl list; tail -qn 1 /var/log/xen/console/guest-blk*.log", check=False)[1])
        crashes = m.crashes()
        if crashes:
            problems.append("processes crashed in dom0:\n" + "\n".join(crashes))
    if problems:
        raise TestFailure("\n".join(problems))


if __name__ == "__main__":
    from manual import run

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    run([("blkio_e2e", lambda t: e2e_blkio_dom0_crash(t, n))])
