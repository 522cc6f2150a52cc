"""Pure logic of the GitOps playbooks: drift attribution, the plan report, reciprocity, export."""
import asyncio

from ansible_collections.tenantops.entra.plugins.module_utils.errors import GraphError
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import drift, plan_report, reciprocity, unit

FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
PORTAL = {"app": {"appId": "0c9a", "displayName": "Portal"}, "user": None}
ADMIN = {"user": {"displayName": "Megan Bowen", "userPrincipalName": "megan@contoso.com"}, "app": None}


def entry(time, activity, category, initiated_by, target_id="", properties=()):
    return drift._slim({"activityDateTime": time, "activityDisplayName": activity, "category": category,
                        "initiatedBy": initiated_by, "targetResources": [
                            {"id": target_id, "displayName": "x",
                             "modifiedProperties": [{"displayName": p} for p in properties]}]})


AUDIT = {"readable": True, "days": 30, "entries": [   # newest first, as drift.read returns them
    entry("2026-12-01T10:00:00Z", "Updated a partner cross-tenant access setting", "CrossTenantAccessSettings",
          PORTAL, FABRIKAM, ["b2bDirectConnectInbound"]),
    entry("2026-12-01T09:00:00Z", "Updated a partner cross-tenant access setting", "CrossTenantAccessSettings",
          ADMIN, FABRIKAM, ["inboundTrust"]),
    entry("2026-12-01T08:00:00Z", "Updated the company default cross-tenant access setting",
          "CrossTenantAccessSettings", ADMIN, "default", ["inboundTrust"]),
    entry("2026-12-01T07:00:00Z", "Update authorization policy", "Policy", PORTAL, "x", ["allowInvitesFrom"]),
]}
PARTS = {"partners[fabrikam.com]": {"partner_tenant_id": FABRIKAM}}


def test_the_actor_is_the_user_or_else_the_app():
    assert drift.actor(ADMIN) == "Megan Bowen (megan@contoso.com)"
    assert drift.actor(PORTAL) == "app Portal (0c9a)"
    assert drift.actor({}) == "unknown"


def test_the_entry_naming_the_property_wins_over_a_newer_one_for_the_same_object():
    found = drift.attribute("partners[fabrikam.com].inbound_trust.is_mfa_accepted", PARTS, AUDIT)
    assert found == {"changed_by": "Megan Bowen (megan@contoso.com)", "changed_at": "2026-12-01T09:00:00Z",
                     "activity": "Updated a partner cross-tenant access setting"}


def test_without_the_property_the_newest_entry_for_the_object_is_named():
    found = drift.attribute("partners[fabrikam.com].tenant_restrictions.applications", PARTS, AUDIT)
    assert found["changed_at"] == "2026-12-01T10:00:00Z"


def test_default_guest_settings_and_unlogged_settings():
    assert drift.attribute("cross_tenant_default.inbound_trust.is_mfa_accepted", {}, AUDIT)["changed_at"] == \
        "2026-12-01T08:00:00Z"
    assert drift.attribute("guest_invitation.allow_invites_from", {}, AUDIT)["changed_by"] == "app Portal (0c9a)"
    assert drift.attribute("guest_visibility", {}, AUDIT) == {"attribution": "not recorded in the directory audit log"}
    assert drift.attribute("allowed_cloud_endpoints", {}, AUDIT) == {"attribution": "no audit entry in the last 30 days"}


def test_an_unreadable_log_says_so():
    assert "AuditLog.Read.All" in drift.attribute("guest_invitation.allow_invites_from", {},
                                                  {"readable": False, "reason": drift.NOT_READABLE})["attribution"]


class FakeGraph:
    def __init__(self, status=None):
        self.status, self.calls = status, []

    async def list_all(self, path, params=None):
        self.calls.append((path, params))
        if self.status:
            raise GraphError("GET", path, self.status, "Authorization_RequestDenied", "Insufficient privileges")
        return [{"activityDateTime": "2026-12-01T07:00:00Z", "category": params["$filter"].split("'")[1],
                 "initiatedBy": PORTAL, "targetResources": []}]


def test_read_asks_both_categories_and_a_403_is_not_a_failure():
    graph = FakeGraph()
    audit = asyncio.run(drift.read(graph, 7))
    assert audit["readable"] and [e["category"] for e in audit["entries"]] == ["CrossTenantAccessSettings", "Policy"]
    assert all("activityDateTime ge " in params["$filter"] for _path, params in graph.calls)
    assert asyncio.run(drift.read(FakeGraph(403), 7)) == {"readable": False, "reason": drift.NOT_READABLE,
                                                          "entries": []}


# ---------------------------------------------------------------------------------------------
# Plan report
# ---------------------------------------------------------------------------------------------

CHANGED = {"changed": True, "tenant_id": CONTOSO, "parts": PARTS, "settings_changed": [
    {"setting": "partners[fabrikam.com].inbound_trust.is_mfa_accepted", "before": "false", "after": "true"}]}


def test_report_totals_and_exit_status_like_terraform():
    report = plan_report.build({"contoso": CHANGED, "fabrikam": {"changed": False, "settings_changed": []}},
                               {"contoso": AUDIT})
    assert report["totals"] == {"to_change": 1, "unchanged": 1, "failed": 0, "tenants": 2}
    assert report["exit_status"] == plan_report.DRIFT
    assert report["tenants"]["contoso"]["changes"][0]["changed_by"] == "Megan Bowen (megan@contoso.com)"
    assert plan_report.build({"a": {"changed": False}})["exit_status"] == plan_report.NO_DRIFT
    failed = plan_report.build({"a": CHANGED, "b": {"failed": True, "msg": "tenant b: sign-in\nfailed"}, "c": None})
    assert failed["exit_status"] == plan_report.ERROR and failed["totals"]["failed"] == 2
    assert failed["tenants"]["b"]["error"] == "tenant b: sign-in failed"


def test_markdown_for_300_tenants_has_the_table_first_folds_the_rest_and_fits_a_comment():
    results = {f"t{i:03}": (CHANGED if i % 3 == 0 else {"changed": False}) for i in range(300)}
    results["t001"] = {"failed": True, "msg": "tenant t001: HTTP 401 | bad"}
    text = plan_report.markdown(plan_report.build(results, {}), limit=20000)
    assert text.startswith("### Entra plan: 100 to change, 199 unchanged, 1 failed (of 300)")
    assert text.index("| tenant | status | settings |") < text.index("<details><summary><b>")
    assert "<details><summary>199 unchanged</summary>" in text
    assert "| t001 | failed | tenant t001: HTTP 401 \\| bad |" in text
    assert len(text) < 20000 and "more tenants left out to fit the comment" in text


# ---------------------------------------------------------------------------------------------
# Reciprocity
# ---------------------------------------------------------------------------------------------

def half(access, *targets):
    return {"access_type": access, "targets": [{"target": t, "target_type": "user"} for t in targets]}


OPEN = {"users_and_groups": half("allowed", "AllUsers"), "applications": half("allowed", "AllApplications")}
SHUT = {"users_and_groups": half("blocked", "AllUsers"), "applications": half("blocked", "AllApplications")}
TRUST = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
         "is_hybrid_azure_ad_joined_device_accepted": False}


def sides(contoso_partner: dict, fabrikam_partner: dict | None, default=None) -> dict:
    return {"contoso": {"id": CONTOSO, "default": {}, "partners": {FABRIKAM: contoso_partner}},
            "fabrikam": {"id": FABRIKAM, "default": default or {},
                         "partners": {} if fabrikam_partner is None else {CONTOSO: fabrikam_partner}}}


def test_allows():
    assert reciprocity.allows(OPEN) and not reciprocity.allows(SHUT) and not reciprocity.allows(None)
    assert reciprocity.allows({"users_and_groups": half("blocked", "1"), "applications": half("allowed", "AllApplications")})


def test_direct_connect_needs_both_halves_both_ways():
    assert reciprocity.check(sides({"b2b_direct_connect_inbound": OPEN, "b2b_direct_connect_outbound": OPEN},
                                   {"b2b_direct_connect_inbound": OPEN, "b2b_direct_connect_outbound": OPEN})) == []
    found = reciprocity.check(sides({"b2b_direct_connect_inbound": OPEN}, None))
    assert found == [{"pair": "fabrikam -> contoso", "setting": "b2b_direct_connect",
                      "message": "contoso allows inbound B2B direct connect from fabrikam, but fabrikam does not "
                                 "allow outbound to contoso"}]
    # an inherited block falls back to the default, which here allows outbound
    assert reciprocity.check(sides({"b2b_direct_connect_inbound": OPEN}, {"b2b_direct_connect_outbound": "inherit"},
                                   default={"b2b_direct_connect_outbound": OPEN})) == []


def test_trust_must_be_the_same_on_both_sides():
    found = reciprocity.check(sides({"inbound_trust": TRUST}, {}))
    assert [(m["pair"], m["setting"]) for m in found] == [("contoso <-> fabrikam", "inbound_trust")]
    assert reciprocity.check(sides({"inbound_trust": TRUST}, {"inbound_trust": TRUST})) == []


def test_sync_needs_consent_inbound_on_the_target_and_outbound_on_the_source():
    sync = {"identity_synchronization": {"user_sync_inbound": True}}
    found = reciprocity.check(sides(sync, {}))
    assert [m["setting"] for m in found] == ["automatic_user_consent_settings.inbound_allowed",
                                             "automatic_user_consent_settings.outbound_allowed"]
    assert reciprocity.check(sides({**sync, "automatic_user_consent_settings": {"inbound_allowed": True}},
                                   {"automatic_user_consent_settings": {"outbound_allowed": True}})) == []


def test_overlay_puts_the_desired_partners_over_the_live_ones():
    live = {"id": CONTOSO, "default": {"inbound_trust": TRUST}, "partners": {FABRIKAM: {"inbound_trust": TRUST}}}
    side = reciprocity.overlay(live, None, {FABRIKAM: {"partner": "fabrikam.com", "b2b_direct_connect_inbound": OPEN}})
    assert side["partners"][FABRIKAM] == {"inbound_trust": TRUST, "b2b_direct_connect_inbound": OPEN}
    assert reciprocity.overlay(live, None, {FABRIKAM: {"state": "absent"}})["partners"] == {}
    assert live["partners"][FABRIKAM] == {"inbound_trust": TRUST}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def test_export_lists_null_partner_blocks_as_inherit_and_leaves_null_default_blocks_out(monkeypatch):
    b2b = {"usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}]},
           "applications": {"accessType": "allowed",
                            "targets": [{"target": "AllApplications", "targetType": "application"}]}}
    cross_tenant = {
        "policy": {"allowedCloudEndpoints": []},
        "default": {"b2bCollaborationInbound": b2b, "tenantRestrictions": None},
        "partners": [{"tenantId": FABRIKAM.upper(), "b2bCollaborationInbound": None, "b2bDirectConnectInbound": b2b,
                      "identitySynchronization": {"displayName": "F", "userSyncInbound": {"isSyncAllowed": True}}}]}
    current = {"cross_tenant": cross_tenant, "guest_invitation": None, "guest_invitation_domains": {"policy": None}}
    monkeypatch.setattr(unit.guest_invitation.Info, "plan",
                        staticmethod(lambda *args: type("Plan", (), {"result": {"settings": {}}})()))
    layer = unit.export(current)
    assert "tenant_restrictions" not in layer["cross_tenant_default"]
    assert "b2b_collaboration_inbound" in layer["cross_tenant_default"]
    partner = layer["partners"][0]
    assert partner["partner"] == FABRIKAM and "b2b_collaboration_inbound" in partner["inherit"]
    assert partner["identity_synchronization"] == {"user_sync_inbound": True, "display_name": "F"}
    assert layer["guest_invitation"] == {"strictness": "exact"}
    assert layer["guest_invitation_domains"] == {"state": "absent"}
