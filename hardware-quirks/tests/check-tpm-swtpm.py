#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TPM 2.0 query (tss2-esys GetCapability) against a real software TPM:
starts `swtpm socket --tpm2` on a free loopback port and checks that
cairn-hwcheck reports version 2.0, the manufacturer, the firmware version and
the owner / lockout state.  Exits 77 (skip) with a reason when swtpm or the
tss2 swtpm TCTI is not installed.

Usage: check-tpm-swtpm.py CAIRN_HWCHECK QUIRKS_DIR
"""
import ctypes.util
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time

tool, quirks = sys.argv[1:3]
if not shutil.which('swtpm'):
    print('SKIP: swtpm is not installed')
    sys.exit(77)
if not ctypes.util.find_library('tss2-tcti-swtpm'):
    print('SKIP: libtss2-tcti-swtpm is not installed')
    sys.exit(77)


def free_port_pair():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(('127.0.0.1', port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError('no free port pair')


with tempfile.TemporaryDirectory() as state:
    port = free_port_pair()
    proc = subprocess.Popen(['swtpm', 'socket', '--tpm2',
                             '--server', f'type=tcp,port={port},bindaddr=127.0.0.1',
                             '--ctrl', f'type=tcp,port={port + 1},bindaddr=127.0.0.1',
                             '--tpmstate', f'dir={state}', '--flags', 'not-need-init,startup-clear'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    print('SKIP: swtpm did not start:', proc.stdout.read().decode(errors='replace')[-300:])
                    sys.exit(77)
                time.sleep(0.1)
        p = subprocess.run([tool, '--json', '--no-xen', '--quirks-dir', quirks,
                            '--tpm-tcti', f'swtpm:host=127.0.0.1,port={port}'],
                           capture_output=True, text=True, timeout=60)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

report = json.loads(p.stdout)
tpm = report['tpm']
print(json.dumps(tpm))
checks = [
    ('version 2.0', tpm['version'] == '2.0'),
    ('manufacturer IBM (swtpm)', tpm['manufacturer'] == 'IBM'),
    ('firmware version', bool(tpm['firmware_version'])),
    ('not owned', tpm['owned'] is False),
    ('no lockout', tpm['lockout'] is False),
    ('source tss2-esys', tpm['source'] == 'tss2-esys'),
    ('finding tpm ok', any(f['id'] == 'tpm' and f['severity'] == 'ok' for f in report['findings'])),
]
failed = [n for n, ok in checks if not ok]
for n, ok in checks:
    print(('ok   ' if ok else 'FAIL ') + n)
print(f'{len(checks) - len(failed)} passed, {len(failed)} failed')
sys.exit(1 if failed else 0)
