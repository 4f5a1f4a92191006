"""End-to-end tests of measured launch and the config volume (issue: measured launch).

The config volume is a LUKS2 image on a scratch disk (AHCI, /dev/sda in dom0). The
swtpm state lives in the test's folder and is kept across the boots of one test, as a
real machine's TPM is; every boot is a fresh power-on (PCRs reset).

- e2e_measured_recovery_and_reseal: a volume forward-sealed on the host to the test
  ISO by prediction opens at boot with no prompt, and PCR 8/9 equal the prediction; a
  copy whose dom0 command line differs stays locked, names the change, refuses a wrong
  passphrase, opens with the right one typed through QMP and reseals; that copy then
  opens by itself, and the original no longer does.
- e2e_measured_image_changed: a copy with a different (valid) dom0 image stays
  locked and the report names the dom0 image.
- e2e_measured_installer_seal: the installer's path: no volume is quiet; a volume
  made inside dom0 with the default PCR policy (firmware PCRs included) opens on the
  next boot.
- e2e_measured_pin_at_boot: a key sealed with a TPM PIN to the test ISO: the boot it was
  sealed to stays locked only for the PIN; dom0 asks for it on tty1, refuses a wrong one
  (saying how many tries the TPM still allows), opens with the right one, no reseal.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from harness import Machine, TestFailure
from e2e_iso import BOOT_TIMEOUT, READY, check, remaster
from e2e_vmd import wait_seen

ORDER = 30
PASSPHRASE = "correct horse battery"
LOCKED = r"cairn: config locked: [^\r\n]*\n"
UNLOCKED = r"cairn: config unlocked\r?\n"
PROMPTED = r"cairn: config recovery: type the recovery passphrase on [^\r\n]*\n"
PIN = "kq7pin93"
PIN_PROMPTED = r"cairn: config recovery: type the TPM PIN on [^\r\n]*\n"
DISK_MIB = 64
# The tests use a cheap recovery PBKDF so that TCG can open it in seconds; the product
# default is argon2id at 2 s / 1 GiB (docs/measurement.md).
FAST = ["--recovery-cost-ms", "200", "--recovery-memory-kb", "65536"]


def tool(t, name):
    path = t.out / "staging" / "usr" / "bin" / name
    check(path.exists(), f"{path} is missing: run ./build.sh c")
    return str(path)


class HostTPM:
    """swtpm on the host over the same state folder the test's boots use."""

    def __init__(self, state):
        self.state = state
        self.sock = os.path.join(state, "host.sock")

    def __enter__(self):
        os.makedirs(self.state, exist_ok=True)
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.state}",
             "--server", f"type=unixio,path={self.sock}",
             "--ctrl", f"type=unixio,path={self.sock}.ctrl",
             "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)
        check(os.path.exists(self.sock), "host swtpm did not start")
        return self

    @property
    def tcti(self):
        return f"swtpm:path={self.sock}"

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        for p in (self.sock, self.sock + ".ctrl"):
            if os.path.exists(p):
                os.unlink(p)


def host_format(t, disk, iso, state, pin=None):
    """A config volume on disk, sealed to PCR 8/9 as predicted for iso (forward sealing:
    the firmware PCRs cannot be predicted on the host, so this policy leaves them out),
    with a TPM PIN when pin is given."""
    with open(disk, "wb") as f:
        f.truncate(DISK_MIB << 20)
    rec = t.outdir / "recovery"
    rec.write_text(PASSPHRASE + "\n")
    extra = []
    if pin is not None:
        (t.outdir / "pin").write_text(pin + "\n")
        extra = ["--pin-file", str(t.outdir / "pin")]
    with HostTPM(state) as tpm:
        p = subprocess.run([tool(t, "cairn-config"), "format", "--device", str(disk),
                            "--recovery-passphrase-file", str(rec), "--iso", str(iso),
                            "--pcrs", "8,9", "--tcti", tpm.tcti, *FAST, *extra],
                           capture_output=True, text=True)
    check(p.returncode == 0, f"cairn-config format failed ({p.returncode}): {p.stderr}")


def boot(t, iso, name, disk, state, autostart=False):
    return Machine(t.outdir, iso=iso, firmware="ovmf", boot="cd", tpm=True, tpm_state=str(state),
                   disks=[str(disk)], name=name, autostart=autostart)


def wait_ready(m):
    idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"],
                                timeout=BOOT_TIMEOUT)
    check(idx == 0, f"dom0 did not come up: {match.group(0)}")


def expect_unlocked_quietly(m, what):
    """Before dom0 is ready: 'config unlocked', no locked line, no prompt."""
    idx, match = m.wait_for_any([UNLOCKED, LOCKED, READY], timeout=BOOT_TIMEOUT)
    check(idx == 0, f"{what}: expected 'cairn: config unlocked' first, saw: {match.group(0).strip()}")
    wait_ready(m)
    check("config recovery" not in m.console.text(), f"{what}: the recovery prompt appeared")
    mnt = m.shell("findmnt -n -o SOURCE,FSTYPE /config").strip()
    check(re.match(r"/dev/mapper/cairn-config\s+ext4$", mnt), f"{what}: /config is not the volume: {mnt!r}")


def expect_locked(m, what, reason):
    idx, match = m.wait_for_any([LOCKED, UNLOCKED, READY], timeout=BOOT_TIMEOUT)
    check(idx == 0, f"{what}: expected 'cairn: config locked', saw: {match.group(0).strip()}")
    check(reason in match.group(0), f"{what}: locked for another reason: {match.group(0).strip()}")
    return match.group(0).strip()


def type_passphrase(m, text):
    m.send_text(text + "\n", interval=0.08)


def changed_cmdline(s):
    # The same image and root hash; one more word on the dom0 command line.
    out = s.replace("cairn.medium=CAIRN", "cairn.medium=CAIRN cairn.site=changed")
    return out


def e2e_measured_recovery_and_reseal(t):
    """Forward seal -> unlock; changed command line -> locked, report, recover, reseal."""
    iso_a = t.test_iso
    iso_b = t.outdir / "changed-cmdline.iso"
    remaster(t, iso_b, changed_cmdline, variant="test")
    disk, state = t.outdir / "config.img", t.outdir / "tpm"
    host_format(t, disk, iso_a, state)
    pred = subprocess.run([tool(t, "cairn-measure"), "predict", "--iso", str(iso_a), "--json"],
                          capture_output=True, text=True, check=True)
    pred = json.loads(pred.stdout)

    # 1. The ISO it was sealed for: no prompt, /config mounted, PCRs as predicted.
    with boot(t, iso_a, "a1", disk, state) as m:
        expect_unlocked_quietly(m, "sealed ISO")
        pcrs = m.shell("tpm2_pcrread sha256:8,9", timeout=120)
        for n in ("8", "9"):
            got = re.search(rf"^\s*{n}\s*:\s*0x([0-9A-Fa-f]{{64}})", pcrs, re.M)
            check(got, f"no PCR {n} in tpm2_pcrread output:\n{pcrs}")
            check(got.group(1).lower() == pred[f"pcr{n}"],
                  f"PCR {n} after boot {got.group(1).lower()} != predicted {pred['pcr' + n]}")
        secs = m.shell("cat /run/cairn/config-unlock-seconds").strip()
        print(f"    unseal + open + mount in the initramfs: {secs} s")
        m.shell("echo kept-across-boots >/config/proof && sync")

    # 2. A copy with another dom0 command line: locked, explained, recovered, resealed.
    with boot(t, iso_b, "b1", disk, state) as m:
        expect_locked(m, "changed command line", "measurements changed (PCR 8,9)")
        m.wait_for(r"cairn: config report: [^\r\n]*the dom0 command line changed[^\r\n]*\n",
                   timeout=BOOT_TIMEOUT)
        m.wait_for(PROMPTED, timeout=BOOT_TIMEOUT)
        type_passphrase(m, "not the passphrase")
        m.wait_for(r"cairn: config recovery: wrong passphrase \(attempt 1 of 3\)\r?\n", timeout=300)
        type_passphrase(m, PASSPHRASE)
        m.wait_for(UNLOCKED, timeout=300)
        time.sleep(1)
        m.send_text("y\n")
        m.wait_for(r"cairn: config resealed to this boot\r?\n", timeout=300)
        m.wait_for(r"cairn: config mounted at /config\r?\n", timeout=120)
        # (dom0 ready was printed before the report: the prompt does not hold up the boot)
        proof = m.shell("cat /config/proof").strip()
        check(proof == "kept-across-boots", f"/config lost its file: {proof!r}")

    # 3. That copy again: it opens by itself now.
    with boot(t, iso_b, "b2", disk, state) as m:
        expect_unlocked_quietly(m, "resealed copy")
        check(m.shell("cat /config/proof").strip() == "kept-across-boots", "/config lost its file")

    # 4. The original no longer opens by itself.
    with boot(t, iso_a, "a2", disk, state) as m:
        expect_locked(m, "original after reseal", "measurements changed (PCR 8")
        m.wait_for(PROMPTED, timeout=BOOT_TIMEOUT)


def new_dom0_image(tree):
    """Replace the tree's dom0.squashfs by a valid, different image: one file appended
    (mksquashfs appends to an existing image), with its own dm-verity tree."""
    cairn = tree / "cairn"
    img = cairn / "dom0.squashfs"
    tmp = cairn / "dom0.squashfs.new"
    shutil.copyfile(img, tmp)  # breaks the hard link into the build's tree
    # A name the image does not have at its root (mksquashfs renames clashes on append).
    extra = tree.parent / "extra"
    extra.mkdir(parents=True, exist_ok=True)
    (extra / "cairn-site-marker").write_text("a changed dom0 image\n")
    subprocess.run(["mksquashfs", str(extra), str(tmp), "-no-progress", "-quiet"],
                   check=True, capture_output=True)
    img.unlink()
    tmp.rename(img)
    verity = cairn / "dom0.verity"
    verity.unlink()
    out = subprocess.run(["veritysetup", "format", str(img), str(verity)],
                         check=True, capture_output=True, text=True).stdout
    roothash = re.search(r"Root hash:\s*([0-9a-f]{64})", out).group(1)
    (tree / "new-roothash").write_text(roothash)


def e2e_measured_image_changed(t):
    """A different (valid) dom0 image: locked, the report names the dom0 image, the
    recovery passphrase still opens the volume."""
    iso_c = t.outdir / "changed-image.iso"
    holder = {}

    def edit_tree(tree):
        new_dom0_image(tree)
        holder["hash"] = (tree / "new-roothash").read_text().strip()
        (tree / "new-roothash").unlink()

    remaster(t, iso_c, lambda s: re.sub(r"cairn\.verity=[0-9a-f]{64}", f"cairn.verity={holder['hash']}", s),
             variant="test", edit_tree=edit_tree)
    disk, state = t.outdir / "config.img", t.outdir / "tpm"
    host_format(t, disk, t.test_iso, state)
    with boot(t, iso_c, "c1", disk, state) as m:
        expect_locked(m, "changed dom0 image", "measurements changed (PCR 8")
        m.wait_for(r"cairn: config report: [^\r\n]*the dom0 image changed[^\r\n]*\n", timeout=BOOT_TIMEOUT)
        m.wait_for(PROMPTED, timeout=BOOT_TIMEOUT)
        type_passphrase(m, PASSPHRASE)
        m.wait_for(UNLOCKED, timeout=300)
        time.sleep(1)
        m.send_text("n\n")
        m.wait_for(r"cairn: config recovery: not resealed\r?\n", timeout=120)
        m.wait_for(r"cairn: config mounted at /config\r?\n", timeout=120)
        site = m.shell("cat /cairn-site-marker").strip()
        check(site == "a changed dom0 image", f"the changed image was not the one booted: {site!r}")


def e2e_measured_installer_seal(t):
    """No volume: nothing said. A volume made in dom0 (default PCRs 0,2,4,7,8,9, PCR 8/9
    predicted from the medium) opens on the next boot with no prompt."""
    disk, state = t.outdir / "config.img", t.outdir / "tpm"
    with open(disk, "wb") as f:
        f.truncate(DISK_MIB << 20)
    with boot(t, t.test_iso, "i1", disk, state) as m:
        wait_ready(m)
        text = m.console.text()
        check("cairn: config" not in text, "a boot without a config volume talked about it:\n" +
              "\n".join(line for line in text.splitlines() if "cairn: config" in line))
        m.shell(f"printf '%s\\n' '{PASSPHRASE}' >/run/rec")
        out = m.shell("cairn-config format --device /dev/sda --recovery-passphrase-file /run/rec "
                      "--root /run/cairn/medium " + " ".join(FAST) + "; echo rc=$?", timeout=600)
        check("rc=0" in out, f"format in dom0 failed:\n{out}")
        m.shell("rm /run/rec")
        status = m.shell("cairn-config status --device /dev/sda")
        check("pcrs 0,2,4,7,8,9" in status, f"not the default policy: {status}")
    with boot(t, t.test_iso, "i2", disk, state) as m:
        expect_unlocked_quietly(m, "installer-sealed volume")


def e2e_measured_pin_at_boot(t):
    """A key sealed with a TPM PIN, the boot it was sealed to: locked only for the PIN;
    dom0's prompt on tty1 asks for the PIN (not the passphrase), a wrong one is refused
    with the tries the TPM still allows, the right one opens /config, nothing is resealed.
    The service VMs start at boot: the UIVM (and consoled, which would take tty1's
    screen and keyboard) only once the PIN is answered."""
    disk, state = t.outdir / "config.img", t.outdir / "tpm"
    host_format(t, disk, t.test_iso, state, pin=PIN)
    with boot(t, t.test_iso, "p1", disk, state, autostart=True) as m:
        expect_locked(m, "PIN-protected key", "a TPM PIN is needed (the measurements match)")
        m.wait_for(PIN_PROMPTED, timeout=BOOT_TIMEOUT)
        # The NDVM starts meanwhile; give vmd the time to try the UIVM too.
        m.wait_for(r"cairn: ndvm (running|failed)", timeout=400)
        time.sleep(20)
        check("cairn: uivm running" not in m.console.text(), "the UIVM started while tty1 asked for the PIN")
        type_passphrase(m, "zx5wrong")
        # swtpm's dictionary-attack defaults: 3 tries.
        m.wait_for(r"cairn: config recovery: wrong PIN \(attempt 1 of 3; 2 more before TPM lockout\)\r?\n",
                   timeout=300)
        m.screendump(str(t.outdir / "wrong-pin.png"))
        type_passphrase(m, PIN)
        m.wait_for(r"cairn: config recovery: opened with the TPM PIN\r?\n", timeout=300)
        m.wait_for(UNLOCKED, timeout=120)
        m.wait_for(r"cairn: config mounted at /config\r?\n", timeout=120)
        text = m.console.text()
        for bad in ("config report:", "type the recovery passphrase", "resealed", PIN, "zx5wrong"):
            check(bad not in text, f"the PIN boot said {bad!r} on the serial console")
        mnt = m.shell("findmnt -n -o SOURCE,FSTYPE /config").strip()
        check(re.match(r"/dev/mapper/cairn-config\s+ext4$", mnt), f"/config is not the volume: {mnt!r}")
        status = m.shell("cairn-config status --device /dev/sda")
        check("pin yes" in status, f"the token lost its PIN: {status}")
        # Answered: now the UIVM, and with it consoled.
        wait_seen(m, r"cairn: uivm running", 0, 400, r"cairn: uivm failed[^\r\n]*")
        text = m.console.text()
        check(text.find("opened with the TPM PIN") < text.find("cairn: uivm running"),
              "the UIVM came up before the PIN was answered")
        check(m.shell("systemctl is-active cairn-consoled", check=False)[1].strip() == "active",
              "consoled is not running with the UIVM")
