"""The typed shape of a tenant's desired state: one source for the module's argument spec, its
documentation and the role's argument spec (``tools/gen_tenant_spec.py`` writes the last two).

Each option is a dict in Ansible's argument-spec form plus a ``description``; :func:`argspec`
strips the descriptions.  No option has a default: a layer leaves unset what it does not manage,
and the defaults apply after the layers are merged (``model.py``).
"""
from __future__ import annotations

import copy

from ..resources.cross_tenant_settings import (ACCESS_TYPES, DEFAULT_BLOCKS, PARTNER_BLOCKS, FlagsBlock,
                                               IdentityProviderBlock, TargetsBlock, FALLBACK_IDENTITY_PROVIDERS,
                                               PRIMARY_IDENTITY_PROVIDERS)
from ..resources.cross_tenant_policy import CLOUD_ENDPOINTS
from ..resources.guest_invitation import SETTINGS as GUEST_SETTINGS, STRICTNESS

GRAPH_PAGE = "https://learn.microsoft.com/graph/api/resources/"
_SAME = "The same shape and rules as C(b2b_collaboration_inbound)."
_WHOLE = ("The block is replaced whole, as Graph replaces it, so give every key. Leave it unset to not manage it; on "
          "a partner, list it in C(inherit) to fall back to the default (Graph C(null)).")

# What each block means; its structure is in its suboptions.
BLOCK_DESCRIPTIONS = {
    "b2b_collaboration_inbound": [
        "Which users from the other organization(s) may be invited as B2B guests, and to which of this tenant's "
        "applications (Graph C(b2bCollaborationInbound)).",
        "Targets compare as a set (order and duplicates do not matter); GUIDs compare without regard to case; reserved "
        "values and access types are accepted in any case.",
        "Graph refuses conflicting settings, and so does the collection, before any call: blocking V(AllUsers) requires "
        "the applications to be blocked for V(AllApplications); allowing users or groups requires that the applications "
        "are not all blocked.", "See U(https://learn.microsoft.com/entra/external-id/cross-tenant-access-overview).",
        "On the default, C(users_and_groups) may only target V(AllUsers): Entra cannot target users or groups in "
        "inbound default settings; target them in a partner's settings.",
        "See U(https://learn.microsoft.com/entra/external-id/cross-tenant-access-settings-b2b-collaboration).", _WHOLE],
    "b2b_collaboration_outbound": [
        "Which of this tenant's users and groups may be invited to the other organization(s), and to which of their "
        "applications (Graph C(b2bCollaborationOutbound)).", _SAME, _WHOLE],
    "b2b_direct_connect_inbound": [
        "Which users of the other organization(s) may use B2B direct connect (Teams shared channels) with this tenant's "
        "applications (Graph C(b2bDirectConnectInbound)). Blocked for everyone by default.", _SAME, _WHOLE],
    "b2b_direct_connect_outbound": [
        "Which of this tenant's users and groups may use B2B direct connect with the other organization(s)' "
        "applications (Graph C(b2bDirectConnectOutbound)).", _SAME, _WHOLE],
    "tenant_restrictions": [
        "Tenant restrictions v2 (Graph C(tenantRestrictions)) - which external accounts this tenant's users may sign in "
        "with on managed devices, and to which of the other organization's applications.",
        "The same shape as C(b2b_collaboration_inbound), with its own conflict rule, checked before any call: blocking "
        "V(AllUsers) requires blocking V(AllApplications) and the other way round; allowing users or groups requires "
        "that the applications are not all blocked.",
        "See U(https://learn.microsoft.com/entra/external-id/tenant-restrictions-v2).",
        "On the default, and for the Microsoft Accounts tenant C(9188040d-6c67-4c5b-b112-36a304b66dad), "
        "C(users_and_groups) may only target V(AllUsers).",
        "The C(devices) filter is not managed (Graph does not support it on the server side yet). Public cloud only "
        "(the US Gov and China Graph have no C(tenantRestrictions)).", _WHOLE],
    "m365_collaboration_inbound": [
        "Which users of the other organization(s) may collaborate with this tenant in Microsoft 365 apps (Graph "
        "C(m365CollaborationInbound)). Blocked for everyone by default.",
        "One key, C(users). On the default it may only target V(AllUsers), as for the other inbound defaults.",
        "Public cloud only (the US Gov and China Graph do not have it).", _WHOLE],
    "m365_collaboration_outbound": [
        "Which of this tenant's users and groups may collaborate with the other organization(s) in Microsoft 365 apps "
        "(Graph C(m365CollaborationOutbound)). Blocked for everyone by default.",
        "One key, C(users_and_groups). Public cloud only.", _WHOLE],
    "app_service_connect_inbound": [
        "Which applications of the other organization(s) may connect to this tenant across the tenant boundary (Graph "
        "C(appServiceConnectInbound)). Blocked for all applications by default.",
        "One key, C(applications). Public cloud only.", _WHOLE],
    "inbound_trust": [
        "Which claims of the other organization's Conditional Access this tenant accepts (Graph C(inboundTrust)): MFA "
        "done in the user's home tenant, compliant devices, hybrid Microsoft Entra joined devices.", _WHOLE],
    "automatic_user_consent_settings": [
        "Whether users are spared the consent prompt when accessing the other tenant (Graph "
        "C(automaticUserConsentSettings)); used with cross-tenant synchronization and multitenant organizations.",
        "Partners only: Graph keeps it false and read-only on the default.", _WHOLE],
    "invitation_redemption_identity_provider_configuration": [
        "The order in which guests' identity providers are tried when they redeem an invitation (Graph "
        "C(invitationRedemptionIdentityProviderConfiguration)); default only.",
        "Each primary identity provider at most once; Entra requires a fallback identity provider to be always active.",
        _WHOLE],
}


def _opt(type_: str, description, **more) -> dict:
    return {"type": type_, "description": description if isinstance(description, list) else [description], **more}


def _half(name: str, what: str) -> dict:
    return _opt("dict", f"C({name}): {what}", required=True, options={
        "access_type": _opt("str", "V(allowed) or V(blocked): the access the listed targets get; everyone else "
                                   "gets the opposite.", required=True, choices=list(ACCESS_TYPES)),
        "targets": _opt("list", ["A non-empty list, compared as a set. Each target is a bare reserved value or "
                                 "application id, or a dict C({target: <id or reserved value>, target_type: "
                                 "user|group|application}).",
                                 "A user or group object id must use the dict form (a bare GUID could be either)."],
                        required=True, elements="raw"),
    })


def _description(option: str, graph_name: str) -> list:
    return BLOCK_DESCRIPTIONS.get(option, [f"Graph C({graph_name}).", _WHOLE])


def _half_what(half) -> str:
    reserved = ", ".join(f"V({name})" for name in half.reserved)
    if half.types == ("application",):
        return f"which applications ({reserved} or application ids)."
    return f"which users and groups ({reserved} or object ids)."


def _targets_block(block: TargetsBlock, option: str) -> dict:
    return _opt("dict", _description(option, block.graph_name),
                options={half.option: _half(half.graph_name, _half_what(half)) for half in block.halves})


def _flags_block(block: FlagsBlock, option: str) -> dict:
    return _opt("dict", _description(option, block.graph_name),
                options={flag: _opt("bool", f"Graph C({prop}).", required=True) for flag, prop in block.flags.items()})


def _identity_provider_block(block: IdentityProviderBlock, option: str) -> dict:
    return _opt("dict", _description(option, block.graph_name), options={
        "primary_identity_provider_precedence_order": _opt(
            "list", "The primary identity providers in the order they are tried.", required=True, elements="str",
            choices=list(PRIMARY_IDENTITY_PROVIDERS)),
        "fallback_identity_provider": _opt("str", "The identity provider used when no primary one applies.",
                                           required=True, choices=list(FALLBACK_IDENTITY_PROVIDERS)),
    })


def block_option(option: str, block) -> dict:
    """The typed option of one setting block, from the block's own description of itself."""
    if hasattr(block, "argument_spec"):
        return block.argument_spec(option)
    for kind, build in ((TargetsBlock, _targets_block), (FlagsBlock, _flags_block),
                        (IdentityProviderBlock, _identity_provider_block)):
        if isinstance(block, kind):
            return build(block, option)
    raise TypeError(f"no argument spec for the block {option}")


def _default_options() -> dict:
    options = {"state": _opt("str", ["V(present) applies the blocks given; V(reset) restores the service default "
                                     "(no block may be given then).", "Defaults to V(present) after merging."],
                             choices=["present", "reset"])}
    options.update({option: block_option(option, block) for option, block in DEFAULT_BLOCKS.items()})
    return options


def inherit_option(layered: bool) -> dict:
    text = ["Blocks this partner inherits from the default settings (Graph C(null)); a block listed here may not be "
            "given too."]
    if layered:
        text.append("A later layer's block replaces an earlier layer's inherit, and the other way round.")
    return _opt("list", text, elements="str", choices=list(PARTNER_BLOCKS))


def identity_sync_option() -> dict:
    return _opt("dict", ["Cross-tenant synchronization of users from the partner into this tenant (Graph "
                         "C(crossTenantIdentitySyncPolicyPartner)):",
                         f"U({GRAPH_PAGE}crosstenantidentitysyncpolicypartner)",
                         "Leave it unset to not manage it."],
                options={"state": _opt("str", "V(absent) removes the synchronization policy. Defaults to V(present).",
                                       choices=["present", "absent"]),
                         "user_sync_inbound": _opt("bool", "Whether users may be synchronized in from the partner "
                                                           "(required unless C(state=absent))."),
                         "display_name": _opt("str", "A name for the policy; kept as it is when not given.")})


def _partner_options() -> dict:
    options = {
        "partner": _opt("str", "The partner organization: its tenant id or one of its verified domains. Entries of "
                               "all layers with the same partner (case-insensitively) are merged.", required=True),
        "state": _opt("str", ["V(present) manages the partner with the settings given; V(absent) removes it "
                              "(identity synchronization first).", "Defaults to V(present) after merging."],
                      choices=["present", "absent"]),
        "inherit": inherit_option(layered=True),
        "identity_synchronization": identity_sync_option(),
    }
    options.update({option: block_option(option, block) for option, block in PARTNER_BLOCKS.items()})
    return options


def _guest_invitation_options() -> dict:
    options = {}
    for setting in GUEST_SETTINGS:
        values = [v for v in setting.order if not isinstance(v, bool)]
        extra = {"choices": values} if values else {}
        options[setting.option] = _opt("str" if values else "bool",
                                       f"See M(tenantops.entra.guest_invitation_settings) C({setting.option}).", **extra)
    options["strictness"] = _opt("str", ["V(exact) sets each value given; V(at_least) leaves a tenant that is already "
                                         "stricter alone (and reports it).", "Defaults to V(exact) after merging."],
                                 choices=list(STRICTNESS))
    return options


def _guest_visibility_options() -> dict:
    return {
        "default": _opt("str", "The visibility of external users no rule matches; unset leaves them unmanaged.",
                        choices=["visible", "hidden"]),
        "rules": _opt("list", ["Ordered rules, the first that matches wins; replaced whole by a later layer.",
                               "See M(tenantops.entra.mail_user_visibility) C(rules)."], elements="dict", options={
            "visibility": _opt("str", "What matching users get.", required=True, choices=["visible", "hidden"]),
            "domains": _opt("list", "Mail domains (V(*.example.com) for subdomains).", elements="str"),
            "partner_tenants": _opt("list", "Tenants (id or domain) that own the user's mail domain.", elements="str"),
            "user_types": _opt("list", "V(guest) or V(external_member).", elements="str",
                               choices=["guest", "external_member"]),
            "users": _opt("list", "Mail addresses or object ids.", elements="str"),
        }),
        "concurrency": _opt("int", "Exchange writes in flight at once (1 to 20). Defaults to 8 after merging."),
    }


def _guest_invitation_domains_options() -> dict:
    return {
        "blocked_domains": _opt("list", ["Domains guests may not be invited from (a deny list); a later layer's "
                                         "C(allowed_domains) replaces it."], elements="str"),
        "allowed_domains": _opt("list", ["The only domains guests may be invited from (an allow list); a later "
                                         "layer's C(blocked_domains) replaces it."], elements="str"),
        "state": _opt("str", "V(absent) removes the list (invitations from any domain). Defaults to V(present).",
                      choices=["present", "absent"]),
        "strictness": _opt("str", ["V(at_least): a deny list may hold more domains and an allow list fewer than "
                                   "required. Defaults to V(exact)."], choices=["exact", "at_least"]),
    }


def _partner_management_options() -> dict:
    return {
        "authoritative": _opt("bool", ["Remove the tenant's partners that the merged desired state does not name.",
                                       "Never removes service-provider partners (Microsoft documents that they "
                                       "cannot be removed) nor those in C(protected). Defaults to V(false)."]),
        "protected": _opt("list", "Partners (tenant id or domain) an authoritative run never removes.", elements="str"),
        "max_deletions": _opt("int", ["An authoritative run that would remove more partners than this fails before "
                                      "any write. Defaults to 5 after merging."]),
    }


def layer_options() -> dict:
    """The options of one layer of a tenant's desired state."""
    return {
        "allowed_cloud_endpoints": _opt("list", "The Microsoft clouds users may collaborate with (Graph "
                                                "C(allowedCloudEndpoints)); replaced whole.",
                                        elements="str", choices=list(CLOUD_ENDPOINTS)),
        "cross_tenant_default": _opt("dict", "The default cross-tenant access settings; each block replaced whole.",
                                     options=_default_options()),
        "partners": _opt("list", "Partner organizations, merged across layers by C(partners[].partner).",
                         elements="dict", options=_partner_options()),
        "partner_management": _opt("dict", "Whether the partner list is authoritative.",
                                   options=_partner_management_options()),
        "guest_invitation": _opt("dict", "Guest invitation settings; merged setting by setting.",
                                 options=_guest_invitation_options()),
        "guest_visibility": _opt("dict", "Guests' visibility in the Exchange address list.",
                                 options=_guest_visibility_options()),
        "guest_invitation_domains": _opt("dict", ["The invitation domain allow or deny list; see "
                                                  "M(tenantops.entra.guest_invitation_domains), which documents that it "
                                                  "uses Microsoft Graph beta."],
                                         options=_guest_invitation_domains_options()),
    }


def relationship_options() -> dict:
    """One relationship between two inventory tenants, declared once for both sides."""
    return {
        "members": _opt("list", "The two inventory tenants (inventory host names).", required=True, elements="dict",
                        options={"tenant": _opt("str", "The inventory host name of the tenant.", required=True),
                                 "tenant_id": _opt("str", ["The tenant's id or verified domain. Unset, it is the "
                                                           "inventory's C(entra_tenant_id) of C(tenant); give it when "
                                                           "the other member may be outside the run's inventory (a "
                                                           "job slice)."]),
                                 "groups": _opt("list", ["Object ids of this tenant's groups that take part in B2B "
                                                         "direct connect; all users when unset."], elements="str")}),
        "b2b_direct_connect": _opt("bool", "Allow B2B direct connect (Teams shared channels) both ways, on both "
                                           "sides: each side's outbound and the other's inbound."),
        "inbound_trust": _opt("dict", "What each side trusts of the other's sign-ins.", options={
            "is_mfa_accepted": _opt("bool", "Trust the other tenant's MFA.", required=True),
            "is_compliant_device_accepted": _opt("bool", "Trust its compliant devices.", required=True),
            "is_hybrid_azure_ad_joined_device_accepted": _opt("bool", "Trust its hybrid-joined devices.",
                                                              required=True)}),
        "sync_users_from": _opt("list", ["Members whose users are synchronized into the other member "
                                         "(cross-tenant synchronization): the target allows inbound sync and "
                                         "automatic redemption, the source allows outbound automatic redemption."],
                                elements="str"),
    }


def shared_block_options() -> dict:
    """The blocks the default and the partners both have (one doc fragment for both modules)."""
    return {o: block_option(o, b) for o, b in DEFAULT_BLOCKS.items() if o in PARTNER_BLOCKS}


def default_only_options() -> dict:
    return {o: block_option(o, b) for o, b in DEFAULT_BLOCKS.items() if o not in PARTNER_BLOCKS}


def partner_only_options() -> dict:
    options = {o: block_option(o, b) for o, b in PARTNER_BLOCKS.items() if o not in DEFAULT_BLOCKS}
    options.update(inherit=inherit_option(layered=False), identity_synchronization=identity_sync_option())
    return options


def argspec(options: dict) -> dict:
    """``options`` without descriptions: what ArgumentSpecValidator and AnsibleModule take."""
    out = {}
    for name, option in options.items():
        option = {k: copy.deepcopy(v) for k, v in option.items() if k != "description"}
        if "options" in option:
            option["options"] = argspec(option["options"])
        out[name] = option
    return out
