"""Cairn QEMU end-to-end test harness (Python 3 standard library only).

A Machine is one QEMU boot (q35, TCG, OVMF or SeaBIOS, optional swtpm TPM 2.0)
with its serial console, QMP socket, logs and a boot timeline, all under the
test's output folder.  See docs/testing.md for how to write a test.

    from harness import Machine, Skip, TestFailure, timeline
    with Machine(outdir, iso='out/cairn-test.iso') as m:
        m.wait_for(r'cairn: dom0 ready', timeout=300)
        print(m.shell('cat /proc/cmdline'))

Every process the harness starts (QEMU, swtpm) runs in its own session and is
killed, with its whole process group, when the `with` block ends, on any
exception, on SIGTERM/SIGINT/SIGHUP, at interpreter exit, and (through
PR_SET_PDEATHSIG) when the Python process dies without cleaning up.
"""

import atexit
import codecs
import ctypes
import ctypes.util
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

__all__ = ['Machine', 'Console', 'Skip', 'TestFailure', 'QMPError', 'timeline',
           'clean_terminal_text', 'ppm_to_png', 'qemu_displays', 'OVMF_CODE',
           'OVMF_VARS']

QEMU = os.environ.get('CAIRN_QEMU', 'qemu-system-x86_64')
SWTPM = os.environ.get('CAIRN_SWTPM', 'swtpm')
OVMF_CODE = os.environ.get('CAIRN_OVMF_CODE', '/usr/share/OVMF/OVMF_CODE_4M.fd')
OVMF_VARS = os.environ.get('CAIRN_OVMF_VARS', '/usr/share/OVMF/OVMF_VARS_4M.fd')

# Automatic timeline markers: (label, regex on one complete serial line).  Each
# label is recorded once per Machine, at its first match.
AUTO_MARKERS = [
    ('grub', r'GNU GRUB|Welcome to GRUB|Use the .* keys to select which entry'),
    ('xen start', r'\(XEN\) Xen version'),
    ('dom0 kernel', r'\(XEN\) \*\*\* Serial input to DOM0|Freed .* init memory'),
    ('linux', r'Linux version \d'),
    ('initramfs', r'cairn: initramfs'),
    ('boot medium found', r'cairn: boot medium /'),
    ('dom0 image verified', r'cairn: dom0 image verified'),
    ('dom0 ready', r'cairn: dom0 ready'),
    ('ndvm running', r'cairn: ndvm running'),
    ('ndvm has lease', r'cairn: ndvm lease \d'),
    ('uivm running', r'cairn: uivm running'),
    ('uefi shell', r'UEFI Interactive Shell'),
    ('kernel panic', r'Kernel panic - not syncing'),
    ('xen panic', r'\(XEN\) Panic on CPU'),
]

# Serial lines that make a pending wait_for fail at once (after a short grace
# period to collect the rest of the message) instead of running into its timeout.
FAIL_PATTERNS = [r'Kernel panic - not syncing', r'\(XEN\) Panic on CPU']


class TestFailure(Exception):
    """The test failed; the message says what was expected and where the logs are."""


class Skip(Exception):
    """The test cannot run here (missing tool, missing ISO...); the runner skips it."""


class QMPError(TestFailure):
    """A QMP command returned an error."""


# ---------------------------------------------------------------------------
# Process bookkeeping: every live Machine is killed on exit, signal or crash.

_live = set()
_live_lock = threading.Lock()
_all_machines = []
_handlers_installed = False

_libc = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):  # pragma: no cover
    _prctl = None

PR_SET_PDEATHSIG = 1


def _child_setup():
    # Runs in the child between fork and exec: die with the parent thread.
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _kill_all():
    with _live_lock:
        machines = list(_live)
    for m in machines:
        try:
            m.kill()
        except Exception:  # pragma: no cover - best effort at exit
            pass


def _on_signal(signum, frame):
    _kill_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_kill_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        prev = signal.getsignal(sig)
        # Keep handlers a program set for itself; replace the defaults only.
        if prev in (signal.SIG_DFL, signal.default_int_handler, None):
            signal.signal(sig, _on_signal)


def _killpg(proc, grace=5.0):
    """SIGTERM the process group of proc (its own session), then SIGKILL."""
    if proc is None:
        return None
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    return proc.poll()


# ---------------------------------------------------------------------------
# Terminal text cleaning: serial output carries ANSI escape sequences (OVMF,
# GRUB, bash).  The searchable text drops them; cursor positioning becomes a
# newline (GRUB and OVMF draw lines that way), \r and other controls go.

_ESC_RE = re.compile(
    r'\x1b(?:\[([0-?]*)[ -/]*([@-~])'        # CSI
    r'|\][^\x07\x1b]*(?:\x07|\x1b\\)'         # OSC
    r'|[()*+].'                               # charset selection
    r'|[ -/]*[0-Z\\^-~])', re.S)             # other two-byte sequences
_CTRL_RE = re.compile(r'[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]')


def _esc_sub(m):
    return '\n' if m.group(2) in ('H', 'f') else ''


def clean_terminal_text(s):
    """Remove terminal escape sequences and control characters (keeps \\n, \\t)."""
    return _CTRL_RE.sub('', _ESC_RE.sub(_esc_sub, s))


class _Cleaner:
    """Incremental clean_terminal_text that copes with sequences split across reads."""

    def __init__(self):
        self.pending = ''

    def feed(self, s):
        s = self.pending + s
        self.pending = ''
        i = s.rfind('\x1b')
        if i != -1 and len(s) - i < 64 and not _ESC_RE.match(s, i):
            self.pending, s = s[i:], s[:i]
        return clean_terminal_text(s)


# ---------------------------------------------------------------------------
# Serial console


def _pattern(p):
    if isinstance(p, (str, bytes)):
        return re.compile(p, re.M)
    return p


class Console:
    """A serial console over a connected socket: log, buffer, wait, write, shell.

    The searchable text (text(), wait_for) is the output decoded as UTF-8
    (errors='replace') with terminal escapes and \\r removed; the log file
    keeps the raw bytes.
    """

    def __init__(self, sock, logpath, name='serial', delay=0.01,
                 prompt=r'[#$] $', on_line=None, fail_patterns=(), on_output=None):
        self.sock = sock
        self.logpath = logpath
        self.name = name
        self.delay = delay
        self.prompt = prompt
        self.on_line = on_line          # called with each complete clean line
        self.on_output = on_output      # called with each raw chunk (bytes)
        self.fail_patterns = [_pattern(p) for p in fail_patterns]
        self.exit_status = None         # callable giving the backend's exit status
        self._raw = []
        self._clean = ''
        self._line = ''
        self._pos = 0
        self._closed = False
        self._shell_ready = False
        self._cond = threading.Condition()
        self._wlock = threading.Lock()
        self._decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        self._cleaner = _Cleaner()
        self._log = open(logpath, 'ab', buffering=0)
        self._thread = threading.Thread(target=self._reader, name='serial-' + name,
                                        daemon=True)
        self._thread.start()

    # -- reading
    def _reader(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b''
            if not data:
                break
            try:
                self._log.write(data)
            except (OSError, ValueError):
                pass
            cb = self.on_output
            if cb is not None:
                try:
                    cb(data)
                except Exception:
                    pass
            self._feed(self._decoder.decode(data))
        self._feed(self._decoder.decode(b'', final=True))
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _feed(self, text):
        if not text:
            return
        clean = self._cleaner.feed(text)
        with self._cond:
            self._raw.append(text)
            self._clean += clean
            self._cond.notify_all()
        if self.on_line is not None and clean:
            self._line += clean
            *lines, self._line = self._line.split('\n')
            for line in lines:
                try:
                    self.on_line(line)
                except Exception:
                    pass

    def text(self, raw=False):
        """All output so far: clean text, or raw=True the decoded bytes as sent."""
        with self._cond:
            return ''.join(self._raw) if raw else self._clean

    def tail(self, n=30):
        return self.text().rstrip('\n').split('\n')[-n:]

    @property
    def closed(self):
        return self._closed

    def _describe_patterns(self, patterns):
        return ' or '.join('/%s/' % p.pattern for p in patterns)

    def _failure(self, what, timeout, reason):
        lines = '\n'.join('  | ' + line for line in self.tail(30))
        return TestFailure('%s waiting for %s on the serial console of %s\n'
                           'last 30 serial lines:\n%s\nserial log: %s'
                           % (reason, what, self.name, lines, self.logpath))

    def wait_for_any(self, patterns, timeout=60, what=None):
        """Wait until one of the regexes matches the output after the last
        consumed position; consume up to the end of the match and return
        (index, match).  The earliest match in the output wins."""
        pats = [_pattern(p) for p in patterns]
        what = what or self._describe_patterns(pats)
        deadline = time.monotonic() + timeout
        fail_deadline = None
        start = self._pos
        with self._cond:
            while True:
                best = None
                for i, p in enumerate(pats):
                    m = p.search(self._clean, self._pos)
                    if m and (best is None or m.start() < best[1].start()):
                        best = (i, m)
                if best is not None:
                    self._pos = best[1].end()
                    return best
                now = time.monotonic()
                if self._closed:
                    st = self.exit_status() if self.exit_status else None
                    raise self._failure(what, timeout, 'console closed (QEMU exited%s) while'
                                        % ('' if st is None else ' with status %s' % st))
                if fail_deadline is None:
                    for p in self.fail_patterns:
                        if p.search(self._clean, start):
                            fail_deadline = now + 3.0
                            break
                elif now >= fail_deadline:
                    raise self._failure(what, timeout, 'panic seen while')
                if now >= deadline:
                    raise self._failure(what, timeout, 'timed out after %ss' % timeout)
                limit = deadline if fail_deadline is None else min(deadline, fail_deadline)
                self._cond.wait(min(1.0, max(0.01, limit - now)))

    def wait_for(self, pattern, timeout=60):
        """Wait for a regex (re.M) on the output; returns the re.Match."""
        return self.wait_for_any([pattern], timeout)[1]

    def skip_to_end(self):
        """Consume everything received so far (later waits see only new output)."""
        with self._cond:
            self._pos = len(self._clean)

    # -- writing
    def write(self, data, delay=None):
        """Send raw bytes, paced `delay` seconds per byte (default: the console's)."""
        if isinstance(data, str):
            data = data.encode()
        delay = self.delay if delay is None else delay
        try:
            with self._wlock:
                if not delay:
                    self.sock.sendall(data)
                    return
                for i in range(len(data)):
                    self.sock.sendall(data[i:i + 1])
                    time.sleep(delay)
        except OSError as e:
            st = self.exit_status() if self.exit_status else None
            raise TestFailure('cannot write to the serial console of %s (%s; QEMU exit '
                              'status %s); serial log: %s' % (self.name, e, st, self.logpath))

    # -- shell
    def get_prompt(self, timeout=60):
        """Press Enter until a shell prompt (self.prompt) appears; log in as
        root if a login prompt appears instead."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._failure('a shell prompt /%s/' % self.prompt, timeout,
                                    'timed out after %ss' % timeout)
            self.write(b'\n')
            try:
                i, _ = self.wait_for_any([self.prompt, r'login: ?$'], min(5.0, left))
            except TestFailure:
                if self._closed:
                    raise
                continue
            if i == 1:
                self.write(b'root\n')
                continue
            self._shell_ready = True
            return

    def shell(self, cmd, timeout=60, check=True):
        """Run a shell command on the console's root shell.

        Returns its output (stdout and stderr as they reach the terminal, \\r
        and escapes removed); raises TestFailure if the exit status is not 0.
        With check=False returns (status, output)."""
        if not self._shell_ready:
            self.get_prompt(timeout)
        tag = '%08x' % random.getrandbits(32)
        # The typed line shows the markers with "" inside; only the output
        # of echo has them joined, so the terminal's echo never matches.
        quoted = "'" + cmd.replace("'", "'\\''") + "'"
        line = 'echo "__C""B%s__"; eval %s; echo "__C""E%s__ $?"\n' % (tag, quoted, tag)
        self.write(line.encode())
        pat = re.compile(r'__CB%s__\n(.*?)__CE%s__ (\d+)' % (tag, tag), re.S)
        m = self.wait_for_any([pat], timeout, what='the end of shell command %r' % cmd)[1]
        out, status = m.group(1), int(m.group(2))
        if check and status != 0:
            raise TestFailure('shell command %r exited with status %d; output:\n%s\n'
                              'serial log: %s' % (cmd, status, out, self.logpath))
        return out if check else (status, out)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self._thread.join(5)
        try:
            self._log.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# QMP


class QMP:
    """Minimal QMP client: commands (thread-safe) and an event list, logged."""

    def __init__(self, sock, logpath, t0):
        self.sock = sock
        self.t0 = t0
        self.events = []
        self._log = open(logpath, 'a', buffering=1)
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._replies = {}
        self._next_id = 0
        self._closed = False
        self._file = sock.makefile('rb')
        try:
            greeting = self._file.readline()
        except OSError:
            greeting = b''
        if not greeting:
            raise TestFailure('QMP: no greeting from QEMU')
        self._logline('<<<', greeting.decode(errors='replace').strip())
        self._thread = threading.Thread(target=self._reader, name='qmp', daemon=True)
        self._thread.start()
        self.command('qmp_capabilities')

    def _logline(self, direction, text):
        try:
            self._log.write('%8.3f %s %s\n' % (time.monotonic() - self.t0, direction, text))
        except (OSError, ValueError):
            pass

    def _reader(self):
        while True:
            try:
                line = self._file.readline()
            except (OSError, ValueError):
                line = b''
            if not line:
                break
            self._logline('<<<', line.decode(errors='replace').strip())
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                if 'event' in msg:
                    self.events.append(msg)
                elif 'id' in msg:
                    self._replies[msg['id']] = msg
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def command(self, execute, timeout=60, **arguments):
        with self._lock:
            self._next_id += 1
            cid = 'c%d' % self._next_id
            msg = {'execute': execute, 'id': cid}
            if arguments:
                msg['arguments'] = arguments
            text = json.dumps(msg)
            self._logline('>>>', text)
            try:
                self.sock.sendall(text.encode() + b'\n')
            except OSError as e:
                raise QMPError('QMP %s: cannot send (%s); QEMU gone?' % (execute, e))
        deadline = time.monotonic() + timeout
        with self._cond:
            while cid not in self._replies:
                if self._closed:
                    raise QMPError('QMP %s: connection closed (QEMU exited)' % execute)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QMPError('QMP %s: no reply in %ss' % (execute, timeout))
                self._cond.wait(min(left, 1.0))
            reply = self._replies.pop(cid)
        if 'error' in reply:
            err = reply['error']
            raise QMPError('QMP %s %s: %s: %s' % (execute, json.dumps(arguments),
                                                  err.get('class'), err.get('desc')))
        return reply.get('return')

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(5)
        try:
            self._log.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Keys

_QCODE_CHARS = {' ': 'spc', '\n': 'ret', '\r': 'ret', '\t': 'tab', '-': 'minus',
                '=': 'equal', '[': 'bracket_left', ']': 'bracket_right',
                ';': 'semicolon', "'": 'apostrophe', '`': 'grave_accent',
                '\\': 'backslash', ',': 'comma', '.': 'dot', '/': 'slash',
                '\x1b': 'esc', '\b': 'backspace'}
_SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7',
            '*': '8', '(': '9', ')': '0', '_': '-', '+': '=', '{': '[', '}': ']',
            ':': ';', '"': "'", '~': '`', '|': '\\', '<': ',', '>': '.', '?': '/'}
_KEY_ALIASES = {'enter': 'ret', 'return': 'ret', 'escape': 'esc', 'del': 'delete',
                'space': 'spc', 'control': 'ctrl', 'pgup': 'pgup', 'pgdn': 'pgdn'}


def _char_keys(ch):
    """One character of US-layout text -> list of qcodes pressed together."""
    if ch in _SHIFTED:
        return ['shift'] + _char_keys(_SHIFTED[ch])
    if ch.isascii() and ch.isalpha():
        return (['shift', ch.lower()] if ch.isupper() else [ch])
    if ch.isascii() and ch.isdigit():
        return [ch]
    if ch in _QCODE_CHARS:
        return [_QCODE_CHARS[ch]]
    raise ValueError('send_text: no key for %r' % ch)


# ---------------------------------------------------------------------------
# Images


def ppm_to_png(ppm, png):
    """Convert a binary PPM (P6, maxval 255) file to PNG, in pure Python."""
    with open(ppm, 'rb') as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    if fields[0] != b'P6' or int(fields[3]) != 255:
        raise ValueError('%s: not a P6 PPM with maxval 255' % ppm)
    w, h = int(fields[1]), int(fields[2])
    pix = data[pos:pos + w * h * 3]
    stride = w * 3
    raw = b''.join(b'\0' + pix[y * stride:(y + 1) * stride] for y in range(h))

    def chunk(kind, body):
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff))
    with open(png, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))
    return png


def qemu_displays():
    """The -display back ends this QEMU can load (e.g. {'none', 'gtk', 'sdl'})."""
    try:
        out = subprocess.run([QEMU, '-display', 'help'], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


# ---------------------------------------------------------------------------
# Machine


def _fmt_timeline(events):
    return ''.join('  %5.1fs  %s\n' % (t, label) for t, label in events)


def timeline(*machines):
    """Format the timelines of the given machines (default: every Machine this
    process created), one block per machine: '  12.3s  xen start'."""
    machines = machines or tuple(_all_machines)
    out = []
    for m in machines:
        out.append('timeline %s:\n' % m.name)
        out.append(_fmt_timeline(m.timeline))
    return ''.join(out)


# The SMBIOS OEM string that keeps the test ISO's service VMs from starting at
# boot (Machine(autostart=False), the default); iso/test-variant/cairn-test-shell.sh.
NO_AUTOSTART_OEM_STRING = 'cairn.test.autostart=off'

# QEMU's CPU for every boot (docs/testing.md).  SMAP off: with it, PV dom0
# crashes under TCG (QEMU-NOTES).  XSAVE and AVX off: with them, on QEMU 7.2's
# TCG, processes in PV dom0 crashed now and then (PID 1 and its children at
# one libc instruction, systemctl getting "Invalid argument", xl reading a
# kernel that was intact as corrupt) once guests ran; without them the same
# boots ran clean (docs/service-vms.md, "Status").  ERMS and FSRM off: with
# them Linux clears and copies pages with `rep stosb`/`rep movsb`, which TCG runs
# one byte per iteration; dom0's kernel spent most of its boot in clear_page_erms
# (docs/testing.md, "Boot time under TCG").
DEFAULT_CPU = 'max,-smap,-xsave,-xsaveopt,-xsavec,-xsaves,-avx,-avx2,-fma,-f16c,-erms,-fsrm'


class Machine:
    """One QEMU boot; use as a context manager.  See the module docstring."""

    def __init__(self, outdir, iso=None, firmware='ovmf', boot='cd', tpm=True,
                 tpm_state=None, disks=(), memory=2048, smp=2, ovmf_vars=None,
                 extra_args=(), name='boot1', display='none', net=False,
                 no_reboot=True, serial_delay=0.01, shell_prompt=r'[#$] $',
                 fail_patterns=None, cpu=DEFAULT_CPU, quiet=False,
                 firmware_log=True, on_serial=None, tpm_model='tpm-tis', iommu=False,
                 autostart=False):
        if firmware not in ('ovmf', 'seabios'):
            raise ValueError("firmware must be 'ovmf' or 'seabios'")
        if boot not in ('cd', 'usb', 'usb-rw'):
            # 'usb-rw': the image is a writable stick (writes reach the file).
            raise ValueError("boot must be 'cd', 'usb' or 'usb-rw'")
        self.outdir = os.path.abspath(os.fspath(outdir))
        self.iso = os.path.abspath(os.fspath(iso)) if iso else None
        self.firmware = firmware
        self.boot = boot
        self.tpm = tpm
        self.tpm_state = os.path.abspath(tpm_state) if tpm_state else None
        self.disks = list(disks)
        self.memory = memory
        self.smp = smp
        self.ovmf_vars = os.path.abspath(ovmf_vars) if ovmf_vars else None
        self.extra_args = list(extra_args)
        self.name = name
        self.display = display
        self.net = net
        self.no_reboot = no_reboot
        self.serial_delay = serial_delay
        self.shell_prompt = shell_prompt
        self.fail_patterns = FAIL_PATTERNS if fail_patterns is None else fail_patterns
        # CAIRN_QEMU_CPU overrides every test's CPU model (e.g. to try another one).
        self.cpu = os.environ.get('CAIRN_QEMU_CPU') or cpu
        self.quiet = quiet
        self.firmware_log_enabled = firmware_log
        self.on_serial = on_serial
        self.tpm_model = tpm_model
        # An emulated VT-d IOMMU: Xen then offers PCI passthrough (the NIC to the
        # NDVM); Xen finds its DMAR table whatever the CPU model's vendor.
        self.iommu = iommu
        # The test ISO starts the service VMs at boot only when asked: without
        # autostart an SMBIOS OEM string (type 11) tells its test hook to start
        # cairn-vmd with --no-autostart (iso/test-variant/README.md).  The release
        # ISO has no such hook and always starts them.
        self.autostart = autostart
        self.proc = None
        self.swtpm = None
        self.console = None
        self._qmp = None
        self._t0 = None
        self._events = []
        self._seen = set()
        self._markers = [(label, re.compile(rx)) for label, rx in AUTO_MARKERS]
        self._tmpdir = None
        self._killed = False
        self._finished = False
        self._shots = 0
        self._logs = {}

    # -- paths
    def log(self, kind):
        """Path of one of this boot's files: log('serial') -> outdir/<name>-serial.log."""
        ext = {'timeline': 'txt', 'journal': 'txt'}.get(kind, 'log')
        return os.path.join(self.outdir, '%s-%s.%s' % (self.name, kind, ext))

    def _sock(self, kind):
        return os.path.join(self._sockdir, '%s-%s.sock' % (self.name, kind))

    # -- timeline
    def mark(self, label):
        """Add a timeline event at the current time."""
        t = 0.0 if self._t0 is None else time.monotonic() - self._t0
        self._events.append((round(t, 3), label))
        return t

    @property
    def timeline(self):
        return list(self._events)

    def _on_line(self, line):
        for label, rx in self._markers:
            if label not in self._seen and rx.search(line):
                self._seen.add(label)
                self.mark(label)

    # -- start / stop
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, etype, exc, tb):
        if etype is not None and not issubclass(etype, (Skip, KeyboardInterrupt, SystemExit)):
            if self.proc is not None and self.proc.poll() is None and self._qmp is not None:
                try:
                    path = self.screendump('%s-failure.png' % self.name, timeout=10)
                    print('%s: screen at failure: %s' % (self.name, path), file=sys.stderr)
                except Exception:
                    pass
                self._xen_dump()
                self._save_journal()
            if self.console is not None and not isinstance(exc, TestFailure):
                tail = '\n'.join('  | ' + line for line in self.console.tail(30))
                print('%s: last serial lines:\n%s\nserial log: %s'
                      % (self.name, tail, self.log('serial')), file=sys.stderr)
        self.finish()
        return False

    # Lines of a journal that say a process in the machine crashed.
    CRASH_LINES = r'segfault at|traps:|general protection|Caught <|Assertion .* failed'

    @classmethod
    def _crash_lines(cls, text):
        """The lines of journal text that say a process crashed (not the shell's markers)."""
        return [line for line in text.splitlines()
                if re.search(cls.CRASH_LINES, line) and '__C' not in line]

    def _xen_dump(self):
        """After a failure under Xen: Xen's own view of dom0's vCPUs, taken with its
        debug key '0' on the serial console (Ctrl-A three times hands the serial input
        to Xen, three more hand it back). A dom0 whose kernel hangs cannot answer its
        shell, but Xen still says where each vCPU is: NAME-xen-dump.log, and the
        instruction pointers on stderr (a PV dom0's kernel is not relocated: name
        them with /proc/kallsyms of any boot of the same image)."""
        con = self.console
        if con is None or con._closed or '(XEN) *** Serial input to DOM0' not in con.text():
            return
        start = len(con.text())
        try:
            con.write(b'\x01\x01\x01', delay=0.1)
            time.sleep(1.0)
            con.write(b'0', delay=0)
            # Xen prints every vCPU's registers and guest stack; wait until it stops.
            last, quiet_since, deadline = start, time.monotonic(), time.monotonic() + 20
            while time.monotonic() < deadline and time.monotonic() - quiet_since < 2.0:
                time.sleep(0.25)
                now = len(con.text())
                if now != last:
                    last, quiet_since = now, time.monotonic()
            con.write(b'\x01\x01\x01', delay=0.1)
        except Exception as e:
            print('%s: no Xen dump: %s' % (self.name, e), file=sys.stderr)
            return
        text = con.text()[start:]
        path = self.log('xen-dump')
        with open(path, 'w') as f:
            f.write(text)
        rips = re.findall(r'Dumping Dom0 vcpu#(\d+)|RIP:\s+[0-9a-f]+:\[<([0-9a-f]{16})>\]', text)
        lines, vcpu = [], None
        for v, rip in rips:
            if v:
                vcpu = v
            elif vcpu is not None:
                lines.append('  | dom0 vcpu%s at %s' % (vcpu, rip))
                vcpu = None
        print('%s: Xen dump of dom0 at failure: %s%s' % (
            self.name, path, ''.join('\n' + line for line in lines)), file=sys.stderr)

    def _save_journal(self):
        """After a failure, with the machine's root shell still answering: its
        journal since boot into NAME-journal.txt, and the lines that say a
        process crashed on stderr (a crash in dom0 explains most odd failures)."""
        con = self.console
        if con is None or not con._shell_ready or con._closed:
            return
        try:
            rc, text = con.shell('journalctl -b --no-pager -o short-monotonic | tail -n 3000',
                                 timeout=120, check=False)
        except Exception as e:  # the shell may be what failed
            print('%s: no journal saved: %s' % (self.name, str(e).splitlines()[0]), file=sys.stderr)
            return
        path = self.log('journal')
        with open(path, 'w') as f:
            f.write(text)
        crashed = self._crash_lines(text)
        print('%s: journal at failure: %s' % (self.name, path), file=sys.stderr)
        if crashed:
            print('%s: processes that crashed in the machine:\n%s' % (
                self.name, '\n'.join('  | ' + line for line in crashed[-10:])), file=sys.stderr)

    def _check_tools(self):
        need = [QEMU] + ([SWTPM] if self.tpm else [])
        for tool in need:
            if shutil.which(tool) is None:
                raise Skip('%s not found (Debian packages: qemu-system-x86, swtpm)' % tool)
        if self.firmware == 'ovmf':
            for f in (OVMF_CODE, OVMF_VARS):
                if not os.path.exists(f):
                    raise Skip('%s not found (Debian package: ovmf)' % f)
        if self.iso and not os.path.exists(self.iso):
            raise Skip('ISO %s not found (build it with ./build.sh)' % self.iso)
        for d in self.disks:
            path = os.fspath(d['file'] if isinstance(d, dict) else d)
            if not os.path.exists(path):
                raise TestFailure('disk image %s not found' % path)

    def start(self):
        self._check_tools()
        os.makedirs(self.outdir, exist_ok=True)
        _install_handlers()
        with _live_lock:
            _live.add(self)
            if self not in _all_machines:
                _all_machines.append(self)
        # Unix socket paths are limited to 107 bytes: use a short private
        # directory when the output folder is too deep.
        if len(os.path.join(self.outdir, self.name + '-swtpm.sock')) < 100:
            self._sockdir = self.outdir
        else:
            self._tmpdir = tempfile.mkdtemp(prefix='cairn-qemu-')
            self._sockdir = self._tmpdir
        for kind in ('serial', 'qmp', 'swtpm'):
            try:
                os.unlink(self._sock(kind))
            except FileNotFoundError:
                pass
        for kind in ('serial', 'qemu', 'qmp', 'swtpm', 'firmware'):
            open(self.log(kind), 'w').close()
        if self.tpm:
            self._start_swtpm()
        args = self.qemu_args()
        with open(self.log('qemu'), 'a') as f:
            f.write('$ %s\n' % ' '.join(_shquote(a) for a in args))
        qlog = open(self.log('qemu'), 'ab')
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=qlog,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_child_setup, close_fds=True)
        qlog.close()
        self._t0 = time.monotonic()
        self.mark('qemu start')
        sock = self._connect(self._sock('serial'), 'serial')
        self.console = Console(sock, self.log('serial'), name=self.name,
                               delay=self.serial_delay, prompt=self.shell_prompt,
                               on_line=self._on_line, fail_patterns=self.fail_patterns,
                               on_output=self.on_serial)
        self.console.exit_status = lambda: self.proc.poll()
        sock = self._connect(self._sock('qmp'), 'QMP')
        try:
            self._qmp = QMP(sock, self.log('qmp'), self._t0)
        except TestFailure:
            time.sleep(0.2)
            if self.proc.poll() is None:
                raise
            raise TestFailure('QEMU exited with status %s while starting; see %s:\n%s'
                              % (self.proc.returncode, self.log('qemu'),
                                 _tail_file(self.log('qemu'), 15)))

    def _connect(self, path, what, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise TestFailure('QEMU exited with status %s before its %s socket was up; '
                                  'see %s:\n%s' % (self.proc.returncode, what, self.log('qemu'),
                                                   _tail_file(self.log('qemu'), 15)))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
            if time.monotonic() > deadline:
                raise TestFailure('QEMU %s socket %s did not come up in %ss; see %s'
                                  % (what, path, timeout, self.log('qemu')))
            time.sleep(0.05)

    def _start_swtpm(self):
        state = self.tpm_state
        if state is None:
            state = os.path.join(self.outdir, '%s-tpm' % self.name)
            shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state, exist_ok=True)
        self.tpm_dir = state
        ctrl = self._sock('swtpm')
        args = [SWTPM, 'socket', '--tpm2', '--tpmstate', 'dir=' + state,
                '--ctrl', 'type=unixio,path=' + ctrl, '--terminate',
                '--log', 'file=%s,level=1' % self.log('swtpm')]
        log = open(self.log('swtpm'), 'ab')
        log.write(('$ %s\n' % ' '.join(args)).encode())
        log.flush()
        self.swtpm = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=_child_setup, close_fds=True)
        log.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                if stat.S_ISSOCK(os.stat(ctrl).st_mode):
                    break
            except FileNotFoundError:
                pass
            if self.swtpm.poll() is not None:
                raise TestFailure('swtpm exited with status %s; see %s:\n%s'
                                  % (self.swtpm.returncode, self.log('swtpm'),
                                     _tail_file(self.log('swtpm'), 15)))
            if time.monotonic() > deadline:
                raise TestFailure('swtpm socket %s did not appear; see %s'
                                  % (ctrl, self.log('swtpm')))
            time.sleep(0.02)
        time.sleep(0.05)  # bind() comes just before listen()

    def qemu_args(self):
        """The QEMU command line (needs the socket folder set up by start())."""
        a = [QEMU, '-name', 'cairn-' + self.name, '-machine', 'q35', '-accel', 'tcg',
             '-cpu', self.cpu, '-m', str(self.memory), '-smp', str(self.smp),
             '-display', self.display, '-monitor', 'none',
             # No default devices (an empty CD drive, an unrestricted NIC...):
             # everything the machine has is listed here.
             '-nodefaults', '-vga', 'std']
        if self.no_reboot:
            a.append('-no-reboot')
        if self.firmware == 'ovmf':
            vars_path = self.ovmf_vars
            if vars_path is None:
                vars_path = os.path.join(self.outdir, '%s-OVMF_VARS.fd' % self.name)
                shutil.copyfile(OVMF_VARS, vars_path)
            elif not os.path.exists(vars_path):
                os.makedirs(os.path.dirname(vars_path), exist_ok=True)
                shutil.copyfile(OVMF_VARS, vars_path)
            self.vars_file = vars_path
            a += ['-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=' + OVMF_CODE,
                  '-drive', 'if=pflash,format=raw,unit=1,file=' + vars_path]
        if self.firmware_log_enabled:
            # SeaBIOS (and OVMF debug builds) print their log on I/O port 0x402.
            a += ['-chardev', 'file,id=fwlog,path=' + self.log('firmware'),
                  '-device', 'isa-debugcon,iobase=0x402,chardev=fwlog']
        a += ['-chardev', 'socket,id=ser0,path=%s,server=on,wait=on' % self._sock('serial'),
              '-serial', 'chardev:ser0',
              '-qmp', 'unix:%s,server=on,wait=off' % self._sock('qmp')]
        if self.tpm:
            a += ['-chardev', 'socket,id=chrtpm,path=' + self._sock('swtpm'),
                  '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
                  '-device', '%s,tpmdev=tpm0' % self.tpm_model]
        if self.iso:
            if self.boot == 'cd':
                a += ['-drive', 'file=%s,media=cdrom,if=none,id=cd0,readonly=on,format=raw'
                      % self.iso, '-device', 'ide-cd,drive=cd0,bus=ide.0,bootindex=0']
            else:
                a += ['-device', 'qemu-xhci,id=xhci',
                      '-drive', 'if=none,id=stick,file=%s,format=raw,snapshot=%s'
                      % (self.iso, 'off' if self.boot == 'usb-rw' else 'on'),
                      '-device', 'usb-storage,bus=xhci.0,drive=stick,bootindex=0']
        for i, d in enumerate(self.disks):
            a += _disk_args(i, d)
        if self.iommu:
            a += ['-device', 'intel-iommu,intremap=on,caching-mode=on']
        if not self.autostart:
            a += ['-smbios', 'type=11,value=' + NO_AUTOSTART_OEM_STRING]
        if self.net:
            a += ['-netdev', 'user,id=n0,restrict=on', '-device', 'e1000e,netdev=n0']
        else:
            a += ['-nic', 'none']  # QEMU would otherwise add an unrestricted user NIC
        return a + self.extra_args

    def kill(self):
        """Kill QEMU and swtpm (whole process groups).  Idempotent."""
        rc = _killpg(self.proc)
        _killpg(self.swtpm, grace=2.0)
        with _live_lock:
            _live.discard(self)
        return rc

    def finish(self):
        """Kill everything, close sockets, write and print the timeline."""
        if self._finished:
            return
        self._finished = True
        self.kill()
        for c in (self.console, self._qmp):
            if c is not None:
                try:
                    c.close()
                except Exception:
                    pass
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        else:
            for kind in ('serial', 'qmp', 'swtpm'):
                try:
                    os.unlink(self._sock(kind))
                except (FileNotFoundError, AttributeError):
                    pass
        if self._t0 is not None:
            text = _fmt_timeline(self._events)
            with open(self.log('timeline'), 'w') as f:
                f.write(text)
            if not self.quiet:
                sys.stdout.write('timeline %s (%s):\n%s' % (self.name, self.log('timeline'), text))
                sys.stdout.flush()

    # -- serial
    def _need_console(self):
        if self.console is None:
            raise TestFailure('%s: machine not started' % self.name)
        return self.console

    def wait_for(self, pattern, timeout=60):
        return self._need_console().wait_for(pattern, timeout)

    def wait_for_any(self, patterns, timeout=60):
        return self._need_console().wait_for_any(patterns, timeout)

    def serial_write(self, data, delay=None):
        self._need_console().write(data, delay)

    def shell(self, cmd, timeout=60, check=True):
        return self._need_console().shell(cmd, timeout, check)

    def serial_text(self, raw=False):
        return self._need_console().text(raw)

    def crashes(self):
        """The lines of the machine's journal since boot (kernel and processes) that
        say a process crashed (CRASH_LINES); [] when none did.  Needs the root shell."""
        rc, out = self.shell("journalctl -b --no-pager -o cat | grep -E '%s'" % self.CRASH_LINES,
                             timeout=120, check=False)
        return [line for line in self._crash_lines(out) if 'grep -E' not in line]

    # -- QMP
    def qmp(self, command, arguments=None, timeout=60, **kwargs):
        """Run a QMP command; returns its 'return' value, raises QMPError.
        Arguments as keywords, or as a dict for names with dashes:
        m.qmp('send-key', {'keys': [...], 'hold-time': 200})."""
        if self._qmp is None:
            raise TestFailure('%s: machine not started' % self.name)
        args = dict(arguments or {}, **kwargs)
        return self._qmp.command(command, timeout=timeout, **args)

    @property
    def qmp_events(self):
        return list(self._qmp.events) if self._qmp else []

    def send_key(self, key, hold_time=100):
        """Press a key combination: 'e', 'ret', 'esc', 'down', 'ctrl-alt-delete'."""
        keys = [_KEY_ALIASES.get(k, k) for k in key.split('-')] if key != '-' else ['minus']
        self.qmp('send-key', {'keys': [{'type': 'qcode', 'data': k} for k in keys],
                              'hold-time': hold_time})

    def send_text(self, text, interval=0.05):
        """Type text (US layout) with send-key; '\\n' is Enter."""
        for ch in text:
            self.qmp('send-key', keys=[{'type': 'qcode', 'data': k} for k in _char_keys(ch)])
            time.sleep(interval)

    def screendump(self, path=None, format='png', timeout=60):
        """Save the screen (PNG, or format='ppm'); relative paths are under outdir."""
        if path is None:
            self._shots += 1
            path = '%s-screen-%d.%s' % (self.name, self._shots, format)
        path = os.fspath(path)
        if not os.path.isabs(path):
            path = os.path.join(self.outdir, path)
        if format == 'ppm':
            self.qmp('screendump', timeout=timeout, filename=path)
            return path
        try:
            self.qmp('screendump', timeout=timeout, filename=path, format='png')
        except QMPError as e:
            if 'format' not in str(e) and 'png' not in str(e).lower():
                raise
            ppm = path + '.ppm'
            self.qmp('screendump', timeout=timeout, filename=ppm)
            ppm_to_png(ppm, path)
            os.unlink(ppm)
        return path

    def screen_text(self):
        """The VGA text-mode screen (SeaBIOS, GRUB and Linux on BIOS text
        consoles), read from guest memory at 0xb8000: 25 lines of 80 columns.
        Meaningless when the display is in a graphics mode (OVMF/GOP)."""
        fd, tmp = tempfile.mkstemp(prefix='cairn-vga-')
        os.close(fd)
        try:
            self.qmp('pmemsave', val=0xb8000, size=80 * 25 * 2, filename=tmp)
            with open(tmp, 'rb') as f:
                data = f.read()
        finally:
            os.unlink(tmp)
        chars = data[0::2].decode('cp437')
        return '\n'.join(chars[i * 80:(i + 1) * 80].rstrip() for i in range(25))

    def wait_for_screen(self, pattern, timeout=60, interval=2.0):
        """Poll screen_text() until the regex matches; returns the re.Match."""
        rx = _pattern(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen_text()
            m = rx.search(text)
            if m:
                return m
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = ('QEMU exited' if self.proc.poll() is not None
                       else 'timed out after %ss' % timeout)
                raise TestFailure('%s waiting for /%s/ on the VGA text screen of %s; screen:\n%s'
                                  % (why, rx.pattern, self.name, text))
            time.sleep(interval)

    def firmware_log(self):
        """Text of the firmware debug log (I/O port 0x402: SeaBIOS prints there)."""
        with open(self.log('firmware'), 'rb') as f:
            return f.read().decode(errors='replace')

    # -- exit
    def wait_exit(self, timeout=60):
        """Wait for QEMU to exit (e.g. poweroff; reboot with -no-reboot); returns its status."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            lines = '\n'.join('  | ' + line for line in self.console.tail(30))
            raise TestFailure('timed out after %ss waiting for QEMU (%s) to exit\n'
                              'last 30 serial lines:\n%s\nserial log: %s'
                              % (timeout, self.name, lines, self.log('serial')))
        self.mark('qemu exit')
        return rc

    @property
    def pids(self):
        """{'qemu': pid, 'swtpm': pid} of the processes started."""
        d = {}
        if self.proc:
            d['qemu'] = self.proc.pid
        if self.swtpm:
            d['swtpm'] = self.swtpm.pid
        return d


def _disk_args(i, d):
    """Extra disks: AHCI (ide-hd on the q35 AHCI controller) by default, like the
    SATA disks of real machines; dict entries may say 'if': 'virtio' or 'nvme'."""
    if isinstance(d, dict):
        path, iface, fmt = d['file'], d.get('if', 'ahci'), d.get('format')
    else:
        path, iface, fmt = d, 'ahci', None
    path = os.path.abspath(os.fspath(path))
    if fmt is None:
        fmt = 'qcow2' if path.endswith('.qcow2') else 'raw'
    did = 'disk%d' % i
    a = ['-drive', 'file=%s,if=none,id=%s,format=%s' % (path, did, fmt)]
    if iface == 'virtio':
        a += ['-device', 'virtio-blk-pci,drive=%s,bootindex=%d' % (did, i + 1)]
    elif iface == 'nvme':
        a += ['-device', 'nvme,drive=%s,serial=cairn%d,bootindex=%d' % (did, i, i + 1)]
    else:
        # q35's AHCI has six ports, ide.0 to ide.5; the CD is on ide.0.
        a += ['-device', 'ide-hd,drive=%s,bus=ide.%d,bootindex=%d' % (did, i + 1, i + 1)]
    return a


def _shquote(s):
    return s if re.fullmatch(r'[\w@%+=:,./-]+', s) else "'" + s.replace("'", "'\\''") + "'"


def _tail_file(path, n):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode(errors='replace').splitlines()[-n:]
    except OSError:
        return ''
    return '\n'.join('  | ' + line for line in lines)
