"""Graph beta b2bManagementPolicies: the invitation domain allow or deny list, through the framework's
socket-free dispatch and over the wire with a real token."""
import json

import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.seed import build_world, parse_seed

HOME = "11111111-1111-4111-8111-111111111111"
APP = "aaaaaaaa-0000-4000-8000-000000000001"
BASE = "https://127.0.0.1:8443"
POLICIES = "/beta/policies/b2bManagementPolicies"
RW = frozenset({"Policy.ReadWrite.B2BManagementPolicy"})


def definition(allowed=(), blocked=(), **extra) -> list:
    policy = {"InvitationsAllowedAndBlockedDomainsPolicy": {"AllowedDomains": list(allowed),
                                                            "BlockedDomains": list(blocked)}, **extra}
    return [json.dumps({"B2BManagementPolicy": policy})]


def new_policy(**changes) -> dict:
    return {"displayName": "B2BManagementPolicy", "description": "invitation domains",
            "definition": definition(blocked=["gmail.com"]), "isOrganizationDefault": True, **changes}


@pytest.fixture
def world():
    return build_world(parse_seed({"tenants": [{"name": "home", "id": HOME, "domains": ["home.example"]}]}))


def call(world, method, url, body=None, roles=RW):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return dispatch_internal("graph", method, url, headers, body, Caller(HOME, APP, "https://graph.microsoft.com", roles),
                             world.find_tenant(HOME), world, BASE)


def error_of(response):
    return response.status, response.body["error"]["code"], response.body["error"]["message"]


def test_fresh_tenant_has_no_policy_then_create_get_update_delete(world):
    listed = call(world, "GET", POLICIES).body
    assert listed == {"@odata.context": f"{BASE}/graph/beta/$metadata#policies/b2bManagementPolicies", "value": []}
    created = call(world, "POST", POLICIES, new_policy())
    assert created.status == 201 and created.body["@odata.type"] == "#microsoft.graph.b2bManagementPolicy"
    policy_id = created.body["id"]
    got = call(world, "GET", f"{POLICIES}/{policy_id}").body
    assert json.loads(got["definition"][0])["B2BManagementPolicy"]["InvitationsAllowedAndBlockedDomainsPolicy"][
        "BlockedDomains"] == ["gmail.com"]
    updated = call(world, "PATCH", f"{POLICIES}/{policy_id}", {"definition": definition(allowed=["fabrikam.com"])})
    assert updated.status == 200 and updated.body["displayName"] == "B2BManagementPolicy"
    assert [p["id"] for p in call(world, "GET", POLICIES).body["value"]] == [policy_id]
    assert call(world, "DELETE", f"{POLICIES}/{policy_id}").status == 204
    assert call(world, "GET", f"{POLICIES}/{policy_id}").status == 404
    activities = [e["activityDisplayName"] for e in world.find_tenant(HOME).audit]
    assert activities == ["Add policy", "Update policy", "Delete policy"]


def test_the_reference_examples_single_quoted_definition_and_string_boolean_are_read(world):
    # As https://learn.microsoft.com/graph/api/b2bmanagementpolicy-update?view=graph-rest-beta writes them.
    created = call(world, "POST", POLICIES, {"@odata.type": "#microsoft.graph.b2bManagementPolicy",
                                             "deletedDateTime": None, "description": "Policy used for B2B features",
                                             "displayName": "Policy1",
                                             "definition": ["{'B2BManagementPolicy':{'Version':1}}"],
                                             "isOrganizationDefault": "true"})
    assert created.status == 201 and created.body["isOrganizationDefault"] is True


@pytest.mark.parametrize("body, text", [
    (new_policy(definition=definition(allowed=["a.example"], blocked=["b.example"])), "not both"),
    (new_policy(definition=definition(blocked=["not a domain"])), "list of domain names"),
    (new_policy(definition=["{not json"]), "not valid JSON"),
    (new_policy(definition=[json.dumps({"Other": {}})]), "'B2BManagementPolicy' object is required"),
    (new_policy(definition=definition() * 2), "one JSON string"),
    (new_policy(definition=definition(blocked=[f"d{n:05d}.example" for n in range(2000)])), "limit is 25000"),
    ({"definition": definition(), "displayName": "x"}, "Required property 'description'"),
    (new_policy(colour="blue"), "Invalid property 'colour'."),
    (new_policy(isOrganizationDefault="yes"), "isOrganizationDefault"),
])
def test_what_the_docs_forbid_is_400_and_writes_nothing(world, body, text):
    status, code, message = error_of(call(world, "POST", POLICIES, body))
    assert (status, code) == (400, "Request_BadRequest") and text in message
    assert call(world, "GET", POLICIES).body["value"] == [] and world.find_tenant(HOME).audit == []


def test_one_policy_per_organization(world):
    assert call(world, "POST", POLICIES, new_policy()).status == 201
    status, code, _ = error_of(call(world, "POST", POLICIES, new_policy()))
    assert (status, code) == (409, "Request_MultipleObjectsWithSameKeyValue")


def test_permissions_are_the_b2b_management_ones(world):
    read_all = frozenset({"Policy.Read.All"})
    assert call(world, "GET", POLICIES, roles=read_all).status == 403
    assert call(world, "GET", POLICIES, roles=frozenset({"Policy.Read.B2BManagementPolicy"})).status == 200
    assert call(world, "POST", POLICIES, new_policy(), roles=frozenset({"Policy.Read.B2BManagementPolicy"})).status == 403


def test_seeded_policy_keeps_the_other_settings_of_the_definition():
    world = build_world(parse_seed({"tenants": [{"name": "home", "id": HOME, "domains": ["home.example"],
                                                 "b2b_management_policies": [{"definition": [{"B2BManagementPolicy": {
                                                     "InvitationsAllowedAndBlockedDomainsPolicy": {"BlockedDomains": ["x.example"]},
                                                     "AutoRedeemPolicy": {"AdminConsentedForUsersIntoTenantIds": []}}}]}]}]}))
    policy = call(world, "GET", POLICIES).body["value"][0]
    assert policy["isOrganizationDefault"] is True
    assert "AutoRedeemPolicy" in json.loads(policy["definition"][0])["B2BManagementPolicy"]


def test_over_the_wire_with_a_real_token(sandbox, http):
    from sandbox.tests.conftest import bearer
    url = sandbox.graph_url + POLICIES
    sandbox.world.find_tenant(sandbox.tenant("contoso")["id"]).apps[
        sandbox.tenant("contoso")["client_id"].lower()].roles |= RW
    headers = bearer(sandbox)
    created = http.post(url, json=new_policy(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["@odata.context"].endswith("/graph/beta/$metadata#policies/b2bManagementPolicies/$entity")
    listed = http.get(url, headers=headers).json()["value"]
    assert [p["id"] for p in listed] == [created.json()["id"]]
    assert http.get(sandbox.graph_url + "/v1.0/policies/b2bManagementPolicies", headers=headers).status_code == 400
