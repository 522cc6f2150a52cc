"""The setting blocks shared by the cross-tenant default and partner units.

Each block is one top-level Graph property (``b2bDirectConnectInbound``, ``inboundTrust``, ...).
Its structure is data (``halves`` or ``flags``, and which rules apply), so an argument spec can be
derived from it.  The rules are Microsoft's documented ones, each citing its page:

* conflicting settings: https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-overview#important-considerations
* inbound defaults target everyone: https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-settings-b2b-collaboration
  and https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-settings-b2b-direct-connect
* tenant restrictions: https://learn.microsoft.com/en-us/entra/external-id/tenant-restrictions-v2
* targets: https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicytarget

For each one this file knows the option name, how to check and canonicalise user input (one pass:
a bad value raises :class:`InputError` with the field's path), and how to convert between the
canonical input shape and Graph's JSON.  A block is always given whole, because Graph replaces a
complex property whole on PATCH.  On a partner, the string ``inherit`` stands for Graph's
``null``: the partner inherits the default's value.
"""
from __future__ import annotations

from ..clouds import cloud_has, unavailable_reason
from ..compare import as_set, canonical_choice, canonical_id, is_guid
from ..errors import InputError

INHERIT = "inherit"
ACCESS_TYPES = ("allowed", "blocked")
ALL_USERS = "AllUsers"
ALL_APPLICATIONS = "AllApplications"
RESERVED_APPLICATIONS = (ALL_APPLICATIONS, "AllMicrosoftApps", "Office365")
PRIMARY_IDENTITY_PROVIDERS = ("externalFederation", "azureActiveDirectory", "socialIdentityProviders")
FALLBACK_IDENTITY_PROVIDERS = ("defaultConfiguredIdp", "emailOneTimePasscode", "microsoftAccount")


def _fail(path: str, message: str):
    raise InputError(path, message)


def _require_dict(value, path: str, keys: tuple, *, optional: tuple = ()) -> dict:
    """``value`` must be a dict with every key of ``keys``, perhaps some of ``optional``, nothing else."""
    if not isinstance(value, dict):
        _fail(path, f"must be a dict with the keys {', '.join(keys + optional)}, not {value!r}")
    unknown = sorted(set(value) - set(keys) - set(optional))
    if unknown:
        _fail(f"{path}.{unknown[0]}", f"unknown key; the keys are {', '.join(keys + optional)}")
    for key in keys:
        if value.get(key) is None:
            _fail(f"{path}.{key}", "required (a block is replaced whole, so give every key)")
    return value


def _require_bool(value, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"must be true or false, not {value!r}")
    return value


def _target_sort_key(target: dict) -> tuple:
    return target["target_type"], target["target"]


class TargetsHalf:
    """``users_and_groups`` or ``applications``: an access type and a set of targets."""

    def __init__(self, option: str, graph_name: str, reserved: dict, types: tuple, bare_guid_type: str | None):
        self.option = option
        self.graph_name = graph_name
        self.reserved = reserved              # reserved target -> its target type
        self.types = types                    # target types a GUID may have here
        self.bare_guid_type = bare_guid_type  # the type of a GUID given as a bare string, if unambiguous

    def canonical(self, value, path: str) -> dict:
        _require_dict(value, path, ("access_type", "targets"))
        access = canonical_choice(value["access_type"], ACCESS_TYPES)
        if access is None:
            _fail(f"{path}.access_type", f"{value['access_type']!r} is not one of {', '.join(ACCESS_TYPES)}")
        targets = value["targets"]
        if not isinstance(targets, list) or not targets:
            _fail(f"{path}.targets", "must be a non-empty list")
        return {"access_type": access,
                "targets": as_set([self._target(t, f"{path}.targets[{i}]") for i, t in enumerate(targets)],
                                  key=_target_sort_key)}

    def _target(self, value, path: str) -> dict:
        if isinstance(value, str):
            return self._bare_target(value, path)
        _require_dict(value, path, ("target",), optional=("target_type",))
        target, given_type = value["target"], value.get("target_type")
        given_type = canonical_choice(given_type, ("user", "group", "application")) or given_type
        reserved = canonical_choice(target, self.reserved)
        if reserved:
            if given_type is not None and given_type != self.reserved[reserved]:
                _fail(f"{path}.target_type", f"{reserved} is a {self.reserved[reserved]} target, not {given_type!r}")
            return {"target": reserved, "target_type": self.reserved[reserved]}
        if not is_guid(target):
            _fail(f"{path}.target", f"{target!r} is not a GUID or a reserved value ({', '.join(self.reserved)})")
        target_type = given_type if given_type is not None else self.bare_guid_type
        if target_type not in self.types:
            _fail(f"{path}.target_type", f"{given_type!r} is not one of {', '.join(self.types)}")
        return {"target": target.lower(), "target_type": target_type}

    def _bare_target(self, value: str, path: str) -> dict:
        reserved = canonical_choice(value, self.reserved)
        if reserved:
            return {"target": reserved, "target_type": self.reserved[reserved]}
        if is_guid(value) and self.bare_guid_type:
            return {"target": value.lower(), "target_type": self.bare_guid_type}
        if is_guid(value):
            _fail(path, f"the GUID {value!r} may be a {' or a '.join(self.types)}: give it as "
                        f"{{target: {value}, target_type: {'|'.join(self.types)}}}")
        _fail(path, f"{value!r} is not a GUID or a reserved value ({', '.join(self.reserved)})")

    def from_graph(self, raw: dict | None) -> dict | None:
        if raw is None:
            return None
        targets = [{"target": canonical_choice(t.get("target"), self.reserved) or canonical_id(t.get("target")),
                    "target_type": t.get("targetType")} for t in raw.get("targets") or []]
        return {"access_type": raw.get("accessType"), "targets": as_set(targets, key=_target_sort_key)}

    @staticmethod
    def to_graph(half: dict) -> dict:
        return {"accessType": half["access_type"],
                "targets": [{"target": t["target"], "targetType": t["target_type"]} for t in half["targets"]]}


USERS_AND_GROUPS = TargetsHalf("users_and_groups", "usersAndGroups", {ALL_USERS: "user"}, ("user", "group"), None)
USERS = TargetsHalf("users", "users", {ALL_USERS: "user"}, ("user", "group"), None)
APPLICATIONS = TargetsHalf("applications", "applications", {name: "application" for name in RESERVED_APPLICATIONS},
                           ("application",), "application")

# conflict_rule values: which "conflicting settings aren't allowed" rule a two-half block follows.
B2B_CONFLICT = "b2b"                    # B2B collaboration / direct connect (overview page, examples 1 and 2)
TENANT_RESTRICTIONS_CONFLICT = "tenant_restrictions"   # also: blocking all apps requires blocking all users


def _blocks_everything(half: dict, everyone: str) -> bool:
    return half["access_type"] == "blocked" and any(t["target"] == everyone for t in half["targets"])


class TargetsBlock:
    """A setting made of target halves: B2B settings and tenant restrictions (``users_and_groups`` and
    ``applications``), Microsoft 365 collaboration (``users`` / ``users_and_groups``), app service
    connect (``applications``).

    ``everyone_only`` names the halves that may only target everyone (``AllUsers``): Entra's default
    configuration cannot target specific users or groups inbound or in tenant restrictions.
    """

    def __init__(self, graph_name: str, conflict_rule: str | None = None, *,
                 halves: tuple = (USERS_AND_GROUPS, APPLICATIONS), everyone_only: tuple = (),
                 everyone_only_why: str = "the default settings cannot target specific users or groups here"):
        self.graph_name = graph_name
        self.conflict_rule = conflict_rule
        self.halves = halves
        self.everyone_only = everyone_only
        self.everyone_only_why = everyone_only_why

    def canonical(self, value, path: str) -> dict:
        _require_dict(value, path, tuple(h.option for h in self.halves))
        block = {h.option: h.canonical(value[h.option], f"{path}.{h.option}") for h in self.halves}
        self.check_everyone_only(block, path)
        self.check_conflict(block, path)
        return block

    def check_everyone_only(self, block: dict, path: str) -> None:
        """"You cannot target users or groups in inbound default settings" (B2B collaboration and direct
        connect pages); "Default settings can't be scoped to individual accounts or groups" (tenant restrictions v2)."""
        for option in self.everyone_only:
            for index, target in enumerate(block[option]["targets"]):
                if target["target"] != ALL_USERS:
                    _fail(f"{path}.{option}.targets[{index}]", f"{self.everyone_only_why}, only {ALL_USERS}")

    def check_conflict(self, block: dict, path: str) -> None:
        """Entra's rule: user/group access must match application access."""
        if self.conflict_rule is None:
            return
        users, apps = block["users_and_groups"], block["applications"]
        all_users_blocked = _blocks_everything(users, ALL_USERS)
        all_apps_blocked = _blocks_everything(apps, ALL_APPLICATIONS)
        if all_users_blocked and not all_apps_blocked:
            _fail(path, "conflicting settings: blocking all users and groups requires blocking all applications "
                        "(applications: access_type blocked, targets [AllApplications])")
        if self.conflict_rule == TENANT_RESTRICTIONS_CONFLICT and all_apps_blocked and not all_users_blocked:
            _fail(path, "conflicting settings: blocking all external applications requires blocking all users and "
                        "groups (users_and_groups: access_type blocked, targets [AllUsers])")
        if users["access_type"] == "allowed" and all_apps_blocked:
            _fail(path, "conflicting settings: allowing users or groups requires at least one allowed application")

    def from_graph(self, raw: dict) -> dict:
        return {h.option: h.from_graph(raw.get(h.graph_name)) for h in self.halves}

    def to_graph(self, block: dict) -> dict:
        return {h.graph_name: h.to_graph(block[h.option]) for h in self.halves}


class FlagsBlock:
    """A block of booleans (``inboundTrust``, ``automaticUserConsentSettings``).

    A ``null`` flag inside a set block reads as false.  ``null_flags_inherit``: a block whose flags
    are all ``null`` is Graph's way of saying "inherit" (a new partner's automaticUserConsentSettings).
    """

    def __init__(self, graph_name: str, flags: dict, null_flags_inherit: bool = False):
        self.graph_name = graph_name
        self.flags = flags  # option -> Graph property
        self.null_flags_inherit = null_flags_inherit

    def canonical(self, value, path: str) -> dict:
        _require_dict(value, path, tuple(self.flags))
        return {option: _require_bool(value[option], f"{path}.{option}") for option in self.flags}

    def from_graph(self, raw: dict):
        if self.null_flags_inherit and all(raw.get(prop) is None for prop in self.flags.values()):
            return INHERIT
        return {option: bool(raw.get(prop)) for option, prop in self.flags.items()}

    def to_graph(self, block: dict) -> dict:
        return {prop: block[option] for option, prop in self.flags.items()}


class IdentityProviderBlock:
    """``invitationRedemptionIdentityProviderConfiguration`` (default only).  The precedence order
    is an order, so it compares as a list."""

    graph_name = "invitationRedemptionIdentityProviderConfiguration"

    def canonical(self, value, path: str) -> dict:
        if isinstance(value, dict) and not value.get("fallback_identity_provider"):
            _fail(f"{path}.fallback_identity_provider",
                  f"required: at least one fallback identity provider must always be active "
                  f"({', '.join(FALLBACK_IDENTITY_PROVIDERS)})")
        _require_dict(value, path, ("primary_identity_provider_precedence_order", "fallback_identity_provider"))
        order_path = f"{path}.primary_identity_provider_precedence_order"
        order = value["primary_identity_provider_precedence_order"]
        if not isinstance(order, list):
            _fail(order_path, "must be a list")
        canonical_order = []
        for index, provider in enumerate(order):
            name = canonical_choice(provider, PRIMARY_IDENTITY_PROVIDERS)
            if name is None:
                _fail(f"{order_path}[{index}]", f"{provider!r} is not one of {', '.join(PRIMARY_IDENTITY_PROVIDERS)}")
            if name in canonical_order:
                _fail(f"{order_path}[{index}]", f"{name} is listed twice")
            canonical_order.append(name)
        fallback = canonical_choice(value["fallback_identity_provider"], FALLBACK_IDENTITY_PROVIDERS)
        if fallback is None:
            _fail(f"{path}.fallback_identity_provider", f"{value['fallback_identity_provider']!r} is not one of "
                                                        f"{', '.join(FALLBACK_IDENTITY_PROVIDERS)}")
        return {"primary_identity_provider_precedence_order": canonical_order, "fallback_identity_provider": fallback}

    @staticmethod
    def from_graph(raw: dict) -> dict:
        return {"primary_identity_provider_precedence_order": list(raw.get("primaryIdentityProviderPrecedenceOrder") or []),
                "fallback_identity_provider": raw.get("fallbackIdentityProvider")}

    @staticmethod
    def to_graph(block: dict) -> dict:
        return {"primaryIdentityProviderPrecedenceOrder": block["primary_identity_provider_precedence_order"],
                "fallbackIdentityProvider": block["fallback_identity_provider"]}


def _target_blocks(*, default: bool) -> dict:
    """The target blocks of the default (``default=True``: inbound and tenant restrictions target everyone)
    or of a partner."""
    everyone = ("users_and_groups",) if default else ()
    why = "the default settings cannot target specific users or groups here; target them in a partner's settings"
    return {
        "b2b_collaboration_inbound": TargetsBlock("b2bCollaborationInbound", B2B_CONFLICT, everyone_only=everyone,
                                                  everyone_only_why=why),
        "b2b_collaboration_outbound": TargetsBlock("b2bCollaborationOutbound", B2B_CONFLICT),
        "b2b_direct_connect_inbound": TargetsBlock("b2bDirectConnectInbound", B2B_CONFLICT, everyone_only=everyone,
                                                   everyone_only_why=why),
        "b2b_direct_connect_outbound": TargetsBlock("b2bDirectConnectOutbound", B2B_CONFLICT),
        "tenant_restrictions": TargetsBlock("tenantRestrictions", TENANT_RESTRICTIONS_CONFLICT, everyone_only=everyone,
                                            everyone_only_why=why),
        # Microsoft 365 collaboration and app service connect (v1.0; public cloud only, see clouds.CLOUDS_BY_SETTING).
        "m365_collaboration_inbound": TargetsBlock("m365CollaborationInbound", halves=(USERS,),
                                                   everyone_only=("users",) if default else (), everyone_only_why=why),
        "m365_collaboration_outbound": TargetsBlock("m365CollaborationOutbound", halves=(USERS_AND_GROUPS,)),
        "app_service_connect_inbound": TargetsBlock("appServiceConnectInbound", halves=(APPLICATIONS,)),
    }


TARGET_BLOCKS = _target_blocks(default=False)
# Tenant restrictions for the Microsoft Accounts (consumer) tenant: "User granularity isn't supported with Microsoft
# Accounts" (https://learn.microsoft.com/en-us/entra/external-id/tenant-restrictions-v2).
MICROSOFT_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
MICROSOFT_ACCOUNTS_TENANT_RESTRICTIONS = TargetsBlock(
    "tenantRestrictions", TENANT_RESTRICTIONS_CONFLICT, everyone_only=("users_and_groups",),
    everyone_only_why="Microsoft Accounts (tenant 9188040d-6c67-4c5b-b112-36a304b66dad) have no per-user tenant "
                      "restrictions")
INBOUND_TRUST = FlagsBlock("inboundTrust", {"is_mfa_accepted": "isMfaAccepted",
                                            "is_compliant_device_accepted": "isCompliantDeviceAccepted",
                                            "is_hybrid_azure_ad_joined_device_accepted":
                                                "isHybridAzureADJoinedDeviceAccepted"})
AUTOMATIC_USER_CONSENT = FlagsBlock("automaticUserConsentSettings", {"inbound_allowed": "inboundAllowed",
                                                                     "outbound_allowed": "outboundAllowed"},
                                    null_flags_inherit=True)

DEFAULT_BLOCKS = {**_target_blocks(default=True), "inbound_trust": INBOUND_TRUST,
                  "invitation_redemption_identity_provider_configuration": IdentityProviderBlock()}
PARTNER_BLOCKS = {**TARGET_BLOCKS, "inbound_trust": INBOUND_TRUST, "automatic_user_consent_settings": AUTOMATIC_USER_CONSENT}


def canonical_blocks(params: dict, blocks: dict, *, allow_inherit: bool) -> dict:
    """The given blocks of ``params`` in canonical form; blocks not given (None) are left out.
    Blocks named in ``params["inherit"]`` (the modules' typed form) are ``inherit``.  A block the task's
    cloud (``params["cloud"]``) does not have is refused: Graph there has no such property."""
    wanted = {}
    cloud = params.get("cloud")
    for index, option in enumerate(params.get("inherit") or []):
        if option not in blocks:
            _fail(f"inherit[{index}]", f"{option!r} is not one of {', '.join(blocks)}")
        if params.get(option) is not None:
            _fail(option, "given and listed in inherit; choose one")
        wanted[option] = INHERIT
    for option, block in blocks.items():
        value = params.get(option)
        if value is None and option not in wanted:
            continue
        reason = unavailable_reason(block.graph_name, cloud)
        if reason:
            _fail(option, reason)
        if value is None:
            continue
        if isinstance(value, str) and value.strip().lower() == INHERIT:
            if not allow_inherit:
                _fail(option, "'inherit' is only meaningful for a partner; the default must be given as a dict")
            wanted[option] = INHERIT
        else:
            wanted[option] = block.canonical(value, option)
    return wanted


def blocks_from_graph(raw: dict, blocks: dict, cloud: str | None = None) -> dict:
    """Every block of a Graph object in canonical input shape (``null`` -> ``inherit``), leaving out the
    blocks ``cloud`` does not have."""
    out = {}
    for option, block in blocks.items():
        if not cloud_has(block.graph_name, cloud):
            continue
        value = raw.get(block.graph_name)
        out[option] = INHERIT if value is None else block.from_graph(value)
    return out


def blocks_to_graph(wanted: dict, blocks: dict) -> dict:
    """Graph JSON for canonical blocks (``inherit`` -> ``null``), property names as Graph spells them."""
    return {blocks[option].graph_name: None if value == INHERIT else blocks[option].to_graph(value)
            for option, value in wanted.items()}
