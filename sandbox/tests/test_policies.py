"""Policy singletons: crossTenantAccessPolicy, its default, authorizationPolicy, email OTP and
authentication flows, driven through the framework's socket-free dispatch (route, permission
check, handler, error rendering) exactly as a wire request would be."""
import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.graph import policies
from sandbox.seed import build_world, parse_seed

HOME = "11111111-1111-4111-8111-111111111111"
APP = "aaaaaaaa-0000-4000-8000-000000000001"
BASE = "https://127.0.0.1:8443"
CTAP = "/v1.0/policies/crossTenantAccessPolicy"
DEFAULT = CTAP + "/default"
AUTHZ = "/v1.0/policies/authorizationPolicy"
EMAIL = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email"
FLOWS = "/v1.0/policies/authenticationFlowsPolicy"
EVERY_ROLE = frozenset({"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess", "Policy.ReadWrite.Authorization",
                        "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.AuthenticationFlows"})


@pytest.fixture
def world():
    return build_world(parse_seed({"tenants": [{"name": "home", "id": HOME, "domains": ["home.example"]}]}))


def call(world, method, url, body=None, roles=EVERY_ROLE):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return dispatch_internal("graph", method, url, headers, body, Caller(HOME, APP, "https://graph.microsoft.com", roles),
                             world.find_tenant(HOME), world, BASE)


def error_of(response):
    return response.status, response.body["error"]["code"], response.body["error"]["message"]


def test_fresh_tenant_has_the_documented_defaults(world):
    default = call(world, "GET", DEFAULT).body
    assert default["@odata.context"] == f"{BASE}/graph/v1.0/$metadata#policies/crossTenantAccessPolicy/default/$entity"
    assert default["isServiceDefault"] is True
    assert default["b2bCollaborationInbound"]["usersAndGroups"]["accessType"] == "allowed"
    assert default["b2bDirectConnectOutbound"]["applications"]["accessType"] == "blocked"
    assert call(world, "GET", CTAP).body["allowedCloudEndpoints"] == []
    authz = call(world, "GET", AUTHZ).body
    assert (authz["allowInvitesFrom"], authz["guestUserRoleId"]) == ("everyone", "10dae51f-b6af-4016-8d66-8c2a99b929b3")
    assert call(world, "GET", EMAIL).body["@odata.type"] == "#microsoft.graph.emailAuthenticationMethodConfiguration"
    assert call(world, "GET", FLOWS).body["selfServiceSignUp"] == {"isEnabled": False}


def test_fresh_policies_are_independent_copies():
    first, second = policies.fresh_policies("a"), policies.fresh_policies("b")
    first["default"]["inboundTrust"]["isMfaAccepted"] = True
    assert second["default"]["inboundTrust"]["isMfaAccepted"] is False
    assert policies.SERVICE_DEFAULT["inboundTrust"]["isMfaAccepted"] is False


def test_select_projects_and_unknown_select_is_400(world):
    body = call(world, "GET", AUTHZ + "?$select=allowInvitesFrom,guestUserRoleId").body
    assert set(body) == {"@odata.context", "allowInvitesFrom", "guestUserRoleId"}
    assert body["@odata.context"].endswith("#policies/authorizationPolicy(allowInvitesFrom,guestUserRoleId)/$entity")
    assert error_of(call(world, "GET", AUTHZ + "?$select=nope"))[0] == 400


def test_patch_default_replaces_named_setting_and_clears_service_default(world):
    block_group = {"usersAndGroups": {"accessType": "blocked", "targets": [
        {"target": "0be493dc-cb56-4a53-936f-9cf64410b8b0", "targetType": "group"}]}}
    assert call(world, "PATCH", DEFAULT, {"b2bCollaborationOutbound": block_group}).status == 204
    default = call(world, "GET", DEFAULT).body
    assert default["isServiceDefault"] is False
    assert default["b2bCollaborationOutbound"]["usersAndGroups"] == block_group["usersAndGroups"]
    # the default stays complete: the half not given keeps its value
    assert default["b2bCollaborationOutbound"]["applications"]["accessType"] == "allowed"
    audit = world.find_tenant(HOME).audit[-1]
    assert audit["activityDisplayName"] == "Updated the company default cross-tenant access setting"


def test_reset_to_system_default(world):
    call(world, "PATCH", DEFAULT, {"inboundTrust": {"isMfaAccepted": True}})
    assert call(world, "POST", DEFAULT + "/resetToSystemDefault").status == 204
    default = call(world, "GET", DEFAULT).body
    assert default["isServiceDefault"] is True and default["inboundTrust"]["isMfaAccepted"] is False


@pytest.mark.parametrize("body, words", [
    ({"B2BCollaborationInbound": {}}, "Invalid property 'B2BCollaborationInbound'."),
    ({"isServiceDefault": False}, "isServiceDefault"),
    ({"automaticUserConsentSettings": {"inboundAllowed": True}}, "automaticUserConsentSettings"),
    ({"inboundTrust": None}, "cannot be null"),
    ({"invitationRedemptionIdentityProviderConfiguration": {"primaryIdentityProviderPrecedenceOrder": []}},
     "fallback identity provider"),
    ({"invitationRedemptionIdentityProviderConfiguration": {"fallbackIdentityProvider": "azureActiveDirectory"}},
     "fallback identity provider"),
])
def test_default_patch_rules(world, body, words):
    status, code, message = error_of(call(world, "PATCH", DEFAULT, body))
    assert (status, code) == (400, "Request_BadRequest") and words in message
    assert call(world, "GET", DEFAULT).body["isServiceDefault"] is True   # nothing was written


ALL_USERS = {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]}
ALL_APPS_BLOCKED = {"accessType": "blocked", "targets": [{"target": "AllApplications", "targetType": "application"}]}
ALL_APPS_ALLOWED = {**ALL_APPS_BLOCKED, "accessType": "allowed"}


@pytest.mark.parametrize("setting", [
    {"usersAndGroups": ALL_USERS, "applications": ALL_APPS_ALLOWED},        # example 1 of the docs
    {"usersAndGroups": {**ALL_USERS, "accessType": "allowed"}, "applications": ALL_APPS_BLOCKED},  # example 2
])
def test_conflicting_settings_are_refused_on_default(world, setting):
    status, code, message = error_of(call(world, "PATCH", DEFAULT, {"b2bCollaborationInbound": setting}))
    assert (status, code) == (400, "Request_BadRequest") and "Conflicting settings" in message


def test_conflict_is_checked_against_the_kept_half(world):
    """Only usersAndGroups is sent; the default's applications (allowed) make it a conflict."""
    status, _, message = error_of(call(world, "PATCH", DEFAULT, {"b2bCollaborationInbound": {"usersAndGroups": ALL_USERS}}))
    assert status == 400 and "b2bCollaborationInbound" in message


def test_cross_tenant_access_policy_patch(world):
    body = {"@odata.type": "#microsoft.graph.crossTenantAccessPolicy", "allowedCloudEndpoints": ["microsoftonline.us"]}
    assert call(world, "PATCH", CTAP, body).status == 204
    assert call(world, "GET", CTAP).body["allowedCloudEndpoints"] == ["microsoftonline.us"]
    status, _, message = error_of(call(world, "PATCH", CTAP, {"allowedCloudEndpoints": ["login.example"]}))
    assert status == 400 and "allowedCloudEndpoints" in message


def test_authorization_policy_patch_replaces_complex_property_whole(world):
    body = {"defaultUserRolePermissions": {"permissionGrantPoliciesAssigned": []}, "allowInvitesFrom": "adminsAndGuestInviters"}
    assert call(world, "PATCH", AUTHZ, body).status == 204
    authz = call(world, "GET", AUTHZ).body
    assert authz["defaultUserRolePermissions"] == {"permissionGrantPoliciesAssigned": []}
    assert authz["allowInvitesFrom"] == "adminsAndGuestInviters"


def test_email_patch_requires_odata_type(world):
    status, _, message = error_of(call(world, "PATCH", EMAIL, {"allowExternalIdToUseEmailOtp": "enabled"}))
    assert status == 400 and "@odata.type" in message
    body = {"@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration", "allowExternalIdToUseEmailOtp": "disabled"}
    assert call(world, "PATCH", EMAIL, body).status == 204
    assert call(world, "GET", EMAIL).body["allowExternalIdToUseEmailOtp"] == "disabled"


def test_authentication_flows_patch_and_read_only(world):
    assert call(world, "PATCH", FLOWS, {"selfServiceSignUp": {"isEnabled": True}}).status == 204
    assert call(world, "GET", FLOWS).body["selfServiceSignUp"]["isEnabled"] is True
    assert error_of(call(world, "PATCH", FLOWS, {"displayName": "x"}))[0] == 400
    assert error_of(call(world, "PATCH", FLOWS, {"selfServiceSignUp": {"isEnabled": None}}))[0] == 400


@pytest.mark.parametrize("method, url, body, write_role", [
    ("PATCH", CTAP, {"allowedCloudEndpoints": []}, "Policy.ReadWrite.CrossTenantAccess"),
    ("PATCH", DEFAULT, {"inboundTrust": {"isMfaAccepted": True}}, "Policy.ReadWrite.CrossTenantAccess"),
    ("POST", DEFAULT + "/resetToSystemDefault", None, "Policy.ReadWrite.CrossTenantAccess"),
    ("PATCH", AUTHZ, {"blockMsolPowerShell": True}, "Policy.ReadWrite.Authorization"),
    ("PATCH", EMAIL, {"@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration"},
     "Policy.ReadWrite.AuthenticationMethod"),
    ("PATCH", FLOWS, {"selfServiceSignUp": {"isEnabled": True}}, "Policy.ReadWrite.AuthenticationFlows"),
])
def test_each_write_needs_its_readwrite_permission(world, method, url, body, write_role):
    other_writes = EVERY_ROLE - {write_role}
    assert error_of(call(world, method, url, body, roles=other_writes))[:2] == (403, "Authorization_RequestDenied")
    assert call(world, method, url, body, roles=frozenset({write_role})).status == 204


def test_reads_accept_policy_read_all(world):
    for url in (CTAP, DEFAULT, AUTHZ, EMAIL, FLOWS):
        assert call(world, "GET", url, roles=frozenset({"Policy.Read.All"})).status == 200
        assert call(world, "GET", url, roles=frozenset({"User.Read.All"})).status == 403


def test_seed_merges_over_fresh_state(world):
    tenant = world.find_tenant(HOME)
    policies.apply_policy_seed(tenant, {"authorizationPolicy": {"allowInvitesFrom": "none"},
                                        "default": {"inboundTrust": {"isMfaAccepted": True}}})
    assert tenant.policies["authorizationPolicy"]["allowInvitesFrom"] == "none"
    assert tenant.policies["default"]["isServiceDefault"] is False
    assert tenant.policies["default"]["inboundTrust"]["isCompliantDeviceAccepted"] is False
    with pytest.raises(Exception):
        policies.apply_policy_seed(tenant, {"authorizationPolicy": {"allowInvitesFrom": "nobody"}})


# ------------------------------------------------------------------------------------------
# Through the real msgraph-sdk (typed models serialize with @odata.type, as measured with msgraph-sdk 1.65)
# ------------------------------------------------------------------------------------------

def test_sdk_patches_every_policy(graph_client):
    import asyncio

    from msgraph.generated.models.authentication_flows_policy import AuthenticationFlowsPolicy
    from msgraph.generated.models.authorization_policy import AuthorizationPolicy
    from msgraph.generated.models.cross_tenant_access_policy import CrossTenantAccessPolicy
    from msgraph.generated.models.cross_tenant_access_policy_b2_b_setting import CrossTenantAccessPolicyB2BSetting
    from msgraph.generated.models.cross_tenant_access_policy_configuration_default import \
        CrossTenantAccessPolicyConfigurationDefault
    from msgraph.generated.models.cross_tenant_access_policy_target import CrossTenantAccessPolicyTarget
    from msgraph.generated.models.cross_tenant_access_policy_target_configuration import \
        CrossTenantAccessPolicyTargetConfiguration
    from msgraph.generated.models.cross_tenant_access_policy_target_configuration_access_type import \
        CrossTenantAccessPolicyTargetConfigurationAccessType as Access
    from msgraph.generated.models.cross_tenant_access_policy_target_type import CrossTenantAccessPolicyTargetType
    from msgraph.generated.models.email_authentication_method_configuration import EmailAuthenticationMethodConfiguration
    from msgraph.generated.models.external_email_otp_state import ExternalEmailOtpState
    from msgraph.generated.models.self_service_sign_up_authentication_flow_configuration import \
        SelfServiceSignUpAuthenticationFlowConfiguration

    def blocked(target, kind):
        return CrossTenantAccessPolicyTargetConfiguration(access_type=Access.Blocked, targets=[
            CrossTenantAccessPolicyTarget(target=target, target_type=kind)])

    p = graph_client.policies
    email = p.authentication_methods_policy.authentication_method_configurations.by_authentication_method_configuration_id("email")

    async def scenario():
        await p.cross_tenant_access_policy.patch(CrossTenantAccessPolicy(allowed_cloud_endpoints=["microsoftonline.us"]))
        await p.cross_tenant_access_policy.default.patch(CrossTenantAccessPolicyConfigurationDefault(
            b2b_collaboration_inbound=CrossTenantAccessPolicyB2BSetting(
                users_and_groups=blocked("AllUsers", CrossTenantAccessPolicyTargetType.User),
                applications=blocked("AllApplications", CrossTenantAccessPolicyTargetType.Application))))
        default = await p.cross_tenant_access_policy.default.get()
        assert default.is_service_default is False
        assert default.b2b_collaboration_inbound.users_and_groups.access_type == Access.Blocked
        await p.cross_tenant_access_policy.default.reset_to_system_default.post()
        assert (await p.cross_tenant_access_policy.default.get()).is_service_default is True
        await p.authorization_policy.patch(AuthorizationPolicy(guest_user_role_id="2af84b1e-32c8-42b7-82bc-daa82404023b"))
        assert str((await p.authorization_policy.get()).guest_user_role_id) == "2af84b1e-32c8-42b7-82bc-daa82404023b"
        await email.patch(EmailAuthenticationMethodConfiguration(allow_external_id_to_use_email_otp=ExternalEmailOtpState.Disabled))
        read_back = await email.get()
        assert isinstance(read_back, EmailAuthenticationMethodConfiguration)
        assert read_back.allow_external_id_to_use_email_otp == ExternalEmailOtpState.Disabled
        await p.authentication_flows_policy.patch(AuthenticationFlowsPolicy(
            self_service_sign_up=SelfServiceSignUpAuthenticationFlowConfiguration(is_enabled=True)))
        assert (await p.authentication_flows_policy.get()).self_service_sign_up.is_enabled is True
        assert (await p.cross_tenant_access_policy.get()).allowed_cloud_endpoints == ["microsoftonline.us"]

    asyncio.run(scenario())


def test_sdk_errors_arrive_as_odata_errors(sandbox):
    import asyncio

    from azure.identity import ClientSecretCredential
    from msgraph.generated.models.authorization_policy import AuthorizationPolicy
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    from conftest import POWERLESS_APP, POWERLESS_SECRET, TESTING_TENANT, graph_client_for

    powerless = ClientSecretCredential(TESTING_TENANT, POWERLESS_APP, POWERLESS_SECRET, authority=sandbox.login_url,
                                       disable_instance_discovery=True, connection_verify=sandbox.ca_file)
    client = graph_client_for(sandbox, credential=powerless)

    async def scenario():
        with pytest.raises(ODataError) as caught:
            await client.policies.authorization_policy.patch(AuthorizationPolicy(block_msol_power_shell=True))
        return caught.value

    error = asyncio.run(scenario())
    assert error.response_status_code == 403 and error.error.code == "Authorization_RequestDenied"
