"""The tenantops.entra.tenants inventory plugin, through the installed collection: hosts from a registry
file, from the sandbox's GDAP customers and multitenant organization, and the playbook run on them."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from conftest import BIN, ansible_env, run_ansible, sandbox_endpoints_env, start_sandbox
from sandbox.testing import DEMO_SEED

MSP = "3e7a9c01-5b2d-4f6e-8a1c-9d0b2e4f6a80"
MSP_APP = "3e7a9c01-0000-4000-8000-0000000000a1"  # the MSP's multi-tenant app, consented in each customer
MSP_SECRET = "msp-app-NOT-A-REAL-SECRET"
OUTSIDER = "6e0d2b7c-2222-4222-8222-222222222222"
CUSTOMER_PERMISSIONS = ["Policy.Read.All", "Policy.ReadWrite.Authorization"]


def inventory_list(collections_path, workdir, source, env=None):
    run_env = ansible_env(collections_path, str(workdir), str(workdir / "results.jsonl"))
    run_env.update(env or {})
    completed = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(source), "--list"], cwd=str(workdir),
                               env=run_env, capture_output=True, text=True, check=False)
    return completed


def plain(value):
    """ansible-core 2.19 lists the plugin's values as untrusted (``{"__ansible_unsafe": ...}``): data from
    Graph or the registry is never templated."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def listed(completed) -> dict:
    assert completed.returncode == 0, completed.stderr[-3000:]
    return plain(json.loads(completed.stdout))


def group_hosts(inventory: dict, group: str) -> list:
    return sorted(inventory.get(group, {}).get("hosts", []))


REGISTRY = {"tenants": {
    "contoso": {"tenant_id": "272443CD-0B6F-49A5-B6EE-03F4AD31CDC9", "display_name": "Contoso", "ring": 1,
                "customer": "Contoso Group", "vars": {"entra_tenant": {"guest_invitation": {"strictness": "at_least"}}}},
    "fabrikam": {"tenant_id": "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa", "ring": 2, "groups": ["pilot"]},
}}


def write_source(folder, name, config, registry=None):
    if registry is not None:
        (folder / "registry.yml").write_text(yaml.safe_dump(registry))
    path = folder / name
    path.write_text(yaml.safe_dump({"plugin": "tenantops.entra.tenants", **config}))
    return path


def test_hosts_and_groups_from_a_registry(collections_path, tmp_path):
    source = write_source(tmp_path, "fleet.tenants.yml", {
        "registry": "registry.yml",
        "compose": {"entra_wave": "'wave-' ~ entra_ring"},
        "keyed_groups": [{"key": "entra_ring", "prefix": "keyed_ring"}],
        "groups": {"first_ring": "entra_ring == '1'"}}, REGISTRY)
    inventory = listed(inventory_list(collections_path, tmp_path, source))
    hostvars = inventory["_meta"]["hostvars"]
    assert group_hosts(inventory, "tenants") == ["contoso", "fabrikam"]
    assert hostvars["contoso"]["entra_tenant_id"] == "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"  # GUIDs in lower case
    assert hostvars["contoso"]["entra_tenant_display_name"] == "Contoso"
    assert hostvars["fabrikam"]["entra_tenant_display_name"] == "fabrikam"  # no display name: the host name
    assert hostvars["contoso"]["entra_tenant"] == {"guest_invitation": {"strictness": "at_least"}}
    assert hostvars["contoso"]["entra_tenant_sources"] == ["registry"]
    assert group_hosts(inventory, "ring_1") == ["contoso"] and group_hosts(inventory, "ring_2") == ["fabrikam"]
    assert group_hosts(inventory, "customer_contoso_group") == ["contoso"]
    assert group_hosts(inventory, "pilot") == ["fabrikam"]
    # compose, groups and keyed_groups, as Ansible's own inventory plugins do them
    assert hostvars["fabrikam"]["entra_wave"] == "wave-2"
    assert group_hosts(inventory, "first_ring") == ["contoso"]
    assert group_hosts(inventory, "keyed_ring_1") == ["contoso"]


def test_a_bad_registry_names_the_file_and_key(collections_path, tmp_path):
    registry = {"tenants": {"contoso": {"tenant_id": "contoso.onmicrosoft.com"}}}
    source = write_source(tmp_path, "fleet.tenants.yml", {"registry": "registry.yml"}, registry)
    completed = inventory_list(collections_path, tmp_path, source, {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert completed.returncode != 0
    message = " ".join(completed.stderr.split())  # ansible-core 2.16 wraps warnings at the terminal width
    assert "registry.yml: tenants.contoso.tenant_id: must be the tenant's GUID" in message


@pytest.fixture(scope="module")
def msp_sandbox(tmp_path_factory):
    """The demo world plus an MSP partner tenant whose GDAP customers are the three demo tenants and one
    tenant outside the sandbox; the MSP's multi-tenant app is consented in every demo tenant. Contoso also
    owns a multitenant organization with Fabrikam (active) and Northwind (pending)."""
    folder = tmp_path_factory.mktemp("msp")
    with open(DEMO_SEED, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    for tenant in seed["tenants"]:
        tenant["apps"].append({"client_id": MSP_APP, "display_name": "Tailspin automation", "secrets": [MSP_SECRET],
                               "permissions": CUSTOMER_PERMISSIONS + ["MultiTenantOrganization.Read.All"]})
    contoso = seed["tenants"][0]
    contoso["multi_tenant_organization"] = ["contoso", "fabrikam", {"tenant_id": seed["tenants"][2]["id"],
                                                                    "state": "pending"}]
    seed["tenants"].append({
        "name": "tailspin", "id": MSP, "display_name": "Tailspin MSP", "domains": ["tailspin.onmicrosoft.com"],
        "apps": [{"client_id": MSP_APP, "display_name": "Tailspin automation", "secrets": [MSP_SECRET],
                  "permissions": ["DelegatedAdminRelationship.Read.All"]}],
        "delegated_admin_customers": ["contoso", "fabrikam", "northwind",
                                      {"tenant_id": OUTSIDER, "display_name": "Contoso"}]})
    (folder / "seed.yml").write_text(yaml.safe_dump(seed))
    sandbox = start_sandbox(str(folder / "seed.yml"))
    yield sandbox
    sandbox.stop()


def msp_env(sandbox, tenant=MSP) -> dict:
    return {"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": MSP_APP, "AZURE_CLIENT_SECRET": MSP_SECRET,
            **sandbox_endpoints_env(sandbox)}


def test_hosts_from_gdap_customers_merged_with_the_registry(msp_sandbox, collections_path, tmp_path):
    msp_sandbox.reset()
    source = write_source(tmp_path, "msp.tenants.yml", {"gdap": True, "registry": "registry.yml"},
                          {"tenants": {"contoso": {"tenant_id": msp_sandbox.tenant("contoso")["id"], "ring": 0}}})
    inventory = listed(inventory_list(collections_path, tmp_path, source, msp_env(msp_sandbox)))
    hostvars = inventory["_meta"]["hostvars"]
    # The registry names Contoso; the others are named after their display names, and the other "Contoso"
    # gets its tenant id's first block.
    outsider = "contoso_" + OUTSIDER.split("-", maxsplit=1)[0]
    assert group_hosts(inventory, "tenants") == sorted(["contoso", outsider, "fabrikam", "northwind_traders"])
    assert hostvars[outsider]["entra_tenant_id"] == OUTSIDER
    assert hostvars["contoso"]["entra_tenant_sources"] == ["registry", "gdap"]
    assert hostvars["fabrikam"] == {"entra_tenant_id": msp_sandbox.tenant("fabrikam")["id"],
                                    "entra_tenant_display_name": "Fabrikam", "entra_tenant_sources": ["gdap"]}
    assert group_hosts(inventory, "gdap_customers") == group_hosts(inventory, "tenants")
    assert group_hosts(inventory, "ring_0") == ["contoso"]
    log = msp_sandbox.requests_log()["entries"]
    assert [(e["method"], e["path"]) for e in log if e["service"] == "graph"] == [
        ("GET", "/v1.0/tenantRelationships/delegatedAdminCustomers")]
    assert MSP_SECRET not in json.dumps(inventory)


def test_multi_tenant_organization_members(msp_sandbox, collections_path, tmp_path):
    msp_sandbox.reset()
    source = write_source(tmp_path, "mto.tenants.yml", {
        "multi_tenant_organization": True, "multi_tenant_organization_states": ["active", "pending"],
        "hostnames": "tenant_id", "groups": {"not_joined_yet": "entra_mto_state == 'pending'"}})
    inventory = listed(inventory_list(collections_path, tmp_path, source,
                                      msp_env(msp_sandbox, msp_sandbox.tenant("contoso")["id"])))
    ids = {name: msp_sandbox.tenant(name)["id"] for name in ("contoso", "fabrikam", "northwind")}
    assert group_hosts(inventory, "multi_tenant_organization") == sorted(ids.values())
    assert group_hosts(inventory, "not_joined_yet") == [ids["northwind"]]
    assert inventory["_meta"]["hostvars"][ids["contoso"]]["entra_mto_role"] == "owner"


def test_missing_permission_is_one_clear_error(msp_sandbox, collections_path, tmp_path):
    msp_sandbox.reset()
    source = write_source(tmp_path, "mto.tenants.yml", {"multi_tenant_organization": True})
    completed = inventory_list(collections_path, tmp_path, source,
                               {**msp_env(msp_sandbox), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert completed.returncode != 0
    message = " ".join(completed.stderr.split())
    assert "403" in message and "MultiTenantOrganization.Read.All" in message


def test_playbook_runs_on_the_gdap_inventory(msp_sandbox, collections_path, tmp_path):
    msp_sandbox.reset()
    source = write_source(tmp_path, "msp.tenants.yml", {
        "gdap": True,
        # Only the sandbox's tenants: the outsider has no sandbox app to sign in to.
        "groups": {"reachable": "entra_tenant_id != '%s'" % OUTSIDER},
        "compose": {"entra_client_id": "'%s'" % MSP_APP,
                    "entra_baseline": "{'guest_invitation': {'allow_invites_from': 'admins_and_guest_inviters'}}"}})
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(source), "tenantops.entra.external_collaboration",
               "--limit", "reachable"]
    run = run_ansible(command, collections_path, str(tmp_path), msp_env(msp_sandbox))
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for name in ("contoso", "fabrikam", "northwind"):
        policy = msp_sandbox.state(name)["policies"]["authorizationPolicy"]
        assert policy["allowInvitesFrom"] == "adminsAndGuestInviters", name
    changed = {e["host"] for e in run.results if e["task"].endswith("Apply the tenant's desired state") and e["result"]["changed"]}
    assert changed == {"contoso", "fabrikam", "northwind_traders"}
