#!/usr/bin/env python3
"""Run the unit and integration suites on the oldest and newest supported ansible-core and Python.

    python tools/version_matrix.py [oldest|newest ...]

Each combination gets its own venv under .tenantops/matrix/ with the collection's runtime
requirements (requirements.txt, lower bounds only: pip takes the newest), that ansible-core, and the
test tools; then ``pytest tests/unit`` and ``pytest tests/integration`` run in it.  Pythons come from
pyenv (/root/.pyenv/versions/<version>/bin/python) or PATH (python3.X).  The supported range stated
in README.md and meta/runtime.yml (requires_ansible) is the one this script passes on.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX = os.path.join(REPO, ".tenantops", "matrix")
COMBINATIONS = {
    # ansible-core 2.16 is the oldest requires_ansible allows; its controller runs on Python 3.10-3.12.
    "oldest": ("3.11", "ansible-core==2.16.19"),
    # The newest ansible-core, on the newest Python pyenv has (2.20 and later need Python >= 3.12).
    "newest": ("3.13", "ansible-core==2.21.5"),
}
TEST_TOOLS = ["pytest", "PyYAML", "cryptography", "PyJWT", "ansible-builder"]
SUITES = ("tests/unit", "tests/integration")


def find_python(version: str) -> str:
    candidates = sorted(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python{version}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(f"python{version}")
    if not found:
        raise SystemExit(f"no Python {version}: install it (pyenv install {version}) or put python{version} on PATH")
    return found


def prepare(name: str, python_version: str, core: str) -> str:
    venv = os.path.join(MATRIX, name)
    stamp = os.path.join(venv, ".installed-" + core)
    if not os.path.exists(stamp):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([find_python(python_version), "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check",
                        "-r", os.path.join(REPO, "requirements.txt"), core, *TEST_TOOLS], check=True)
        open(stamp, "w", encoding="utf-8").close()
    return os.path.join(venv, "bin", "python")


def versions(python: str) -> str:
    code = "import sys, ansible.release as r; print('Python %d.%d.%d' % sys.version_info[:3], 'ansible-core', r.__version__)"
    return subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def main(names: list) -> int:
    failed = []
    for name in names or list(COMBINATIONS):
        python = prepare(name, *COMBINATIONS[name])
        print(f"== {name}: {versions(python)}", flush=True)
        for suite in SUITES:
            started = time.monotonic()
            completed = subprocess.run([python, "-m", "pytest", suite, "-q", "-p", "no:cacheprovider"], cwd=REPO,
                                       check=False)
            print(f"== {name} {suite}: exit {completed.returncode} in {time.monotonic() - started:.0f} s", flush=True)
            if completed.returncode:
                failed.append(f"{name} {suite}")
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
