"""Microsoft's documented rules, refused by the units' validation before any call (sandbox/README.md,
"Documented rules", lists each with its source page); and the blocks national clouds lack."""
import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.clouds import CLOUDS, CLOUDS_BY_SETTING, cloud_has
from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources import (cross_tenant_default as default,
                                                                                cross_tenant_partner as partner,
                                                                                cross_tenant_policy as policy,
                                                                                guest_invitation)
from ansible_collections.tenantops.entra.plugins.module_utils.resources.cross_tenant_settings import (
    DEFAULT_BLOCKS, PARTNER_BLOCKS, blocks_from_graph, blocks_to_graph, canonical_blocks)

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
GROUP = "2c2d083e-1b64-4a26-8665-2c9136da5844"
A_GROUP = {"target": GROUP, "target_type": "group"}


def half(access, *targets):
    return {"access_type": access, "targets": list(targets)}


def block(users, apps):
    return {"users_and_groups": users, "applications": apps}


def refusal(validate, params) -> InputError:
    with pytest.raises(InputError) as info:
        validate(params, CONTOSO)
    return info.value


# --- inbound defaults and default tenant restrictions target everyone -------------------------

@pytest.mark.parametrize("option, value, field", [
    ("b2b_collaboration_inbound", block(half("allowed", A_GROUP), half("allowed", "AllApplications")),
     "b2b_collaboration_inbound.users_and_groups.targets[0]"),
    ("b2b_direct_connect_inbound", block(half("allowed", "AllUsers", A_GROUP), half("allowed", "AllApplications")),
     "b2b_direct_connect_inbound.users_and_groups.targets[0]"),
    ("tenant_restrictions", block(half("blocked", A_GROUP), half("allowed", "Office365")),
     "tenant_restrictions.users_and_groups.targets[0]"),
    ("m365_collaboration_inbound", {"users": half("allowed", A_GROUP)}, "m365_collaboration_inbound.users.targets[0]"),
])
def test_default_inbound_and_tenant_restrictions_cannot_target_users_or_groups(option, value, field):
    error = refusal(default.validate, {option: value})
    assert error.field == field and "cannot target specific users or groups" in error.message
    # The same value is fine on a partner.
    assert canonical_blocks({option: value}, PARTNER_BLOCKS, allow_inherit=True)[option]


def test_default_outbound_may_target_groups():
    value = block(half("blocked", A_GROUP), half("blocked", "AllApplications"))   # the docs' default example 1
    default.validate({"b2b_collaboration_outbound": value, "m365_collaboration_outbound": {
        "users_and_groups": half("allowed", A_GROUP)}}, CONTOSO)


# --- the tenant-restrictions block-all rule ------------------------------------------------------

@pytest.mark.parametrize("value, words", [
    (block(half("blocked", "AllUsers"), half("allowed", "Office365")), "requires blocking all applications"),
    (block(half("blocked", A_GROUP), half("blocked", "AllApplications")), "requires blocking all users and groups"),
    (block(half("allowed", A_GROUP), half("blocked", "AllApplications")), "requires blocking all users and groups"),
])
def test_tenant_restrictions_block_all_users_exactly_when_all_applications(value, words):
    error = refusal(partner.validate, {"partner": FABRIKAM, "tenant_restrictions": value})
    assert error.field == "tenant_restrictions" and words in error.message


def test_tenant_restrictions_that_block_or_allow_consistently_pass():
    for value in (block(half("blocked", "AllUsers"), half("blocked", "AllApplications")),
                  block(half("allowed", A_GROUP), half("allowed", "Office365"))):
        partner.validate({"partner": FABRIKAM, "tenant_restrictions": value}, CONTOSO)


# --- service providers --------------------------------------------------------------------------

def test_a_service_provider_partner_is_not_removed():
    current = {"partner_id": FABRIKAM, "own_id": CONTOSO, "identity_synchronization": None,
               "partner": {"tenantId": FABRIKAM.upper(), "isServiceProvider": True}}
    with pytest.raises(InputError) as info:
        partner.plan(current, {"partner": FABRIKAM, "state": "absent"}, CONTOSO)
    assert info.value.field == "state" and "cloud service provider" in info.value.message
    current["partner"]["isServiceProvider"] = False
    assert [c.method for c in partner.plan(current, {"partner": FABRIKAM, "state": "absent"}, CONTOSO).changes] == [
        "DELETE"]


# --- the new v1.0 blocks -----------------------------------------------------------------------

M365_GRAPH = {
    "m365CollaborationInbound": {"users": {"accessType": "allowed", "targets": [
        {"target": "AllUsers", "targetType": "user"}]}},
    "m365CollaborationOutbound": {"usersAndGroups": {"accessType": "blocked", "targets": [
        {"target": GROUP.upper(), "targetType": "group"}]}},
    "appServiceConnectInbound": {"applications": {"accessType": "allowed", "targets": [
        {"target": "Office365", "targetType": "application"}]}},
}


def test_new_blocks_round_trip_between_graph_and_input():
    blocks = blocks_from_graph({"tenantId": FABRIKAM, **M365_GRAPH}, PARTNER_BLOCKS)
    assert blocks["m365_collaboration_outbound"] == {"users_and_groups": half("blocked", A_GROUP)}
    new = {option: blocks[option] for option in ("m365_collaboration_inbound", "m365_collaboration_outbound",
                                                 "app_service_connect_inbound")}
    assert canonical_blocks(new, PARTNER_BLOCKS, allow_inherit=True) == new
    expected = {**M365_GRAPH, "m365CollaborationOutbound": {"usersAndGroups": {"accessType": "blocked", "targets": [
        {"target": GROUP, "targetType": "group"}]}}}
    assert blocks_to_graph(new, PARTNER_BLOCKS) == expected


@pytest.mark.parametrize("option, value, words", [
    ("m365_collaboration_inbound", {"users_and_groups": half("allowed", "AllUsers")}, "unknown key"),
    ("m365_collaboration_outbound", {"users_and_groups": half("allowed", "AllApplications")}, "not a GUID"),
    ("app_service_connect_inbound", {"applications": half("allowed", "AllUsers")}, "not a GUID or a reserved"),
])
def test_new_blocks_check_their_shape(option, value, words):
    error = refusal(partner.validate, {"partner": FABRIKAM, option: value})
    assert error.field.startswith(option) and words in error.message


def test_the_blocks_structure_is_data():
    assert [h.option for h in DEFAULT_BLOCKS["m365_collaboration_inbound"].halves] == ["users"]
    assert DEFAULT_BLOCKS["m365_collaboration_inbound"].everyone_only == ("users",)
    assert PARTNER_BLOCKS["m365_collaboration_inbound"].everyone_only == ()
    assert DEFAULT_BLOCKS["b2b_collaboration_outbound"].everyone_only == ()
    assert DEFAULT_BLOCKS["tenant_restrictions"].conflict_rule == "tenant_restrictions"


# --- national clouds ---------------------------------------------------------------------------

@pytest.mark.parametrize("cloud", ["usgov", "AzureUSGovernment", "usgov_dod", "china", "AzureChinaCloud"])
@pytest.mark.parametrize("option", ["m365_collaboration_inbound", "m365_collaboration_outbound",
                                    "app_service_connect_inbound", "tenant_restrictions"])
def test_blocks_a_national_cloud_lacks_are_refused(cloud, option):
    error = refusal(partner.validate, {"partner": FABRIKAM, option: "inherit", "cloud": cloud})
    assert error.field == option and "not available in the" in error.message
    assert PARTNER_BLOCKS[option].graph_name in error.message


def test_export_in_a_national_cloud_leaves_out_what_it_lacks():
    blocks = blocks_from_graph({"tenantId": FABRIKAM, "inboundTrust": None}, PARTNER_BLOCKS, "usgov")
    assert "m365_collaboration_inbound" not in blocks and "tenant_restrictions" not in blocks
    assert blocks["inbound_trust"] == "inherit"
    assert policy.normalise({"allowedCloudEndpoints": []}, "china") == {}


@pytest.mark.parametrize("unit, params, cloud", [
    (policy, {"allowed_cloud_endpoints": ["microsoftonline.com"]}, "usgov"),
    (guest_invitation, {"email_one_time_passcode": "disabled"}, "china"),
    (guest_invitation, {"self_service_sign_up": False}, "usgov_dod"),
])
def test_settings_a_national_cloud_lacks_are_refused(unit, params, cloud):
    error = refusal(unit.validate, {**params, "cloud": cloud})
    assert error.field == next(iter(params)) and f"not available in the {cloud} cloud" in error.message
    unit.validate(params, CONTOSO)


def test_guest_info_reads_only_the_objects_the_cloud_has():
    assert guest_invitation.objects_in_cloud("china") == [guest_invitation.AUTHORIZATION, guest_invitation.AUTH_FLOWS]
    assert guest_invitation.objects_in_cloud("usgov") == [guest_invitation.AUTHORIZATION, guest_invitation.EMAIL_OTP]


def test_the_cloud_table_names_known_clouds_only():
    assert all(set(clouds) <= set(CLOUDS) for clouds in CLOUDS_BY_SETTING.values())
    assert cloud_has("b2bCollaborationInbound", "china") and not cloud_has("tenantRestrictions", "usgov")


# --- cross-tenant synchronization needs automatic redemption (a warning: Graph does not refuse it) ----------

def sync_plan(existing_consent, **params):
    existing = {"tenantId": FABRIKAM, "automaticUserConsentSettings": existing_consent}
    current = {"partner_id": FABRIKAM, "own_id": CONTOSO, "partner": existing, "identity_synchronization": None}
    return partner.plan(current, {"partner": FABRIKAM, **params}, CONTOSO)


def test_identity_sync_without_automatic_redemption_is_warned_about():
    plan = sync_plan({"inboundAllowed": None, "outboundAllowed": None},
                     identity_synchronization={"user_sync_inbound": True})
    assert len(plan.warnings) == 1 and "automatic_user_consent_settings.inbound_allowed" in plan.warnings[0]
    assert [c.method for c in plan.changes] == ["PUT"]


@pytest.mark.parametrize("existing, params", [
    ({"inboundAllowed": True, "outboundAllowed": False}, {"identity_synchronization": {"user_sync_inbound": True}}),
    ({"inboundAllowed": None, "outboundAllowed": None},
     {"identity_synchronization": {"user_sync_inbound": True},
      "automatic_user_consent_settings": {"inbound_allowed": True, "outbound_allowed": False}}),
    ({"inboundAllowed": None, "outboundAllowed": None}, {"identity_synchronization": {"user_sync_inbound": False}}),
    ({"inboundAllowed": None, "outboundAllowed": None}, {"identity_synchronization": "absent"}),
])
def test_no_warning_when_redemption_is_on_or_sync_is_off(existing, params):
    assert sync_plan(existing, **params).warnings == []


def test_allowed_cloud_endpoints_are_the_three_documented_ones():
    error = refusal(policy.validate, {"allowed_cloud_endpoints": ["microsoftonline.com", "microsoftonline.de"]})
    assert error.field == "allowed_cloud_endpoints[1]" and "'microsoftonline.de' is not one of" in error.message


# --- Microsoft Accounts have no per-user tenant restrictions --------------------------------------

MICROSOFT_ACCOUNTS = "9188040d-6c67-4c5b-b112-36a304b66dad"
MICROSOFT_LEARN = "18fbca16-2224-45f6-85b0-f7bf2b39b3f3"


def test_microsoft_accounts_tenant_restrictions_target_only_all_users():
    per_user = block(half("allowed", A_GROUP), half("allowed", MICROSOFT_LEARN))
    error = refusal(partner.validate, {"partner": MICROSOFT_ACCOUNTS.upper(), "tenant_restrictions": per_user})
    assert error.field == "tenant_restrictions.users_and_groups.targets[0]" and "Microsoft Accounts" in error.message
    current = {"partner_id": MICROSOFT_ACCOUNTS, "own_id": CONTOSO, "partner": None, "identity_synchronization": None}
    with pytest.raises(InputError):
        partner.plan(current, {"partner": MICROSOFT_ACCOUNTS, "tenant_restrictions": per_user}, CONTOSO)
    everyone = block(half("allowed", "AllUsers"), half("allowed", MICROSOFT_LEARN))
    plan = partner.plan(current, {"partner": MICROSOFT_ACCOUNTS, "tenant_restrictions": everyone}, CONTOSO)
    assert [c.method for c in plan.changes] == ["POST"]
    partner.validate({"partner": FABRIKAM, "tenant_restrictions": per_user}, CONTOSO)   # other partners may
