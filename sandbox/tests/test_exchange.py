"""Exchange InvokeCommand: cmdlets, paging, delayed writes and errors in Exchange's shape."""
import random
import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox import exchange
from sandbox.core import ApiError, App, Caller, Request, Tenant, World
from sandbox.graph.directory import load_directory

TENANT_ID = "11111111-2222-4333-8444-555555555555"
APP_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
PATH = f"/adminapi/beta/{TENANT_ID}/InvokeCommand"


def make_world(seed: dict, role: str | None = "Exchange Recipient Administrator") -> World:
    world = World()
    tenant = Tenant(TENANT_ID, "Contoso", ["contoso.com", "contoso.onmicrosoft.com"])
    tenant.apps[APP_ID] = App(APP_ID, "tenantops", exchange_role=role)
    world.add_tenant(tenant)
    load_directory(tenant, seed, random.Random(7))
    return world


SEED = {
    "users": [
        {"id": "0a1b2c3d-0000-4000-8000-000000000001", "display_name": "Alice Guest", "mail": "alice@fabrikam.com"},
        {"id": "0a1b2c3d-0000-4000-8000-000000000002", "display_name": "Bob Shown", "mail": "bob@fabrikam.com",
         "hidden_from_address_lists": False},
        {"id": "0a1b2c3d-0000-4000-8000-000000000003", "display_name": "Carol Contact", "mail": "carol@tailspin.com"},
        {"id": "0a1b2c3d-0000-4000-8000-000000000004", "display_name": "Dan Invited", "mail": "dan@fabrikam.com",
         "external_user_state": "PendingAcceptance", "mail_enabled": False},
    ],
    "mail_contacts": [{"display_name": "Carol (contact)", "external_email_address": "carol@tailspin.com"}],
}


def invoke(world: World, cmdlet: str, parameters: dict | None = None, *, query: dict | None = None,
           headers: dict | None = None, method: str = "POST", body: dict | None = None):
    tenant = world.find_tenant(TENANT_ID)
    if body is None and method == "POST":
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
    req = Request("exchange", method, PATH, query or {}, headers or {}, body, world, tenant=tenant,
                  caller=Caller(TENANT_ID, APP_ID, "https://outlook.office365.com", frozenset({"Exchange.ManageAsApp"})),
                  base_url="https://127.0.0.1:8443")
    handler = exchange.invoke_command if method == "POST" else exchange.invoke_command_next_page
    return handler(req)


def error_of(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def test_get_mail_user_lists_only_mail_enabled_guests_with_booleans():
    world = make_world(SEED)
    users = invoke(world, "Get-MailUser", {"RecipientTypeDetails": "GuestMailUser"}).body["value"]
    by_mail = {u["ExternalEmailAddress"]: u for u in users}
    assert set(by_mail) == {"SMTP:alice@fabrikam.com", "SMTP:bob@fabrikam.com"}
    assert by_mail["SMTP:alice@fabrikam.com"]["HiddenFromAddressListsEnabled"] is True
    assert by_mail["SMTP:bob@fabrikam.com"]["HiddenFromAddressListsEnabled"] is False
    alice = by_mail["SMTP:alice@fabrikam.com"]
    assert alice["ExternalDirectoryObjectId"] == "0a1b2c3d-0000-4000-8000-000000000001"
    assert alice["PrimarySmtpAddress"] == "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com"
    assert alice["RecipientType"] == "MailUser"


def test_conflicting_mail_contact_is_visible_and_its_guest_is_not_a_mail_user():
    world = make_world(SEED)
    contacts = invoke(world, "Get-MailContact").body["value"]
    assert [c["ExternalEmailAddress"] for c in contacts] == ["SMTP:carol@tailspin.com"]
    err = error_of(lambda: invoke(world, "Get-MailUser", {"Identity": "carol@tailspin.com"}))
    assert err.status == 404


def test_opath_filter_and_select():
    world = make_world(SEED)
    body = invoke(world, "Get-MailUser",
                  {"Filter": "RecipientTypeDetails -eq 'GuestMailUser' -and HiddenFromAddressListsEnabled -eq $true"},
                  query={"$select": "DisplayName,HiddenFromAddressListsEnabled"}).body
    assert body["value"] == [{"DisplayName": "Alice Guest", "HiddenFromAddressListsEnabled": True}]


ALICE_GUID = "5e7a0000-0000-4000-8000-00000000a11c"


def alice_seed() -> dict:
    users = [dict(SEED["users"][0], exchange_guid=ALICE_GUID), *SEED["users"][1:]]
    return {**SEED, "users": users}


@pytest.mark.parametrize("identity", [
    ALICE_GUID.upper(),                                        # GUID
    "alice_fabrikam.com#EXT#",                                 # Name (also the Alias)
    "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com",         # primary SMTP address
    "ALICE@fabrikam.com",                                      # another email address of the recipient
    "distinguished name",
    "canonical DN",
])
def test_set_mail_user_by_each_documented_identity_then_get_agrees(identity):
    world = make_world(alice_seed())
    dn = invoke(world, "Get-MailUser", {"Identity": ALICE_GUID}).body["value"][0]["DistinguishedName"]
    assert dn.startswith("CN=alice_fabrikam.com#EXT#,OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted")
    identity = {"distinguished name": dn, "canonical DN": exchange.canonical_name(dn)}.get(identity, identity)
    answer = invoke(world, "Set-MailUser", {"Identity": identity, "HiddenFromAddressListsEnabled": "False"})
    assert answer.status == 200 and answer.body["value"] == []
    alice = invoke(world, "Get-MailUser", {"Identity": "alice@fabrikam.com"}).body["value"][0]
    assert alice["HiddenFromAddressListsEnabled"] is False
    entry = world.find_tenant(TENANT_ID).audit[-1]
    assert entry["targetResources"][0]["modifiedProperties"] == [
        {"displayName": "HiddenFromAddressListsEnabled", "oldValue": "true", "newValue": "false"}]


def test_canonical_name_reverses_the_path_under_the_domain():
    assert exchange.canonical_name("CN=a,OU=b,OU=c,DC=x,DC=y") == "x.y/c/b/a"


@pytest.mark.parametrize("identity", ["0a1b2c3d-0000-4000-8000-000000000001",   # ExternalDirectoryObjectId
                                      "Alice Guest"])                            # display name
def test_undocumented_identity_forms_find_nothing(identity):
    world = make_world(alice_seed())
    err = error_of(lambda: invoke(world, "Set-MailUser", {"Identity": identity, "HiddenFromAddressListsEnabled": False}))
    assert (err.status, err.code) == (404, "NotFound")
    assert f"object '{identity}' couldn't be found" in err.details[0]["message"]
    assert world.find_tenant(TENANT_ID).audit == []


def test_writes_become_visible_only_after_the_configured_delay():
    world = make_world(SEED)
    world.settings["exchange_write_delay"] = 0.3
    invoke(world, "Set-MailUser", {"Identity": "alice@fabrikam.com", "HiddenFromAddressListsEnabled": False})
    before = invoke(world, "Get-MailUser", {"Identity": "alice@fabrikam.com"}).body["value"][0]
    assert before["HiddenFromAddressListsEnabled"] is True
    time.sleep(0.35)
    after = invoke(world, "Get-MailUser", {"Identity": "alice@fabrikam.com"}).body["value"][0]
    assert after["HiddenFromAddressListsEnabled"] is False


def test_paging_over_ten_thousand_guests_by_get_and_by_repost():
    world = make_world({"guests": {"count": 10000, "domains": ["fabrikam.com", "tailspin.com"]}})
    headers = {"prefer": "odata.maxpagesize=1000"}
    for follow_with in ("GET", "POST"):
        answer = invoke(world, "Get-MailUser", {"ResultSize": "Unlimited"}, headers=headers)
        seen, pages = [], 0
        while True:
            pages += 1
            seen += [u["ExternalDirectoryObjectId"] for u in answer.body["value"]]
            link = answer.body.get("@odata.nextLink")
            if not link:
                break
            query = dict(parse_qsl(urlsplit(link).query))
            answer = invoke(world, "Get-MailUser", {"ResultSize": "Unlimited"}, query=query, headers=headers,
                            method=follow_with)
        assert len(seen) == len(set(seen)) == 10000
        assert pages == 10


def test_unknown_identity_is_exchange_not_found():
    err = error_of(lambda: invoke(make_world(SEED), "Set-MailUser",
                                  {"Identity": "nobody@nowhere.com", "HiddenFromAddressListsEnabled": True}))
    assert err.status == 404
    text = err.details[0]["message"]
    assert text.startswith("Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"
                           "The operation couldn't be performed because object 'nobody@nowhere.com' couldn't be found on '")
    assert text.endswith(".PROD.OUTLOOK.COM'.")


def test_bad_boolean_is_a_validation_error():
    err = error_of(lambda: invoke(make_world(SEED), "Set-MailUser",
                                  {"Identity": "alice@fabrikam.com", "HiddenFromAddressListsEnabled": "maybe"}))
    assert err.status == 400
    assert "|Microsoft.Exchange.Management.Tasks.ValidationException|" in err.details[0]["message"]


def test_unknown_parameter_is_refused():
    err = error_of(lambda: invoke(make_world(SEED), "Set-MailUser", {"Identity": "alice@fabrikam.com", "Colour": 1}))
    assert err.status == 400 and "'Colour'" in err.details[0]["message"]


def test_unknown_cmdlet_is_403_with_nul_bytes_declared_as_gzip():
    answer = invoke(make_world(SEED), "Get-Mailbox")
    assert answer.status == 403
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.body and set(answer.body) == {0}


def test_app_without_exchange_role_is_refused():
    err = error_of(lambda: invoke(make_world(SEED, role=None), "Get-MailUser"))
    assert err.status == 401 and "isn't supported in this scenario" in err.message


def test_read_only_role_cannot_see_set_mail_user():
    world = make_world(SEED, role="Global Reader")
    assert invoke(world, "Get-MailUser").status == 200
    answer = invoke(world, "Set-MailUser", {"Identity": "alice@fabrikam.com", "HiddenFromAddressListsEnabled": False})
    assert answer.status == 403


# --------------------------------------------------------------------------------------------
# Over the wire: an Exchange-audience token from azure-identity, plain httpx (no SDK exists)
# --------------------------------------------------------------------------------------------

def wire(sandbox, http, cmdlet, parameters=None, *, scope=None, headers=None, url=None, method="POST"):
    from sandbox.tests.conftest import EXCHANGE_SCOPE, bearer
    tenant_id = sandbox.tenant("contoso")["id"]
    url = url or f"{sandbox.exchange_url}/adminapi/beta/{tenant_id}/InvokeCommand"
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
    return http.request(method, url, json=body if method == "POST" else None,
                        headers={**bearer(sandbox, scope=scope or EXCHANGE_SCOPE), **(headers or {})})


def test_wire_paging_over_ten_thousand_guests(sandbox, http):
    contoso = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"])
    with sandbox.world.lock:
        load_directory(contoso, {"guests": {"count": 10000, "prefix": "bulk."}}, random.Random(11))
    expected = sum("_exchange" in u for u in contoso.users.values())
    answer = wire(sandbox, http, "Get-MailUser", {"ResultSize": "Unlimited"}, headers={"Prefer": "odata.maxpagesize=1000"})
    seen = []
    while True:
        assert answer.status_code == 200
        seen += [u["Guid"] for u in answer.json()["value"]]
        link = answer.json().get("@odata.nextLink")
        if not link:
            break
        answer = wire(sandbox, http, "Get-MailUser", url=link, method="GET", headers={"Prefer": "odata.maxpagesize=1000"})
    assert len(seen) == len(set(seen)) == expected > 10000


def test_wire_set_then_get_and_the_write_delay(sandbox, http):
    sandbox.settings(exchange_write_delay=0.5)
    assert wire(sandbox, http, "Set-MailUser", {"Identity": "adele.vance@fabrikam.com",
                                                "HiddenFromAddressListsEnabled": False}).status_code == 200
    def hidden():
        return wire(sandbox, http, "Get-MailUser", {"Identity": "adele.vance@fabrikam.com"}).json()["value"][0][
            "HiddenFromAddressListsEnabled"]
    assert hidden() is True
    time.sleep(0.6)
    assert hidden() is False


def test_wire_errors_in_exchange_shape(sandbox, http):
    import httpx
    missing = wire(sandbox, http, "Get-MailUser", {"Identity": "nobody@nowhere.com"})
    assert missing.status_code == 404
    assert missing.json()["error"]["details"][0]["message"].startswith(
        "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|")
    bad = wire(sandbox, http, "Set-MailUser", {"Identity": "adele.vance@fabrikam.com",
                                               "HiddenFromAddressListsEnabled": "perhaps"})
    assert bad.status_code == 400 and "ValidationException" in bad.json()["error"]["details"][0]["message"]
    assert wire(sandbox, http, "Get-MailUser", {"Colour": "blue"}).status_code == 400
    with pytest.raises(httpx.DecodingError):
        wire(sandbox, http, "Get-Mailbox")
    from sandbox.tests.conftest import EXCHANGE_SCOPE, bearer
    url = f"{sandbox.exchange_url}/adminapi/beta/{sandbox.tenant('contoso')['id']}/InvokeCommand"
    with http.stream("POST", url, json={"CmdletInput": {"CmdletName": "Get-Mailbox"}},
                     headers=bearer(sandbox, scope=EXCHANGE_SCOPE)) as raw:
        assert raw.status_code == 403 and raw.headers["content-encoding"] == "gzip"
        assert set(b"".join(raw.iter_raw())) == {0}


def test_wire_refuses_graph_tokens_and_apps_without_an_exchange_role(sandbox, http):
    from sandbox.tests.conftest import GRAPH_SCOPE
    assert wire(sandbox, http, "Get-MailUser", scope=GRAPH_SCOPE).status_code == 401
    app = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"]).apps[sandbox.tenant("contoso")["client_id"].lower()]
    app.exchange_role = None
    assert wire(sandbox, http, "Get-MailUser").status_code == 401


def test_the_request_log_names_each_cmdlet_and_not_a_next_page(sandbox, http):
    contoso = sandbox.world.find_tenant(sandbox.tenant("contoso")["id"])
    with sandbox.world.lock:
        load_directory(contoso, {"guests": {"count": 30, "prefix": "logged."}}, random.Random(5))
    mark = sandbox.requests_log()["last_seq"]
    first = wire(sandbox, http, "Get-MailUser", {}, headers={"Prefer": "odata.maxpagesize=10"})
    wire(sandbox, http, "Get-MailUser", url=first.json()["@odata.nextLink"], method="GET",
         headers={"Prefer": "odata.maxpagesize=10"})
    wire(sandbox, http, "Set-MailUser", {"Identity": "adele.vance@fabrikam.com", "HiddenFromAddressListsEnabled": True})
    exchange = [e for e in sandbox.requests_log(since=mark)["entries"] if e["service"] == "exchange"]
    assert [e.get("cmdlet") for e in exchange] == ["Get-MailUser", None, "Set-MailUser"]
