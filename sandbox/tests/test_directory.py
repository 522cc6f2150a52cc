"""Directory: guests and their two views, the generator, /users queries, PATCH, organization, tenant lookup."""
import random
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.core import ApiError, Caller, Request, Tenant, World
from sandbox.graph import directory

TENANT_ID = "11111111-2222-4333-8444-555555555555"
APP_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
GUESTS = {"count": 300, "domains": ["fabrikam.com", "tailspin.com"], "pending_ratio": 0.2,
          "not_mail_enabled_ratio": 0.1, "hidden_ratio": 0.5, "contact_ratio": 0.05}


def make_world(seed: dict) -> World:
    world = World()
    tenant = Tenant(TENANT_ID, "Contoso", ["contoso.com", "contoso.onmicrosoft.com"])
    world.add_tenant(tenant)
    directory.load_directory(tenant, seed, random.Random(3))
    return world


def call(world, handler, path, query=None, headers=None, body=None, method="GET", **match):
    req = Request("graph", method, path, query or {}, headers or {}, body, world, match=match,
                  tenant=world.find_tenant(TENANT_ID), caller=Caller(TENANT_ID, APP_ID, "https://graph.microsoft.com"),
                  base_url="https://127.0.0.1:8443")
    return handler(req)


def test_generator_is_deterministic_and_follows_the_ratios():
    first, second = make_world({"guests": GUESTS}), make_world({"guests": GUESTS})
    users = list(first.find_tenant(TENANT_ID).users.values())
    assert users == list(second.find_tenant(TENANT_ID).users.values())
    assert len(users) == 300 and all(u["userType"] == "Guest" for u in users)
    pending = sum(u["externalUserState"] == "PendingAcceptance" for u in users)
    mail_users = [u for u in users if "_exchange" in u]
    assert 30 <= pending <= 90
    assert 230 <= len(mail_users) <= 280
    assert len({u["userPrincipalName"] for u in users}) == 300
    contacts = first.find_tenant(TENANT_ID).mail_contacts.values()
    contact_addresses = {c["ExternalEmailAddress"].lower() for c in contacts}
    assert contact_addresses and not any(u["_exchange"]["ExternalEmailAddress"].lower() in contact_addresses
                                         for u in mail_users)


def test_guest_record_has_graph_names_and_an_exchange_view():
    world = make_world({"users": [{"id": "0a1b2c3d-0000-4000-8000-000000000001", "display_name": "Alice Guest",
                                    "mail": "alice@fabrikam.com", "show_in_address_list": False}]})
    user = world.find_tenant(TENANT_ID).users["0a1b2c3d-0000-4000-8000-000000000001"]
    assert user["userPrincipalName"] == "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com"
    assert (user["creationType"], user["userType"], user["showInAddressList"]) == ("Invitation", "Guest", False)
    assert user["_exchange"]["RecipientTypeDetails"] == "GuestMailUser"
    assert user["_exchange"]["HiddenFromAddressListsEnabled"] is True
    assert user["_exchange"]["ExternalDirectoryObjectId"] == user["id"]


def test_list_users_filters_selects_and_pages_with_skiptoken():
    world = make_world({"guests": GUESTS, "users": [{"display_name": "Mia Member", "mail": "mia@contoso.com",
                                                       "user_type": "Member"}]})
    query = {"$filter": "userType eq 'Guest' and externalUserState eq 'PendingAcceptance'",
             "$select": "id,mail,externalUserState", "$top": "7"}
    expected = {u["id"] for u in world.find_tenant(TENANT_ID).users.values()
                if u["externalUserState"] == "PendingAcceptance"}
    seen = []
    while query:
        body = call(world, directory.list_users, "/v1.0/users", query).body
        assert all(set(u) == {"id", "mail", "externalUserState"} for u in body["value"])
        seen += [u["id"] for u in body["value"]]
        link = body.get("@odata.nextLink")
        query = dict(parse_qsl(urlsplit(link).query)) if link else None
        assert not link or "$skiptoken=" in link
    assert sorted(seen) == sorted(expected)


def test_startswith_and_mail_filters_are_case_insensitive():
    world = make_world({"users": [{"display_name": "Alice Guest", "mail": "alice@fabrikam.com"},
                                  {"display_name": "Bob Guest", "mail": "bob@tailspin.com"}]})
    by_prefix = call(world, directory.list_users, "/v1.0/users", {"$filter": "startswith(mail,'ALI')"}).body
    by_mail = call(world, directory.list_users, "/v1.0/users", {"$filter": "mail eq 'BOB@tailspin.com'"}).body
    assert [u["displayName"] for u in by_prefix["value"]] == ["Alice Guest"]
    assert [u["displayName"] for u in by_mail["value"]] == ["Bob Guest"]


def test_default_properties_omit_user_type_until_selected():
    world = make_world({"users": [{"display_name": "Alice Guest", "mail": "alice@fabrikam.com"}]})
    user = call(world, directory.list_users, "/v1.0/users").body["value"][0]
    assert "userType" not in user and "_exchange" not in user and user["mail"] == "alice@fabrikam.com"


@pytest.mark.parametrize("query, headers, code", [
    ({"$top": "1000"}, {}, "Request_BadRequest"),
    ({"$filter": "jobTitle eq 'x'"}, {}, "Request_UnsupportedQuery"),
    ({"$filter": "mail eq"}, {}, "Request_BadRequest"),
    ({"$count": "true"}, {}, "Request_BadRequest"),
    ({"$select": "colour"}, {}, "Request_BadRequest"),
    ({"$skip": "5"}, {}, "Request_BadRequest"),
    ({"$filter": "showInAddressList eq true"}, {}, "Request_UnsupportedQuery"),
])
def test_bad_queries_are_400(query, headers, code):
    with pytest.raises(ApiError) as caught:
        call(make_world({}), directory.list_users, "/v1.0/users", query, headers)
    assert (caught.value.status, caught.value.code) == (400, code)


def test_count_with_eventual_consistency():
    world = make_world({"guests": {"count": 12}})
    body = call(world, directory.list_users, "/v1.0/users", {"$count": "true", "$top": "5"},
                {"consistencylevel": "eventual"}).body
    assert body["@odata.count"] == 12 and len(body["value"]) == 5


def test_patch_show_in_address_list_by_upn_is_audited_and_leaves_exchange_alone():
    world = make_world({"users": [{"id": "0a1b2c3d-0000-4000-8000-000000000001", "display_name": "Alice Guest",
                                    "mail": "alice@fabrikam.com"}]})
    upn = "alice_fabrikam.com%23EXT%23@contoso.onmicrosoft.com"
    answer = call(world, directory.update_user, f"/v1.0/users/{upn}", body={"showInAddressList": True},
                  method="PATCH", user_key=upn)
    assert answer.status == 204
    user = world.find_tenant(TENANT_ID).users["0a1b2c3d-0000-4000-8000-000000000001"]
    assert user["showInAddressList"] is True and user["_exchange"]["HiddenFromAddressListsEnabled"] is True
    read = call(world, directory.get_user, f"/v1.0/users/{upn}", {"$select": "id,showInAddressList"}, user_key=upn)
    assert read.body["showInAddressList"] is None
    entry = world.find_tenant(TENANT_ID).audit[-1]
    assert entry["activityDisplayName"] == "Update user"
    assert entry["targetResources"][0]["modifiedProperties"] == [
        {"displayName": "showInAddressList", "oldValue": "null", "newValue": "true"}]


def test_patch_rejects_a_non_boolean_and_unknown_user():
    world = make_world({"users": [{"id": "0a1b2c3d-0000-4000-8000-000000000001", "display_name": "A",
                                    "mail": "a@fabrikam.com"}]})
    with pytest.raises(ApiError) as bad_value:
        call(world, directory.update_user, "/v1.0/users/x", body={"showInAddressList": "yes"}, method="PATCH",
             user_key="0a1b2c3d-0000-4000-8000-000000000001")
    with pytest.raises(ApiError) as missing:
        call(world, directory.get_user, "/v1.0/users/nobody", user_key="nobody@contoso.com")
    assert bad_value.value.status == 400 and missing.value.status == 404
    assert world.find_tenant(TENANT_ID).audit == []


def test_organization_and_tenant_lookup():
    world = make_world({})
    org = call(world, directory.list_organization, "/v1.0/organization").body["value"][0]
    assert org["id"] == TENANT_ID
    assert [(d["name"], d["isDefault"], d["isInitial"]) for d in org["verifiedDomains"]] == [
        ("contoso.com", True, False), ("contoso.onmicrosoft.com", False, True)]
    info = call(world, directory.find_tenant_by_domain, "/x", domain="CONTOSO.onmicrosoft.com").body
    assert (info["tenantId"], info["defaultDomainName"]) == (TENANT_ID, "contoso.com")
    with pytest.raises(ApiError) as missing:
        call(world, directory.find_tenant_by_id, "/x", tid="99999999-2222-4333-8444-555555555555")
    assert missing.value.status == 404


def test_groups_by_id_and_list():
    world = make_world({"groups": [{"id": "0b000000-0000-4000-8000-000000000001", "display_name": "Partners"}]})
    group = call(world, directory.get_group, "/x", group_id="0b000000-0000-4000-8000-000000000001").body
    listed = call(world, directory.list_groups, "/v1.0/groups", {"$filter": "displayName eq 'partners'"}).body
    assert group["displayName"] == "Partners" and [g["id"] for g in listed["value"]] == [group["id"]]


# --------------------------------------------------------------------------------------------
# Through the real msgraph-sdk against the running sandbox
# --------------------------------------------------------------------------------------------

def graph_service_client(sandbox, http_client):
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    from sandbox.tests.conftest import GRAPH_SCOPE, secret_credential
    provider = AzureIdentityAuthenticationProvider(secret_credential(sandbox), scopes=[GRAPH_SCOPE])
    adapter = GraphRequestAdapter(provider, client=GraphClientFactory.create_with_default_middleware(client=http_client))
    adapter.base_url = sandbox.graph_url + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def with_graph(sandbox, work):
    import asyncio

    import httpx

    async def main():
        async with httpx.AsyncClient(verify=sandbox.ca_file) as http_client:
            return await work(graph_service_client(sandbox, http_client))
    return asyncio.run(main())


def test_sdk_lists_guests_with_filter_select_top_and_next_links(sandbox):
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    contoso = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"])
    expected = {u["id"] for u in contoso.users.values() if u["userType"] == "Guest"}

    async def work(client):
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter="userType eq 'Guest'", select=["id", "mail", "userType", "showInAddressList"], top=3)
        page = await client.users.get(request_configuration=UsersRequestBuilder.UsersRequestBuilderGetRequestConfiguration(
            query_parameters=query))
        seen = []
        while page:
            seen += [(u.id, u.user_type) for u in page.value]
            page = await client.users.with_url(page.odata_next_link).get() if page.odata_next_link else None
        return seen
    seen = with_graph(sandbox, work)
    assert {user_id for user_id, _ in seen} == expected and len(seen) == len(expected)
    assert {user_type for _, user_type in seen} == {"Guest"}


def test_sdk_patch_of_show_in_address_list_is_accepted_but_v1_reads_null(sandbox):
    """v1.0 takes the write (204, audited, stored) yet answers null for it, and Exchange is untouched:
    Microsoft's user reference says not to use the property through Graph."""
    from msgraph.generated.models.user import User
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
    contoso = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"])
    guest = next(u for u in contoso.users.values() if u["mail"] == "adele.vance@fabrikam.com")

    async def work(client):
        await client.users.by_user_id(guest["id"]).patch(User(show_in_address_list=True))
        config = UserItemRequestBuilder.UserItemRequestBuilderGetRequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=["id", "showInAddressList"]))
        return await client.users.by_user_id(guest["id"]).get(request_configuration=config)
    hidden_before = guest["_exchange"]["HiddenFromAddressListsEnabled"]
    user = with_graph(sandbox, work)
    assert user.id == guest["id"] and user.show_in_address_list is None
    assert guest["showInAddressList"] is True and guest["_exchange"]["HiddenFromAddressListsEnabled"] == hidden_before
    assert contoso.audit[-1]["targetResources"][0]["id"] == guest["id"]


def test_sdk_finds_tenant_information_by_domain_name(sandbox):
    async def work(client):
        return await client.tenant_relationships.find_tenant_information_by_domain_name_with_domain_name(
            "fabrikam.com").get()
    info = with_graph(sandbox, work)
    assert info.tenant_id == sandbox.tenant("fabrikam")["id"] and info.display_name == "Fabrikam"
