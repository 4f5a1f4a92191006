#!/usr/bin/env python3
"""Drive an interactive program through a pseudo-terminal, as a person at a console would.

Usage: pty-drive.py [--expect REGEX --send TEXT]... [--secret S]... -- CMD ARG...

Every "{tty}" in the command is replaced by the terminal's path (the program opens it
itself, like `cairn-config prompt --tty /dev/tty1`).  For each --expect/--send pair, in
order: wait for REGEX in what the program wrote to the terminal since the last match,
then type TEXT and Enter.  The program's stdout and stderr are this script's.  At the end
the terminal transcript goes to stderr, each line prefixed "tty| ".  Exit status: the
program's; 98 when an expected text did not come within 60 s; 97 when a --secret
appeared on the terminal (echoed).
"""
import os
import re
import select
import subprocess
import sys
import time

TIMEOUT = 60


def main(argv):
    steps, secrets = [], []
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--expect" and i + 3 < len(argv) and argv[i + 2] == "--send":
            steps.append((re.compile(argv[i + 1]), argv[i + 3]))
            i += 4
        elif argv[i] == "--secret" and i + 1 < len(argv):
            secrets.append(argv[i + 1])
            i += 2
        else:
            print(f"pty-drive: bad argument {argv[i]!r}", file=sys.stderr)
            return 2
    cmd = argv[i + 1:]
    if not cmd:
        print("pty-drive: no command", file=sys.stderr)
        return 2

    master, slave = os.openpty()
    path = os.ttyname(slave)
    proc = subprocess.Popen([a.replace("{tty}", path) for a in cmd], stdin=subprocess.DEVNULL,
                            start_new_session=True)
    text, pos, rc = "", 0, None

    def pump(wait):
        nonlocal text
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            text += data.decode("utf-8", "replace")

    for rx, send in steps:
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = rx.search(text, pos)
            if m:
                pos = m.end()
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                pump(0.2)
                if rx.search(text, pos):
                    continue
                rc = 98
                print(f"pty-drive: no /{rx.pattern}/ on the terminal", file=sys.stderr)
                break
            pump(0.1)
        if rc is not None:
            break
        os.write(master, send.encode() + b"\r")

    if rc is not None:
        proc.kill()
    try:
        code = proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        print("pty-drive: the program did not finish", file=sys.stderr)
        rc = rc or 98
    while True:  # what is left on the terminal
        before = len(text)
        pump(0.1)
        if len(text) == before:
            break
    os.close(slave)
    os.close(master)
    for line in text.replace("\r", "").splitlines():
        print("tty| " + line, file=sys.stderr)
    for s in secrets:
        if s and s in text:
            print("pty-drive: a secret was echoed on the terminal", file=sys.stderr)
            return 97
    return rc if rc is not None else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
