"""Cross-tenant access partners and identitySynchronization: socket-free rules, then the SDK."""
import asyncio

import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.seed import build_world, parse_seed

HOME = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"
NORTHWIND = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
STRANGER = "123f4846-ba00-4fd7-ba43-dac1f8f63013"   # a well-formed id that is no tenant of the world
APP = "aaaaaaaa-0000-4000-8000-000000000001"
BASE = "https://127.0.0.1:8443"
PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
RW = frozenset({"Policy.ReadWrite.CrossTenantAccess"})
BLOCK_ALL_USERS = {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]}
ALLOW_OFFICE = {"accessType": "allowed", "targets": [{"target": "Office365", "targetType": "application"}]}


@pytest.fixture
def world():
    tenants = [{"name": n, "id": i, "domains": [f"{n}.example"]}
               for n, i in (("home", HOME), ("fabrikam", FABRIKAM), ("northwind", NORTHWIND))]
    return build_world(parse_seed({"tenants": tenants}))


def call(world, method, url, body=None, roles=RW):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return dispatch_internal("graph", method, url, headers, body, Caller(HOME, APP, "https://graph.microsoft.com", roles),
                             world.find_tenant(HOME), world, BASE)


def error_of(response):
    return response.status, response.body["error"]["code"], response.body["error"]["message"]


def add(world, tenant_id=FABRIKAM, **settings):
    response = call(world, "POST", PARTNERS, {"tenantId": tenant_id, **settings})
    assert response.status == 201, response.body
    return response


def test_post_returns_the_created_partner_with_inherited_nulls(world):
    response = add(world, b2bDirectConnectInbound={"applications": ALLOW_OFFICE})
    assert response.headers["Location"] == f"{BASE}/graph/v1.0/policies/crossTenantAccessPolicy/partners/{FABRIKAM}"
    body = response.body
    assert body["tenantId"] == FABRIKAM and body["isInMultiTenantOrganization"] is False
    assert body["b2bCollaborationInbound"] is None
    assert body["automaticUserConsentSettings"] == {"inboundAllowed": None, "outboundAllowed": None}
    assert body["b2bDirectConnectInbound"] == {"applications": ALLOW_OFFICE}
    assert world.find_tenant(HOME).audit[-1]["operationType"] == "Add"


@pytest.mark.parametrize("tenant_id, status, words", [
    (HOME, 400, "tenant itself"),
    (STRANGER, 400, "was not found"),
    ("not-a-guid", 400, "not a valid tenant id"),
    (None, 400, "tenantId"),
])
def test_post_refuses_bad_tenant_ids(world, tenant_id, status, words):
    body = {} if tenant_id is None else {"tenantId": tenant_id}
    got_status, code, message = error_of(call(world, "POST", PARTNERS, body))
    assert (got_status, code) == (status, "Request_BadRequest") and words in message


def test_duplicate_partner_is_409(world):
    add(world)
    status, code, _ = error_of(call(world, "POST", PARTNERS, {"tenantId": FABRIKAM.upper()}))
    assert (status, code) == (409, "Request_MultipleObjectsWithSameKeyValue")


def test_post_refuses_wrong_case_property(world):
    status, _, message = error_of(call(world, "POST", PARTNERS, {"tenantId": FABRIKAM, "b2BDirectConnectInbound": None}))
    assert status == 400 and message == "Invalid property 'b2BDirectConnectInbound'."


def test_conflict_rule_applies_to_partners(world):
    conflicting = {"usersAndGroups": BLOCK_ALL_USERS, "applications": ALLOW_OFFICE}
    status, _, message = error_of(call(world, "POST", PARTNERS, {"tenantId": FABRIKAM, "b2bCollaborationInbound": conflicting}))
    assert status == 400 and "Conflicting settings" in message
    add(world)
    status, _, _ = error_of(call(world, "PATCH", f"{PARTNERS}/{FABRIKAM}", {"b2bCollaborationInbound": conflicting}))
    assert status == 400


def test_get_patch_delete_one(world):
    add(world)
    assert error_of(call(world, "GET", f"{PARTNERS}/{NORTHWIND}"))[:2] == (404, "Request_ResourceNotFound")
    assert call(world, "PATCH", f"{PARTNERS}/{FABRIKAM}", {"inboundTrust": {"isMfaAccepted": True}}).status == 204
    partner = call(world, "GET", f"{PARTNERS}/{FABRIKAM}").body
    assert partner["inboundTrust"] == {"isMfaAccepted": True}
    assert partner["@odata.context"].endswith("#policies/crossTenantAccessPolicy/partners/$entity")
    for read_only in ({"tenantId": NORTHWIND}, {"isInMultiTenantOrganization": True}):
        assert error_of(call(world, "PATCH", f"{PARTNERS}/{FABRIKAM}", read_only))[0] == 400
    assert call(world, "DELETE", f"{PARTNERS}/{FABRIKAM}").status == 204
    assert call(world, "GET", f"{PARTNERS}/{FABRIKAM}").status == 404
    assert call(world, "DELETE", f"{PARTNERS}/{FABRIKAM}").status == 404


def test_identity_synchronization_lifecycle(world):
    add(world)
    sync_url = f"{PARTNERS}/{FABRIKAM}/identitySynchronization"
    assert call(world, "GET", sync_url).status == 404
    assert call(world, "PATCH", sync_url, {"userSyncInbound": {"isSyncAllowed": True}}).status == 404
    assert call(world, "PUT", sync_url, {"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": True}}).status == 204
    assert call(world, "GET", sync_url).body["tenantId"] == FABRIKAM
    status, code, message = error_of(call(world, "DELETE", f"{PARTNERS}/{FABRIKAM}"))
    assert (status, code) == (400, "Request_BadRequest") and "identitySynchronization" in message
    assert call(world, "PATCH", sync_url, {"userSyncInbound": {"isSyncAllowed": False}}).status == 204
    assert call(world, "GET", sync_url).body["userSyncInbound"] == {"isSyncAllowed": False}
    assert error_of(call(world, "PUT", sync_url, {"tenantId": NORTHWIND}))[0] == 400
    assert call(world, "DELETE", sync_url).status == 204
    assert call(world, "DELETE", f"{PARTNERS}/{FABRIKAM}").status == 204
    assert call(world, "PUT", f"{PARTNERS}/{NORTHWIND}/identitySynchronization", {}).status == 404


def test_list_select_expand_filter_and_paging(world):
    add(world)
    add(world, NORTHWIND)
    call(world, "PUT", f"{PARTNERS}/{NORTHWIND}/identitySynchronization", {"userSyncInbound": {"isSyncAllowed": True}})
    listed = call(world, "GET", PARTNERS + "?$select=tenantId&$expand=identitySynchronization").body
    assert [set(p) for p in listed["value"]] == [{"tenantId", "identitySynchronization"}] * 2
    assert listed["value"][1]["identitySynchronization"]["userSyncInbound"] == {"isSyncAllowed": True}
    filtered = call(world, "GET", PARTNERS + f"?$filter=tenantId eq '{NORTHWIND.upper()}'").body["value"]
    assert [p["tenantId"] for p in filtered] == [NORTHWIND]
    first = call(world, "GET", PARTNERS + "?$top=1").body
    assert [p["tenantId"] for p in first["value"]] == [FABRIKAM]
    assert first["@odata.nextLink"].startswith(f"{BASE}/graph/v1.0/policies/crossTenantAccessPolicy/partners?")
    query = first["@odata.nextLink"].split("?", 1)[1]
    second = call(world, "GET", PARTNERS + "?" + query).body
    assert [p["tenantId"] for p in second["value"]] == [NORTHWIND] and "@odata.nextLink" not in second
    assert call(world, "GET", PARTNERS + "?$filter=displayName eq 'x'").status == 400
    assert call(world, "GET", PARTNERS + "?$expand=templates").status == 400


@pytest.mark.parametrize("method, suffix, body", [
    ("POST", "", {"tenantId": FABRIKAM}),
    ("PATCH", f"/{FABRIKAM}", {"inboundTrust": None}),
    ("DELETE", f"/{FABRIKAM}", None),
    ("PUT", f"/{FABRIKAM}/identitySynchronization", {"userSyncInbound": {"isSyncAllowed": True}}),
    ("PATCH", f"/{FABRIKAM}/identitySynchronization", {"userSyncInbound": {"isSyncAllowed": True}}),
    ("DELETE", f"/{FABRIKAM}/identitySynchronization", None),
])
def test_every_write_needs_readwrite_cross_tenant_access(world, method, suffix, body):
    if method != "POST":
        add(world)
        call(world, "PUT", f"{PARTNERS}/{FABRIKAM}/identitySynchronization", {})
    denied = call(world, method, PARTNERS + suffix, body, roles=frozenset({"Policy.Read.All"}))
    assert error_of(denied)[:2] == (403, "Authorization_RequestDenied")


def test_seeded_partner_by_domain(world):
    from sandbox.graph.partners import add_partner_seed
    home = world.find_tenant(HOME)
    add_partner_seed(world, home, {"tenantId": "northwind.example", "identitySynchronization": {"displayName": "NW"}})
    assert home.partners[NORTHWIND]["tenantId"] == NORTHWIND
    assert home.identity_sync[NORTHWIND]["displayName"] == "NW"
    with pytest.raises(ValueError):
        add_partner_seed(world, home, {"tenantId": "nowhere.example"})


# ------------------------------------------------------------------------------------------
# Through the real msgraph-sdk
# ------------------------------------------------------------------------------------------

def test_sdk_partner_roundtrip(graph_client, sandbox):
    from kiota_abstractions.api_error import APIError
    from msgraph.generated.models.cross_tenant_access_policy_configuration_partner import \
        CrossTenantAccessPolicyConfigurationPartner as Partner
    from msgraph.generated.models.cross_tenant_access_policy_inbound_trust import CrossTenantAccessPolicyInboundTrust
    from msgraph.generated.models.cross_tenant_identity_sync_policy_partner import CrossTenantIdentitySyncPolicyPartner
    from msgraph.generated.models.cross_tenant_user_sync_inbound import CrossTenantUserSyncInbound

    partner_id = sandbox.tenant("northwind")["id"]
    sandbox.world.find_tenant(sandbox.tenant("contoso")["id"]).partners.pop(partner_id.lower(), None)
    partners = graph_client.policies.cross_tenant_access_policy.partners
    one = partners.by_cross_tenant_access_policy_configuration_partner_tenant_id(partner_id)

    async def scenario():
        created = await partners.post(Partner(tenant_id=partner_id,
                                              inbound_trust=CrossTenantAccessPolicyInboundTrust(is_mfa_accepted=True)))
        assert created.tenant_id == partner_id and created.inbound_trust.is_mfa_accepted is True
        await one.identity_synchronization.put(CrossTenantIdentitySyncPolicyPartner(
            display_name="Northwind", user_sync_inbound=CrossTenantUserSyncInbound(is_sync_allowed=True)))
        assert (await one.identity_synchronization.get()).user_sync_inbound.is_sync_allowed is True
        listed = await partners.get()
        assert partner_id in [p.tenant_id for p in listed.value]
        statuses = []
        for attempt in (one.delete(), partners.post(Partner(tenant_id=partner_id))):
            with pytest.raises(APIError) as caught:
                await attempt
            statuses.append(caught.value.response_status_code)
        assert statuses == [400, 409]
        await one.identity_synchronization.delete()
        await one.delete()
        with pytest.raises(APIError) as caught:
            await one.get()
        assert caught.value.response_status_code == 404

    asyncio.run(scenario())
