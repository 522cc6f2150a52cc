"""GDAP customers and multitenant organization members: seeding, permissions, paging, $select/$filter."""
import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.seed import build_world, parse_seed

MSP = "0b5e7a10-1111-4111-8111-111111111111"
APP = "aaaaaaaa-0000-4000-8000-000000000001"
OUTSIDER = "6e0d2b7c-2222-4222-8222-222222222222"   # a customer that is no tenant of the sandbox
BASE = "https://127.0.0.1:8443"
CUSTOMERS = "/v1.0/tenantRelationships/delegatedAdminCustomers"
MEMBERS = "/v1.0/tenantRelationships/multiTenantOrganization/tenants"
GDAP = frozenset({"DelegatedAdminRelationship.Read.All"})
MTO = frozenset({"MultiTenantOrganization.Read.All"})


def world_with(**msp_keys):
    tenants = [{"name": "msp", "id": MSP, "display_name": "Tailspin MSP", "domains": ["tailspin.example"], **msp_keys}]
    tenants += [{"name": f"c{i}", "id": f"00000000-0000-4000-8000-{i:012d}", "display_name": f"Customer {i}",
                 "domains": [f"c{i}.example"]} for i in range(5)]
    return build_world(parse_seed({"tenants": tenants}))


def get(world, url, roles):
    return dispatch_internal("graph", "GET", url, {}, None, Caller(MSP, APP, "https://graph.microsoft.com", roles),
                             world.find_tenant(MSP), world, BASE)


def test_customers_by_name_id_or_outside_the_sandbox():
    world = world_with(delegated_admin_customers=["c0", "00000000-0000-4000-8000-000000000001",
                                                  {"tenant_id": OUTSIDER, "display_name": "Outsider Ltd"}])
    body = get(world, CUSTOMERS, GDAP).body
    assert body["@odata.context"] == f"{BASE}/graph/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers"
    assert [(c["tenantId"], c["displayName"]) for c in body["value"]] == [
        ("00000000-0000-4000-8000-000000000000", "Customer 0"), ("00000000-0000-4000-8000-000000000001", "Customer 1"),
        (OUTSIDER, "Outsider Ltd")]
    first = body["value"][0]
    assert first["id"] == first["tenantId"]  # as in Microsoft's example
    assert first["@odata.type"] == "#microsoft.graph.delegatedAdminCustomer" and first["@odata.etag"].startswith('W/"')


def test_all_customers_paged_by_top_at_most_300():
    world = world_with(delegated_admin_customers="all")
    response = get(world, CUSTOMERS + "?$top=2&$select=tenantId", GDAP)
    assert [set(c) for c in response.body["value"]] == [{"@odata.type", "@odata.etag", "tenantId"}] * 2
    seen = [c["tenantId"] for c in response.body["value"]]
    link = response.body["@odata.nextLink"]
    while link:
        page = get(world, link.replace(BASE + "/graph", ""), GDAP).body
        seen += [c["tenantId"] for c in page["value"]]
        link = page.get("@odata.nextLink")
    assert len(seen) == 5 and MSP not in seen
    assert get(world, CUSTOMERS + "?$top=301", GDAP).status == 400


def test_filter_and_unknown_select():
    world = world_with(delegated_admin_customers="all")
    body = get(world, CUSTOMERS + "?$filter=displayName eq 'Customer 3'", GDAP).body
    assert [c["displayName"] for c in body["value"]] == ["Customer 3"]
    assert get(world, CUSTOMERS + "?$select=ring", GDAP).status == 400


@pytest.mark.parametrize("url,roles", [(CUSTOMERS, MTO), (MEMBERS, GDAP), (CUSTOMERS, frozenset())])
def test_permission_required(url, roles):
    response = get(world_with(delegated_admin_customers="all"), url, roles)
    assert response.status == 403
    assert response.body["error"]["code"] == "Authorization_RequestDenied"


def test_multi_tenant_organization_members():
    world = world_with(multi_tenant_organization=["msp", "c0", {"tenant_id": "00000000-0000-4000-8000-000000000001",
                                                                "state": "pending"},
                                                  {"tenant_id": "00000000-0000-4000-8000-000000000002",
                                                   "state": "removed"}])
    body = get(world, MEMBERS, MTO).body
    assert body["@odata.context"] == f"{BASE}/graph/v1.0/$metadata#tenantRelationships/multiTenantOrganization/tenants"
    assert [(m["displayName"], m["role"], m["state"]) for m in body["value"]] == [
        ("Tailspin MSP", "owner", "active"), ("Customer 0", "member", "active"), ("Customer 1", "member", "pending")]
    assert body["value"][2]["joinedDateTime"] is None and body["value"][1]["addedByTenantId"] == MSP
    active = get(world, MEMBERS + "?$filter=state eq 'active'", MTO).body["value"]
    assert [m["displayName"] for m in active] == ["Tailspin MSP", "Customer 0"]


def test_no_relationships_is_an_empty_collection():
    world = world_with()
    assert get(world, CUSTOMERS, GDAP).body["value"] == []
    assert get(world, MEMBERS, MTO).body["value"] == []


def test_seed_refuses_an_unknown_tenant():
    with pytest.raises(ValueError, match="unknown tenant 'nobody'"):
        world_with(delegated_admin_customers=["nobody"])
