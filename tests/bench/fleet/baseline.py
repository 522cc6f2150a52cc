"""The benchmark's world and the one baseline all three tools apply to it.

N managed tenants (generated ``gen0000`` …, 50 guests each) and three partner organisations that
are sandbox tenants too, so partners can be POSTed.  The baseline: the cross-tenant default of the
demo, the three partners with inbound MFA trust, guest invitation settings, and guests from the
partners' domains visible in the Exchange address list (everyone else hidden).  Entra's
``showInAddressList`` is left alone: it is null on every seeded guest, as Graph answers until it is set.

``PEER_BASELINE`` is the same baseline in Graph's terms; :func:`end_state_errors` checks it through
the sandbox's control API, the same for every tool.
"""
from __future__ import annotations

import uuid

import yaml

from sandbox.seed import GENERATED_NAMESPACE, generate_tenants

GUESTS_PER_TENANT = 50
PARTNERS = [{"name": f"partner{i}", "id": str(uuid.uuid5(GENERATED_NAMESPACE, f"bench-partner-{i}")),
             "domain": f"partner{i}.example"} for i in (1, 2, 3)]
PARTNER_DOMAINS = [p["domain"] for p in PARTNERS]
# Guests are spread round robin over these: three in four come from a partner.
GUEST_DOMAINS = PARTNER_DOMAINS + ["gmail.com"]

MFA_TRUST = {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
             "is_hybrid_azure_ad_joined_device_accepted": False}
BLOCKED_ALL = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
               "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}

# The baseline as the role's inventory gives it (group_vars of the tenants group).
CROSS_TENANT_DEFAULT = {"b2b_direct_connect_inbound": BLOCKED_ALL, "b2b_direct_connect_outbound": BLOCKED_ALL,
                        "inbound_trust": MFA_TRUST}
ROLE_PARTNERS = [{"partner": p["id"], "inbound_trust": MFA_TRUST} for p in PARTNERS]
GUEST_INVITATION = {"allow_invites_from": "admins_and_guest_inviters", "guest_user_access": "limited",
                    "email_one_time_passcode": "enabled", "self_service_sign_up": False}
GUEST_VISIBILITY = {"default": "hidden", "rules": [{"visibility": "visible", "domains": PARTNER_DOMAINS}]}


def role_vars(layered: bool) -> dict:
    """The group_vars: one ``entra_baseline`` layer (tenant_settings, 0.2) or the 0.1 role's variables."""
    if layered:
        return {"entra_baseline": {"cross_tenant_default": CROSS_TENANT_DEFAULT, "partners": ROLE_PARTNERS,
                                   "guest_invitation": GUEST_INVITATION, "guest_visibility": GUEST_VISIBILITY}}
    return {"entra_cross_tenant_default": CROSS_TENANT_DEFAULT, "entra_partners": ROLE_PARTNERS,
            "entra_guest_invitation": GUEST_INVITATION, "entra_mail_user_visibility": GUEST_VISIBILITY}


GRAPH_MFA_TRUST = {"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                   "isHybridAzureADJoinedDeviceAccepted": False}
GRAPH_BLOCKED_ALL = {"usersAndGroups": {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]},
                     "applications": {"accessType": "blocked",
                                      "targets": [{"target": "AllApplications", "targetType": "application"}]}}

# The same baseline in Graph's JSON: what the peers are given, and what every tool must leave behind.
PEER_BASELINE = {
    "default": {"b2bDirectConnectInbound": GRAPH_BLOCKED_ALL, "b2bDirectConnectOutbound": GRAPH_BLOCKED_ALL,
                "inboundTrust": GRAPH_MFA_TRUST},
    "partners": [p["id"] for p in PARTNERS],
    "partner_inbound_trust": GRAPH_MFA_TRUST,
    "authorization": {"allowInvitesFrom": "adminsAndGuestInviters",
                      "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3"},
    "email_otp": "enabled",
    "self_service_sign_up": False,
    "visible_domains": PARTNER_DOMAINS,
    "visible_mail_pattern": "@(" + "|".join(d.replace(".", r"\.") for d in PARTNER_DOMAINS) + ")$",
}


def seed_document(tenants: int, guests: int = GUESTS_PER_TENANT) -> dict:
    managed = generate_tenants({"tenants": tenants, "partners_per_tenant": 0, "guests_per_tenant": guests,
                                "prefix": "gen"})
    for entry in managed:
        entry["guests"] = {"count": guests, "domains": GUEST_DOMAINS}     # all hidden in Exchange at first
    partners = [{"name": p["name"], "id": p["id"], "display_name": p["name"].title(),
                 "domains": [f"{p['name']}.onmicrosoft.com", p["domain"]]} for p in PARTNERS]
    return {"tenants": partners + managed}


def write_seed(path: str, tenants: int, guests: int = GUESTS_PER_TENANT) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(seed_document(tenants, guests), handle)


def managed_tenants(sandbox) -> list:
    """The ready JSON's tenants the tools manage (the partners are not managed)."""
    partner_ids = {p["id"] for p in PARTNERS}
    return [t for t in sandbox.ready["tenants"] if t["id"] not in partner_ids]


def tenant_errors(state: dict) -> list:
    """What differs from the baseline in one tenant's control-API state (empty when it is reached)."""
    errors = []
    policies = state["policies"]
    for key, wanted in PEER_BASELINE["default"].items():
        if policies["default"].get(key) != wanted:
            errors.append(f"default {key}: {policies['default'].get(key)}")
    for partner in PARTNERS:
        found = state["partners"].get(partner["id"])        # keyed by the partner's tenant id
        if not found or found.get("inboundTrust") != PEER_BASELINE["partner_inbound_trust"]:
            errors.append(f"partner {partner['name']}: {found and found.get('inboundTrust')}")
    for key, wanted in PEER_BASELINE["authorization"].items():
        if policies["authorizationPolicy"].get(key) != wanted:
            errors.append(f"authorizationPolicy.{key}: {policies['authorizationPolicy'].get(key)}")
    if policies["email"].get("allowExternalIdToUseEmailOtp") != PEER_BASELINE["email_otp"]:
        errors.append(f"email OTP: {policies['email'].get('allowExternalIdToUseEmailOtp')}")
    if policies["authenticationFlowsPolicy"]["selfServiceSignUp"]["isEnabled"] != PEER_BASELINE["self_service_sign_up"]:
        errors.append("selfServiceSignUp")
    for user in state["users"].values():
        if user.get("userType") != "Guest" or "_exchange" not in user:
            continue
        visible = user["mail"].rpartition("@")[2].lower() in PARTNER_DOMAINS
        if user["_exchange"]["HiddenFromAddressListsEnabled"] == visible:
            errors.append(f"guest {user['mail']}: hidden={user['_exchange']['HiddenFromAddressListsEnabled']}")
    return errors


def end_state_errors(sandbox, tenants: list) -> dict:
    """{tenant name: [differences]} for the tenants that miss the baseline (one control call)."""
    states = sandbox.state()["tenants"]
    missed = {}
    for tenant in tenants:
        errors = tenant_errors(states[tenant["id"]])
        if errors:
            missed[tenant["name"]] = errors
    return missed
