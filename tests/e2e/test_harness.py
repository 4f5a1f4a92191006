#!/usr/bin/env python3
"""Self-test of the e2e harness; needs QEMU, OVMF, SeaBIOS and swtpm, no Cairn ISO.

Exit status: 0 passed, 1 failed, 77 skipped (reason on stdout).
Output (logs of each boot) goes to $CAIRN_TEST_OUT or out/tests/test_harness.
"""

import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import Machine, Skip, TestFailure, Console  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.environ.get('CAIRN_TEST_OUT') or os.path.join(ROOT, 'out', 'tests', 'test_harness')

results = []


def check(cond, what):
    if not cond:
        raise TestFailure('check failed: ' + what)


def gone(pid, wait=10.0):
    """True when pid no longer exists (or is a zombie nobody has reaped yet)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with open('/proc/%d/stat' % pid) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
            if state == 'Z':
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_text_cleaning():
    c = harness._Cleaner()
    parts = ['\x1b[2J\x1b[01;01HUEFI Inter', 'active Shell\r\n\x1b[1m\x1b[3',
             '3mShell> \x1b[0m', '\x1b[?2004hroot@cairn:~# ']
    text = ''.join(c.feed(p) for p in parts)
    check(text == '\nUEFI Interactive Shell\nShell> root@cairn:~# ', repr(text))
    check(harness._char_keys('A') == ['shift', 'a'], 'shift-a')
    check(harness._char_keys('|') == ['shift', 'backslash'], 'pipe')
    check(harness._char_keys('\n') == ['ret'], 'ret')
    # PPM -> PNG in pure Python
    os.makedirs(OUT, exist_ok=True)
    ppm = os.path.join(OUT, 'unit.ppm')
    with open(ppm, 'wb') as f:
        f.write(b'P6\n# c\n2 2\n255\n' + bytes(range(12)))
    png = harness.ppm_to_png(ppm, os.path.join(OUT, 'unit.png'))
    with open(png, 'rb') as f:
        check(f.read(8) == b'\x89PNG\r\n\x1a\n', 'png signature')


def _pty_console(argv, env, logname):
    """A Console wired to a local interactive shell on a pty (a fake guest)."""
    pid, master = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    a, b = socket.socketpair()

    def pump():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            try:
                b.sendall(data)
            except OSError:
                break

    def feed():
        while True:
            try:
                data = b.recv(4096)
            except OSError:
                break
            if not data:
                break
            os.write(master, data)
    threading.Thread(target=pump, daemon=True).start()
    threading.Thread(target=feed, daemon=True).start()
    os.makedirs(OUT, exist_ok=True)
    log = os.path.join(OUT, logname)
    open(log, 'w').close()
    return pid, Console(a, log, name=logname, delay=0.001)


def test_shell_on_local_pty():
    """Console.shell() against bash and dash on a pty (echo on, readline)."""
    env = {'PATH': '/usr/bin:/bin', 'TERM': 'vt100', 'PS1': '# ', 'HOME': '/'}
    for argv in (['bash', '--norc', '--noprofile', '-i'], ['sh', '-i']):
        if not shutil.which(argv[0]):
            continue
        pid, con = _pty_console(argv, env, 'pty-%s.log' % argv[0])
        try:
            out = con.shell('echo hello; echo world', timeout=20)
            check(out == 'hello\nworld\n', '%s: output %r' % (argv[0], out))
            st, out = con.shell('echo oops >&2; exit_code() { return 3; }; exit_code',
                                timeout=20, check=False)
            check((st, out) == (3, 'oops\n'), '%s: status/out %r' % (argv[0], (st, out)))
            out = con.shell("printf '%s|' 'it'\\''s' \"q\"\n# comment\necho end", timeout=20)
            check(out == "it's|q|end\n", '%s: quoting %r' % (argv[0], out))
            out = con.shell('printf no-newline', timeout=20)
            check(out == 'no-newline', '%s: no newline %r' % (argv[0], out))
            try:
                con.shell('false', timeout=20)
                raise AssertionError('shell(false) did not raise')
            except TestFailure as e:
                check('status 1' in str(e), 'failure message: %s' % e)
            try:
                con.wait_for(r'never-printed', timeout=1)
                raise AssertionError('wait_for did not time out')
            except TestFailure as e:
                msg = str(e)
                check('never-printed' in msg and 'last 30 serial lines' in msg
                      and con.logpath in msg, 'timeout message: %s' % msg)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            con.close()


def test_crashes():
    """Machine.crashes() picks the crash lines out of a journal (a journalctl stand-in
    on a local shell), and says [] when there are none."""
    bindir = os.path.join(OUT, 'crash-bin')
    os.makedirs(bindir, exist_ok=True)
    journal = os.path.join(OUT, 'crash-journal.txt')
    with open(os.path.join(bindir, 'journalctl'), 'w') as f:
        f.write('#!/bin/sh\ncat %s\n' % journal)
    os.chmod(os.path.join(bindir, 'journalctl'), 0o755)
    env = {'PATH': bindir + ':/usr/bin:/bin', 'TERM': 'vt100', 'PS1': '# ', 'HOME': '/'}
    pid, con = _pty_console(['bash', '--norc', '--noprofile', '-i'], env, 'pty-crashes.log')

    class Box:
        CRASH_LINES = Machine.CRASH_LINES
        _crash_lines = Machine._crash_lines
        shell = staticmethod(con.shell)
    try:
        with open(journal, 'w') as f:
            f.write('Started cairn-vmd.service.\nxen-blkback: backend/vbd/1/51712: prepare for reconnect\n')
        got = Machine.crashes(Box())
        check(got == [], 'a clean journal gave %r' % got)
        bad = ['systemd[1]: Caught <SEGV>, dumped core as pid 812.',
               '(sd-executor)[812]: segfault at 18 ip 00007f0 sp 00007ff error 4 in libc.so.6[7f0+155000]',
               'traps: udevd[300] general protection fault ip:7f sp:7ff error:0 in libc.so.6',
               "cairn-vmd: vm.c:42: vm_start: Assertion `vm' failed."]
        with open(journal, 'w') as f:
            f.write('Started cairn-vmd.service.\n' + '\n'.join(bad) + '\nStopped x.\n')
        got = Machine.crashes(Box())
        check(got == bad, 'the crash lines found: %r' % got)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        con.close()


def test_ovmf_tpm():
    """OVMF + swtpm, no disk: UEFI shell on serial, QMP, screendump, serial input,
    and both processes gone after an exception inside `with`."""
    out = os.path.join(OUT, 'ovmf')
    shutil.rmtree(out, ignore_errors=True)
    m = Machine(out, firmware='ovmf', tpm=True, memory=512, smp=1, name='ovmf')

    class Boom(Exception):
        pass
    t0 = time.monotonic()
    try:
        with m:
            pids = m.pids
            check(set(pids) == {'qemu', 'swtpm'}, 'pids %r' % pids)
            m.wait_for(r'UEFI Interactive Shell', timeout=120)
            m.wait_for(r'Shell> ', timeout=60)
            m.mark('shell prompt')
            check(m.qmp('query-status')['status'] == 'running', 'status running')
            tpm = m.qmp('query-tpm')
            check(tpm and tpm[0]['model'] == 'tpm-tis', 'query-tpm %r' % tpm)
            m.serial_write(b'echo cairn-harness-ok\r')
            m.wait_for(r'^cairn-harness-ok', timeout=30)
            m.send_text('echo Key-Typed_1\n')
            m.wait_for(r'^Key-Typed_1', timeout=30)
            m.send_key('esc')
            png = m.screendump('ovmf.png')
            with open(png, 'rb') as f:
                check(f.read(8) == b'\x89PNG\r\n\x1a\n', 'screendump is a PNG')
            ppm = m.screendump('ovmf.ppm', format='ppm')
            with open(ppm, 'rb') as f:
                data = f.read()
            check(len(set(data[20:])) > 2, 'screen is not blank')
            check(any(lbl == 'uefi shell' for _, lbl in m.timeline), 'timeline marker')
            raise Boom()
    except Boom:
        pass
    print('  OVMF to UEFI shell prompt: %.1fs (test %.1fs)'
          % (dict((lbl, t) for t, lbl in m.timeline)['shell prompt'], time.monotonic() - t0))
    for what, pid in pids.items():
        check(gone(pid, 0.5), '%s (pid %d) still running after an exception' % (what, pid))
    for kind in ('serial', 'qemu', 'qmp', 'swtpm', 'timeline'):
        check(os.path.getsize(m.log(kind)) > 0, '%s is empty' % m.log(kind))
    check(os.path.exists(os.path.join(out, 'ovmf-failure.png')), 'failure screendump')
    check(not os.path.exists(os.path.join(out, 'ovmf-qmp.sock')), 'sockets removed')


def test_seabios():
    """SeaBIOS, no disk, no TPM: 'No bootable device.' on the VGA text screen and
    in the firmware log; wait_for on serial times out with a useful message."""
    out = os.path.join(OUT, 'seabios')
    shutil.rmtree(out, ignore_errors=True)
    with Machine(out, firmware='seabios', tpm=False, memory=256, smp=1, name='seabios') as m:
        m.wait_for_screen(r'No bootable device', timeout=60, interval=1)
        m.mark('no bootable device')
        check('No bootable device' in m.firmware_log(), 'firmware log')
        try:
            m.wait_for(r'GNU GRUB', timeout=1)
            raise AssertionError('wait_for did not time out')
        except TestFailure as e:
            check('/GNU GRUB/' in str(e) and m.log('serial') in str(e), str(e))
        pid = m.pids['qemu']
        m.qmp('quit')
        rc = m.wait_exit(30)
        check(rc == 0, 'QEMU exit status %r after quit' % rc)
    check(gone(pid, 0.5), 'qemu gone after quit')


CHILD = r'''
import sys, time
sys.path.insert(0, %r)
from harness import Machine
m = Machine(%r, firmware='seabios', tpm=True, memory=256, smp=1, name='child', quiet=True)
m.start()
print(m.pids['qemu'], m.pids['swtpm'], flush=True)
time.sleep(600)
'''


def test_signals():
    """A test process killed by SIGTERM (handlers) or SIGKILL (PDEATHSIG) leaves
    no QEMU or swtpm behind."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        out = os.path.join(OUT, 'signal-%d' % sig)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        with open(os.path.join(out, 'child-stderr.log'), 'w') as err:
            child = subprocess.Popen([sys.executable, '-c', CHILD % (HERE, out)],
                                     stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            line = child.stdout.readline().split()
            check(len(line) == 2, 'child did not print its pids (see %s)' % out)
            qpid, tpid = map(int, line)
            child.send_signal(sig)
            child.wait(30)
            for what, pid in (('qemu', qpid), ('swtpm', tpid)):
                check(gone(pid), '%s (pid %d) outlived a %s of its test'
                      % (what, pid, signal.Signals(sig).name))
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


TESTS = [test_text_cleaning, test_shell_on_local_pty, test_crashes, test_ovmf_tpm, test_seabios,
         test_signals]


def main():
    for tool in (harness.QEMU, harness.SWTPM):
        if shutil.which(tool) is None:
            print('SKIP: %s not installed' % tool)
            return 77
    for f in (harness.OVMF_CODE, harness.OVMF_VARS):
        if not os.path.exists(f):
            print('SKIP: %s missing (package ovmf)' % f)
            return 77
    only = sys.argv[1:]
    failed = 0
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            t()
        except Skip as e:
            print('SKIP %s: %s' % (t.__name__, e))
            continue
        except Exception:
            failed += 1
            print('FAIL %s (%.1fs)' % (t.__name__, time.monotonic() - start))
            traceback.print_exc()
            continue
        print('ok   %s (%.1fs)' % (t.__name__, time.monotonic() - start))
    print('logs: %s' % OUT)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
