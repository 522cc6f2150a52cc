"""The fleet job as users run it: playbooks/external_collaboration.yml over a layered inventory of
the demo tenants, through real ansible-playbook, the installed collection and the sandbox.

Each test writes an inventory (hosts, group_vars, host_vars), runs the playbook and checks the
tenants' state, the request log (what was written, how many tokens) and what the user reads.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import BIN, CALLBACKS
from test_auth import CERT_APP, TENANT as AUTH_TENANT, auth_world  # noqa: F401  # pylint: disable=unused-import

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
NORTHWIND = "7dc8c161-b920-4813-bc63-37dc0b3f76e5"
APPLY = "Apply the tenant's desired state"
ALLOW_ALL = {"users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
             "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}
BLOCK_ALL = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
             "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}
TRUST_MFA = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}


class FleetRun:
    def __init__(self, completed, results, log):
        self.rc, self.stdout, self.stderr = completed.returncode, completed.stdout, completed.stderr
        self.results, self.log = results, log

    def result(self, host: str) -> dict:
        found = [e["result"] for e in self.results if e["host"] == host and e["task"].endswith(APPLY)]
        assert found, f"no result of {APPLY!r} for {host}:\n{self.stdout[-4000:]}"
        return found[0]

    def writes(self, tenant_id: str | None = None) -> list:
        return [e for e in self.log if e["service"] in ("graph", "exchange") and e["method"] != "GET"
                and not e["path"].endswith("$batch") and "InvokeCommand" not in e["path"]
                and (tenant_id is None or e["tenant"] == tenant_id)]

    def count(self, tenant_id: str, service: str, contains: str = "") -> int:
        """HTTP requests that reached the service (items inside a $batch are not requests of their own)."""
        return sum(1 for e in self.log if e["tenant"] == tenant_id and e["service"] == service
                   and contains in e["path"] and not e.get("batch"))


def hosts_of(sandbox, without=()) -> dict:
    hosts = {}
    for tenant in sandbox.ready["tenants"]:
        host = {"entra_tenant_id": tenant["id"], "entra_client_id": tenant["client_id"],
                "entra_client_secret": tenant["client_secret"]}
        hosts[tenant["name"]] = {k: v for k, v in host.items() if k not in without}
    return hosts


@pytest.fixture
def fleet(sandbox, collections_path, tmp_path):
    """fleet(group_vars={...}, host_vars={...}, ...) writes an inventory and runs the playbook."""
    runs = []

    def run(*args, **kwargs) -> FleetRun:
        runs.append(1)
        return run_fleet(sandbox, collections_path, tmp_path / f"fleet{len(runs)}", *args, **kwargs)
    return run


def run_fleet(sandbox, collections_path, workdir, group_vars=None, host_vars=None, *, hosts=None, group="tenants",
              children=None, check=False, diff=False, extra_vars=None, env=None, verbosity=0,
              limit=None, playbook="tenantops.entra.external_collaboration", wrapper=None) -> FleetRun:
    """Write an inventory (hosts, group_vars, host_vars) under ``workdir`` and run the playbook (or
    ``wrapper``, a script that runs it, given the same options)."""
    (workdir / "inventory" / "group_vars").mkdir(parents=True)
    (workdir / "inventory" / "host_vars").mkdir()
    inventory = {group: {"hosts": hosts if hosts is not None else hosts_of(sandbox)}}
    if children:
        inventory[group]["children"] = children
    (workdir / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    for name, values in (group_vars or {}).items():
        (workdir / "inventory" / "group_vars" / f"{name}.yml").write_text(yaml.safe_dump(values))
    for name, values in (host_vars or {}).items():
        (workdir / "inventory" / "host_vars" / f"{name}.yml").write_text(yaml.safe_dump(values))
    results_file = workdir / "results.jsonl"
    command = [wrapper] if wrapper else [os.path.join(BIN, "ansible-playbook"), playbook]
    command += ["-i", str(workdir / "inventory")]
    command += ["--check"] * check + ["--diff"] * diff + (["-" + "v" * verbosity] if verbosity else [])
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if limit:
        command += ["--limit", limit]
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                   ANSIBLE_CALLBACKS_ENABLED="result_log", TENANTOPS_RESULT_LOG=str(results_file),
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_HOME=str(workdir / "home"), ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
                   ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0",
                   TENANTOPS_ENTRA_LOGIN_ENDPOINT=sandbox.login_url,
                   TENANTOPS_ENTRA_GRAPH_ENDPOINT=sandbox.graph_url,
                   TENANTOPS_ENTRA_EXCHANGE_ENDPOINT=sandbox.exchange_url,
                   TENANTOPS_ENTRA_CA_BUNDLE=sandbox.ca_file, PATH=BIN + os.pathsep + os.environ["PATH"])
    for name in ("AZURE_TENANT_ID", "AZURE_TENANT", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SECRET"):
        run_env.pop(name, None)
    run_env.update(env or {})
    since = sandbox.requests_log()["entries"][-1]["seq"] if sandbox.requests_log()["entries"] else 0
    completed = subprocess.run(command, cwd=str(workdir), env=run_env, capture_output=True, text=True,
                               timeout=600, check=False)
    results = [json.loads(line) for line in results_file.read_text().splitlines()] if results_file.exists() else []
    log = [e for e in sandbox.requests_log(since)["entries"] if e["seq"] > since]
    return FleetRun(completed, results, log)


def domain_lists(sandbox, tenant: str) -> dict:
    [policy] = sandbox.state(tenant)["policies"]["b2bManagementPolicies"].values()
    lists = json.loads(policy["definition"][0])["B2BManagementPolicy"]["InvitationsAllowedAndBlockedDomainsPolicy"]
    return {k: sorted(v) for k, v in lists.items() if v}


def partner(sandbox, tenant: str, partner_id: str):
    return sandbox.state(tenant)["partners"].get(partner_id)


BASELINE = {"entra_baseline": {
    "cross_tenant_default": {"b2b_direct_connect_inbound": BLOCK_ALL, "inbound_trust": TRUST_MFA},
    "partners": [{"partner": "contoso.onmicrosoft.com", "b2b_collaboration_inbound": ALLOW_ALL},
                 {"partner": "fabrikam.onmicrosoft.com", "b2b_collaboration_inbound": ALLOW_ALL},
                 {"partner": "northwind.onmicrosoft.com", "b2b_collaboration_inbound": ALLOW_ALL}],
    "guest_invitation": {"allow_invites_from": "admins_and_guest_inviters", "email_one_time_passcode": "enabled",
                         "self_service_sign_up": False},
}}


# ---------------------------------------------------------------------------------------------
# Bad input: refused per tenant before any write, every error at once, named by path
# ---------------------------------------------------------------------------------------------

def test_misspelt_keys_in_the_role_variables_fail_before_any_write(fleet):
    run = fleet({"tenants": {"entra_baseline": {"cross_tenant_default": {"inbound_trusts": TRUST_MFA},
                                                "guest_invitation": {"allow_invite_from": "none"}}}})
    assert run.rc != 0
    assert "inbound_trusts" in run.stdout and "allow_invite_from" in run.stdout
    assert "entra_baseline" in run.stdout and "cross_tenant_default" in run.stdout
    assert run.writes() == []


def test_a_misspelt_key_deep_in_a_block_is_named_by_its_path_and_writes_nothing(fleet):
    # The role's argument spec types a layer's sections and their keys; deeper keys are the module's.
    run = fleet({"tenants": {"entra_baseline": {"cross_tenant_default": {"b2b_collaboration_inbound": {
        "users_and_groups": {"acces_type": "allowed", "targets": ["AllUsers"]},
        "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}}}}}, limit="contoso")
    assert run.rc != 0
    failure = run.result("contoso")
    assert [e["path"] for e in failure["errors"]] == [
        "cross_tenant_default.b2b_collaboration_inbound.users_and_groups.acces_type"]
    assert "did you mean access_type?" in failure["msg"] and "(layer entra_baseline)" in failure["msg"]
    assert run.writes() == []


def test_a_misspelt_partner_block_in_a_group_layer_creates_nothing(fleet):
    run = fleet({"tenants": {"entra_group_partners": {"partners": [
        {"partner": "fabrikam.onmicrosoft.com", "b2b_direct_conect_inbound": ALLOW_ALL}]}}}, limit="contoso")
    assert run.rc != 0
    failure = run.result("contoso")
    assert failure["errors"][0]["path"] == \
        "partners[fabrikam.onmicrosoft.com].b2b_direct_conect_inbound"
    assert "did you mean b2b_direct_connect_inbound?" in failure["msg"]
    assert run.writes() == []


def test_a_bad_partner_beside_a_valid_default_writes_nothing_and_lists_every_error(fleet, sandbox):
    run = fleet({"tenants": BASELINE}, {"contoso": {"entra_tenant": {
        "partners": [{"partner": "fabrikam.onmicrosoft.com", "b2b_direct_connect_inbound": {
            "users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
            "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}}],
        "guest_visibility": {"rules": [{"visibility": "visible", "domains": ["not a domain"]}]}}}})
    assert run.rc != 0
    failure = run.result("contoso")
    paths = [e["path"] for e in failure["errors"]]
    assert "partners[fabrikam.onmicrosoft.com].b2b_direct_connect_inbound" in paths
    assert any(p.startswith("guest_visibility") for p in paths), paths
    assert "tenant contoso: invalid input, nothing was written (2 errors)" in failure["msg"]
    assert run.writes(CONTOSO) == []
    # The other tenants are not stopped by Contoso's input, and the summary names the failure.
    assert run.writes(FABRIKAM) and run.writes(NORTHWIND)
    assert "contoso: failed: tenant contoso: invalid input" in run.stdout
    assert "2 changed, 0 unchanged, 1 failed, 0 not run" in run.stdout


def test_the_old_variables_are_refused_by_name(fleet):
    run = fleet({"tenants": {"entra_partners": [{"partner": "fabrikam.onmicrosoft.com"}]}}, limit="contoso")
    assert run.rc != 0
    assert "entra_partners: is no longer read since 0.2.0" in run.result("contoso")["msg"]
    assert run.writes() == []


# ---------------------------------------------------------------------------------------------
# Layering, relationships, authoritative partners
# ---------------------------------------------------------------------------------------------

def test_layers_merge_per_key_and_per_partner_and_a_second_run_changes_nothing(fleet, sandbox):
    group_vars = {"tenants": {"entra_baseline": {**BASELINE["entra_baseline"],
                                                 "guest_invitation_domains": {"blocked_domains": ["gmail.com"]}}},
                  "eu": {"entra_group_eu": {"guest_invitation": {"guest_user_access": "restricted"}}}}
    host_vars = {"northwind": {"entra_tenant": {
        "guest_invitation": {"allow_invites_from": "none"},
        "guest_invitation_domains": {"allowed_domains": ["contoso.com", "fabrikam.com"]},
        "partners": [{"partner": "contoso.onmicrosoft.com", "inherit": ["b2b_collaboration_inbound"],
                      "inbound_trust": TRUST_MFA},
                     {"partner": "fabrikam.onmicrosoft.com", "state": "absent"}]}}}
    children = {"eu": {"hosts": {"fabrikam": None, "northwind": None}}}
    first = fleet(group_vars, host_vars, children=children)
    assert first.rc == 0, first.stdout[-3000:]
    northwind = sandbox.state("northwind")
    authz = northwind["policies"]["authorizationPolicy"]
    assert authz["allowInvitesFrom"] == "none"                                   # the tenant's key
    assert authz["guestUserRoleId"] == "2af84b1e-32c8-42b7-82bc-daa82404023b"    # the group's key (restricted)
    otp = northwind["policies"]["email"] if "email" in northwind["policies"] else None
    assert otp is None or otp.get("allowExternalIdToUseEmailOtp") == "enabled"  # the baseline's key
    assert partner(sandbox, "northwind", CONTOSO)["b2bCollaborationInbound"] is None   # inherit
    assert partner(sandbox, "northwind", CONTOSO)["inboundTrust"]["isMfaAccepted"] is True
    assert partner(sandbox, "northwind", FABRIKAM) is None                      # state: absent
    assert partner(sandbox, "contoso", FABRIKAM)["b2bCollaborationInbound"] is not None
    # The domain lists: the baseline's deny list, replaced on Northwind by its allow list.
    assert domain_lists(sandbox, "contoso") == {"BlockedDomains": ["gmail.com"]}
    assert domain_lists(sandbox, "northwind") == {"AllowedDomains": ["contoso.com", "fabrikam.com"]}
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["guestUserRoleId"] != \
        "2af84b1e-32c8-42b7-82bc-daa82404023b"                                  # not in the group
    # A baseline naming every tenant: each skips itself instead of failing.
    assert partner(sandbox, "contoso", CONTOSO) is None
    assert any("the tenant itself" in note for note in first.result("contoso")["skipped_entries"])
    second = fleet(group_vars, host_vars, children=children)
    assert second.rc == 0 and second.writes() == [], second.writes()
    assert "0 changed, 3 unchanged, 0 failed" in second.stdout


def test_a_relationship_configures_both_sides_and_one_run_creates_the_pair(fleet, sandbox):
    group_vars = {"tenants": {"entra_relationships": [
        {"members": [{"tenant": "contoso"}, {"tenant": "fabrikam"}], "b2b_direct_connect": True,
         "inbound_trust": TRUST_MFA, "sync_users_from": ["contoso"]}]}}
    run = fleet(group_vars)
    assert run.rc == 0, run.stdout[-3000:]
    mine, theirs = partner(sandbox, "contoso", FABRIKAM), partner(sandbox, "fabrikam", CONTOSO)
    for side in (mine, theirs):
        assert side["b2bDirectConnectInbound"]["usersAndGroups"]["accessType"] == "allowed"
        assert side["b2bDirectConnectOutbound"]["usersAndGroups"]["accessType"] == "allowed"
        assert side["inboundTrust"]["isMfaAccepted"] is True
    assert mine["automaticUserConsentSettings"] == {"inboundAllowed": False, "outboundAllowed": True}
    assert theirs["automaticUserConsentSettings"] == {"inboundAllowed": True, "outboundAllowed": False}
    assert sandbox.state("fabrikam")["identity_sync"][CONTOSO]["userSyncInbound"]["isSyncAllowed"] is True
    assert run.writes(NORTHWIND) == []


def test_a_relationship_with_a_tenant_outside_the_inventory_fails(fleet):
    run = fleet({"tenants": {"entra_relationships": [
        {"members": [{"tenant": "contoso"}, {"tenant": "tailspin"}], "b2b_direct_connect": True}]}})
    assert run.rc != 0
    assert "'tailspin' is not a tenant of the inventory" in run.result("contoso")["msg"]
    assert run.writes() == []


def test_authoritative_partners_remove_the_rest_but_protected_ones_and_stop_at_the_cap(fleet, sandbox):
    seed = {"tenants": {"entra_baseline": {"partners": [
        {"partner": "fabrikam.onmicrosoft.com", "inbound_trust": TRUST_MFA},
        {"partner": "northwind.onmicrosoft.com", "inbound_trust": TRUST_MFA}]}}}
    assert fleet(seed, limit="contoso").rc == 0
    assert partner(sandbox, "contoso", FABRIKAM) and partner(sandbox, "contoso", NORTHWIND)
    authoritative = {"tenants": {"entra_baseline": {"partners": [], "partner_management": {
        "authoritative": True, "max_deletions": 0}}}}
    capped = fleet(authoritative, limit="contoso")
    assert capped.rc != 0 and "would remove 2 partners" in capped.result("contoso")["msg"]
    assert capped.writes() == []
    authoritative["tenants"]["entra_baseline"]["partner_management"].update(
        max_deletions=5, protected=["northwind.onmicrosoft.com"])
    plan = fleet(authoritative, limit="contoso", check=True)
    assert plan.rc == 0 and plan.writes() == []
    assert f"contoso (check mode): partners[{FABRIKAM}]: present → removed" in plan.stdout
    applied = fleet(authoritative, limit="contoso")
    assert applied.rc == 0
    assert partner(sandbox, "contoso", FABRIKAM) is None
    assert partner(sandbox, "contoso", NORTHWIND) is not None


# ---------------------------------------------------------------------------------------------
# Connection from the inventory or the environment; the tenant group
# ---------------------------------------------------------------------------------------------

def test_awx_environment_credential_with_no_connection_variables(fleet, sandbox):
    contoso = next(t for t in sandbox.ready["tenants"] if t["name"] == "contoso")
    run = fleet({"tenants": {"entra_baseline": {"cross_tenant_default": {"inbound_trust": TRUST_MFA}}}},
                hosts={"contoso": {}},
                env={"AZURE_TENANT": contoso["id"], "AZURE_CLIENT_ID": contoso["client_id"],
                     "AZURE_SECRET": contoso["client_secret"]})
    assert run.rc == 0, run.stdout[-3000:]
    assert sandbox.state("contoso")["policies"]["default"]["inboundTrust"]["isMfaAccepted"] is True
    assert contoso["client_secret"] not in run.stdout


def test_certificate_from_the_inventory(auth_world, collections_path, tmp_path):
    auth_sandbox, folder = auth_world[:2]
    auth_sandbox.reset()
    hosts = {"authtest": {"entra_tenant_id": AUTH_TENANT, "entra_client_id": CERT_APP,
                          "entra_client_certificate_path": str(folder / "app-key-and-cert.pem")}}
    group_vars = {"tenants": {"entra_baseline": {"cross_tenant_default": {"inbound_trust": TRUST_MFA}}}}
    run = run_fleet(auth_sandbox, collections_path, tmp_path / "cert", group_vars, hosts=hosts, verbosity=4)
    assert run.rc == 0, run.stdout[-3000:]
    assert auth_sandbox.state(AUTH_TENANT)["policies"]["default"]["inboundTrust"]["isMfaAccepted"] is True
    assert "PRIVATE KEY" not in run.stdout + run.stderr


def test_a_group_with_another_name_and_an_empty_group(fleet):
    named = fleet({"customers": {"entra_baseline": {"cross_tenant_default": {"inbound_trust": TRUST_MFA}}}},
                  group="customers", extra_vars={"entra_tenant_group": "customers"})
    assert named.rc == 0, named.stdout[-3000:]
    assert {e["host"] for e in named.results if e["task"].endswith(APPLY)} == {"contoso", "fabrikam", "northwind"}
    empty = fleet(group="customers")
    assert empty.rc != 0
    assert "no host in the group 'tenants'" in empty.stdout


# ---------------------------------------------------------------------------------------------
# What a fleet run costs and shows
# ---------------------------------------------------------------------------------------------

def test_one_sign_in_and_batched_reads_per_tenant(fleet, sandbox):
    group_vars = {"tenants": {"entra_baseline": {**BASELINE["entra_baseline"],
                                                 "guest_visibility": {"default": "hidden"}}}}
    assert fleet(group_vars).rc == 0
    steady = fleet(group_vars)
    assert steady.rc == 0 and steady.writes() == []
    for tenant_id in (CONTOSO, FABRIKAM, NORTHWIND):
        tokens = [e for e in steady.log if e["service"] == "login" and e["tenant"] == tenant_id
                  and e["path"].endswith("/token")]
        discovery = [e for e in steady.log if e["service"] == "login" and e["tenant"] == tenant_id
                     and "openid-configuration" in e["path"]]
        assert len(tokens) <= 2 and len(discovery) <= 1, [e["path"] for e in tokens + discovery]
        requests = steady.count(tenant_id, "graph") + steady.count(tenant_id, "exchange")
        assert requests <= 4, [e["path"] for e in steady.log if e["tenant"] == tenant_id and not e.get("batch")]
        assert steady.count(tenant_id, "graph", "$batch") == 1


def test_check_mode_shows_one_line_per_setting_and_a_named_diff_without_writing(fleet):
    baseline = {**BASELINE["entra_baseline"], "guest_invitation": {
        **BASELINE["entra_baseline"]["guest_invitation"], "strictness": "at_least"}}
    run = fleet({"tenants": {"entra_baseline": baseline}}, check=True, diff=True)
    assert run.rc == 0 and run.writes() == []
    assert "contoso (check mode): cross_tenant_default.inbound_trust.is_mfa_accepted: false → true" in run.stdout
    assert "contoso (check mode): guest_invitation.allow_invites_from: everyone → admins_and_guest_inviters" \
        in run.stdout
    assert "--- before: contoso: cross_tenant_default" in run.stdout
    assert "+inbound_trust.is_mfa_accepted: true" in run.stdout
    assert "contoso: guest_invitation.email_one_time_passcode: left at default, stricter than the requested " \
           "enabled" in run.stdout
    assert "contoso: changed" in run.stdout


def test_the_module_file_and_its_action_plugin_plan_the_same(sandbox, collections_path, tmp_path):
    """The same task through the action plugin (by its name) and through the module file run as
    a module (a copy under another name, as ansible-test and the benchmark run it)."""
    from conftest import connection_defaults, run_playbook
    module_file = os.path.join(collections_path, "ansible_collections", "tenantops", "entra", "plugins", "modules",
                               "tenant_settings.py")
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "tenant_settings_as_module.py").write_text(open(module_file, encoding="utf-8").read())
    args = {"tenant_name": "contoso", "layers": [{"name": "baseline", "settings": BASELINE["entra_baseline"]}],
            "relationships": [{"members": [{"tenant": "contoso"}, {"tenant": "fabrikam"}], "b2b_direct_connect": True}],
            "inventory_tenants": {"contoso": CONTOSO, "fabrikam": FABRIKAM}}
    tasks = [{"name": "action", "tenantops.entra.tenant_settings": args},
             {"name": "module", "tenant_settings_as_module": {**connection_defaults(sandbox), **args}}]
    run = run_playbook(sandbox, collections_path, tasks, check=True, workdir=str(tmp_path),
                       env={"ANSIBLE_LIBRARY": str(tmp_path / "library")})
    assert run.rc == 0, run.stdout[-3000:]
    action, module = run.task("action"), run.task("module")
    for key in ("changed", "changes", "settings_changed", "stricter_than_requested", "skipped_entries", "tenant_id"):
        assert action[key] == module[key], key
    assert action["changed"] and any("partners[" in c["setting"] for c in action["settings_changed"])
    bad = {**args, "layers": [{"name": "baseline", "settings": {"guest_invitation": {"allow_invites_from": "x"}}}]}
    (tmp_path / "bad").mkdir()
    both = [{"name": "action", "ignore_errors": True, "tenantops.entra.tenant_settings": bad},
            {"name": "module", "ignore_errors": True,
             "tenant_settings_as_module": {**connection_defaults(sandbox), **bad}}]
    refused = run_playbook(sandbox, collections_path, both,
                           check=True, workdir=str(tmp_path / "bad"), env={"ANSIBLE_LIBRARY": str(tmp_path / "library")})
    assert refused.task("action")["errors"][0]["path"] == "guest_invitation.allow_invites_from"
    # Run as a module file, Ansible's own validation words it (a documented difference), still before any call.
    assert "allow_invites_from" in refused.task("module")["msg"]
    assert {e["task"]: e["status"] for e in refused.results} == {"action": "failed", "module": "failed"}
