"""Running the end-to-end tests in tests/e2e/manual/ by hand: they are not collected
by ./build.sh test (each file's docstring says why).  Each test gets what
tests/run.py gives the collected ones: out/images, out/cairn-test.iso and a fresh
out/tests/NAME."""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[3]


class Ctx:
    def __init__(self, name):
        self.out = ROOT / "out"
        self.images = self.out / "images"
        self.test_iso = self.out / "cairn-test.iso"
        self.outdir = self.out / "tests" / name
        subprocess.run(["rm", "-rf", str(self.outdir)], check=True)
        self.outdir.mkdir(parents=True)


def run(tests):
    """tests: (name, function) pairs, run in order; a failure raises."""
    for name, fn in tests:
        fn(Ctx(name))
        print(f"PASS {name}")
