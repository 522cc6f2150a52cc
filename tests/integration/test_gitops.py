"""The GitOps workflow end to end: the playbooks plan, apply (rings, backups), restore, export and
verify, through real ansible-playbook, the installed collection and a sandbox seeded from the demo
world with every v1.0 partner block set, a second app that changes settings "directly" (as an
admin in the portal would), and a tenant whose app may not read the audit log.

The runs are shared: one module fixture walks the workflow once (plan, apply, plan, drift, plan,
restore, export, plan) and the tests assert on what each step left.
"""
import json
import os
import ssl
import sys
import urllib.parse
import urllib.request

import pytest
import yaml

from conftest import start_sandbox
from sandbox.testing import DEMO_SEED
from test_fleet import CONTOSO, FABRIKAM, NORTHWIND, TRUST_MFA, hosts_of, run_fleet

PORTAL_APP = "0c9a4d52-7e31-4b6f-9d84-5a2e1f0c3b17"
PORTAL_SECRET = "sandbox-portal-NOT-A-REAL-SECRET"
PORTAL_NAME = "Entra admin center (Megan Bowen)"


def allowed(*targets) -> dict:
    return {"accessType": "allowed", "targets": [{"target": t, "targetType": kind} for t, kind in targets]}


EVERY_BLOCK_PARTNER = {
    "tenantId": FABRIKAM,
    "b2bCollaborationInbound": {"usersAndGroups": allowed(("AllUsers", "user")),
                                "applications": allowed(("AllApplications", "application"))},
    "b2bCollaborationOutbound": None,
    "b2bDirectConnectInbound": {"usersAndGroups": allowed(("AllUsers", "user")),
                                "applications": allowed(("Office365", "application"))},
    "b2bDirectConnectOutbound": {"usersAndGroups": allowed(("AllUsers", "user")),
                                 "applications": allowed(("AllApplications", "application"))},
    "tenantRestrictions": {"usersAndGroups": {"accessType": "blocked",
                                              "targets": [{"target": "AllUsers", "targetType": "user"}]},
                           "applications": {"accessType": "blocked",
                                            "targets": [{"target": "AllApplications", "targetType": "application"}]}},
    "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": True,
                     "isHybridAzureADJoinedDeviceAccepted": False},
    "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": False},
    "m365CollaborationInbound": {"users": allowed(("AllUsers", "user"))},
    "m365CollaborationOutbound": {"usersAndGroups": allowed(("AllUsers", "user"))},
    "appServiceConnectInbound": {"applications": allowed(("AllApplications", "application"))},
    "identitySynchronization": {"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": True}},
}
BASELINE = {"tenants": {"entra_baseline": {
    "cross_tenant_default": {"inbound_trust": TRUST_MFA},
    "guest_invitation": {"allow_invites_from": "admins_and_guest_inviters"},
}}}
EXPECTED_CHANGES = {
    ("cross_tenant_default.inbound_trust.is_mfa_accepted", "false", "true"),
    ("guest_invitation.allow_invites_from", "everyone", "admins_and_guest_inviters"),
}


def gitops_seed(path) -> str:
    seed = yaml.safe_load(open(DEMO_SEED, encoding="utf-8"))
    contoso, _fabrikam, northwind = seed["tenants"]
    contoso["apps"].append({"client_id": PORTAL_APP, "display_name": PORTAL_NAME, "secrets": [PORTAL_SECRET],
                            "permissions": ["Policy.ReadWrite.CrossTenantAccess", "Policy.ReadWrite.Authorization"]})
    contoso["partners"] = [EVERY_BLOCK_PARTNER]
    contoso["b2b_management_policies"] = [{"isOrganizationDefault": True, "definition": [{"B2BManagementPolicy": {
        "InvitationsAllowedAndBlockedDomainsPolicy": {"BlockedDomains": ["gmail.com", "outlook.com"]}}}]}]
    northwind["apps"][0]["permissions"] = [p for p in northwind["apps"][0]["permissions"]
                                           if p not in ("AuditLog.Read.All", "Policy.ReadWrite.B2BManagementPolicy")]
    path.write_text(yaml.safe_dump(seed, sort_keys=False))
    return str(path)


class Graph:
    """A caller other than the collection: a plain client-credentials token and urllib."""

    def __init__(self, sandbox, tenant_id: str, client_id: str, secret: str):
        self.sandbox, self.tenant_id = sandbox, tenant_id
        self.context = ssl.create_default_context(cafile=sandbox.ca_file)
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                       "client_secret": secret,
                                       "scope": "https://graph.microsoft.com/.default"}).encode()
        with urllib.request.urlopen(f"{sandbox.login_url}/{tenant_id}/oauth2/v2.0/token", body,
                                    context=self.context) as response:
            self.token = json.loads(response.read())["access_token"]

    def patch(self, path: str, body: dict) -> None:
        request = urllib.request.Request(f"{self.sandbox.graph_url}/v1.0{path}", json.dumps(body).encode(),
                                         method="PATCH", headers={"Authorization": f"Bearer {self.token}",
                                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context) as response:
            assert response.status == 204


class Workflow:
    def __init__(self, sandbox, collections_path, root):
        self.sandbox, self.collections_path, self.root = sandbox, collections_path, root
        self.runs = 0
        self.wrapper = os.path.join(collections_path, "ansible_collections", "tenantops", "entra", "extensions",
                                    "gitops", "entra-plan")

    def run(self, playbook: str, group_vars=None, host_vars=None, **kwargs):
        self.runs += 1
        return run_fleet(self.sandbox, self.collections_path, self.root / f"run{self.runs}", group_vars, host_vars,
                         playbook=f"tenantops.entra.{playbook}", **kwargs)

    def plan(self, group_vars=None, host_vars=None, **kwargs):
        self.runs += 1
        out = self.root / f"plan{self.runs}"
        run = run_fleet(self.sandbox, self.collections_path, self.root / f"run{self.runs}", group_vars, host_vars,
                        wrapper=self.wrapper, env={"ENTRA_PLAN_DIR": str(out)}, **kwargs)
        run.report = json.loads((out / "plan.json").read_text()) if (out / "plan.json").exists() else None
        run.markdown = (out / "plan.md").read_text() if (out / "plan.md").exists() else ""
        return run


def changes_of(report: dict, tenant: str) -> set:
    return {(c["setting"], c["before"], c["after"]) for c in report["tenants"][tenant]["changes"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("gitops")
    sandbox = start_sandbox(gitops_seed(root / "seed.yml"))
    yield sandbox, root
    sandbox.stop()


@pytest.fixture(scope="module")
def workflow(world, collections_path):
    """plan, apply, plan, a direct change, plan, restore, plan against the backup, export, plan."""
    sandbox, root = world
    flow = Workflow(sandbox, collections_path, root)
    steps = {}
    steps["plan"] = flow.plan(BASELINE, verbosity=4)
    steps["apply"] = flow.run("apply", BASELINE, extra_vars={"entra_backup_dir": str(root / "backups")},
                              children={"canary": {"hosts": {"contoso": {}}}}, verbosity=4)
    steps["backup_dir"] = next((root / "backups").iterdir())
    steps["replan"] = flow.plan(BASELINE)
    contoso = sandbox.tenant("contoso")
    Graph(sandbox, CONTOSO, PORTAL_APP, PORTAL_SECRET).patch(
        "/policies/crossTenantAccessPolicy/default",
        {"inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": False,
                          "isHybridAzureADJoinedDeviceAccepted": False}})
    northwind = sandbox.tenant("northwind")
    Graph(sandbox, NORTHWIND, northwind["client_id"], northwind["client_secret"]).patch(
        "/policies/authorizationPolicy", {"allowInvitesFrom": "everyone"})
    steps["audit"] = sandbox.state("contoso")["audit"]
    steps["drift"] = flow.plan(BASELINE)
    steps["restore"] = flow.run("restore", extra_vars={"entra_restore_dir": str(steps["backup_dir"])})
    backups = {path.stem: yaml.safe_load(path.read_text()) for path in steps["backup_dir"].iterdir()}
    steps["backups"] = backups
    steps["plan_backup"] = flow.plan(host_vars={name: {"entra_tenant": backup["entra_tenant"]}
                                                for name, backup in backups.items()}, limit="contoso,fabrikam")
    export_dir = root / "export"
    steps["export"] = flow.run("export", extra_vars={"entra_export_dir": str(export_dir)})
    steps["exported"] = {p.stem: yaml.safe_load(p.read_text()) for p in (export_dir / "host_vars").iterdir()}
    steps["plan_export"] = flow.plan(host_vars=steps["exported"])
    steps["secrets"] = [t["client_secret"] for t in sandbox.ready["tenants"]] + [PORTAL_SECRET]
    steps["files"] = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".md", ".yml")
                      and p.name not in ("hosts.yml", "seed.yml") and "host_vars" not in p.parts[-2:-1]]
    del contoso
    return steps


def test_plan_shows_exactly_the_expected_changes_and_exits_2(workflow):
    plan = workflow["plan"]
    assert plan.rc == 2, plan.stdout[-3000:]
    assert plan.report["totals"] == {"to_change": 3, "unchanged": 0, "failed": 0, "tenants": 3}
    for tenant in ("contoso", "fabrikam", "northwind"):
        assert changes_of(plan.report, tenant) == EXPECTED_CHANGES
    markdown = plan.markdown
    assert markdown.index("| tenant | status | settings |") < markdown.index("<details>")
    assert markdown.count("<summary><b>") == 3
    assert "| `guest_invitation.allow_invites_from` | everyone | admins_and_guest_inviters |" in markdown


def test_apply_in_rings_backs_up_then_a_second_plan_shows_no_change(workflow, world):
    apply, replan = workflow["apply"], workflow["replan"]
    assert apply.rc == 0, apply.stdout[-3000:]
    assert "contoso: changed (2 writes)" in apply.stdout
    # the canary ring ran alone, first
    assert apply.stdout.index("PLAY [Apply ring by ring]") < apply.stdout.index("contoso")
    assert apply.stdout.count("PLAY [Apply ring by ring]") == 3   # canary, 25 %, the rest
    assert set(workflow["backups"]) == {"contoso", "fabrikam", "northwind"}
    assert workflow["backups"]["contoso"]["entra_tenant"]["cross_tenant_default"]["inbound_trust"][
        "is_mfa_accepted"] is False
    assert replan.rc == 0, replan.stdout[-3000:]
    assert replan.report["totals"]["to_change"] == 0 and "0 to change, 3 unchanged" in replan.markdown


def test_a_direct_change_is_drift_naming_the_audit_logs_actor_and_time(workflow):
    drift = workflow["drift"]
    assert drift.rc == 2
    contoso = drift.report["tenants"]["contoso"]["changes"]
    assert [(c["setting"], c["before"], c["after"]) for c in contoso] == [
        ("cross_tenant_default.inbound_trust.is_mfa_accepted", "false", "true")]
    entry = next(e for e in reversed(workflow["audit"]) if e["initiatedBy"]["app"]["appId"] == PORTAL_APP)
    assert contoso[0]["changed_by"] == f"app {PORTAL_NAME} ({PORTAL_APP})"
    assert contoso[0]["changed_at"] == entry["activityDateTime"]
    assert PORTAL_NAME in drift.markdown and entry["activityDateTime"] in drift.markdown
    # Northwind's app may not read the audit log: the report says so instead of failing.
    northwind = drift.report["tenants"]["northwind"]
    assert northwind["status"] == "to_change"
    assert "AuditLog.Read.All" in northwind["changes"][0]["attribution"]
    assert drift.report["tenants"]["fabrikam"]["status"] == "unchanged"


def test_restore_returns_the_state_recorded_in_the_backup(workflow, world):
    sandbox = world[0]
    assert workflow["restore"].rc == 0, workflow["restore"].stdout[-3000:]
    assert sandbox.state("contoso")["policies"]["default"]["inboundTrust"]["isMfaAccepted"] is False
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["allowInvitesFrom"] == "everyone"
    plan = workflow["plan_backup"]
    assert plan.rc == 0, plan.stdout[-3000:]
    assert plan.report["totals"] == {"to_change": 0, "unchanged": 2, "failed": 0, "tenants": 2}   # --limit


def test_export_has_every_block_and_a_plan_after_it_shows_no_change(workflow):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from collection_path import link_working_tree
    link_working_tree()
    from ansible_collections.tenantops.entra.plugins.module_utils.resources.cross_tenant_settings import \
        PARTNER_BLOCKS
    assert workflow["export"].rc == 0
    layer = workflow["exported"]["contoso"]["entra_tenant"]
    fabrikam = next(p for p in layer["partners"] if p["partner"] == FABRIKAM)
    given = set(fabrikam) | set(fabrikam.get("inherit", []))
    assert set(PARTNER_BLOCKS) <= given
    assert fabrikam["inherit"] == ["b2b_collaboration_outbound"]
    assert fabrikam["identity_synchronization"] == {"user_sync_inbound": True, "display_name": "Fabrikam"}
    assert "inherit" not in json.dumps(layer["cross_tenant_default"])
    assert layer["guest_invitation_domains"] == {"state": "present", "blocked_domains": ["gmail.com", "outlook.com"]}
    # Northwind's app may not read the domain list: the export leaves it unmanaged instead of failing.
    assert "guest_invitation_domains" not in workflow["exported"]["northwind"]["entra_tenant"]
    plan = workflow["plan_export"]
    assert plan.rc == 0, plan.stdout[-3000:]
    assert plan.report["totals"]["unchanged"] == 3


def test_no_secret_in_any_report_backup_or_log_at_vvvv(workflow):
    texts = [workflow["plan"].stdout, workflow["plan"].stderr, workflow["apply"].stdout, workflow["apply"].stderr]
    texts += [path.read_text() for path in workflow["files"]]
    assert any("backups" in str(p) for p in workflow["files"])
    for secret in workflow["secrets"]:
        assert all(secret not in text for text in texts)


# ---------------------------------------------------------------------------------------------
# Rings, failures, reciprocity: each from the seed state
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def fresh(world, collections_path, workflow):
    sandbox, root = world
    sandbox.reset()
    return Workflow(sandbox, collections_path, root / f"fresh{len(list(root.iterdir()))}")


def test_a_canary_failure_stops_the_later_rings(fresh, world):
    sandbox = world[0]
    hosts = hosts_of(sandbox)
    hosts["contoso"]["entra_client_secret"] = "wrong"
    run = fresh.run("apply", BASELINE, hosts=hosts, children={"canary": {"hosts": {"contoso": {}}}},
                    extra_vars={"entra_backup_dir": str(fresh.root / "backups")})
    assert run.rc != 0
    assert "contoso: failed" in run.stdout
    assert "fabrikam: not run" in run.stdout and "northwind: not run" in run.stdout
    assert "the later rings are not run" in run.stdout
    assert run.writes() == []


def test_one_tenant_with_wrong_credentials_fails_alone_and_is_named(fresh, world):
    sandbox = world[0]
    hosts = hosts_of(sandbox)
    hosts["fabrikam"]["entra_client_secret"] = "wrong"
    run = fresh.run("apply", BASELINE, hosts=hosts, children={"canary": {"hosts": {"contoso": {}}}},
                    extra_vars={"entra_backup_dir": str(fresh.root / "backups"), "entra_rings": ["100%"],
                                "entra_ring_max_fail_percentage": 50})
    assert run.rc != 0
    assert "fabrikam: failed" in run.stdout
    assert "contoso: changed (2 writes)" in run.stdout and "northwind: changed (2 writes)" in run.stdout
    assert run.writes(FABRIKAM) == [] and run.writes(NORTHWIND)


def test_a_broken_reciprocity_is_reported_by_pair_and_setting(fresh):
    # Live: Contoso allows B2B direct connect in from Fabrikam (the seed); Fabrikam has no outbound for it.
    # Inventory: Northwind would trust Contoso's MFA for it, but Contoso's inventory trusts nothing of Northwind.
    trust = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}
    run = fresh.run("verify", host_vars={"northwind": {"entra_tenant": {"partners": [
        {"partner": CONTOSO, "inbound_trust": trust}]}}})
    assert run.rc != 0
    assert ("live: fabrikam -> contoso: b2b_direct_connect: contoso allows inbound B2B direct connect from "
            "fabrikam, but fabrikam does not allow outbound to contoso") in run.stdout
    assert "inventory: contoso <-> northwind: inbound_trust" in run.stdout
    assert "live: contoso <-> northwind" not in run.stdout


# ---------------------------------------------------------------------------------------------
# examples/gitops: the inventory a repository would keep, against the demo world
# ---------------------------------------------------------------------------------------------

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "examples", "gitops")


def example(*path):
    with open(os.path.join(EXAMPLE, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_example_inventory_is_the_demo_fleet_plans_drift_and_verifies_mutual(sandbox, collections_path,
                                                                                 tmp_path):
    inventory, secrets = example("inventory", "hosts.yml")["tenants"], example("sandbox.yml")["tenants"]["hosts"]
    hosts = {name: {**values, **secrets[name]} for name, values in inventory["hosts"].items()}
    assert hosts == hosts_of(sandbox)
    flow = Workflow(sandbox, collections_path, tmp_path)
    layers = {"group_vars": {"tenants": example("inventory", "group_vars", "tenants.yml")},
              "host_vars": {"northwind": example("inventory", "host_vars", "northwind.yml")}}
    plan = flow.plan(**layers, hosts=hosts, children=inventory["children"])
    assert plan.rc == 2, plan.stdout[-3000:]
    settings = {c["setting"] for c in plan.report["tenants"]["fabrikam"]["changes"]}
    assert "partners[272443cd-0b6f-49a5-b6ee-03f4ad31cdc9].identity_synchronization" in settings   # created
    verify = flow.run("verify", **layers, hosts=hosts)
    assert verify.rc == 0, verify.stdout[-3000:]
    assert "mismatch" not in verify.stdout
