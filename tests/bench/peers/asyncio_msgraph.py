"""BENCHMARK PEER, not product code: the ~100-line asyncio script a user would write with
msgraph-sdk's typed models (GraphServiceClient, azure-identity's async ClientSecretCredential) and
httpx for Exchange, applying the benchmark's baseline to every tenant of a config file.

    python asyncio_msgraph.py CONFIG.json [--check]

CONFIG (written by tests/bench/run.py): endpoints, CA, ``tenants`` [{id, client_id, client_secret}],
``baseline`` in Graph's JSON shape, ``concurrency`` (tenants at a time).
"""
import asyncio
import json
import re
import sys

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.authentication_flows_policy import AuthenticationFlowsPolicy
from msgraph.generated.models.authorization_policy import AuthorizationPolicy
from msgraph.generated.models.cross_tenant_access_policy_configuration_default import \
    CrossTenantAccessPolicyConfigurationDefault
from msgraph.generated.models.cross_tenant_access_policy_configuration_partner import \
    CrossTenantAccessPolicyConfigurationPartner
from msgraph.generated.models.email_authentication_method_configuration import EmailAuthenticationMethodConfiguration
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

GRAPH_SCOPE, EXCHANGE_SCOPE = "https://graph.microsoft.com/.default", "https://outlook.office365.com/.default"


def typed(model, data: dict):
    """A typed model from the baseline's Graph JSON, the way the SDK parses a response."""
    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(data).encode())
    return node.get_object_value(model)


def same(current, wanted) -> bool:
    return str(current).lower() == str(wanted).lower()


def inbound_trust_of(entity) -> dict:
    trust = entity.inbound_trust
    return {"isMfaAccepted": trust.is_mfa_accepted, "isCompliantDeviceAccepted": trust.is_compliant_device_accepted,
            "isHybridAzureADJoinedDeviceAccepted": trust.is_hybrid_azure_a_d_joined_device_accepted} if trust else None


def blocked_all(setting) -> bool:
    halves = (setting.users_and_groups, setting.applications) if setting else ()
    return len(halves) == 2 and all(h and h.access_type.value == "blocked" and len(h.targets) == 1 and
                                    h.targets[0].target in ("AllUsers", "AllApplications") for h in halves)


async def apply_tenant(config: dict, tenant: dict, check: bool) -> int:
    """Apply the baseline to one tenant; returns the number of writes (planned, with --check)."""
    base, writes = config["baseline"], []
    credential = ClientSecretCredential(tenant["id"], tenant["client_id"], tenant["client_secret"],
                                        authority=config["login_url"], disable_instance_discovery=True,
                                        connection_verify=config["ca_file"])
    http = httpx.AsyncClient(verify=config["ca_file"], timeout=60)
    adapter = GraphRequestAdapter(AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE]),
                                  client=GraphClientFactory.create_with_default_middleware(client=http))
    adapter.base_url = config["graph_url"] + "/v1.0"
    graph = GraphServiceClient(request_adapter=adapter)
    policies = graph.policies
    default = await policies.cross_tenant_access_policy.default.get()
    if inbound_trust_of(default) != base["default"]["inboundTrust"] or not (
            blocked_all(default.b2b_direct_connect_inbound) and blocked_all(default.b2b_direct_connect_outbound)):
        writes.append(policies.cross_tenant_access_policy.default.patch(
            typed(CrossTenantAccessPolicyConfigurationDefault, base["default"])))
    partners = {p.tenant_id: p for p in (await policies.cross_tenant_access_policy.partners.get()).value}
    for partner_id in base["partners"]:
        body = typed(CrossTenantAccessPolicyConfigurationPartner, {"inboundTrust": base["partner_inbound_trust"]})
        if partner_id not in partners:
            body.tenant_id = partner_id
            writes.append(policies.cross_tenant_access_policy.partners.post(body))
        elif inbound_trust_of(partners[partner_id]) != base["partner_inbound_trust"]:
            writes.append(policies.cross_tenant_access_policy.partners.by_cross_tenant_access_policy_configuration_partner_tenant_id(partner_id).patch(body))  # noqa: E501
    authorization = await policies.authorization_policy.get()
    if not (same(authorization.allow_invites_from.value, base["authorization"]["allowInvitesFrom"])
            and same(authorization.guest_user_role_id, base["authorization"]["guestUserRoleId"])):
        writes.append(policies.authorization_policy.patch(typed(AuthorizationPolicy, base["authorization"])))
    email_config = policies.authentication_methods_policy.authentication_method_configurations.by_authentication_method_configuration_id("email")  # noqa: E501
    if not same((await email_config.get()).allow_external_id_to_use_email_otp.value, base["email_otp"]):
        writes.append(email_config.patch(typed(EmailAuthenticationMethodConfiguration, {
            "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration",
            "allowExternalIdToUseEmailOtp": base["email_otp"]})))
    if (await policies.authentication_flows_policy.get()).self_service_sign_up.is_enabled != base["self_service_sign_up"]:
        writes.append(policies.authentication_flows_policy.patch(typed(AuthenticationFlowsPolicy, {
            "selfServiceSignUp": {"isEnabled": base["self_service_sign_up"]}})))
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        filter="userType eq 'Guest'", select=["id", "mail"], top=999)
    page = await graph.users.get(UsersRequestBuilder.UsersRequestBuilderGetRequestConfiguration(query_parameters=query))
    guests = list(page.value)
    while page.odata_next_link:
        page = await graph.users.with_url(page.odata_next_link).get()
        guests.extend(page.value)
    pattern = re.compile(base["visible_mail_pattern"], re.I)
    visible = {g.id: bool(g.mail and pattern.search(g.mail)) for g in guests}
    token = (await credential.get_token(EXCHANGE_SCOPE)).token
    invoke = f"{config['exchange_url']}/adminapi/beta/{tenant['id']}/InvokeCommand"
    headers = {"Authorization": f"Bearer {token}"}

    async def cmdlet(name: str, parameters: dict, url: str = invoke) -> dict:
        response = await http.post(url, headers=headers, json={"CmdletInput": {"CmdletName": name, "Parameters": parameters}})
        response.raise_for_status()
        return response.json()
    mail_users = await cmdlet("Get-MailUser", {}, invoke + "?$select=ExternalDirectoryObjectId,Guid,HiddenFromAddressListsEnabled")
    for mail_user in mail_users["value"]:
        user_id = mail_user["ExternalDirectoryObjectId"]
        if user_id in visible and mail_user["HiddenFromAddressListsEnabled"] == visible[user_id]:
            writes.append(cmdlet("Set-MailUser", {"Identity": mail_user["Guid"], "HiddenFromAddressListsEnabled": not visible[user_id]}))
    if check:
        for write in writes:
            write.close()                     # a coroutine never awaited: nothing is sent
    else:
        await asyncio.gather(*writes)
    await http.aclose()
    await credential.close()
    return len(writes)


async def main(config: dict, check: bool) -> None:
    gate = asyncio.Semaphore(config["concurrency"])

    async def one(tenant):
        async with gate:
            return await apply_tenant(config, tenant, check)
    writes = await asyncio.gather(*(one(t) for t in config["tenants"]))
    print(json.dumps({"tenants": len(writes), "writes": sum(writes), "check": check}))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        asyncio.run(main(json.load(handle), "--check" in sys.argv[2:]))
