#!/usr/bin/env python3
"""Run Automation Hub's importer (galaxy-importer) on the built collection tarball, offline.

Automation Hub and Galaxy run the same importer on every upload: it loads each plugin's
documentation with ansible-doc, lints the roles and playbooks with ansible-lint, and refuses a
collection without a role README, a license or a changelog.  Its ansible-test step needs a
container engine and is switched off here (``make sanity`` runs ansible-test sanity instead).
Exit status: the importer's (non-zero when the import fails).
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

CONFIG = """\
[galaxy-importer]
run_ansible_test = False
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
check_changelog = True
ansible_local_tmp = {tmp}
tmp_root_dir = {tmp}
log_level_main = INFO
"""


def build(destination: str) -> str:
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path",
                    destination, "--force"], check=True, capture_output=True)
    return glob.glob(os.path.join(destination, "tenantops-entra-*.tar.gz"))[0]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tenantops-import-") as work:
        tarball = build(work)
        config = os.path.join(work, "galaxy-importer.cfg")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(CONFIG.format(tmp=work))
        env = dict(os.environ, GALAXY_IMPORTER_CONFIG=config, ANSIBLE_LOCAL_TEMP=os.path.join(work, "ansible-tmp"),
                   ANSIBLE_HOME=os.path.join(work, "ansible-home"),
                   PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        completed = subprocess.run([sys.executable, "-m", "galaxy_importer.main", tarball], env=env, cwd=work,
                                   capture_output=True, text=True, check=False)
        output = completed.stdout + completed.stderr
        print("\n".join(line for line in output.splitlines() if not line.startswith("Loading ")))
        # The importer reports lint findings as warnings and still exits 0; a clean import has none.
        findings = [line for line in output.splitlines() if line.startswith(("ERROR", "WARNING"))]
        return completed.returncode or (1 if findings else 0)


if __name__ == "__main__":
    sys.exit(main())
