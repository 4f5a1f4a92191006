#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""CLI behaviour for support staff: --help, clear errors, bad input never
crashes, --check-quirks names file and line, and the support bundle (README
listing every file, redaction on by default, --no-redact keeps values).

Usage: check-cli.py CAIRN_HWCHECK FIXTURES_DIR QUIRKS_DIR
"""
import json
import os
import subprocess
import sys
import tarfile
import tempfile

tool, fixtures, quirks = sys.argv[1:4]
seeds = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz', 'seeds')
failures = []
passed = 0


def run(*args, **kw):
    return subprocess.run([tool, *args], capture_output=True, text=True, **kw)


def check(name, cond, detail=''):
    global passed
    if cond:
        passed += 1
        print(f'ok   {name}')
    else:
        failures.append(name)
        print(f'FAIL {name} {detail}')


p = run('--help')
check('--help exits 0 and documents --bundle', p.returncode == 0 and '--bundle' in p.stdout and '--acpidump' in p.stdout)
p = run('--frobnicate')
check('unknown option: exit 1, one clear line', p.returncode == 1 and 'Unknown option --frobnicate' in p.stderr, p.stderr)
p = run('--acpidump')
check('missing argument: exit 1', p.returncode == 1 and 'needs an argument' in p.stderr, p.stderr)
p = run('--quirks-dir', quirks, '--acpidump', '/nonexistent/dump.txt')
check('unreadable input: exit 1, names the file', p.returncode == 1 and '/nonexistent/dump.txt' in p.stderr, p.stderr)
p = run('--dmidecode', 'x')
check('--dmidecode without --acpidump: exit 1', p.returncode == 1)

with tempfile.TemporaryDirectory() as tmp:
    # garbage of every kind: a report with findings, never a crash
    garbage = {
        'binary.txt': bytes(range(256)) * 64,
        'empty.txt': b'',
        'truncated.txt': open(os.path.join(fixtures, 'c1a1b4d7db', 'acpidump.txt'), 'rb').read()[:3000],
        'lengths.txt': b'DMAR @ 0x0\n    0000: 44 4D 41 52 FF FF FF 7F 01 00\n',
    }
    for name, data in garbage.items():
        path = os.path.join(tmp, name)
        open(path, 'wb').write(data)
        p = run('--json', '--quirks-dir', quirks, '--acpidump', path, '--dmidecode', path)
        ok = p.returncode in (0, 3)
        try:
            json.loads(p.stdout)
        except ValueError:
            ok = False
        check(f'garbage input {name}: JSON report, exit 0/3', ok, f'rc={p.returncode} {p.stderr[-300:]}')

    # --check-quirks: file and line of each error
    qdir = os.path.join(tmp, 'quirks.d')
    os.mkdir(qdir)
    open(os.path.join(qdir, 'good.quirk'), 'w').write(
        'id = good\ndmi.sys_vendor = X\nadvice = a\nreason = r\nsource = s\n')
    open(os.path.join(qdir, 'bad.quirk'), 'w').write('id = bad\nreason = r\npci = zz:12\n')
    p = run('--check-quirks', '--quirks-dir', qdir)
    check('--check-quirks: exit 1 and FILE:LINE', p.returncode == 1 and 'bad.quirk:3:' in p.stderr, p.stderr)
    p = run('--check-quirks', '--quirks-dir', quirks)
    check('--check-quirks on quirks.d: valid', p.returncode == 0 and 'all valid' in p.stdout, p.stdout + p.stderr)

    # the bundle, from a fixture plus a dmidecode with identifying values
    dmi = open(os.path.join(fixtures, 'c1a1b4d7db', 'dmidecode.txt')).read()
    dmi = dmi.replace('Handle 0x0001, DMI type 1', 'Handle 0x0001, DMI type 1', 1)
    lines = dmi.split('\n')
    out = []
    typ = None
    for line in lines:
        if line.startswith('Handle '):
            typ = line
        if 'DMI type 1,' in (typ or '') and line.startswith('\tSerial Number:'):
            line = '\tSerial Number: NXGNPEX00912345678'
        if 'DMI type 1,' in (typ or '') and line.startswith('\tUUID:'):
            line = '\tUUID: 8f3e2a10-5b6c-11ea-8000-1c1b0d2e3f40'
        out.append(line)
    out.append('Handle 0x0099, DMI type 126, 4 bytes\nInactive\n\tMAC Address: 1c:1b:0d:2e:3f:40\n')
    dmi_path = os.path.join(tmp, 'dmidecode.txt')
    open(dmi_path, 'w').write('\n'.join(out))
    acpi_path = os.path.join(fixtures, 'c1a1b4d7db', 'acpidump.txt')

    bundle = os.path.join(tmp, 'bundle.tar.gz')
    p = run('--quirks-dir', quirks, '--acpidump', acpi_path, '--dmidecode', dmi_path, '--bundle', bundle)
    check('--bundle: written (exit 3: the Acer fails)', p.returncode == 3 and os.path.isfile(bundle), p.stderr)
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    readme = members.get('README.txt', b'').decode()
    check('bundle has README, report.json, report.txt, inputs',
          {'README.txt', 'report.json', 'report.txt', 'input/acpidump.txt', 'input/dmidecode.txt'} <= set(names), names)
    check('README lists every file', all(n in readme for n in names), readme)
    check('README says REDACTED', 'REDACTED' in readme)
    blob = b''.join(members.values())
    check('serial, UUID and MAC redacted everywhere',
          b'NXGNPEX00912345678' not in blob and b'8f3e2a10' not in blob and b'1c:1b:0d:2e:3f:40' not in blob)
    check('stable placeholders', b'SERIAL-1' in members['input/dmidecode.txt'] and b'SERIAL-1' in members['report.json'])
    report = json.loads(members['report.json'])
    check('bundle report.json names the quirk and the mismatch',
          [q['id'] for q in report['quirks']] == ['acer-aspire-a315-41-ivrs-ioapic'] and
          any(f['id'] == 'ivrs-ioapic-mismatch' for f in report['findings']))

    p = run('--quirks-dir', quirks, '--acpidump', acpi_path, '--dmidecode', dmi_path, '--bundle', bundle, '--no-redact')
    with tarfile.open(bundle) as tar:
        blob = b''.join(tar.extractfile(m).read() for m in tar.getmembers())
        readme = tar.extractfile('README.txt').read().decode()
    check('--no-redact keeps the values and says so', b'NXGNPEX00912345678' in blob and 'NOT REDACTED' in readme)
    p = run('--no-redact')
    check('--no-redact without --bundle: exit 1', p.returncode == 1)

    # live mode on this machine (no Xen, maybe no TPM): must not fail
    p = run('--json', '--quirks-dir', quirks, '--no-tpm')
    try:
        live = json.loads(p.stdout)
        ok = p.returncode in (0, 3) and live['mode'] == 'live'
    except ValueError:
        ok = False
    check('live mode works without Xen and root', ok, p.stderr[-500:])

# Live mode on prepared sysfs-like directories (what the ISO's diagnostics
# entry sees in QEMU with -smbios and -acpitable): binary tables, a MADT that
# occurs twice (Linux names them APIC1, APIC2), SMBIOS entry point + table.
import re
with tempfile.TemporaryDirectory() as tmp:
    acpi_dir = os.path.join(tmp, 'acpi')
    dmi_dir = os.path.join(tmp, 'dmi')
    os.mkdir(acpi_dir)
    os.mkdir(dmi_dir)
    tables = {}
    cur = None
    for line in open(os.path.join(fixtures, 'c1a1b4d7db', 'acpidump.txt')):
        m = re.match(r'^([A-Z0-9]{4}) @ 0x', line)
        if m:
            cur = m.group(1)
            tables[cur] = bytearray()
            continue
        m = re.match(r'^\s+[0-9A-F]{4}:((?: [0-9A-F]{2})+)', line)
        if m and cur:
            tables[cur] += bytes(int(x, 16) for x in m.group(1).split())
    for sig, data in tables.items():
        names = ['APIC1', 'APIC2'] if sig == 'APIC' else [sig]
        for n in names:
            open(os.path.join(acpi_dir, n), 'wb').write(data)
    smbios = open(os.path.join(seeds, 'smbios', 'c1a1b4d7db.bin'), 'rb').read()
    open(os.path.join(dmi_dir, 'smbios_entry_point'), 'wb').write(smbios[:24])
    open(os.path.join(dmi_dir, 'DMI'), 'wb').write(smbios[32:])
    bundle = os.path.join(tmp, 'live.tar.gz')
    p = run('--json', '--no-tpm', '--no-xen', '--quirks-dir', quirks, '--acpi-dir', acpi_dir, '--dmi-dir', dmi_dir,
            '--bundle', bundle)
    try:
        live = json.loads(p.stdout)
    except ValueError:
        live = {}
    check('live from --acpi-dir/--dmi-dir: quirk and mismatch',
          [q['id'] for q in live.get('quirks', [])] == ['acer-aspire-a315-41-ivrs-ioapic'] and
          any(f['id'] == 'ivrs-ioapic-mismatch' for f in live.get('findings', [])), p.stdout[-800:] + p.stderr)
    check('live: the duplicate MADT is reported', any(f['id'] == 'acpi-duplicate-table' for f in live.get('findings', [])))
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        blob = b''.join(tar.extractfile(m).read() for m in tar.getmembers())
    check('live bundle: raw tables and SMBIOS, serial redacted',
          {'acpi/APIC1.dat', 'acpi/APIC2.dat', 'acpi/IVRS.dat', 'smbios/DMI', 'smbios/smbios_entry_point'} <= set(names)
          and b'SN123456' not in blob and b'BSN987654' not in blob, names)

print(f'{passed} passed, {len(failures)} failed')
sys.exit(1 if failures else 0)
