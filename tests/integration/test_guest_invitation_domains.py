"""guest_invitation_domains end to end: real ansible-playbook against the sandbox's Graph beta
b2bManagementPolicies, check -> apply -> check -> apply with the stored policy read back.
One play covers four tenants (one scenario each), so the suite costs six playbook runs."""
import json
import os

import pytest

from conftest import player
from sandbox.testing import SandboxProcess

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "invitation_domains.yml")
SEEDED_POLICY = "7f2e1d0c-9a8b-4c5d-8e4f-3a2b1c0d9e83"


@pytest.fixture(scope="module")
def domains_sandbox():
    sandbox = SandboxProcess(SEED)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def play(domains_sandbox, collections_path, tmp_path):
    domains_sandbox.reset()
    return player(domains_sandbox, collections_path, tmp_path)


def stored(sandbox, tenant: str) -> list:
    """The tenant's policies as the sandbox holds them, definitions parsed."""
    policies = sandbox.state(tenant)["policies"].get("b2bManagementPolicies", {})
    return [dict(p, definition=json.loads(p["definition"][0])) for p in policies.values()]


def domain_lists(policy: dict) -> dict:
    return policy["definition"]["B2BManagementPolicy"]["InvitationsAllowedAndBlockedDomainsPolicy"]


def task(name: str, host: str, **options) -> dict:
    return {"name": name, "when": f"inventory_hostname == '{host}'",
            "tenantops.entra.guest_invitation_domains": options}


SCENARIOS = [
    task("deny", "fresh", blocked_domains=["Gmail.com", "outlook.com"]),
    task("allow", "seeded", allowed_domains=["fabrikam.com", "northwind.example"]),
    task("baseline", "atleast", blocked_domains=["gmail.com", "hotmail.com"], strictness="at_least"),
    task("any domain", "cleared", state="absent"),
]
HOSTS = {"deny": "fresh", "allow": "seeded", "baseline": "atleast", "any domain": "cleared"}


def test_check_apply_check_apply_with_state_read_back(domains_sandbox, play):
    mark = domains_sandbox.requests_log()["last_seq"]
    runs = []
    for check in (True, False, True, False):
        run = play(SCENARIOS, hosts=",".join(HOSTS.values()), check=check, diff=True)
        assert run.rc == 0, run.stdout[-3000:]
        runs.append({name: run.task(name, host=host) for name, host in HOSTS.items()})
        if check and len(runs) == 1:
            assert stored(domains_sandbox, "fresh") == []                       # check mode wrote nothing
    for name in HOSTS:
        assert [r[name]["changed"] for r in runs] == [True, True, False, False], name

    # A fresh tenant gets a new organization-default policy with the deny list.
    deny = runs[0]["deny"]
    assert deny["diff"] == {"before": {"state": "absent"},
                            "after": {"state": "present", "blocked_domains": ["gmail.com", "outlook.com"]}}
    assert deny["changes"] == ["POST b2bManagementPolicies (beta): blocked_domains=gmail.com,outlook.com"]
    [policy] = stored(domains_sandbox, "fresh")
    assert policy["isOrganizationDefault"] is True and policy["displayName"] == "B2BManagementPolicy"
    assert domain_lists(policy) == {"AllowedDomains": [], "BlockedDomains": ["gmail.com", "outlook.com"]}

    # Switching to an allow list PATCHes the existing policy and keeps the definition's other settings.
    assert runs[0]["allow"]["changes"] == [
        f"PATCH b2bManagementPolicies/{SEEDED_POLICY} (beta): allowed_domains=fabrikam.com,northwind.example"]
    [policy] = stored(domains_sandbox, "seeded")
    assert policy["id"] == SEEDED_POLICY and policy["description"] == "Created in the portal"
    assert domain_lists(policy) == {"AllowedDomains": ["fabrikam.com", "northwind.example"], "BlockedDomains": []}
    assert "AutoRedeemPolicy" in policy["definition"]["B2BManagementPolicy"]

    # at_least: the longer deny list keeps yahoo.com and gains hotmail.com.
    assert runs[0]["baseline"]["stricter_than_requested"] == ["yahoo.com"]
    assert runs[3]["baseline"]["settings"] == {"state": "present",
                                               "blocked_domains": ["gmail.com", "hotmail.com", "yahoo.com"]}
    assert domain_lists(stored(domains_sandbox, "atleast")[0])["BlockedDomains"] == ["gmail.com", "hotmail.com",
                                                                                     "yahoo.com"]
    # absent clears both lists and keeps the policy.
    assert domain_lists(stored(domains_sandbox, "cleared")[0]) == {"AllowedDomains": [], "BlockedDomains": []}

    graph = [e for e in domains_sandbox.requests_log(mark)["entries"] if e["service"] == "graph"]
    assert {e["path"].split("/")[1] for e in graph} == {"beta"}                 # the one beta resource, nothing else
    assert sorted(e["method"] for e in graph if e["method"] != "GET") == ["PATCH", "PATCH", "PATCH", "POST"]


def test_refusals_before_any_call_and_read_only_permission(domains_sandbox, play):
    mark = domains_sandbox.requests_log()["last_seq"]
    run = play([
        dict(task("bad domain", "fresh", blocked_domains=["gmail.com", "not a domain"]), ignore_errors=True),
        dict(task("both lists", "fresh", blocked_domains=["gmail.com"], allowed_domains=["fabrikam.com"]),
             ignore_errors=True),
        dict(task("reader writes", "reader", blocked_domains=["gmail.com"]), ignore_errors=True),
    ], hosts="fresh,reader")
    fresh = domains_sandbox.tenant("fresh")["id"]
    assert run.task("bad domain", host="fresh")["msg"].startswith(f"tenant {fresh}: invalid input: blocked_domains[1]")
    assert "mutually exclusive" in run.task("both lists", host="fresh")["msg"]
    graph = [e for e in domains_sandbox.requests_log(mark)["entries"] if e["service"] == "graph"]
    assert {e["tenant"] for e in graph} == {domains_sandbox.tenant("reader")["id"]}   # nothing sent for fresh
    refused = run.task("reader writes", host="reader")
    assert "HTTP 403" in refused["msg"]
    assert refused["not_applied"] == ["POST b2bManagementPolicies (beta): blocked_domains=gmail.com"]
    assert stored(domains_sandbox, "reader") == []

    checked = play([task("reader checks", "reader", blocked_domains=["gmail.com"])], hosts="reader", check=True)
    assert checked.rc == 0 and checked.task("reader checks", host="reader")["changed"]
