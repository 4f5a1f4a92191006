#!/usr/bin/env python3
"""Cairn's test runner (./build.sh test [PATTERN]).

Runs, in order: lint checks, the meson unit tests of the -Werror build
(unit/...), the same tests in the address+undefined sanitizer build (asan/...),
and the QEMU end-to-end tests (e2e_* functions in tests/e2e/e2e_*.py).
PATTERN selects tests by name: a glob when it has * ? or [, else a substring.
Ends with one line "N passed, N failed, N skipped"; exits 1 on any failure.
"""
import argparse
import fnmatch
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("CAIRN_OUT", ROOT / "out"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))


class Results:
    def __init__(self):
        self.rows = []

    def add(self, name, status, seconds, detail=""):
        self.rows.append((name, status, seconds, detail))
        tag = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[status]
        line = f"{tag:4}  {name}  ({seconds:.1f}s)"
        if detail and status != "pass":
            line += f": {detail}"
        print(line, flush=True)

    def count(self, status):
        return sum(1 for r in self.rows if r[1] == status)


def matches(name, pattern):
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def build(step):
    """Run a build.sh step; returns (ok, message)."""
    t0 = time.monotonic()
    p = subprocess.run([str(ROOT / "build.sh"), step], cwd=ROOT)
    if p.returncode != 0:
        return False, f"./build.sh {step} failed (exit {p.returncode}); see out/logs/"
    print(f"build {step}: {time.monotonic() - t0:.0f}s", flush=True)
    return True, ""


# --- lint --------------------------------------------------------------------

def shell_files():
    files = [ROOT / "build.sh", ROOT / ".ci" / "run"]
    files += sorted((ROOT / "scripts").glob("*.sh"))
    files += sorted(p for p in (ROOT / "rootfs").glob("*/customize"))
    files += sorted((ROOT / "rootfs" / "lib").glob("*.sh"))
    files += [ROOT / "rootfs/dom0/overlay/usr/lib/cairn/cairn-svm-images"]
    files += sorted((ROOT / "rootfs/ndvm/overlay/usr/lib/cairn/ndvm").iterdir())
    files += sorted((ROOT / "initramfs").rglob("*.sh"))
    files += sorted((ROOT / "iso").rglob("*.sh"))
    return files


def lint_shellcheck():
    p = subprocess.run(["shellcheck", "-x", "-S", "warning", *map(str, shell_files())],
                       cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        return "fail", (p.stdout + p.stderr).strip()[-2000:]
    return "pass", ""


LINT = {"lint/shellcheck": lint_shellcheck}


# --- meson unit tests ----------------------------------------------------------

def meson_list(builddir):
    p = subprocess.run(["meson", "test", "-C", str(builddir), "--list"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    names = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("ninja"):
            continue
        # "project:suite / name" when suites are set, else just "name".
        names.append(short_name(line))
    return names


def short_name(name):
    """"project:suite / name" (meson with suites) -> "name"."""
    return name.split(" / ", 1)[1] if " / " in name else name


def run_meson(results, builddir, prefix, pattern, build_step):
    ok, msg = build(build_step)
    if not ok:
        results.add(f"{prefix}/build", "fail", 0, msg)
        return
    names = [n for n in meson_list(builddir) if matches(f"{prefix}/{n}", pattern)]
    if not names:
        return
    log = builddir / "meson-logs" / "testlog.json"
    log.unlink(missing_ok=True)
    subprocess.run(["meson", "test", "-C", str(builddir), "--no-rebuild",
                    "--print-errorlogs", "--num-processes", "2", *names],
                   stdout=subprocess.DEVNULL if not os.environ.get("CAIRN_VERBOSE") else None)
    seen = set()
    if log.exists():
        for line in log.read_text().splitlines():
            r = json.loads(line)
            name = short_name(r["name"])
            seen.add(name)
            res = r["result"]
            detail = ""
            if res in ("OK", "EXPECTEDFAIL"):
                status = "pass"
            elif res == "SKIP":
                status = "skip"
                detail = (r.get("stdout", "") or r.get("stderr", "")).strip().splitlines()[-1:] or [""]
                detail = detail[0]
            else:
                status = "fail"
                out = (r.get("stdout", "") + r.get("stderr", "")).strip()
                detail = f"{res}; " + " | ".join(out.splitlines()[-15:])
            results.add(f"{prefix}/{name}", status, r.get("duration", 0.0), detail)
    for name in names:
        if name not in seen:
            results.add(f"{prefix}/{name}", "fail", 0, "did not run (see meson-logs)")


# --- end-to-end tests -------------------------------------------------------------

def e2e_tests():
    tests = []
    for path in sorted((ROOT / "tests" / "e2e").glob("e2e_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr in dir(mod):
            fn = getattr(mod, attr)
            if attr.startswith("e2e_") and callable(fn):
                tests.append((attr, fn, getattr(mod, "ORDER", 50)))
    tests.sort(key=lambda t: (t[2], t[0]))
    return [(n, f) for n, f, _ in tests]


class Context:
    """What an end-to-end test gets: its output folder and the built artefacts."""

    def __init__(self, name):
        self.name = name
        self.root = ROOT
        self.out = OUT
        self.outdir = OUT / "tests" / name
        self.iso = OUT / "cairn.iso"
        self.test_iso = OUT / "cairn-test.iso"
        self.images = OUT / "images"
        if self.outdir.exists():
            subprocess.run(["rm", "-rf", str(self.outdir)])
        self.outdir.mkdir(parents=True)

    def roothash(self):
        return (self.images / "dom0.roothash").read_text().strip()


def run_e2e(results, pattern):
    tests = [(n, f) for n, f in e2e_tests() if matches(n, pattern)]
    if not tests:
        return
    ok, msg = build("images")
    if not ok:
        for n, _ in tests:
            results.add(n, "fail", 0, msg)
        return
    from harness import Skip  # noqa: E402  (harness lives in tests/e2e)
    for name, fn in tests:
        print(f"----  {name}", flush=True)
        ctx = Context(name)
        t0 = time.monotonic()
        try:
            fn(ctx)
            results.add(name, "pass", time.monotonic() - t0)
        except Skip as e:
            results.add(name, "skip", time.monotonic() - t0, str(e))
        except Exception as e:  # a failing test must never stop the others
            (ctx.outdir / "failure.txt").write_text(traceback.format_exc())
            results.add(name, "fail", time.monotonic() - t0,
                        f"{type(e).__name__}: {e} (logs: {ctx.outdir.relative_to(ROOT) if ctx.outdir.is_relative_to(ROOT) else ctx.outdir})")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pattern", nargs="?", default="")
    ap.add_argument("--list", action="store_true", help="list the end-to-end and lint tests")
    args = ap.parse_args()

    if args.list:
        for n in LINT:
            print(n)
        for n, _ in e2e_tests():
            print(n)
        return 0

    results = Results()
    t0 = time.monotonic()
    for name, fn in LINT.items():
        if matches(name, args.pattern):
            s = time.monotonic()
            status, detail = fn()
            results.add(name, status, time.monotonic() - s, detail)
    run_meson(results, OUT / "build", "unit", args.pattern, "c")
    run_meson(results, OUT / "build-asan", "asan", args.pattern, "asan")
    run_e2e(results, args.pattern)

    failed = results.count("fail")
    if failed:
        print("\nFailed:")
        for name, status, _, detail in results.rows:
            if status == "fail":
                print(f"  {name}: {detail[:300]}")
    print(f"\nwhole run: {time.monotonic() - t0:.0f}s")
    print(f"{results.count('pass')} passed, {failed} failed, {results.count('skip')} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
