"""Directory audit log: what record() writes and how /auditLogs/directoryAudits reads it back."""
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.core import ApiError, App, Caller, Request, Tenant, World
from sandbox.graph import audit

TENANT_ID = "11111111-2222-4333-8444-555555555555"
APP_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
POLICY = {"id": "authorizationPolicy", "displayName": "Authorization Policy", "type": "Policy"}


def make_request(world, query=None, headers=None):
    tenant = world.find_tenant(TENANT_ID)
    return Request("graph", "GET", "/v1.0/auditLogs/directoryAudits", query or {}, headers or {}, None, world,
                   tenant=tenant, caller=Caller(TENANT_ID, APP_ID, "https://graph.microsoft.com"),
                   base_url="https://127.0.0.1:8443")


@pytest.fixture
def world():
    world = World()
    tenant = Tenant(TENANT_ID, "Contoso", ["contoso.onmicrosoft.com"])
    tenant.apps[APP_ID] = App(APP_ID, "tenantops")
    world.add_tenant(tenant)
    return world


def test_record_shape(world):
    req = make_request(world, headers={"client-request-id": "c0ffee00-0000-4000-8000-000000000000"})
    entry = audit.record(req, audit.CATEGORY_POLICY, audit.ACTIVITY_AUTHORIZATION_POLICY_UPDATE, POLICY,
                         {"allowInvitesFrom": "everyone", "blockMsolPowerShell": False},
                         {"allowInvitesFrom": "adminsAndGuestInviters", "blockMsolPowerShell": False})
    assert world.find_tenant(TENANT_ID).audit == [entry]
    assert entry["correlationId"] == "c0ffee00-0000-4000-8000-000000000000"
    assert entry["initiatedBy"]["user"] is None
    assert entry["initiatedBy"]["app"]["appId"] == APP_ID and entry["initiatedBy"]["app"]["displayName"] == "tenantops"
    assert (entry["operationType"], entry["result"], entry["loggedByService"]) == ("Update", "success", "Core Directory")
    assert entry["targetResources"][0]["modifiedProperties"] == [
        {"displayName": "allowInvitesFrom", "oldValue": '"everyone"', "newValue": '"adminsAndGuestInviters"'}]


def test_operation_type_follows_old_and_new(world):
    req = make_request(world)
    added = audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_ADD, POLICY, None, {"a": 1})
    deleted = audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_DELETE, POLICY, {"a": 1}, None)
    assert (added["operationType"], deleted["operationType"]) == ("Add", "Delete")


def test_list_is_newest_first_filtered_and_paged(world):
    req = make_request(world)
    for number in range(5):
        audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_UPDATE, POLICY, {"n": number}, {"n": number + 1})
        audit.record(req, audit.CATEGORY_POLICY, audit.ACTIVITY_AUTHORIZATION_POLICY_UPDATE, POLICY, {"n": 0}, {"n": 1})
    log = world.find_tenant(TENANT_ID).audit
    since = log[4]["activityDateTime"]
    query = {"$filter": f"activityDateTime ge {since} and category eq 'CrossTenantAccessSettings' and "
                        f"activityDisplayName eq '{audit.ACTIVITY_PARTNER_UPDATE}'", "$top": "2"}
    seen = []
    while query:
        body = audit.list_directory_audits(make_request(world, query)).body
        seen += body["value"]
        link = body.get("@odata.nextLink")
        query = dict(parse_qsl(urlsplit(link).query)) if link else None
    expected = [e for e in reversed(log) if e["category"] == "CrossTenantAccessSettings" and e["activityDateTime"] >= since]
    assert seen == expected and len(seen) >= 3 and len(seen) < 5


def test_unsupported_filter_property_is_400(world):
    with pytest.raises(ApiError) as caught:
        audit.list_directory_audits(make_request(world, {"$filter": "colour eq 'x'"}))
    assert caught.value.status == 400


def test_sdk_reads_the_audit_of_a_wire_patch(sandbox):
    from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
        DirectoryAuditsRequestBuilder)
    from msgraph.generated.models.user import User

    from sandbox.tests.test_directory import with_graph
    contoso = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"])
    guest = next(u for u in contoso.users.values() if u["mail"] == "adele.vance@fabrikam.com")

    async def work(client):
        await client.users.by_user_id(guest["id"]).patch(User(show_in_address_list=False))
        query = DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetQueryParameters(
            filter="category eq 'UserManagement' and activityDisplayName eq 'Update user'", top=5)
        return await client.audit_logs.directory_audits.get(
            request_configuration=DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetRequestConfiguration(
                query_parameters=query))
    page = with_graph(sandbox, work)
    newest = page.value[0]
    assert newest.target_resources[0].id == guest["id"]
    assert newest.initiated_by.app.app_id == sandbox.tenant("contoso")["client_id"]
    assert newest.target_resources[0].modified_properties[0].new_value == "false"
