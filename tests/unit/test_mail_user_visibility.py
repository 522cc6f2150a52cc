import asyncio

import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import ApplyError, ExchangeError, InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources import mail_user_visibility as unit

FABRIKAM_TENANT = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"


def guest(number, domain="fabrikam.com", *, user_type="Guest", shown=None, mail=True):
    address = f"user{number}@{domain}"
    return {"id": f"00000000-0000-0000-0000-{number:012d}", "mail": address if mail else None,
            "userPrincipalName": f"{address.replace('@', '_')}#EXT#@contoso.onmicrosoft.com",
            "userType": user_type, "showInAddressList": shown, "externalUserState": "Accepted"}


def mail_user(user, hidden):
    return {"ExternalDirectoryObjectId": user["id"], "Guid": "g-" + user["id"][-4:],
            "HiddenFromAddressListsEnabled": hidden, "RecipientTypeDetails": "GuestMailUser"}


def state(pairs, contacts=None, tenant_of_domain=None):
    users = [user for user, hidden in pairs]
    return {"users": users, "mail_users": {u["id"]: mail_user(u, h) for u, h in pairs if h is not None},
            "contacts": contacts, "tenant_of_domain": tenant_of_domain or {}}


def plan_for(current, **params):
    unit.validate(params, "contoso.com")
    return unit.plan(current, params, "contoso.com")


def test_first_matching_rule_wins_then_default():
    a, b, c = guest(1, "fabrikam.com"), guest(2, "northwindtraders.com"), guest(3, "gmail.com")
    plan = plan_for(state([(a, True), (b, True), (c, False)]), default="hidden",
                    rules=[{"visibility": "visible", "domains": ["fabrikam.com"]},
                           {"visibility": "hidden", "users": [a["mail"]]},
                           {"visibility": "visible", "domains": ["northwindtraders.com"]}])
    assert plan.result["exchange_changes"] == [
        {"user": c["id"], "mail": c["mail"], "hidden": True},
        {"user": a["id"], "mail": a["mail"], "hidden": False},
        {"user": b["id"], "mail": b["mail"], "hidden": False}]


def test_criteria_in_one_rule_must_all_match():
    member, guest_user = guest(1, user_type="Member"), guest(2)
    rule = unit.parse_rules({"rules": [{"visibility": "visible", "domains": ["fabrikam.com"],
                                        "user_types": ["external_member"]}]})[0]
    assert unit.rule_matches(rule, member, set(), {})
    assert not unit.rule_matches(rule, guest_user, set(), {})


@pytest.mark.parametrize("pattern, domain, hit", [
    ("fabrikam.com", "FABRIKAM.COM", True), ("*.fabrikam.com", "eu.fabrikam.com", True),
    ("*.fabrikam.com", "fabrikam.com", False), ("fabrikam.com", "notfabrikam.com", False)])
def test_domain_matching(pattern, domain, hit):
    assert unit.domain_matches((pattern,), domain.lower()) is hit


def test_users_match_by_mail_or_object_id_in_any_case():
    user = guest(7)
    by_id = unit.parse_rules({"rules": [{"visibility": "visible", "users": [user["id"].upper()]}]})[0]
    by_mail = unit.parse_rules({"rules": [{"visibility": "visible", "users": ["USER7@Fabrikam.com"]}]})[0]
    assert unit.rule_matches(by_id, user, set(), {}) and unit.rule_matches(by_mail, user, set(), {})


def test_mail_falls_back_to_the_address_in_a_guest_upn():
    # The last underscore before #EXT# is the @: a local part may hold underscores, a domain may not.
    user = dict(guest(4, mail=False), userPrincipalName="first_last_fabrikam.com#EXT#@contoso.onmicrosoft.com")
    assert unit.mail_of(user) == "first_last@fabrikam.com"


def test_partner_rule_matches_by_the_tenant_owning_the_mail_domain():
    a, b, c = guest(1, "fabrikam.com"), guest(2, "fabrikam.onmicrosoft.com"), guest(3, "gmail.com")
    lookups = {"fabrikam.com": FABRIKAM_TENANT, "fabrikam.onmicrosoft.com": FABRIKAM_TENANT, "gmail.com": None}
    plan = plan_for(state([(a, True), (b, True), (c, True)], tenant_of_domain=lookups),
                    rules=[{"visibility": "visible", "partner_tenants": ["fabrikam.com"]}])
    assert {x["user"] for x in plan.result["exchange_changes"]} == {a["id"], b["id"]}
    assert plan.result["counts"]["unmanaged"] == 1
    by_guid = plan_for(state([(c, True)], tenant_of_domain=lookups),
                       rules=[{"visibility": "visible", "partner_tenants": [FABRIKAM_TENANT.upper()]}])
    assert by_guid.changes == []


def test_partner_domain_that_no_tenant_owns_is_an_input_error():
    with pytest.raises(InputError) as caught:
        plan_for(state([(guest(1), True)], tenant_of_domain={"nowhere.example": None, "fabrikam.com": None}),
                 rules=[{"visibility": "visible", "partner_tenants": ["nowhere.example"]}])
    assert caught.value.field == "rules[0].partner_tenants[0]"


@pytest.mark.parametrize("params, field", [
    ({}, "default"),
    ({"default": "shown"}, "default"),
    ({"rules": [{"visibility": "visible"}]}, "rules[0]"),
    ({"rules": [{"visibility": "visible", "user_types": ["member"]}]}, "rules[0].user_types[0]"),
    ({"rules": [{"visibility": "visible", "partner_tenants": ["not a domain"]}]}, "rules[0].partner_tenants[0]"),
    ({"default": "hidden", "concurrency": 50}, "concurrency"),
    ({"default": "hidden", "concurrency": 0}, "concurrency"),      # not "unset": refused, never taken as 8
    ({"default": "hidden", "concurrency": -3}, "concurrency"),
])
def test_bad_input_names_the_field(params, field):
    with pytest.raises(InputError) as caught:
        unit.validate(params, "contoso.com")
    assert caught.value.field == field


def test_exchange_strings_true_false_are_read_as_booleans():
    user = guest(1)
    current = state([(user, None)])
    current["mail_users"][user["id"]] = dict(mail_user(user, None), HiddenFromAddressListsEnabled="False")
    assert plan_for(current, default="visible").changes == []


def test_unreconcilable_users_are_listed_with_the_reason_not_written():
    pending, contact_held, ok = guest(1), guest(2), guest(3)
    plan = plan_for(state([(pending, None), (contact_held, None), (ok, True)], contacts={contact_held["mail"]}),
                    default="visible")
    assert plan.result["unreconcilable"] == [
        {"user": pending["id"], "mail": pending["mail"], "reason": unit.REASON_NOT_MAIL_ENABLED},
        {"user": contact_held["id"], "mail": contact_held["mail"], "reason": unit.REASON_CONTACT}]
    assert [t["user"] for c in plan.changes for t in c.body["targets"]] == [ok["id"]]


def test_entra_disagreement_is_reported_never_written():
    shown_but_hidden, agreeing, unset = guest(1, shown=True), guest(2, shown=False), guest(3, shown=None)
    current = state([(shown_but_hidden, True), (agreeing, True), (unset, True)])
    plain = plan_for(current, default="hidden")
    assert plain.changes == [] and plain.warnings == []
    assert [d["user"] for d in plain.result["disagreements"]] == [shown_but_hidden["id"]]
    assert "entra_changes" not in plain.result and "entra_to_align" not in plain.result["counts"]


@pytest.mark.parametrize("align_entra", [True, False])
def test_deprecated_align_entra_is_accepted_warned_and_ignored(align_entra):
    user = guest(1, shown=False)
    plan = plan_for(state([(user, True)]), default="visible", align_entra=align_entra)
    assert [(c.method, c.path) for c in plan.changes] == [("POST", "InvokeCommand Set-MailUser")]
    assert plan.warnings == [unit.ALIGN_ENTRA_IGNORED]


def test_set_mail_user_identity_is_the_mail_users_guid():
    user = guest(1)
    plan = plan_for(state([(user, True)]), default="visible")
    assert plan.changes[0].body["targets"] == [{"user": user["id"], "mail": user["mail"], "identity": "g-0001"}]


def test_large_tenant_diff_shows_counts_and_the_first_users_only():
    pairs = [(guest(n), n % 100 != 0) for n in range(10_000)]      # 1% visible, the rest hidden
    plan = plan_for(state(pairs), default="hidden", concurrency=12)
    assert plan.result["counts"]["to_hide"] == 100
    assert len(plan.result["exchange_changes"]) == 100
    assert plan.diff["before"]["exchange"] == {"hidden": 9_900, "visible": 100}
    assert plan.diff["after"]["exchange"] == {"hidden": 10_000, "visible": 0}
    assert len(plan.diff["after"]["users"]) == unit.DIFF_USERS + 1
    assert plan.diff["after"]["users"]["... and 80 more"] == ""
    assert plan.changes[0].body["concurrency"] == 12


def test_info_suggestion_round_trips_to_no_change():
    pairs = [(guest(n), n % 3 == 0) for n in range(30)] + [(guest(99), None)]
    info = unit.Info.plan(state(pairs, contacts=set()), {}, "contoso.com")
    suggestion = info.result["suggestion"]
    assert suggestion["default"] == "visible"
    assert len(suggestion["rules"][0]["users"]) == 10 and suggestion["rules"][0]["visibility"] == "hidden"
    assert plan_for(state(pairs, contacts=set()), **suggestion).changes == []
    assert info.result["counts"] == {"users": 31, "mail_users": 30, "hidden": 10, "visible": 20,
                                     "disagreements": 0, "unreconcilable": 1}


class FakeExchange:
    def __init__(self, failing=()):
        self.failing, self.active, self.peak, self.calls = set(failing), 0, 0, []

    async def invoke(self, cmdlet, parameters=None, select=None):
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.001)
        self.active -= 1
        self.calls.append((cmdlet, parameters))
        if parameters["Identity"] in self.failing:
            raise ExchangeError("POST", "InvokeCommand Set-MailUser", 404, "NotFound", "object not found")
        return []


class FakeSession:
    def __init__(self, failing=()):
        self.exchange = FakeExchange(failing)

    @property
    def graph(self):
        raise AssertionError("mail_user_visibility must not write through Graph")


def test_apply_bounds_concurrency_and_continues_past_a_failure():
    users = [guest(n, shown=True) for n in range(40)]
    plan = plan_for(state([(u, False) for u in users]), default="hidden", concurrency=4)
    session = FakeSession(failing={"g-0005"})
    with pytest.raises(ApplyError) as caught:
        asyncio.run(unit.apply(session, plan))
    assert session.exchange.peak == 4
    assert len(session.exchange.calls) == 40
    error = caught.value
    reason = "Exchange POST InvokeCommand Set-MailUser failed: HTTP 404 NotFound: object not found"
    assert error.extra["failed_users"][:1] == [{"user": users[5]["id"], "mail": users[5]["mail"], "reason": reason}]
    assert error.applied == ["Set-MailUser -HiddenFromAddressListsEnabled $true on 40 users: 39 of 40 done"]
    assert error.not_applied == [f"Set-MailUser -HiddenFromAddressListsEnabled $true: {users[5]['mail']}"]
    assert len(error.extra["failed_users"]) == 1


def test_apply_without_failures_returns_the_summaries():
    users = [guest(n) for n in range(3)]
    plan = plan_for(state([(u, True) for u in users]), default="visible")
    session = FakeSession()
    assert asyncio.run(unit.apply(session, plan)) == ["Set-MailUser -HiddenFromAddressListsEnabled $false on 3 users"]
    assert {c[1]["HiddenFromAddressListsEnabled"] for c in session.exchange.calls} == {False}


def test_exchange_error_line_shows_the_reason_not_the_error_id():
    import httpx
    from ansible_collections.tenantops.entra.plugins.module_utils.graph import error_from_response
    body = {"error": {"code": "NotFound", "message": "Error executing cmdlet", "details": [{
        "code": "Client", "target": "", "message": "Ex6F9304|Microsoft.Exchange.Configuration.Tasks."
        "ManagementObjectNotFoundException|The operation couldn't be performed because object 'x' couldn't be found."}]}}
    error = error_from_response(ExchangeError, "POST", "InvokeCommand Set-MailUser", httpx.Response(404, json=body))
    assert str(error) == ("Exchange POST InvokeCommand Set-MailUser failed: HTTP 404 NotFound: The operation couldn't "
                          "be performed because object 'x' couldn't be found. (ManagementObjectNotFoundException)")


def test_a_permission_failure_stops_the_remaining_writes():
    users = [guest(n) for n in range(10)]
    plan = plan_for(state([(u, True) for u in users]), default="visible", concurrency=1)
    session = FakeSession()

    async def denied(cmdlet, parameters=None, select=None):
        session.exchange.calls.append(parameters)
        raise ExchangeError("POST", "InvokeCommand Set-MailUser", 403)
    session.exchange.invoke = denied
    with pytest.raises(ApplyError) as caught:
        asyncio.run(unit.apply(session, plan))
    assert len(session.exchange.calls) == 1
    assert caught.value.applied == [] and len(caught.value.not_applied) == 10
    assert str(caught.value).startswith("10 of 10 address-list writes failed; first: ")
    assert "Exchange.ManageAsApp" in str(caught.value)
