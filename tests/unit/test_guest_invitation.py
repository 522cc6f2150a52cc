import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources import guest_invitation as unit

FRESH = {
    unit.AUTHORIZATION: {"id": "authorizationPolicy", "allowInvitesFrom": "everyone",
                         "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
                         "allowEmailVerifiedUsersToJoinOrganization": True,
                         "allowedToSignUpEmailBasedSubscriptions": True, "allowedToUseSSPR": True},
    unit.EMAIL_OTP: {"@odata.type": unit.EMAIL_ODATA_TYPE, "id": "Email", "state": "enabled",
                     "allowExternalIdToUseEmailOtp": "default"},
    unit.AUTH_FLOWS: {"id": "authenticationFlowsPolicy", "selfServiceSignUp": {"isEnabled": False}},
}


def plan_for(current=None, **params):
    return unit.plan(current or FRESH, params, "contoso.onmicrosoft.com")


@pytest.mark.parametrize("given, canonical", [
    ("admins_and_guest_inviters", "admins_and_guest_inviters"),
    ("adminsAndGuestInviters", "admins_and_guest_inviters"),
    ("adminsGuestInvitersAndAllMembers", "admins_guest_inviters_and_all_members"),
    ("None", "none"),
])
def test_invites_accepts_option_and_graph_spellings(given, canonical):
    assert unit.wanted_settings({"allow_invites_from": given}) == {"allow_invites_from": canonical}


def test_guest_role_accepts_names_and_guids_in_any_case():
    assert unit.wanted_settings({"guest_user_access": "2AF84B1E-32C8-42B7-82BC-DAA82404023B"}) == \
        {"guest_user_access": "restricted"}
    assert unit.wanted_settings({"guest_user_access": "same_as_members"}) == {"guest_user_access": "same_as_members"}


def test_bad_value_fails_with_the_field_path_before_any_call():
    with pytest.raises(InputError) as caught:
        unit.validate({"guest_user_access": "00000000-0000-0000-0000-000000000000"}, "contoso.com")
    assert caught.value.field == "guest_user_access"
    assert "same_as_members, limited, restricted" in caught.value.message


def test_only_the_objects_holding_given_settings_are_read():
    assert unit.paths_for(["self_service_sign_up"]) == [unit.AUTH_FLOWS]
    assert unit.paths_for(["guest_user_access", "email_one_time_passcode", "allow_invites_from"]) == \
        [unit.AUTHORIZATION, unit.EMAIL_OTP]
    assert unit.paths_for([]) == []


def test_patch_bodies_carry_only_what_changes_with_graph_spellings():
    plan = plan_for(allow_invites_from="admins_and_guest_inviters", guest_user_access="limited",
                    allow_email_verified_users_to_join=False, email_one_time_passcode="disabled",
                    self_service_sign_up=False)
    bodies = {c.path: c.body for c in plan.changes}
    assert [c.method for c in plan.changes] == ["PATCH", "PATCH"]
    assert bodies[unit.AUTHORIZATION] == {"allowInvitesFrom": "adminsAndGuestInviters",
                                          "allowEmailVerifiedUsersToJoinOrganization": False}
    assert bodies[unit.EMAIL_OTP] == {"@odata.type": unit.EMAIL_ODATA_TYPE, "allowExternalIdToUseEmailOtp": "disabled"}
    assert plan.before["allow_invites_from"] == "everyone" and plan.after["allow_invites_from"] == "admins_and_guest_inviters"
    assert set(plan.before) == {"allow_invites_from", "guest_user_access", "allow_email_verified_users_to_join",
                                "email_one_time_passcode", "self_service_sign_up"}


def test_nested_flag_is_sent_nested():
    plan = plan_for(self_service_sign_up=True)
    assert [(c.path, c.body) for c in plan.changes] == [(unit.AUTH_FLOWS, {"selfServiceSignUp": {"isEnabled": True}})]
    assert plan.changes[0].summary == "PATCH authenticationFlowsPolicy: self_service_sign_up=true"


def test_matching_state_plans_nothing():
    plan = plan_for(allow_invites_from="everyone", guest_user_access="10DAE51F-B6AF-4016-8D66-8C2A99B929B3",
                    email_one_time_passcode="default", self_service_sign_up=False)
    assert plan.changes == [] and plan.before == plan.after


@pytest.mark.parametrize("option, order", [
    ("allow_invites_from", ["everyone", "admins_guest_inviters_and_all_members", "admins_and_guest_inviters", "none"]),
    ("guest_user_access", ["same_as_members", "limited", "restricted"]),
    ("email_one_time_passcode", ["enabled", "default", "disabled"]),
    ("self_service_sign_up", [True, False]),
    ("allow_email_verified_users_to_join", [True, False]),
])
def test_strictness_order_is_explicit(option, order):
    setting = unit.BY_OPTION[option]
    assert list(setting.order) == order
    for looser, stricter in zip(order, order[1:]):
        assert unit.is_stricter(setting, stricter, looser)
        assert not unit.is_stricter(setting, looser, stricter)


def strict_tenant():
    current = {path: dict(body) for path, body in FRESH.items()}
    current[unit.AUTHORIZATION].update(allowInvitesFrom="none", guestUserRoleId="2af84b1e-32c8-42b7-82bc-daa82404023b",
                                       allowEmailVerifiedUsersToJoinOrganization=False)
    current[unit.EMAIL_OTP]["allowExternalIdToUseEmailOtp"] = "disabled"
    return current


def test_at_least_leaves_a_stricter_tenant_alone_and_says_so():
    plan = plan_for(strict_tenant(), strictness="at_least", allow_invites_from="admins_and_guest_inviters",
                    guest_user_access="limited", allow_email_verified_users_to_join=True,
                    email_one_time_passcode="enabled")
    assert plan.changes == []
    assert {s["setting"] for s in plan.result["stricter_than_requested"]} == {
        "allow_invites_from", "guest_user_access", "allow_email_verified_users_to_join", "email_one_time_passcode"}
    assert plan.result["settings"]["allow_invites_from"] == "none"


def test_exact_loosens_a_stricter_tenant():
    plan = plan_for(strict_tenant(), allow_invites_from="admins_and_guest_inviters")
    assert [c.body for c in plan.changes] == [{"allowInvitesFrom": "adminsAndGuestInviters"}]
    assert "stricter_than_requested" not in plan.result


def test_at_least_tightens_a_looser_tenant():
    plan = plan_for(strictness="at_least", allow_invites_from="admins_and_guest_inviters", guest_user_access="restricted")
    assert plan.changes[0].body == {"allowInvitesFrom": "adminsAndGuestInviters",
                                    "guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b"}
    assert plan.result["stricter_than_requested"] == []


def test_unknown_current_value_is_never_taken_as_stricter():
    current = {unit.AUTHORIZATION: dict(FRESH[unit.AUTHORIZATION], allowInvitesFrom="unknownFutureValue")}
    plan = plan_for(current, strictness="at_least", allow_invites_from="none")
    assert plan.changes[0].body == {"allowInvitesFrom": "none"}


def test_info_round_trips_to_no_change():
    info = unit.Info.plan(strict_tenant(), {}, "contoso.com")
    settings = info.result["settings"]
    assert settings["guest_user_access"] == "restricted" and settings["self_service_sign_up"] is False
    assert plan_for(strict_tenant(), **settings).changes == []


def test_info_leaves_out_values_the_module_cannot_set():
    current = strict_tenant()
    current[unit.AUTHORIZATION]["guestUserRoleId"] = "11111111-1111-1111-1111-111111111111"
    info = unit.Info.plan(current, {}, "contoso.com")
    assert "guest_user_access" not in info.result["settings"]
    assert "11111111-1111-1111-1111-111111111111" in info.warnings[0]
