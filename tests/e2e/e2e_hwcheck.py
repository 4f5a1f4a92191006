"""End-to-end test of the ISO's "Hardware diagnostics" entry (cairn-hwcheck).

The release ISO, written to a (writable) USB stick image, is booted under OVMF
with the SMBIOS identity of a Lenovo ideapad 330S-15ARR (product 81FB, a known
ivrs_ioapic quirk) and the IVRS table of a real Acer Aspire A315-41 (whose IVRS
names I/O APICs that QEMU's MADT lacks).  The diagnostics entry (third in the
menu) boots the dom0 kernel without Xen, runs cairn-hwcheck, shows the report
on the console and saves the bundle on the stick's CAIRN-DATA partition.
"""
import re
import shutil
import struct
import subprocess
import tarfile

from harness import Machine, TestFailure

ORDER = 20
FIXTURE = "c1a1b4d7db"  # Acer Aspire A315-41 (tests/fixtures/acpi/c1a1b4d7db/SOURCE)


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def acpidump_table(path, signature):
    """The binary of one table from acpidump hex text."""
    data, current = bytearray(), None
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Z0-9]{4}) @ 0x", line)
        if m:
            if current == signature:
                break
            current = m.group(1)
            continue
        if current != signature:
            continue
        m = re.match(r"^\s*[0-9A-Fa-f]{4,8}:((?:\s[0-9A-Fa-f]{2}){1,16})", line)
        if m:
            data += bytes(int(b, 16) for b in m.group(1).split())
    if not data:
        raise TestFailure(f"no {signature} table in {path}")
    length = struct.unpack_from("<I", data, 4)[0]
    return bytes(data[:length])


def fat_files(image, offset):
    """Names of the files in the root of a FAT partition inside an image (mtools)."""
    out = subprocess.run(["mdir", "-b", "-i", f"{image}@@{offset}", "::"],
                         capture_output=True, text=True)
    return [n.rsplit("/", 1)[-1] for n in out.stdout.split()]


def data_partition_offset(image):
    """Byte offset of the CAIRN-DATA partition (the MBR's FAT entry)."""
    with open(image, "rb") as f:
        mbr = f.read(512)
    for i in range(4):
        e = mbr[446 + 16 * i: 446 + 16 * (i + 1)]
        if e[4] == 0x0C:
            return struct.unpack_from("<I", e, 8)[0] * 512
    raise TestFailure(f"{image} has no FAT partition in its MBR")


def e2e_hwcheck_diagnostics_usb(t):
    """Diagnostics entry: report names the 81FB quirk and the IVRS/MADT mismatch; bundle saved."""
    stick = t.outdir / "stick.img"
    shutil.copy(t.iso, stick)
    offset = data_partition_offset(stick)
    check([n for n in fat_files(stick, offset) if n.endswith(".tar.gz")] == [],
          "the fresh ISO already has a bundle on CAIRN-DATA")
    ivrs = t.outdir / "ivrs.bin"
    ivrs.write_bytes(acpidump_table(t.root / "tests/fixtures/acpi" / FIXTURE / "acpidump.txt", "IVRS"))

    extra = ["-smbios", "type=1,manufacturer=LENOVO,product=81FB",
             "-acpitable", f"file={ivrs}"]
    with Machine(t.outdir, iso=stick, firmware="ovmf", boot="usb-rw", extra_args=extra) as m:
        m.wait_for(r"will be\s+(executed|booted) automatically|Use the .* keys", timeout=300)
        m.send_key("down")
        m.send_key("down")
        m.send_key("ret")
        m.wait_for(r"cairn: hardware diagnostics: examining", timeout=900)
        idx, match = m.wait_for_any([r"cairn: hardware diagnostics complete[^\n]*\n",
                                     r"cairn: hardware diagnostics failed[^\n]*\n"], timeout=600)
        check(idx == 0, match.group(0))
        text = m.serial_text()
        (t.outdir / "console.txt").write_text(text)
        check("lenovo-ideapad-330s-15arr-ivrs-ioapic" in text,
              "the report does not name the Lenovo 81FB ivrs_ioapic quirk")
        check("ivrs-ioapic-mismatch" in text or re.search(r"IVRS.*I/O APIC", text),
              "the report does not name the IVRS/MADT I/O APIC mismatch")
        check("cairn: diagnostics bundle saved to CAIRN-DATA" in text,
              "the console does not say the bundle was saved on CAIRN-DATA")

    bundles = [n for n in fat_files(stick, offset) if n.endswith(".tar.gz")]
    check(len(bundles) == 1, f"expected one bundle on CAIRN-DATA, found {bundles}")
    local = t.outdir / bundles[0]
    subprocess.run(["mcopy", "-i", f"{stick}@@{offset}", f"::{bundles[0]}", str(local)], check=True)
    with tarfile.open(local) as tar:
        names = tar.getnames()
        report = next((n for n in names if n.endswith("report.json")), None)
        check(report is not None, f"no report.json in the bundle: {names}")
        body = tar.extractfile(report).read().decode()
    check("ivrs-ioapic-mismatch" in body, "report.json lacks the ivrs-ioapic-mismatch finding")
    check("lenovo-ideapad-330s-15arr-ivrs-ioapic" in body, "report.json lacks the 81FB quirk")
