"""Plans of the default, partner and info units: pure functions over Graph JSON."""
import copy

import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources import (cross_tenant_default as default,
                                                                                cross_tenant_info as info,
                                                                                cross_tenant_partner as partner)

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
GROUP = "2c2d083e-1b64-4a26-8665-2c9136da5844"
ALL = {"users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
       "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}
NONE = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
        "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}
TRUST_MFA = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}


def service_default(**changes):
    return {"@odata.context": "x", "id": "x", "isServiceDefault": True,
            "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
            "m365CollaborationInbound": {"users": None},
            **copy.deepcopy(default.SERVICE_DEFAULT), **changes}


# --- default -------------------------------------------------------------------------------

def test_default_patches_only_changed_blocks_whole():
    params = {"state": "present", "b2b_direct_connect_inbound": NONE, "b2b_collaboration_inbound": ALL,
              "inbound_trust": TRUST_MFA}
    plan = default.plan(service_default(), params, CONTOSO)
    assert [c.summary for c in plan.changes] == ["PATCH default: inboundTrust"]
    assert plan.changes[0].body == {"inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                                                     "isHybridAzureADJoinedDeviceAccepted": False}}
    assert plan.before["inbound_trust"]["is_mfa_accepted"] is False
    assert plan.after["inbound_trust"]["is_mfa_accepted"] is True
    assert set(plan.before) == set(plan.after) == {"b2b_direct_connect_inbound", "b2b_collaboration_inbound",
                                                   "inbound_trust"}


def test_default_reports_no_change_when_graph_differs_only_in_order_and_case():
    graph = service_default(b2bCollaborationOutbound={
        "usersAndGroups": {"accessType": "allowed", "targets": [
            {"target": GROUP.upper(), "targetType": "group"}, {"target": "AllUsers", "targetType": "user"}]},
        "applications": {"accessType": "allowed", "targets": [{"target": "AllApplications", "targetType": "application"}]}})
    wanted = {"users_and_groups": {"access_type": "allowed",
                                   "targets": ["AllUsers", {"target": GROUP, "target_type": "group"}]},
              "applications": ALL["applications"]}
    assert default.plan(graph, {"b2b_collaboration_outbound": wanted}, CONTOSO).changes == []


def test_reset_is_a_post_only_when_not_already_the_service_default():
    assert default.plan(service_default(), {"state": "reset"}, CONTOSO).changes == []
    plan = default.plan(service_default(isServiceDefault=False, inboundTrust={"isMfaAccepted": True}),
                        {"state": "reset"}, CONTOSO)
    assert [(c.method, c.path, c.body) for c in plan.changes] == [
        ("POST", "/policies/crossTenantAccessPolicy/default/resetToSystemDefault", None)]
    assert plan.before["inbound_trust"]["is_mfa_accepted"] is True
    assert plan.after["inbound_trust"]["is_mfa_accepted"] is False
    assert plan.result == {"is_service_default": True}


@pytest.mark.parametrize("params, field", [
    ({"state": "reset", "inbound_trust": TRUST_MFA}, "inbound_trust"),
    ({"automatic_user_consent_settings": {"inbound_allowed": True, "outbound_allowed": True}},
     "automatic_user_consent_settings"),
    ({"b2b_collaboration_inbound": "inherit"}, "b2b_collaboration_inbound"),
])
def test_default_input_errors(params, field):
    with pytest.raises(InputError) as err:
        default.validate(params, CONTOSO)
    assert err.value.field == field


# --- partner -------------------------------------------------------------------------------

def read_state(existing=None, sync=None, own=CONTOSO, partner_id=FABRIKAM):
    return {"partner_id": partner_id, "own_id": own, "partner": existing, "identity_synchronization": sync}


def graph_partner(**settings):
    base = {"tenantId": FABRIKAM.upper(), "isServiceProvider": False, "isInMultiTenantOrganization": False,
            "inboundTrust": None, "automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None},
            "b2bCollaborationInbound": None, "b2bCollaborationOutbound": None, "b2bDirectConnectInbound": None,
            "b2bDirectConnectOutbound": None, "tenantRestrictions": None}
    return {**base, **settings}


def test_new_partner_is_posted_with_only_the_given_blocks_then_identity_sync_put():
    params = {"partner": "fabrikam.com", "b2b_direct_connect_inbound": ALL, "inbound_trust": "inherit",
              "identity_synchronization": {"user_sync_inbound": True}}
    plan = partner.plan(read_state(), params, CONTOSO)
    post, put = plan.changes
    assert (post.method, post.path) == ("POST", partner.PARTNERS)
    assert post.body == {"tenantId": FABRIKAM, "b2bDirectConnectInbound": {
        "usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}]},
        "applications": {"accessType": "allowed",
                         "targets": [{"target": "AllApplications", "targetType": "application"}]}}}
    assert (put.method, put.body) == ("PUT", {"userSyncInbound": {"isSyncAllowed": True}})
    assert put.path.endswith(f"/partners/{FABRIKAM}/identitySynchronization")
    assert plan.before == {}
    assert plan.after["inbound_trust"] == "inherit" and plan.after["partner"] == FABRIKAM


def test_existing_partner_patch_sends_inherit_as_null_and_nothing_unchanged():
    existing = graph_partner(b2bDirectConnectInbound=partner.blocks_to_graph(
        {"b2b_direct_connect_inbound": partner.canonical_blocks({"b2b_direct_connect_inbound": ALL},
                                                                partner.PARTNER_BLOCKS, allow_inherit=True)
         ["b2b_direct_connect_inbound"]}, partner.PARTNER_BLOCKS)["b2bDirectConnectInbound"],
        inboundTrust={"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                      "isHybridAzureADJoinedDeviceAccepted": False})
    params = {"partner": FABRIKAM, "b2b_direct_connect_inbound": ALL, "inbound_trust": "inherit",
              "b2b_collaboration_inbound": "inherit"}
    plan = partner.plan(read_state(existing), params, CONTOSO)
    assert [(c.method, c.body) for c in plan.changes] == [("PATCH", {"inboundTrust": None})]
    assert plan.before["inbound_trust"]["is_mfa_accepted"] is True and plan.after["inbound_trust"] == "inherit"


def test_second_run_over_the_result_is_unchanged():
    params = {"partner": FABRIKAM, "b2b_direct_connect_outbound": ALL,
              "automatic_user_consent_settings": {"inbound_allowed": True, "outbound_allowed": False},
              "identity_synchronization": {"user_sync_inbound": False, "display_name": "Fabrikam"}}
    created = partner.plan(read_state(), params, CONTOSO).changes
    graph = graph_partner(**{k: v for k, v in created[0].body.items() if k != "tenantId"})
    sync = {"tenantId": FABRIKAM, **created[1].body}
    assert partner.plan(read_state(graph, sync), params, CONTOSO).changes == []


def test_identity_sync_absent_deletes_it_and_display_name_is_kept_when_not_given():
    sync = {"tenantId": FABRIKAM, "displayName": "Fab", "userSyncInbound": {"isSyncAllowed": True}}
    plan = partner.plan(read_state(graph_partner(), sync), {"partner": FABRIKAM, "identity_synchronization": "absent"},
                        CONTOSO)
    assert [c.method for c in plan.changes] == ["DELETE"]
    plan = partner.plan(read_state(graph_partner(), sync),
                        {"partner": FABRIKAM, "identity_synchronization": {"user_sync_inbound": False}}, CONTOSO)
    assert plan.changes[0].body == {"userSyncInbound": {"isSyncAllowed": False}, "displayName": "Fab"}


def test_absent_removes_identity_sync_before_the_partner():
    sync = {"tenantId": FABRIKAM, "displayName": None, "userSyncInbound": {"isSyncAllowed": True}}
    plan = partner.plan(read_state(graph_partner(), sync), {"partner": FABRIKAM, "state": "absent"}, CONTOSO)
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in plan.changes] == [
        ("DELETE", "identitySynchronization"), ("DELETE", FABRIKAM)]
    assert plan.after == {} and plan.before["identity_synchronization"] == {"user_sync_inbound": True}
    assert partner.plan(read_state(None), {"partner": FABRIKAM, "state": "absent"}, CONTOSO).changes == []


def test_partner_that_is_the_tenant_itself_fails_before_and_after_resolution():
    with pytest.raises(InputError, match="the tenant itself"):
        partner.validate({"partner": CONTOSO.upper()}, CONTOSO)
    partner.validate({"partner": "contoso.com"}, CONTOSO)  # a domain is only known after the read
    with pytest.raises(InputError, match="the tenant itself"):
        partner.plan(read_state(partner_id=CONTOSO), {"partner": "contoso.com"}, CONTOSO)


@pytest.mark.parametrize("params, field", [
    ({"partner": "not a domain"}, "partner"),
    ({"partner": FABRIKAM, "state": "absent", "inbound_trust": "inherit"}, "inbound_trust"),
    ({"partner": FABRIKAM, "identity_synchronization": {"user_sync_inbound": "yes"}},
     "identity_synchronization.user_sync_inbound"),
    ({"partner": FABRIKAM, "identity_synchronization": {"user_sync_inbound": True, "name": "x"}},
     "identity_synchronization.name"),
    ({"partner": FABRIKAM, "automatic_user_consent_settings": {"inbound_allowed": True}},
     "automatic_user_consent_settings.outbound_allowed"),
])
def test_partner_input_errors(params, field):
    with pytest.raises(InputError) as err:
        partner.validate(params, CONTOSO)
    assert err.value.field == field


# --- info ----------------------------------------------------------------------------------

def test_info_exports_in_module_shape_that_plans_no_change():
    sync = {"tenantId": FABRIKAM, "displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": True}}
    raw_partner = graph_partner(inboundTrust={"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                                              "isHybridAzureADJoinedDeviceAccepted": False})
    current = {"policy": {"allowedCloudEndpoints": ["microsoftonline.us"], "id": "x"},
               "default": service_default(),
               "partners": [{**raw_partner, "identitySynchronization": sync}]}
    exported = info.plan(current, {}, CONTOSO).result
    assert exported["policy"] == {"allowed_cloud_endpoints": ["microsoftonline.us"]}
    assert "is_service_default" not in str(exported) and "odata" not in str(exported)
    [option] = exported["partners"]
    assert option["partner"] == FABRIKAM and "b2b_collaboration_inbound" in option["inherit"]
    assert "b2b_collaboration_inbound" not in option
    assert option["identity_synchronization"] == {"user_sync_inbound": True, "display_name": "Fabrikam"}
    assert default.plan(service_default(), exported["default"], CONTOSO).changes == []
    assert partner.plan(read_state(raw_partner, sync), option, CONTOSO).changes == []


def test_the_typed_inherit_list_and_sync_state_mean_what_the_strings_meant():
    typed = {"partner": FABRIKAM, "inherit": ["inbound_trust"], "identity_synchronization": {"state": "absent"}}
    spelled = {"partner": FABRIKAM, "inbound_trust": "inherit", "identity_synchronization": "absent"}
    sync = {"tenantId": FABRIKAM, "userSyncInbound": {"isSyncAllowed": True}}
    state = read_state(graph_partner(inboundTrust={"isMfaAccepted": True}), sync)
    assert [c.summary for c in partner.plan(state, typed, CONTOSO).changes] == \
        [c.summary for c in partner.plan(state, spelled, CONTOSO).changes]
    with pytest.raises(InputError, match="given and listed in inherit"):
        partner.validate({**typed, "inbound_trust": {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
                                                     "is_hybrid_azure_ad_joined_device_accepted": False}}, CONTOSO)
