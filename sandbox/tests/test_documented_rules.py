"""Every documented cross-tenant and guest-settings rule the sandbox enforces, over HTTPS with httpx and a
real azure-identity token, as a client of the live service would meet it.  sandbox/README.md
("Documented rules") lists each rule with its Microsoft Learn page and the test here that shows it."""
import pytest

from conftest import bearer

FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
NORTHWIND = "7dc8c161-b920-4813-bc63-37dc0b3f76e5"
GROUP = "2c2d083e-1b64-4a26-8665-2c9136da5844"
APP = "00000012-0000-0000-c000-000000000000"
CTAP = "/v1.0/policies/crossTenantAccessPolicy"
DEFAULT = CTAP + "/default"
PARTNERS = CTAP + "/partners"


def target(value, kind):
    return {"target": value, "targetType": kind}


def config(access, *targets):
    return {"accessType": access, "targets": list(targets)}


ALL_USERS = target("AllUsers", "user")
ALL_APPS = target("AllApplications", "application")
A_GROUP = target(GROUP, "group")


def setting(users, apps):
    return {"usersAndGroups": users, "applications": apps}


@pytest.fixture
def graph(sandbox, http):
    headers = bearer(sandbox)

    def call(method, path, body=None):
        response = http.request(method, sandbox.graph_url + path, json=body, headers=headers)
        error = response.json().get("error", {}) if response.content else {}
        return response.status_code, error.get("code"), error.get("message", "")
    return call


def assert_refused(answer, *words):
    status, code, message = answer
    assert (status, code) == (400, "Request_BadRequest"), answer
    assert all(word in message for word in words), message


# --- inbound defaults target everyone ---------------------------------------------------------

@pytest.mark.parametrize("name, half", [
    ("b2bCollaborationInbound", "usersAndGroups"),      # cross-tenant-access-settings-b2b-collaboration
    ("b2bDirectConnectInbound", "usersAndGroups"),      # cross-tenant-access-settings-b2b-direct-connect
    ("tenantRestrictions", "usersAndGroups"),           # tenant-restrictions-v2
    ("m365CollaborationInbound", "users"),              # by analogy (README, fidelity choices)
])
def test_default_inbound_settings_cannot_target_users_or_groups(sandbox, graph, name, half):
    assert_refused(graph("PATCH", DEFAULT, {name: {half: config("allowed", A_GROUP)}}),
                   f"{name}.{half}", "cannot target specific users or groups")
    assert sandbox.state("contoso")["policies"]["default"]["isServiceDefault"] is True


def test_default_outbound_and_partner_inbound_may_target_groups(graph):
    outbound = setting(config("blocked", A_GROUP), config("blocked", ALL_APPS))   # the docs' default example 1
    assert graph("PATCH", DEFAULT, {"b2bCollaborationOutbound": outbound})[0] == 204
    inbound = setting(config("allowed", A_GROUP), config("allowed", ALL_APPS))
    assert graph("POST", PARTNERS, {"tenantId": FABRIKAM, "b2bCollaborationInbound": inbound})[0] == 201


# --- conflicting settings ---------------------------------------------------------------------

@pytest.mark.parametrize("users, apps, why", [
    (config("blocked", ALL_USERS), config("allowed", ALL_APPS), "requires blocking all applications"),
    (config("allowed", A_GROUP), config("blocked", ALL_APPS), "requires at least one allowed application"),
])
def test_b2b_conflicting_settings_are_refused(graph, users, apps, why):
    assert_refused(graph("POST", PARTNERS, {"tenantId": FABRIKAM, "b2bDirectConnectOutbound": setting(users, apps)}),
                   "Conflicting settings in b2bDirectConnectOutbound", why)


@pytest.mark.parametrize("users, apps, why", [
    (config("blocked", ALL_USERS), config("allowed", target("Office365", "application")),
     "requires blocking all applications"),
    (config("blocked", A_GROUP), config("blocked", ALL_APPS), "requires blocking all users and groups"),
])
def test_tenant_restrictions_block_all_rule(graph, users, apps, why):
    assert_refused(graph("POST", PARTNERS, {"tenantId": FABRIKAM, "tenantRestrictions": setting(users, apps)}),
                   "Conflicting settings in tenantRestrictions", why)
    allowed = setting(config("allowed", ALL_USERS), config("allowed", target("Office365", "application")))
    assert graph("POST", PARTNERS, {"tenantId": FABRIKAM, "tenantRestrictions": allowed})[0] == 201


MICROSOFT_ACCOUNTS = "9188040d-6c67-4c5b-b112-36a304b66dad"
MICROSOFT_LEARN = "18fbca16-2224-45f6-85b0-f7bf2b39b3f3"


def test_microsoft_accounts_tenant_restrictions_cannot_target_users(graph):
    per_user = setting(config("allowed", A_GROUP), config("allowed", target(MICROSOFT_LEARN, "application")))
    assert_refused(graph("POST", PARTNERS, {"tenantId": MICROSOFT_ACCOUNTS, "tenantRestrictions": per_user}),
                   "Microsoft Accounts do not support user granularity")
    everyone = setting(config("allowed", ALL_USERS), config("allowed", target(MICROSOFT_LEARN, "application")))
    assert graph("POST", PARTNERS, {"tenantId": MICROSOFT_ACCOUNTS, "tenantRestrictions": everyone})[0] == 201
    assert_refused(graph("PATCH", f"{PARTNERS}/{MICROSOFT_ACCOUNTS}", {"tenantRestrictions": per_user}),
                   "user granularity")


# --- targets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("users, apps, words", [
    (config("allowed", target("AllUsers", "group")), config("allowed", ALL_APPS), "'AllUsers' is a target of type 'user'"),
    (config("allowed", target(APP, "application")), config("allowed", ALL_APPS), "usersAndGroups.targets[0].targetType"),
    (config("allowed", ALL_USERS), config("allowed", target(GROUP, "group")), "applications.targets[0].targetType"),
    (config("allowed", ALL_USERS), config("allowed", target("AllUsers", "user")), "applications.targets[0].targetType"),
    (config("allowed", target("everyone", "user")), config("allowed", ALL_APPS), "neither an object id nor a reserved"),
])
def test_targets_must_be_ids_or_reserved_values_of_a_type_their_half_holds(graph, users, apps, words):
    assert_refused(graph("POST", PARTNERS, {"tenantId": FABRIKAM, "b2bCollaborationInbound": setting(users, apps)}),
                   words)


def test_reserved_application_values_are_accepted(graph):
    apps = config("allowed", target("AllMicrosoftApps", "application"), target("office365", "application"))
    assert graph("POST", PARTNERS, {"tenantId": FABRIKAM, "b2bCollaborationOutbound": setting(
        config("allowed", ALL_USERS), apps)})[0] == 201


# --- partners ---------------------------------------------------------------------------------

def test_a_service_provider_partner_cannot_be_removed(sandbox, graph):
    assert graph("POST", PARTNERS, {"tenantId": FABRIKAM, "isServiceProvider": True})[0] == 201
    assert_refused(graph("DELETE", f"{PARTNERS}/{FABRIKAM}"), "cloud service provider", "cannot be removed")
    assert FABRIKAM in sandbox.state("contoso")["partners"]
    assert graph("POST", PARTNERS, {"tenantId": NORTHWIND})[0] == 201
    assert graph("DELETE", f"{PARTNERS}/{NORTHWIND}")[0] == 204


def test_a_partner_with_identity_synchronization_is_removed_only_after_it(graph):
    assert graph("POST", PARTNERS, {"tenantId": FABRIKAM})[0] == 201
    sync = f"{PARTNERS}/{FABRIKAM}/identitySynchronization"
    assert graph("PUT", sync, {"userSyncInbound": {"isSyncAllowed": True}})[0] == 204
    assert_refused(graph("DELETE", f"{PARTNERS}/{FABRIKAM}"), "identitySynchronization")
    assert graph("DELETE", sync)[0] == 204
    assert graph("DELETE", f"{PARTNERS}/{FABRIKAM}")[0] == 204


def test_identity_synchronization_needs_the_partner_first(graph):
    status, code, _ = graph("PUT", f"{PARTNERS}/{FABRIKAM}/identitySynchronization",
                            {"userSyncInbound": {"isSyncAllowed": True}})
    assert (status, code) == (404, "Request_ResourceNotFound")


def test_the_tenant_cannot_be_its_own_partner(sandbox, graph):
    assert_refused(graph("POST", PARTNERS, {"tenantId": sandbox.tenant("contoso")["id"]}), "tenant itself")


# --- the default's read-only and required parts ------------------------------------------------

def test_automatic_user_consent_is_read_only_on_the_default(graph):
    assert_refused(graph("PATCH", DEFAULT, {"automaticUserConsentSettings": {"inboundAllowed": True}}),
                   "automaticUserConsentSettings", "read-only")


def test_a_fallback_identity_provider_must_stay_active(graph):
    body = {"invitationRedemptionIdentityProviderConfiguration": {
        "primaryIdentityProviderPrecedenceOrder": ["azureActiveDirectory"], "fallbackIdentityProvider": None}}
    assert_refused(graph("PATCH", DEFAULT, body), "fallbackIdentityProvider")


def test_allowed_cloud_endpoints_are_the_three_documented_ones(graph):
    assert_refused(graph("PATCH", CTAP, {"allowedCloudEndpoints": ["microsoftonline.de"]}), "allowedCloudEndpoints")


# --- guest settings -----------------------------------------------------------------------------

def test_guest_user_role_is_one_of_the_three_supported(graph):
    assert_refused(graph("PATCH", "/v1.0/policies/authorizationPolicy",
                         {"guestUserRoleId": "62e90394-69f5-4237-9190-012177145e10"}), "guestUserRoleId")
    assert graph("PATCH", "/v1.0/policies/authorizationPolicy",
                 {"guestUserRoleId": "2AF84B1E-32C8-42B7-82BC-DAA82404023B"})[0] == 204


def test_email_configuration_patch_must_name_its_type(graph):
    path = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email"
    assert_refused(graph("PATCH", path, {"allowExternalIdToUseEmailOtp": "disabled"}), "@odata.type")
