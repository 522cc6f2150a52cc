"""The tenant desired-state model: every key checked, every error at once, the merge rules,
relationships, and the whole-tenant plan (self, duplicates, authoritative removal, size limit)."""
import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.tenant import model, unit
from ansible_collections.tenantops.entra.plugins.module_utils.tenant.model import TenantContext, TenantInputError

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
NORTHWIND = "7dc8c161-b920-4813-bc63-37dc0b3f76e5"
ALLOW_ALL = {"users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
             "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}
BLOCK_ALL = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
             "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}
TRUST_MFA = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}
INVENTORY = {"contoso": CONTOSO, "fabrikam": FABRIKAM, "northwind": NORTHWIND}


def context(name="contoso", cloud="public"):
    return TenantContext(name, INVENTORY[name], cloud, dict(INVENTORY))


def parse(*layers, relationships=None, **kwargs):
    named = [{"name": f"layer{i}", "settings": settings} for i, settings in enumerate(layers)]
    return model.parse(context(**kwargs), named, relationships)


def errors_of(*layers, **kwargs):
    with pytest.raises(TenantInputError) as caught:
        parse(*layers, **kwargs)
    return {e.field: e.message for e in caught.value.errors}


def test_misspelt_keys_are_named_by_path_with_a_suggestion_all_at_once():
    errors = errors_of({"cross_tenant_default": {"inbound_trusts": TRUST_MFA},
                        "guest_invitation": {"allow_invite_from": "none"},
                        "partners": [{"partner": "fabrikam.com", "b2b_direct_conect_inbound": ALLOW_ALL}]})
    assert set(errors) == {"cross_tenant_default.inbound_trusts", "guest_invitation.allow_invite_from",
                           "partners[fabrikam.com].b2b_direct_conect_inbound"}
    assert "did you mean inbound_trust?" in errors["cross_tenant_default.inbound_trusts"]
    assert "did you mean b2b_direct_connect_inbound?" in errors["partners[fabrikam.com].b2b_direct_conect_inbound"]
    assert all("(layer layer0)" in message for message in errors.values())


def test_a_misspelt_key_inside_a_block_is_reported_once_with_its_layer():
    with pytest.raises(TenantInputError) as caught:
        parse({"cross_tenant_default": {"b2b_collaboration_inbound": {
            "users_and_groups": {"acces_type": "allowed", "targets": ["AllUsers"]},
            "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}}})
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("cross_tenant_default.b2b_collaboration_inbound.users_and_groups.acces_type",
         "unknown key; did you mean access_type? (layer layer0)")]


def test_bad_values_in_several_parts_and_layers_are_all_reported():
    errors = errors_of({"guest_invitation": {"allow_invites_from": "nobody"}},
                       {"partners": [{"partner": "fabrikam.com", "b2b_direct_connect_inbound": {
                           "users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]}}}],
                        "guest_visibility": {"default": "sometimes"}})
    assert "guest_invitation.allow_invites_from" in errors
    assert any(path.startswith("partners[fabrikam.com].b2b_direct_connect_inbound") for path in errors)
    assert "guest_visibility.default" in errors


def test_layers_merge_key_by_key_and_blocks_whole():
    state = parse({"guest_invitation": {"allow_invites_from": "admins_and_guest_inviters",
                                        "email_one_time_passcode": "enabled", "strictness": "at_least"},
                   "cross_tenant_default": {"b2b_direct_connect_inbound": BLOCK_ALL, "inbound_trust": TRUST_MFA}},
                  {"guest_invitation": {"allow_invites_from": "none"},
                   "cross_tenant_default": {"inbound_trust": {**TRUST_MFA, "is_mfa_accepted": False}}})
    assert state.guest_invitation == {"allow_invites_from": "none", "email_one_time_passcode": "enabled",
                                      "strictness": "at_least"}
    assert state.default["inbound_trust"]["is_mfa_accepted"] is False
    assert state.default["b2b_direct_connect_inbound"]["users_and_groups"]["access_type"] == "blocked"


def test_partners_merge_by_name_case_insensitively_block_by_block():
    state = parse({"partners": [{"partner": "fabrikam.onmicrosoft.com", "inbound_trust": TRUST_MFA,
                                 "b2b_collaboration_inbound": ALLOW_ALL},
                                {"partner": "northwind.onmicrosoft.com", "inbound_trust": TRUST_MFA}]},
                  {"partners": [{"partner": "FABRIKAM.onmicrosoft.com", "inherit": ["inbound_trust"]},
                                {"partner": "northwind.onmicrosoft.com", "state": "absent"}]})
    fabrikam = state.partners["fabrikam.onmicrosoft.com"]
    assert fabrikam["inbound_trust"] == "inherit"
    assert fabrikam["b2b_collaboration_inbound"]["users_and_groups"]["access_type"] == "allowed"
    assert state.partners["northwind.onmicrosoft.com"] == {"partner": "northwind.onmicrosoft.com", "state": "absent"}


def test_an_allow_list_in_a_later_layer_replaces_a_deny_list():
    state = parse({"guest_invitation_domains": {"blocked_domains": ["gmail.com"], "strictness": "at_least"}},
                  {"guest_invitation_domains": {"allowed_domains": ["contoso.com"]}})
    assert state.guest_invitation_domains == {"state": "present", "strictness": "at_least",
                                              "allowed_domains": ["contoso.com"]}


def test_the_same_partner_twice_in_one_layer_is_refused():
    errors = errors_of({"partners": [{"partner": "fabrikam.onmicrosoft.com", "inbound_trust": TRUST_MFA},
                                     {"partner": "FABRIKAM.ONMICROSOFT.COM", "inherit": ["inbound_trust"]}]})
    assert "listed twice" in errors["partners[FABRIKAM.ONMICROSOFT.COM]"]


def test_inherit_and_a_value_for_the_same_block_in_one_entry_is_refused():
    errors = errors_of({"partners": [{"partner": "fabrikam.com", "inbound_trust": TRUST_MFA,
                                      "inherit": ["inbound_trust"]}]})
    assert "choose one" in errors["partners[fabrikam.com].inbound_trust"]


def test_relationships_give_each_side_its_mutual_entry():
    relationship = [{"members": [{"tenant": "contoso"}, {"tenant": "fabrikam", "groups": [
        "2c2d083e-1b64-4a26-8665-2c9136da5844"]}], "b2b_direct_connect": True, "inbound_trust": TRUST_MFA,
        "sync_users_from": ["contoso"]}]
    contoso = model.parse(context("contoso"), [], relationship).partners[FABRIKAM]
    fabrikam = model.parse(context("fabrikam"), [], relationship).partners[CONTOSO]
    assert contoso["b2b_direct_connect_outbound"]["users_and_groups"]["targets"][0]["target"] == "AllUsers"
    assert contoso["b2b_direct_connect_inbound"]["users_and_groups"]["targets"] == [
        {"target": "2c2d083e-1b64-4a26-8665-2c9136da5844", "target_type": "group"}]
    assert fabrikam["b2b_direct_connect_outbound"]["users_and_groups"]["targets"][0]["target_type"] == "group"
    assert contoso["automatic_user_consent_settings"] == {"inbound_allowed": False, "outbound_allowed": True}
    assert fabrikam["automatic_user_consent_settings"] == {"inbound_allowed": True, "outbound_allowed": False}
    assert fabrikam["identity_synchronization"] == {"user_sync_inbound": True}
    assert "identity_synchronization" not in contoso
    assert model.parse(context("northwind"), [], relationship).partners == {}


def test_a_relationship_naming_a_tenant_outside_the_inventory_fails():
    errors = errors_of(relationships=[{"members": [{"tenant": "contoso"}, {"tenant": "tailspin"}],
                                       "b2b_direct_connect": True}])
    assert "'tailspin' is not a tenant of the inventory" in errors["relationships[0].members[1].tenant"]


def test_a_member_given_with_its_tenant_id_needs_no_inventory_lookup():
    """A job slice's inventory lacks the other member; its tenant id in the relationship stands in."""
    sliced = TenantContext("contoso", CONTOSO, "public", {"contoso": CONTOSO})
    relationship = [{"members": [{"tenant": "contoso"}, {"tenant": "fabrikam", "tenant_id": FABRIKAM}],
                     "b2b_direct_connect": True}]
    assert FABRIKAM in model.parse(sliced, [], relationship).partners
    with pytest.raises(TenantInputError, match="not a tenant of the inventory"):
        model.parse(sliced, [], [{"members": [{"tenant": "contoso"}, {"tenant": "fabrikam"}],
                                  "b2b_direct_connect": True}])


def test_a_layer_contradicting_a_relationship_fails():
    errors = errors_of({"partners": [{"partner": FABRIKAM, "b2b_direct_connect_inbound": BLOCK_ALL}]},
                       relationships=[{"members": [{"tenant": "contoso"}, {"tenant": "fabrikam"}],
                                       "b2b_direct_connect": True}])
    assert "relationships[0]" in errors[f"partners[{FABRIKAM}].b2b_direct_connect_inbound"]


def test_variables_of_the_old_schema_are_refused_by_name():
    with pytest.raises(TenantInputError) as caught:
        model.parse(context(), [{"name": "entra_partners", "settings": [{"partner": "x.com"}]}])
    assert caught.value.errors[0].field == "entra_partners"
    assert "entra_tenant as partners" in caught.value.errors[0].message


def test_settings_the_cloud_does_not_have_are_refused():
    errors = errors_of({"allowed_cloud_endpoints": ["microsoftonline.us"],
                        "cross_tenant_default": {"tenant_restrictions": BLOCK_ALL}}, cloud="usgov")
    assert {"allowed_cloud_endpoints", "cross_tenant_default.tenant_restrictions"} <= set(errors)


def test_authoritative_settings_have_defaults_after_merging():
    state = parse({"partner_management": {"authoritative": True}})
    assert state.partner_management == {"authoritative": True, "protected": [], "max_deletions": 5}
    assert "partner_management.max_deletions" in errors_of({"partner_management": {"max_deletions": -1}})


# ---------------------------------------------------------------------------------------------
# The whole-tenant plan, on read state made here
# ---------------------------------------------------------------------------------------------

def raw_partner(tenant_id, **blocks):
    return {"tenantId": tenant_id, "isServiceProvider": False, "inboundTrust": None, **blocks}


def current(partners=(), resolved=None):
    return {"own_id": CONTOSO, "partners": list(partners), "resolved": resolved or {}}


def test_a_partner_named_by_domain_and_by_id_in_two_layers_is_one_partner():
    state = parse({"partners": [{"partner": "fabrikam.onmicrosoft.com", "inbound_trust": TRUST_MFA}]},
                  {"partners": [{"partner": FABRIKAM, "b2b_collaboration_inbound": ALLOW_ALL}]})
    plan = unit.plan(current(resolved={"fabrikam.onmicrosoft.com": FABRIKAM, FABRIKAM: FABRIKAM}), state, CONTOSO)
    [part] = plan.parts
    assert part.plan.changes[0].method == "POST"
    assert set(part.plan.changes[0].body) == {"tenantId", "inboundTrust", "b2bCollaborationInbound"}


def test_two_names_of_one_tenant_in_the_same_layer_are_refused():
    state = parse({"partners": [{"partner": "fabrikam.onmicrosoft.com", "inbound_trust": TRUST_MFA},
                                {"partner": "fabrikam.com", "inherit": ["inbound_trust"]}]})
    with pytest.raises(TenantInputError) as caught:
        unit.plan(current(resolved={"fabrikam.onmicrosoft.com": FABRIKAM, "fabrikam.com": FABRIKAM}), state, CONTOSO)
    assert "names the same tenant" in str(caught.value)


def test_the_tenant_itself_is_skipped_and_unknown_domains_fail():
    state = parse({"partners": [{"partner": "contoso.onmicrosoft.com", "inbound_trust": TRUST_MFA},
                                {"partner": "nowhere.example", "inbound_trust": TRUST_MFA}]})
    with pytest.raises(TenantInputError) as caught:
        unit.plan(current(resolved={"contoso.onmicrosoft.com": CONTOSO, "nowhere.example": None}), state, CONTOSO)
    assert "no tenant with the verified domain 'nowhere.example'" in str(caught.value)
    state = parse({"partners": [{"partner": "contoso.onmicrosoft.com", "inbound_trust": TRUST_MFA}]})
    plan = unit.plan(current(resolved={"contoso.onmicrosoft.com": CONTOSO}), state, CONTOSO)
    assert plan.parts == [] and "the tenant itself" in plan.skipped[0]


def test_authoritative_partners_spare_service_providers_and_protected_ones():
    state = parse({"partners": [{"partner": FABRIKAM, "inbound_trust": TRUST_MFA}],
                   "partner_management": {"authoritative": True, "protected": ["northwind.onmicrosoft.com"]}})
    stale, provider = "0f4e1bd2-5a0c-4d7e-9f3a-6b2c8d1e4a70", "9b1c6e33-27d4-4f0b-8a5e-3c7d2f9e1b04"
    existing = [raw_partner(FABRIKAM), raw_partner(NORTHWIND), raw_partner(stale),
                {**raw_partner(provider), "isServiceProvider": True}]
    plan = unit.plan(current(existing, {FABRIKAM: FABRIKAM, "northwind.onmicrosoft.com": NORTHWIND}), state, CONTOSO)
    removed = [p.name for p in plan.parts if p.plan.changes and p.plan.changes[-1].method == "DELETE"]
    assert removed == [f"partners[{stale}]"]


def test_authoritative_removal_beyond_the_cap_fails_before_any_write():
    state = parse({"partner_management": {"authoritative": True, "max_deletions": 1}})
    existing = [raw_partner(FABRIKAM), raw_partner(NORTHWIND)]
    with pytest.raises(TenantInputError) as caught:
        unit.plan(current(existing), state, CONTOSO)
    assert "would remove 2 partners" in str(caught.value)


def test_partners_beyond_the_policy_size_limit_are_refused():
    partners = [{"partner": f"{i:08x}-0000-4000-8000-000000000000", "b2b_collaboration_inbound": ALLOW_ALL}
                for i in range(300)]
    state = parse({"partners": partners})
    resolved = {p["partner"]: p["partner"] for p in partners}
    with pytest.raises(TenantInputError) as caught:
        unit.plan(current(resolved=resolved), state, CONTOSO)
    assert "Microsoft limits it to 25 KB" in str(caught.value)


def test_per_user_lists_in_a_fleet_result_are_cut_and_counted():
    from ansible_collections.tenantops.entra.plugins.module_utils.plan import Plan
    from ansible_collections.tenantops.entra.plugins.module_utils.tenant.run import LISTED, _part_result
    users = [{"user": str(i)} for i in range(LISTED + 30)]
    part = unit.Part("guest_visibility", Plan({}, {}, result={"exchange_changes": users, "counts": {"users": 50}}))
    result = _part_result(part)
    assert result["exchange_changes"] == users[:LISTED] and result["exchange_changes_count"] == LISTED + 30
    assert result["counts"] == {"users": 50}
