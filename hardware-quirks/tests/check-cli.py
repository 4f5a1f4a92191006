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

print(f'{passed} passed, {len(failures)} failed')
sys.exit(1 if failures else 0)
