"""Job slicing as AWX does it: a slice job's inventory holds only every Nth host (in name order), with all
group variables. The demo inventory is split in two and each slice runs the playbook on its own."""
from __future__ import annotations

import os
import shutil

import yaml

from conftest import BIN, REPO, run_ansible, sandbox_endpoints_env

DEMO = os.path.join(REPO, "examples", "demo")


def slice_inventory(folder, number: int, count: int) -> list:
    """Copy the demo inventory into ``folder`` keeping the hosts of slice ``number`` (1-based) of ``count``,
    as AWX's slice jobs get it; return the slice's host names."""
    shutil.copytree(DEMO, folder)
    with open(os.path.join(folder, "inventory.yml"), encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    hosts = sorted(inventory["tenants"]["hosts"])[number - 1::count]
    inventory["tenants"]["hosts"] = {h: v for h, v in inventory["tenants"]["hosts"].items() if h in hosts}
    for child in inventory["tenants"]["children"].values():
        child["hosts"] = {h: v for h, v in (child.get("hosts") or {}).items() if h in hosts} or None
    with open(os.path.join(folder, "inventory.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle)
    return hosts


def run_slice(sandbox, collections_path, tmp_path, number: int, count: int, extra_vars=None):
    folder = tmp_path / f"slice{number}"
    hosts = slice_inventory(str(folder / "inventory"), number, count)
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(folder / "inventory" / "inventory.yml"),
               "tenantops.entra.external_collaboration"]
    if extra_vars:
        command += ["-e", yaml.safe_dump(extra_vars, default_flow_style=True).strip()]
    return hosts, run_ansible(command, collections_path, str(folder), sandbox_endpoints_env(sandbox))


def test_each_slice_applies_and_summarises_its_own_tenants(sandbox, collections_path, tmp_path):
    # Without the demo's relationship (see the next test), the baseline and layers need no other host.
    no_relationships = {"entra_relationships": []}
    seen = []
    for number in (1, 2):
        hosts, run = run_slice(sandbox, collections_path, tmp_path, number, 2, no_relationships)
        assert run.rc == 0, run.stdout[-3000:]
        summary = run.task("Per-tenant summary")
        assert sorted(summary["tenants"]) == hosts  # the summary covers this slice only
        assert {entry["status"] for entry in summary["tenants"].values()} == {"changed"}
        seen += hosts
    assert sorted(seen) == ["contoso", "fabrikam", "northwind"]
    northwind = sandbox.state("northwind")["policies"]["authorizationPolicy"]
    assert northwind["allowInvitesFrom"] == "none"  # its host_vars layer applied in its slice


def test_a_relationship_across_slices_is_refused_before_any_write(sandbox, collections_path, tmp_path):
    # Contoso and Fabrikam are related; slicing in two puts them apart (contoso+northwind | fabrikam).
    hosts, run = run_slice(sandbox, collections_path, tmp_path, 2, 2)
    assert hosts == ["fabrikam"]
    assert run.rc != 0
    assert "'contoso' is not a tenant of the inventory" in run.stdout
    writes = [e for e in sandbox.requests_log()["entries"] if e["service"] == "graph" and e["method"] != "GET"
              and not e["path"].endswith("$batch")]
    assert writes == []
