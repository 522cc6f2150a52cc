#!/usr/bin/env python3
"""Run the ``ansible-test integration`` targets (tests/integration/targets) against the sandbox, offline.

    python tools/ansible_test_integration.py [ansible-test options, e.g. cross_tenant_access_default -v]

A user runs the same targets, unchanged, against a test tenant they own: write
tests/integration/integration_config.yml from its .template and run ``ansible-test integration`` from
the installed collection (docs/testing.md).  Here the collection is copied to a folder ending in
``ansible_collections/tenantops/entra`` (as for sanity, see ansible_test_sanity.py), the sandbox is
started with the demo seed (plus Northwind as an existing partner of Contoso), and integration_config.yml
is written there pointing at it: Contoso's app, Fabrikam as the test partner (added, then removed), then
once more for the partner target with Northwind (changed, then restored).  Contoso's policies and
partners must be as they were after each run.  ``--local`` runs the targets with this Python, whose
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


def sandbox_config(sandbox, partner: str) -> dict:
    contoso = sandbox.tenant("contoso")
    return {"entra_tenant_id": contoso["id"], "entra_client_id": contoso["client_id"],
            "entra_client_secret": contoso["client_secret"], "entra_test_partner": sandbox.tenant(partner)["id"],
            "entra_login_endpoint": sandbox.login_url, "entra_graph_endpoint": sandbox.graph_url,
            "entra_ca_bundle": sandbox.ca_file}


def seed_with_a_partner(folder: str) -> str:
    """The demo seed, with Northwind already a partner of Contoso (MFA trusted, B2B collaboration
    inbound for one group), so that the partner target also restores an existing partner."""
    with open(DEMO_SEED, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    tenants = {t["name"]: t for t in seed["tenants"]}
    tenants["contoso"]["partners"] = [{
        "tenantId": tenants["northwind"]["id"],
        "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": True,
                         "isHybridAzureADJoinedDeviceAccepted": False},
        "b2bCollaborationInbound": {
            "usersAndGroups": {"accessType": "allowed",
                               "targets": [{"target": "0f4e1bd2-5a0c-4d7e-9f3a-6b2c8d1e4a70", "targetType": "group"}]},
            "applications": {"accessType": "allowed", "targets": [{"target": "AllApplications",
                                                                    "targetType": "application"}]}}}]
    path = os.path.join(folder, "seed.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(seed, handle)
    return path


def run_targets(sandbox, partner: str, targets: list) -> int:
    with open(os.path.join(TARGET, "tests", "integration", "integration_config.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(sandbox_config(sandbox, partner), handle)
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1")
    command = [os.path.join(bin_dir, "ansible-test"), "integration", "--local", "--allow-destructive", "--color",
               "no"] + targets
    before = sandbox.state("contoso")
    returncode = subprocess.run(command, cwd=TARGET, env=env, check=False).returncode
    after = sandbox.state("contoso")
    for part in ("partners", "policies"):
        changed = sorted(key for key in set(before[part]) | set(after[part])
                         if before[part].get(key) != after[part].get(key))
        if changed:  # the targets restore what they change
            print(f"integration targets left Contoso's {part} changed: {changed}", file=sys.stderr)
            for key in changed:
                print(f"  {key}: {before[part].get(key)!r} -> {after[part].get(key)!r}", file=sys.stderr)
            returncode = returncode or 1
    return returncode


def main() -> int:
    copy_collection(TARGET)
    with tempfile.TemporaryDirectory(prefix="tenantops-integration-") as folder:
        sandbox = SandboxProcess(seed_with_a_partner(folder))
        try:
            # Every target with Fabrikam as the test partner (not yet a partner: added, then removed);
            # then the partner target with Northwind (a partner already: changed, then restored).
            returncode = run_targets(sandbox, "fabrikam", sys.argv[1:])
            if not sys.argv[1:]:
                returncode = returncode or run_targets(sandbox, "northwind", ["cross_tenant_access_partner"])
            return returncode
        finally:
            sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
