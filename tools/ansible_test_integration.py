#!/usr/bin/env python3
"""Run the ``ansible-test integration`` targets (tests/integration/targets) against the sandbox, offline.

    python tools/ansible_test_integration.py [ansible-test options, e.g. cross_tenant_access_default -v]

A user runs the same targets, unchanged, against a test tenant they own: write
tests/integration/integration_config.yml from its .template and run ``ansible-test integration`` from
the installed collection (docs/testing.md).  Here the collection is copied to a folder ending in
``ansible_collections/tenantops/entra`` (as for sanity, see ansible_test_sanity.py), the sandbox is
started with the demo seed, and integration_config.yml is written there pointing at it (Contoso's
app; Fabrikam as the test partner).  ``--local`` runs the targets with this Python, whose
environment already has msgraph-core and azure-identity.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible_test_sanity import CHECKOUT, copy_collection  # noqa: E402
from sandbox.testing import DEMO_SEED, SandboxProcess  # noqa: E402

TARGET = os.path.join(tempfile.gettempdir(), f"tenantops-entra-integration-{CHECKOUT}", "ansible_collections",
                      "tenantops", "entra")


def sandbox_config(sandbox) -> dict:
    contoso, fabrikam = sandbox.tenant("contoso"), sandbox.tenant("fabrikam")
    return {"entra_tenant_id": contoso["id"], "entra_client_id": contoso["client_id"],
            "entra_client_secret": contoso["client_secret"], "entra_test_partner": fabrikam["id"],
            "entra_login_endpoint": sandbox.login_url, "entra_graph_endpoint": sandbox.graph_url,
            "entra_ca_bundle": sandbox.ca_file}


def main() -> int:
    copy_collection(TARGET)
    sandbox = SandboxProcess(DEMO_SEED)
    try:
        with open(os.path.join(TARGET, "tests", "integration", "integration_config.yml"), "w",
                  encoding="utf-8") as handle:
            yaml.safe_dump(sandbox_config(sandbox), handle)
        bin_dir = os.path.dirname(sys.executable)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1")
        command = [os.path.join(bin_dir, "ansible-test"), "integration", "--local", "--allow-destructive", "--color", "no"] + sys.argv[1:]
        completed = subprocess.run(command, cwd=TARGET, env=env, check=False)
        # The targets restore what they change: the sandbox must be back in its seed state.
        contoso = sandbox.state("contoso")
        if contoso["partners"]:
            print(f"integration targets left partners behind: {sorted(contoso['partners'])}", file=sys.stderr)
            return completed.returncode or 1
        return completed.returncode
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
