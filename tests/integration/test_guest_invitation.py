"""guest_invitation_settings and guest_invitation_info end to end against the demo sandbox."""

RESTRICTED_ROLE = "2af84b1e-32c8-42b7-82bc-daa82404023b"

EVERY_SETTING = {"name": "lock down", "tenantops.entra.guest_invitation_settings": {
    "allow_invites_from": "admins_and_guest_inviters",
    "guest_user_access": "restricted",
    "allow_email_verified_users_to_join": False,
    "allowed_to_sign_up_email_based_subscriptions": False,
    "email_one_time_passcode": "disabled",
    "self_service_sign_up": True}}


def policies(sandbox, tenant="contoso") -> dict:
    return sandbox.state(tenant)["policies"]


def test_check_apply_check_apply_every_setting(sandbox, ansible):
    fresh = policies(sandbox)
    outcomes, results = [], []
    for check in (True, False, True, False):
        run = ansible([EVERY_SETTING], check=check, diff=True)
        assert run.rc == 0, run.stdout
        results.append(run.task("lock down"))
        outcomes.append(results[-1]["changed"])
        if len(results) == 1:
            assert policies(sandbox) == fresh                               # check mode wrote nothing
    assert outcomes == [True, True, False, False]
    predicted = results[0]
    assert predicted["diff"]["before"] == {
        "allow_invites_from": "everyone", "guest_user_access": "limited", "allow_email_verified_users_to_join": True,
        "allowed_to_sign_up_email_based_subscriptions": True, "email_one_time_passcode": "default",
        "self_service_sign_up": False}
    assert predicted["diff"]["after"] == results[1]["settings"] == results[3]["settings"]
    assert len(results[1]["applied"]) == 3                                  # one PATCH per Graph object
    state = policies(sandbox)
    authorization = state["authorizationPolicy"]
    assert authorization["allowInvitesFrom"] == "adminsAndGuestInviters"
    assert authorization["guestUserRoleId"] == RESTRICTED_ROLE
    assert authorization["allowEmailVerifiedUsersToJoinOrganization"] is False
    assert authorization["allowedToSignUpEmailBasedSubscriptions"] is False
    assert state["email"]["allowExternalIdToUseEmailOtp"] == "disabled"
    assert state["authenticationFlowsPolicy"]["selfServiceSignUp"] == {"isEnabled": True}


def test_at_least_leaves_stricter_tenants_alone_and_tightens_looser_ones(sandbox, ansible):
    baseline = {"allow_invites_from": "admins_and_guest_inviters", "guest_user_access": "limited",
                "allow_email_verified_users_to_join": True, "email_one_time_passcode": "enabled"}
    run = ansible([
        {"name": "make fabrikam strict", "when": "inventory_hostname == 'fabrikam'",
         "tenantops.entra.guest_invitation_settings": {
             "allow_invites_from": "none", "guest_user_access": "restricted",
             "allow_email_verified_users_to_join": False, "email_one_time_passcode": "disabled"}},
        {"name": "baseline", "tenantops.entra.guest_invitation_settings": dict(baseline, strictness="at_least")},
        {"name": "info", "tenantops.entra.guest_invitation_info": {}, "register": "info"},
        {"name": "feed back", "check_mode": True, "tenantops.entra.guest_invitation_settings": {
            name: "{{ info.settings.%s }}" % name for name in (
                "allow_invites_from", "guest_user_access", "allow_email_verified_users_to_join",
                "allowed_to_sign_up_email_based_subscriptions", "email_one_time_passcode", "self_service_sign_up")}},
    ], hosts="contoso,fabrikam")
    assert run.rc == 0, run.stdout

    strict = run.task("baseline", host="fabrikam")
    assert strict["changed"] is False
    assert {s["setting"]: s["current"] for s in strict["stricter_than_requested"]} == {
        "allow_invites_from": "none", "guest_user_access": "restricted",
        "allow_email_verified_users_to_join": False, "email_one_time_passcode": "disabled"}
    assert policies(sandbox, "fabrikam")["authorizationPolicy"]["allowInvitesFrom"] == "none"

    loose = run.task("baseline", host="contoso")
    assert loose["changed"] is True
    # "default" ranks between enabled and disabled, so a fresh tenant already meets "enabled".
    assert loose["stricter_than_requested"] == [
        {"setting": "email_one_time_passcode", "requested": "enabled", "current": "default"}]
    assert loose["changes"] == ["PATCH authorizationPolicy: allow_invites_from=admins_and_guest_inviters"]
    contoso = policies(sandbox, "contoso")
    assert contoso["authorizationPolicy"]["allowInvitesFrom"] == "adminsAndGuestInviters"
    assert contoso["email"]["allowExternalIdToUseEmailOtp"] == "default"

    assert run.task("info", host="fabrikam")["settings"]["guest_user_access"] == "restricted"
    for host in ("contoso", "fabrikam"):
        assert run.task("feed back", host=host)["changed"] is False


def test_a_run_touches_only_the_objects_it_needs(sandbox, ansible):
    mark = sandbox.requests_log()["last_seq"]
    run = ansible([{"name": "sign-up", "tenantops.entra.guest_invitation_settings": {"self_service_sign_up": True}}])
    assert run.rc == 0 and run.task("sign-up")["changed"]
    graph = [(e["method"], e["path"]) for e in sandbox.requests_log(mark)["entries"] if e["service"] == "graph"]
    assert graph == [("GET", "/v1.0/policies/authenticationFlowsPolicy"),
                     ("PATCH", "/v1.0/policies/authenticationFlowsPolicy")]
