"""guest_invitation_domains: input rules, the definition round trip and at_least comparison (pure)."""
import json

import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError, TenantOpsError
from ansible_collections.tenantops.entra.plugins.module_utils.resources import guest_invitation_domains as unit

POLICY_ID = "f596ef0d-42f9-0359-1aaa-12d02b38802a"


def policy(allowed=(), blocked=(), **other) -> dict:
    definition = {"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": {
        "AllowedDomains": list(allowed), "BlockedDomains": list(blocked)}, **other}}
    return {"id": POLICY_ID, "displayName": "Policy1", "description": "B2B", "isOrganizationDefault": True,
            "definition": [json.dumps(definition)]}


def plan_for(current_policy, **params):
    unit.validate(params, "contoso.com")
    return unit.plan({"policy": current_policy}, params, "contoso.com")


def sent_definition(plan) -> dict:
    return json.loads(plan.changes[0].body["definition"][0])["B2BManagementPolicy"]


@pytest.mark.parametrize("params, field", [
    ({}, "allowed_domains"),
    ({"allowed_domains": ["a.example"], "blocked_domains": ["b.example"]}, "blocked_domains"),
    ({"blocked_domains": []}, "blocked_domains"),
    ({"blocked_domains": ["gmail.com", "not a domain"]}, "blocked_domains[1]"),
    ({"blocked_domains": ["*.gmail.com"]}, "blocked_domains[0]"),
    ({"state": "absent", "allowed_domains": ["a.example"]}, "allowed_domains"),
    ({"blocked_domains": [f"domain{n:05d}.example" for n in range(1500)]}, "blocked_domains"),
    ({"blocked_domains": ["gmail.com"], "cloud": "usgov"}, "cloud"),
    ({"blocked_domains": ["gmail.com"], "strictness": "loose"}, "strictness"),
])
def test_bad_input_names_the_field_before_any_call(params, field):
    with pytest.raises(InputError) as caught:
        unit.validate(params, "contoso.com")
    assert caught.value.field == field


def test_no_policy_creates_the_organization_default_with_a_deny_list():
    plan = plan_for(None, blocked_domains=["Gmail.com", "outlook.com", "gmail.com"])
    change = plan.changes[0]
    assert (change.method, change.path, change.api) == ("POST", "/policies/b2bManagementPolicies", "beta")
    assert change.body["isOrganizationDefault"] is True and change.body["displayName"] == "B2BManagementPolicy"
    assert sent_definition(plan) == {"InvitationsAllowedAndBlockedDomainsPolicy": {
        "AllowedDomains": [], "BlockedDomains": ["gmail.com", "outlook.com"]}}
    assert plan.before == {"state": "absent"}
    assert plan.after == {"state": "present", "blocked_domains": ["gmail.com", "outlook.com"]}


def test_update_keeps_the_definitions_other_settings_and_names():
    current = policy(blocked=["gmail.com"], AutoRedeemPolicy={"AdminConsentedForUsersIntoTenantIds": ["x"]})
    plan = plan_for(current, allowed_domains=["fabrikam.com"])
    change = plan.changes[0]
    assert (change.method, change.path) == ("PATCH", f"/policies/b2bManagementPolicies/{POLICY_ID}")
    assert (change.body["displayName"], change.body["description"]) == ("Policy1", "B2B")
    assert sent_definition(plan) == {
        "InvitationsAllowedAndBlockedDomainsPolicy": {"AllowedDomains": ["fabrikam.com"], "BlockedDomains": []},
        "AutoRedeemPolicy": {"AdminConsentedForUsersIntoTenantIds": ["x"]}}
    assert change.summary == f"PATCH b2bManagementPolicies/{POLICY_ID} (beta): allowed_domains=fabrikam.com"


def test_same_list_in_another_case_and_order_is_no_change():
    assert plan_for(policy(blocked=["Outlook.com", "GMAIL.com"]), blocked_domains=["gmail.com", "outlook.com"]).changes == []


def test_absent_clears_both_lists_and_keeps_the_policy():
    plan = plan_for(policy(allowed=["fabrikam.com"]), state="absent")
    assert plan.changes[0].method == "PATCH"
    assert sent_definition(plan)["InvitationsAllowedAndBlockedDomainsPolicy"] == {"AllowedDomains": [], "BlockedDomains": []}
    assert plan_for(None, state="absent").changes == [] and plan_for(policy(), state="absent").changes == []


def test_export_round_trips_to_no_change():
    for current in (None, policy(), policy(allowed=["b.example", "A.example"]), policy(blocked=["gmail.com"])):
        exported = unit.export({"policy": current})
        assert plan_for(current, **exported).changes == []
    assert unit.export({"policy": policy(allowed=["B.example", "a.example"])}) == {
        "state": "present", "allowed_domains": ["a.example", "b.example"]}


def test_the_references_single_quoted_definition_is_read():
    current = {"id": POLICY_ID, "definition": ["{'B2BManagementPolicy':{'Version':1}}"], "isOrganizationDefault": "true"}
    assert unit.export({"policy": current}) == {"state": "absent"}
    assert sent_definition(plan_for(current, blocked_domains=["gmail.com"]))["Version"] == 1


def test_a_definition_that_is_not_json_is_a_clear_error():
    with pytest.raises(TenantOpsError, match="not JSON"):
        unit.export({"policy": {"id": POLICY_ID, "definition": ["{nope"]}})


def test_the_organization_default_is_the_policy_managed():
    other = dict(policy(blocked=["x.example"]), id="other", isOrganizationDefault=False)
    assert unit.organization_policy([other, policy()])["id"] == POLICY_ID
    assert unit.organization_policy([other])["id"] == "other" and unit.organization_policy([]) is None


@pytest.mark.parametrize("current, params, after, stricter", [
    # A deny list may hold more than required: extra domains are kept, missing ones added.
    (policy(blocked=["gmail.com", "yahoo.com"]), {"blocked_domains": ["gmail.com"]},
     {"state": "present", "blocked_domains": ["gmail.com", "yahoo.com"]}, ["yahoo.com"]),
    (policy(blocked=["yahoo.com"]), {"blocked_domains": ["gmail.com"]},
     {"state": "present", "blocked_domains": ["gmail.com", "yahoo.com"]}, ["yahoo.com"]),
    # An allow list may hold fewer: extras are removed, missing ones not added.
    (policy(allowed=["fabrikam.com"]), {"allowed_domains": ["fabrikam.com", "northwind.example"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, ["northwind.example"]),
    (policy(allowed=["fabrikam.com", "evil.example"]), {"allowed_domains": ["fabrikam.com"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, []),
    (policy(allowed=["evil.example"]), {"allowed_domains": ["fabrikam.com"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, []),
    # An allow list that does not allow the domains to block is stricter than the deny list.
    (policy(allowed=["fabrikam.com"]), {"blocked_domains": ["gmail.com"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, ["fabrikam.com"]),
    (policy(allowed=["fabrikam.com", "gmail.com"]), {"blocked_domains": ["gmail.com"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, ["fabrikam.com"]),
    (policy(allowed=["gmail.com"]), {"blocked_domains": ["gmail.com"]},
     {"state": "present", "blocked_domains": ["gmail.com"]}, []),
    # A deny list never satisfies an allow list; no list satisfies nothing but absent.
    (policy(blocked=["gmail.com"]), {"allowed_domains": ["fabrikam.com"]},
     {"state": "present", "allowed_domains": ["fabrikam.com"]}, []),
    (None, {"blocked_domains": ["gmail.com"]}, {"state": "present", "blocked_domains": ["gmail.com"]}, []),
    (policy(blocked=["gmail.com"]), {"state": "absent"},
     {"state": "present", "blocked_domains": ["gmail.com"]}, ["gmail.com"]),
])
def test_at_least(current, params, after, stricter):
    plan = plan_for(current, strictness="at_least", **params)
    assert plan.after == after and plan.result["stricter_than_requested"] == stricter
    assert bool(plan.changes) == (after != unit.export({"policy": current}))


def test_exact_replaces_a_longer_deny_list():
    plan = plan_for(policy(blocked=["gmail.com", "yahoo.com"]), blocked_domains=["gmail.com"])
    assert sent_definition(plan)["InvitationsAllowedAndBlockedDomainsPolicy"]["BlockedDomains"] == ["gmail.com"]
    assert "stricter_than_requested" not in plan.result


def test_the_size_limit_counts_the_policys_other_settings():
    padding = {"Note": "x" * 24_900}
    with pytest.raises(InputError) as caught:
        plan_for(policy(**padding), blocked_domains=["gmail.com", "outlook.com"])
    assert caught.value.field == "blocked_domains" and "25000" in str(caught.value)
