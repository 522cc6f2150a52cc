#!/usr/bin/env python3
"""Run ``ansible-test sanity`` on a fresh machine with no internet but the package registries.

ansible-test must run from a folder ending in ``ansible_collections/tenantops/entra`` (a symlink is
refused), so the collection's files are copied there.  Its venv bootstrap downloads a
``get-pip`` script from a host we cannot reach; the stand-in written below installs pip from
the wheel that ``pip download`` fetched from PyPI instead.  The sandbox and the tools are not
part of the collection (galaxy.yml's build_ignore) and are not copied.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Outside the git work tree: inside it, ansible-test would ask git which files exist and find none.
# One folder per checkout, so that two work trees on one machine do not run in each other's copy.
CHECKOUT = hashlib.sha256(REPO.encode()).hexdigest()[:8]
TARGET = os.path.join(tempfile.gettempdir(), f"tenantops-entra-sanity-{CHECKOUT}", "ansible_collections", "tenantops",
                      "entra")
NOT_COPIED = ("sandbox/", "tools/", ".ci/", "tests/bench/", "tests/output/")
PIP_VERSION = "24.2"  # what ansible-test 2.19 bootstraps into its venvs

GET_PIP_STAND_IN = '''\
"""Stand-in for get-pip: installs pip from a wheel next to this file (written by tenantops.entra)."""
import glob, os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, glob.glob(os.path.join(here, "pip-{version}-*.whl"))[0])
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall", "--find-links", here] + args))
'''


def prepare_get_pip() -> None:
    cache = os.path.expanduser("~/.ansible/test/cache")
    script = os.path.join(cache, "get_pip_%s.py" % PIP_VERSION.replace(".", "_"))
    if os.path.exists(script) and glob.glob(os.path.join(cache, f"pip-{PIP_VERSION}-*.whl")):
        return
    os.makedirs(cache, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    f"pip=={PIP_VERSION}", "-d", cache], check=True)
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(GET_PIP_STAND_IN.format(version=PIP_VERSION))


def collection_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    return [path for path in listed if not path.startswith(NOT_COPIED) and os.path.isfile(os.path.join(REPO, path))]


def copy_collection(target: str = TARGET) -> None:
    shutil.rmtree(target, ignore_errors=True)
    for path in collection_files():
        destination = os.path.join(target, path)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(os.path.join(REPO, path), destination)


def main() -> int:
    prepare_get_pip()
    copy_collection()
    python = "%d.%d" % sys.version_info[:2]
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-test"), "sanity", "--venv",
               "--python", python, "--color", "no"] + sys.argv[1:]
    return subprocess.run(command, cwd=TARGET, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
