import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources.cross_tenant_settings import (
    DEFAULT_BLOCKS, INHERIT, PARTNER_BLOCKS, blocks_from_graph, blocks_to_graph, canonical_blocks)

GROUP = "2c2d083e-1b64-4a26-8665-2c9136da5844"
APP = "00000012-0000-0000-c000-000000000000"


def half(access, *targets):
    return {"access_type": access, "targets": list(targets)}


def block(users, apps):
    return {"users_and_groups": users, "applications": apps}


def canon(option, value, allow_inherit=True):
    return canonical_blocks({option: value}, PARTNER_BLOCKS, allow_inherit=allow_inherit)[option]


def error(option, value, blocks=None, allow_inherit=True) -> str:
    with pytest.raises(InputError) as info:
        canonical_blocks({option: value}, blocks or PARTNER_BLOCKS, allow_inherit=allow_inherit)
    return str(info.value)


# --- targets -------------------------------------------------------------------------------

def test_targets_compare_as_sets_with_guid_case_and_reserved_case_ignored():
    one = canon("b2b_direct_connect_inbound", block(
        half("allowed", {"target": GROUP.upper(), "target_type": "group"}, "allusers", "AllUsers"),
        half("Allowed", APP, "office365")))
    other = canon("b2b_direct_connect_inbound", block(
        half("allowed", {"target": "AllUsers"}, {"target": GROUP, "target_type": "Group"}),
        half("allowed", "Office365", {"target": APP.upper(), "target_type": "application"}, APP)))
    assert one == other
    assert one["users_and_groups"]["targets"] == [{"target": GROUP, "target_type": "group"},
                                                  {"target": "AllUsers", "target_type": "user"}]
    assert one["applications"]["targets"] == [{"target": APP, "target_type": "application"},
                                              {"target": "Office365", "target_type": "application"}]


def test_bare_guid_is_an_application_in_applications_but_ambiguous_in_users_and_groups():
    value = block(half("allowed", GROUP), half("allowed", "AllApplications"))
    message = error("b2b_collaboration_inbound", value)
    assert message.startswith("b2b_collaboration_inbound.users_and_groups.targets[0]: ")
    assert "target_type" in message


def test_a_target_that_is_neither_guid_nor_reserved_names_its_path():
    value = block(half("allowed", "AllUsers", {"target": "x", "target_type": "user"}), half("allowed", "AllApplications"))
    assert error("b2b_direct_connect_inbound", value) == (
        "b2b_direct_connect_inbound.users_and_groups.targets[1].target: 'x' is not a GUID or a reserved value (AllUsers)")


def test_malformed_guid_is_rejected():
    value = block(half("allowed", {"target": GROUP[:-1], "target_type": "group"}), half("allowed", "AllApplications"))
    assert "targets[0].target: " in error("tenant_restrictions", value)


@pytest.mark.parametrize("target, type_, bad", [
    ("AllUsers", "group", "AllUsers is a user target"),
    (GROUP, "application", "'application' is not one of user, group"),
    (GROUP, None, "None is not one of user, group"),
])
def test_target_types_must_fit_the_half(target, type_, bad):
    value = block(half("allowed", {"target": target, "target_type": type_}), half("allowed", "AllApplications"))
    assert bad in error("b2b_collaboration_outbound", value)


def test_reserved_application_values_are_understood():
    result = canon("b2b_collaboration_inbound",
                   block(half("allowed", "AllUsers"), half("allowed", "allmicrosoftapps", "AllApplications")))
    assert [t["target"] for t in result["applications"]["targets"]] == ["AllApplications", "AllMicrosoftApps"]


@pytest.mark.parametrize("value, path", [
    (block(half("allowed", "AllUsers"), half("allowed")), "applications.targets: must be a non-empty list"),
    (block(half("sometimes", "AllUsers"), half("allowed", "AllApplications")), "users_and_groups.access_type: 'sometimes'"),
    ({"users_and_groups": half("allowed", "AllUsers")}, "b2b_collaboration_inbound.applications: required"),
    ({**block(half("allowed", "AllUsers"), half("allowed", "AllApplications")), "devices": {}},
     "b2b_collaboration_inbound.devices: unknown key"),
    (block({**half("allowed", "AllUsers"), "accessType": "allowed"}, half("allowed", "AllApplications")),
     "users_and_groups.accessType: unknown key"),
    (block(half("allowed", {"target": "AllUsers", "type": "user"}), half("allowed", "AllApplications")),
     "targets[0].type: unknown key"),
    ("allowed", "b2b_collaboration_inbound: must be a dict"),
])
def test_shape_errors_name_the_field(value, path):
    assert path in error("b2b_collaboration_inbound", value)


# --- the conflict rule (cross-tenant access overview, important considerations) ---------------------------------------------------------

def test_blocking_all_users_requires_blocking_all_applications():
    value = block(half("blocked", "AllUsers"), half("allowed", "AllApplications"))
    assert "blocking all users and groups requires blocking all applications" in error("b2b_direct_connect_outbound", value)


def test_allowing_users_while_all_applications_are_blocked_is_a_conflict():
    value = block(half("allowed", {"target": GROUP, "target_type": "group"}), half("blocked", "AllApplications"))
    assert "requires at least one allowed application" in error("b2b_collaboration_inbound", value)


def test_consistent_settings_pass():
    canon("b2b_collaboration_inbound", block(half("blocked", "AllUsers"), half("blocked", "AllApplications")))
    canon("b2b_collaboration_inbound", block(half("blocked", {"target": GROUP, "target_type": "group"}),
                                             half("allowed", "AllApplications")))
    canon("tenant_restrictions", block(half("allowed", "AllUsers"), half("allowed", "Office365")))


# --- flags, identity providers, inherit ------------------------------------------------------

def test_inbound_trust_needs_every_flag_as_a_boolean():
    assert "inbound_trust.is_compliant_device_accepted: required" in error("inbound_trust", {"is_mfa_accepted": True})
    value = {"is_mfa_accepted": "yes", "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}
    assert error("inbound_trust", value) == "inbound_trust.is_mfa_accepted: must be true or false, not 'yes'"


def test_inherit_only_on_partners():
    assert canon("inbound_trust", "Inherit") == INHERIT
    assert "only meaningful for a partner" in error("inbound_trust", "inherit", DEFAULT_BLOCKS, allow_inherit=False)


def test_automatic_user_consent_is_not_a_default_block():
    assert "automatic_user_consent_settings" in PARTNER_BLOCKS
    assert "automatic_user_consent_settings" not in DEFAULT_BLOCKS


IDP = "invitation_redemption_identity_provider_configuration"


def test_default_needs_a_fallback_identity_provider():
    message = error(IDP, {"primary_identity_provider_precedence_order": ["externalFederation"]}, DEFAULT_BLOCKS, False)
    assert message.startswith(f"{IDP}.fallback_identity_provider: required")
    message = error(IDP, {"primary_identity_provider_precedence_order": [], "fallback_identity_provider": "google"},
                    DEFAULT_BLOCKS, False)
    assert "'google' is not one of" in message


def test_identity_provider_order_keeps_its_order_and_refuses_repeats():
    wanted = canonical_blocks({IDP: {"primary_identity_provider_precedence_order": ["azureactivedirectory",
                                                                                    "externalFederation"],
                                     "fallback_identity_provider": "emailonetimepasscode"}},
                              DEFAULT_BLOCKS, allow_inherit=False)[IDP]
    assert wanted == {"primary_identity_provider_precedence_order": ["azureActiveDirectory", "externalFederation"],
                      "fallback_identity_provider": "emailOneTimePasscode"}
    value = {"primary_identity_provider_precedence_order": ["externalFederation", "externalFederation"],
             "fallback_identity_provider": "microsoftAccount"}
    assert "[1]: externalFederation is listed twice" in error(IDP, value, DEFAULT_BLOCKS, False)


# --- Graph <-> input -----------------------------------------------------------------------

GRAPH_PARTNER = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#...",
    "tenantId": "F81FB273-8B3F-495E-BA2D-6CA6F07F8BAA",
    "isServiceProvider": True, "isInMultiTenantOrganization": False,
    "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": None,
                     "isHybridAzureADJoinedDeviceAccepted": False},
    "automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None},
    "b2bCollaborationInbound": None, "b2bCollaborationOutbound": None, "b2bDirectConnectOutbound": None,
    "b2bDirectConnectInbound": {
        "usersAndGroups": {"accessType": "allowed", "targets": [
            {"target": GROUP.upper(), "targetType": "group"}, {"target": GROUP, "targetType": "group"}]},
        "applications": {"accessType": "allowed", "targets": [{"target": "Office365", "targetType": "application"}]}},
    "tenantRestrictions": None, "m365CollaborationInbound": None, "appServiceConnectInbound": None,
}


def test_graph_to_input_shape_maps_null_to_inherit_and_ignores_server_fields():
    blocks = blocks_from_graph(GRAPH_PARTNER, PARTNER_BLOCKS)
    assert set(blocks) == set(PARTNER_BLOCKS)
    assert blocks["b2b_collaboration_inbound"] == INHERIT
    assert blocks["automatic_user_consent_settings"] == INHERIT
    assert blocks["inbound_trust"] == {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
                                       "is_hybrid_azure_ad_joined_device_accepted": False}
    assert blocks["b2b_direct_connect_inbound"]["users_and_groups"]["targets"] == [{"target": GROUP,
                                                                                    "target_type": "group"}]


def test_input_equal_to_graph_state_round_trips():
    blocks = blocks_from_graph(GRAPH_PARTNER, PARTNER_BLOCKS)
    assert canonical_blocks(blocks, PARTNER_BLOCKS, allow_inherit=True) == blocks


def test_body_uses_graph_spelling_and_sends_inherit_as_null():
    wanted = {"inbound_trust": {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
                                "is_hybrid_azure_ad_joined_device_accepted": True},
              "b2b_collaboration_outbound": INHERIT,
              "b2b_direct_connect_inbound": canon("b2b_direct_connect_inbound",
                                                  block(half("allowed", "AllUsers"), half("allowed", APP)))}
    assert blocks_to_graph(wanted, PARTNER_BLOCKS) == {
        "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                         "isHybridAzureADJoinedDeviceAccepted": True},
        "b2bCollaborationOutbound": None,
        "b2bDirectConnectInbound": {
            "usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}]},
            "applications": {"accessType": "allowed", "targets": [{"target": APP, "targetType": "application"}]}},
    }
