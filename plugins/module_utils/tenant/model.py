"""A tenant's desired state: every layer checked, merged by documented rules, relationships
expanded, in one pass that reports every error of the tenant at once.

Layers come lowest first (a fleet baseline, group layers, the tenant's own).  They merge key by
key: a setting block (one Graph property, replaced whole by Graph) and a list are replaced whole
by a later layer; partners merge by their ``partner`` key (case-insensitively) and, inside an
entry, block by block.  Relationships between two inventory tenants add partner entries after
all layers; a layer that sets the same block differently is an error, so both sides of a mutual
configuration stay in step.  See ``docs/inventory.md``.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..clouds import unavailable_reason
from ..compare import is_guid
from ..errors import InputError
from ..resources import cross_tenant_default, cross_tenant_partner, cross_tenant_policy, guest_invitation
from ..resources import guest_invitation_domains, mail_user_visibility
from ..resources.cross_tenant_partner import ABSENT, DOMAIN_RE, canonical_identity_sync
from ..resources.cross_tenant_settings import DEFAULT_BLOCKS, INHERIT, PARTNER_BLOCKS
from .spec import layer_options, relationship_options

RELATIONSHIPS_LAYER = "relationships"
# The role's variables of 0.1.0, and where their content goes now.
LEGACY_VARIABLES = {
    "entra_allowed_cloud_endpoints": "allowed_cloud_endpoints",
    "entra_cross_tenant_default": "cross_tenant_default",
    "entra_cross_tenant_default_state": "cross_tenant_default.state",
    "entra_partners": "partners",
    "entra_guest_invitation": "guest_invitation",
    "entra_mail_user_visibility": "guest_visibility",
}
DEFAULT_MAX_DELETIONS = 5


class TenantInputError(InputError):
    """Every input error of one tenant; ``str()`` lists them one per line."""

    def __init__(self, errors: list):
        super().__init__(errors[0].field if errors else "", "\n".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return self.message


@dataclass
class Problems:
    errors: list = field(default_factory=list)

    def add(self, path: str, message: str, layer: str | None = None) -> None:
        """One error per key path: the merged state's checks find again what a layer's check found
        first (with its layer named), e.g. an unknown key inside a block."""
        if path and any(error.field == path for error in self.errors):
            return
        self.errors.append(InputError(path, message + (f" (layer {layer})" if layer else "")))

    def run(self, layer, prefix: str, check, *args):
        """``check(*args)``; an InputError it raises is recorded with ``prefix`` before its path."""
        try:
            return check(*args)
        except InputError as exc:
            path = f"{prefix}.{exc.field}" if prefix and exc.field else (prefix or exc.field)
            self.add(path, exc.message, layer)
            return None


@dataclass
class TenantContext:
    """Who the tenant is: its inventory name, its configured id (GUID or domain), its cloud, and
    the inventory tenants relationships may name ({inventory name: tenant id})."""
    name: str
    tenant_id: str
    cloud: str = "public"
    inventory: dict = field(default_factory=dict)


@dataclass
class DesiredState:
    """The merged, checked state; each part in the input shape of its resource unit, None when unmanaged."""
    policy: dict | None = None
    default: dict | None = None
    partners: dict = field(default_factory=dict)       # lower-case name -> merged partner unit params
    partner_entries: list = field(default_factory=list)  # every layer's entries, merged again once names resolve
    partner_management: dict = field(default_factory=dict)
    guest_invitation: dict | None = None
    guest_visibility: dict | None = None
    guest_invitation_domains: dict | None = None


# ---------------------------------------------------------------------------------------------
# Unknown keys, with the spec as the one list of what exists
# ---------------------------------------------------------------------------------------------

def unknown_keys(value, options: dict, path: str, problems: Problems, layer: str) -> None:
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key not in options:
            close = difflib.get_close_matches(str(key), list(options), n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the keys are {', '.join(options)}"
            problems.add(f"{path}.{key}" if path else str(key), f"unknown key{hint}", layer)
            continue
        sub = options[key].get("options")
        if sub and isinstance(item, list):
            for index, element in enumerate(item):
                label = _entry_label(key, element, index)
                unknown_keys(element, sub, f"{path}.{label}" if path else label, problems, layer)
        elif sub:
            unknown_keys(item, sub, f"{path}.{key}" if path else key, problems, layer)


def _entry_label(key: str, element, index: int) -> str:
    if key == "partners" and isinstance(element, dict) and element.get("partner"):
        return f"partners[{element['partner']}]"
    return f"{key}[{index}]"


# ---------------------------------------------------------------------------------------------
# One layer -> canonical pieces
# ---------------------------------------------------------------------------------------------

def _given(section) -> dict:
    return {k: v for k, v in (section or {}).items() if v is not None} if isinstance(section, dict) else {}


def _valid_endpoints(endpoints: list) -> bool:
    cross_tenant_policy.validate({"allowed_cloud_endpoints": endpoints}, "")
    return True


def _canonical_default(section: dict, problems: Problems, layer: str) -> dict:
    out = {}
    if section.get("state") is not None:
        if section["state"] not in cross_tenant_default.STATES:
            problems.add("cross_tenant_default.state", f"{section['state']!r} is not one of present, reset", layer)
        else:
            out["state"] = section["state"]
    for option, block in DEFAULT_BLOCKS.items():
        if section.get(option) is not None:
            value = problems.run(layer, "", block.canonical, section[option], f"cross_tenant_default.{option}")
            if value is not None:
                out[option] = value
    return out


def _canonical_partner(entry, path: str, problems: Problems, layer: str):
    if not isinstance(entry, dict):
        problems.add(path, f"must be a dict with at least partner, not {entry!r}", layer)
        return None
    name = problems.run(layer, path, cross_tenant_partner.partner_name, entry)
    if name is None:
        return None
    path = f"partners[{name}]"
    out = {"partner": name}
    if entry.get("state") is not None:
        if entry["state"] not in cross_tenant_partner.STATES:
            problems.add(f"{path}.state", f"{entry['state']!r} is not one of present, absent", layer)
        out["state"] = entry["state"]
    for option in entry.get("inherit") or []:
        if option not in PARTNER_BLOCKS:
            problems.add(f"{path}.inherit", f"{option!r} is not a partner block ({', '.join(PARTNER_BLOCKS)})", layer)
        elif entry.get(option) is not None:
            problems.add(f"{path}.{option}", "given and listed in inherit; choose one", layer)
        else:
            out[option] = INHERIT
    for option, block in PARTNER_BLOCKS.items():
        if entry.get(option) is not None:
            value = problems.run(layer, "", block.canonical, entry[option], f"{path}.{option}")
            if value is not None:
                out[option] = value
    sync = _given(entry.get("identity_synchronization"))
    if sync:
        value = problems.run(layer, "", canonical_identity_sync, sync, f"{path}.identity_synchronization")
        if value is not None:
            out["identity_synchronization"] = value
    return out


def _canonical_partners(entries, problems: Problems, layer: str) -> dict:
    partners = {}
    if not isinstance(entries, list):
        problems.add("partners", "must be a list of partner entries", layer)
        return partners
    for index, entry in enumerate(entries):
        canonical = _canonical_partner(entry, f"partners[{index}]", problems, layer)
        if canonical is None:
            continue
        key = canonical["partner"].lower()
        if key in partners:
            problems.add(f"partners[{canonical['partner']}]", "listed twice in the same layer", layer)
            continue
        partners[key] = canonical
    return partners


def _canonical_guest_invitation(section: dict, problems: Problems, layer: str) -> dict:
    out = {}
    for option, value in section.items():
        if option == "strictness":
            if value not in guest_invitation.STRICTNESS:
                problems.add("guest_invitation.strictness", f"{value!r} is not one of exact, at_least", layer)
            out[option] = value
            continue
        wanted = problems.run(layer, "guest_invitation", guest_invitation.wanted_settings, {option: value})
        if wanted:
            out.update(wanted)
    return out


def canonical_layer(name: str, settings, problems: Problems) -> dict:
    """One layer's settings in canonical form; its errors go to ``problems``."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        problems.add("settings", f"must be a dict, not {type(settings).__name__}", name)
        return {}
    unknown_keys(settings, layer_options(), "", problems, name)
    out = {}
    if settings.get("allowed_cloud_endpoints") is not None:
        endpoints = settings["allowed_cloud_endpoints"]
        if not isinstance(endpoints, list):
            problems.add("allowed_cloud_endpoints", "must be a list", name)
        elif problems.run(name, "", _valid_endpoints, endpoints):
            out["allowed_cloud_endpoints"] = sorted(set(endpoints))
    if _given(settings.get("cross_tenant_default")):
        out["cross_tenant_default"] = _canonical_default(_given(settings["cross_tenant_default"]), problems, name)
    if settings.get("partners") is not None:
        out["partners"] = _canonical_partners(settings["partners"], problems, name)
    for section in ("partner_management", "guest_visibility", "guest_invitation_domains"):
        if _given(settings.get(section)):
            out[section] = _given(settings[section])
    if _given(settings.get("guest_invitation")):
        out["guest_invitation"] = _canonical_guest_invitation(_given(settings["guest_invitation"]), problems, name)
    return out


# ---------------------------------------------------------------------------------------------
# Relationships -> partner entries of this tenant
# ---------------------------------------------------------------------------------------------

def _all_targets(groups, everyone: str) -> list:
    if groups:
        return [{"target": g.lower(), "target_type": "group"} for g in sorted(set(groups))]
    return [{"target": everyone, "target_type": "user"}]


def _direct_connect(users: list) -> dict:
    return {"users_and_groups": {"access_type": "allowed", "targets": users},
            "applications": {"access_type": "allowed",
                             "targets": [{"target": "AllApplications", "target_type": "application"}]}}


def relationship_entries(context: TenantContext, relationships, problems: Problems) -> dict:
    """{partner key: canonical partner entry} for every relationship this tenant is a member of."""
    entries = {}
    if not isinstance(relationships, list):
        problems.add("relationships", "must be a list", RELATIONSHIPS_LAYER)
        return entries
    seen_pairs = set()
    for index, relationship in enumerate(relationships):
        path = f"relationships[{index}]"
        problems_before = len(problems.errors)
        unknown_keys(relationship, relationship_options(), path, problems, None)
        members = _relationship_members(relationship, path, context, problems)
        if members is None or len(problems.errors) > problems_before:
            continue
        pair = frozenset(m["tenant"] for m in members)
        if pair in seen_pairs:
            problems.add(path, f"a second relationship between {' and '.join(sorted(pair))}; declare one per pair")
            continue
        seen_pairs.add(pair)
        mine = [m for m in members if m["tenant"] == context.name]
        if not mine:
            continue
        other = next(m for m in members if m["tenant"] != context.name)
        partner_id = other.get("tenant_id") or context.inventory.get(other["tenant"])
        if not partner_id:
            problems.add(f"{path}.members", f"the inventory gives no entra_tenant_id for {other['tenant']}")
            continue
        entries[partner_id.lower()] = _entry_for(relationship, mine[0], other, partner_id, path)
    return entries


def _relationship_members(relationship, path: str, context: TenantContext, problems: Problems):
    if not isinstance(relationship, dict):
        problems.add(path, "must be a dict with members")
        return None
    members = relationship.get("members")
    if not isinstance(members, list) or len(members) != 2 or not all(isinstance(m, dict) for m in members):
        problems.add(f"{path}.members", "must list exactly two tenants, each as {tenant: <inventory name>}")
        return None
    names = [m.get("tenant") for m in members]
    if names[0] == names[1]:
        problems.add(f"{path}.members", f"names {names[0]} twice; a relationship is between two tenants")
        return None
    for position, member in enumerate(members):
        if member.get("tenant_id") is not None and not (is_guid(member["tenant_id"]) or
                                                        DOMAIN_RE.match(str(member["tenant_id"]))):
            problems.add(f"{path}.members[{position}].tenant_id", f"{member['tenant_id']!r} is neither a tenant id "
                                                                  f"(GUID) nor a domain name")
        if member.get("tenant") not in context.inventory and not member.get("tenant_id"):
            problems.add(f"{path}.members[{position}].tenant", f"{member.get('tenant')!r} is not a tenant of the inventory")
        for g_index, group in enumerate(member.get("groups") or []):
            if not is_guid(group):
                problems.add(f"{path}.members[{position}].groups[{g_index}]", f"{group!r} is not a group object id (GUID)")
    for s_index, source in enumerate(relationship.get("sync_users_from") or []):
        if source not in names:
            problems.add(f"{path}.sync_users_from[{s_index}]", f"{source!r} is not a member of this relationship")
    return members


def _entry_for(relationship: dict, mine: dict, other: dict, partner_id: str, path: str) -> dict:
    entry = {"partner": partner_id, "relationship": path}
    if relationship.get("b2b_direct_connect"):
        entry["b2b_direct_connect_outbound"] = _direct_connect(_all_targets(mine.get("groups"), "AllUsers"))
        entry["b2b_direct_connect_inbound"] = _direct_connect(_all_targets(other.get("groups"), "AllUsers"))
    if relationship.get("inbound_trust"):
        entry["inbound_trust"] = {k: bool(relationship["inbound_trust"].get(k)) for k in
                                  ("is_mfa_accepted", "is_compliant_device_accepted",
                                   "is_hybrid_azure_ad_joined_device_accepted")}
    sources = set(relationship.get("sync_users_from") or [])
    if sources:
        inbound, outbound = other["tenant"] in sources, mine["tenant"] in sources
        entry["automatic_user_consent_settings"] = {"inbound_allowed": inbound, "outbound_allowed": outbound}
        if inbound:
            entry["identity_synchronization"] = {"user_sync_inbound": True}
    return entry


# ---------------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------------

@dataclass
class PartnerEntry:
    """One layer's (or one relationship's) entry for a partner, canonical, before merging."""
    name: str
    source: str            # the layer's name, or the relationship's path
    order: int             # the layer's position; relationships come after every layer
    settings: dict
    relationship: bool = False


def merge(layers: list) -> dict:
    """Merge canonical layers (``[(name, layer)]``, lowest first), all but the partners."""
    merged: dict = {}
    for _name, layer in layers:
        for section, value in layer.items():
            if section == "partners":
                continue
            if section == "guest_invitation_domains" and ({"allowed_domains", "blocked_domains"} & set(value)):
                # An allow list and a deny list are alternatives: a layer that gives one replaces the other.
                merged[section] = {k: v for k, v in merged.get(section, {}).items()
                                   if k not in ("allowed_domains", "blocked_domains")}
            merged[section] = {**merged.get(section, {}), **value} if isinstance(value, dict) else value
    return merged


def partner_entries(layers: list, relationships: dict) -> list:
    entries = []
    for order, (name, layer) in enumerate(layers):
        for entry in layer.get("partners", {}).values():
            entries.append(PartnerEntry(entry["partner"], name, order,
                                        {k: v for k, v in entry.items() if k != "partner"}))
    for partner_id, entry in relationships.items():
        entries.append(PartnerEntry(partner_id, entry["relationship"], len(layers),
                                    {k: v for k, v in entry.items() if k not in ("partner", "relationship")},
                                    relationship=True))
    return entries


def merge_partners(entries: list, key_of, problems: Problems) -> dict:
    """{key: (name, params, sources)}: entries naming the same partner (``key_of``: by name, or by
    the tenant id a name resolves to) merged in layer order, block by block."""
    groups: dict = {}
    for entry in entries:
        key = key_of(entry)
        if key is not None:
            groups.setdefault(key, []).append(entry)
    merged = {}
    for key, group in groups.items():
        group.sort(key=lambda e: e.order)
        settings, by_source = {}, {}
        for entry in group:
            label = f"partners[{entry.name}]"
            if entry.source in by_source:
                problems.add(label, f"names the same tenant as partners[{by_source[entry.source]}] in the same "
                                    f"layer; name each partner once", entry.source)
                continue
            by_source[entry.source] = entry.name
            if entry.relationship:
                for option, value in entry.settings.items():
                    if option in settings and settings[option] != value:
                        problems.add(f"{label}.{option}", f"differs from what {entry.source} sets; a relationship's "
                                                          f"settings are not overridden by a layer, so both sides "
                                                          f"stay mutual (remove one of the two)")
            # A later layer's state: absent removes the partner whatever earlier layers set.
            settings = dict(entry.settings) if entry.settings.get("state") == ABSENT else {**settings, **entry.settings}
        merged[key] = (group[0].name, {"partner": group[0].name, "state": "present", **settings}, list(by_source))
    return merged


def checked_partners(entries: list, key_of, problems: Problems) -> dict:
    """:func:`merge_partners`, each merged entry checked by the partner unit's own rules."""
    out = {}
    for key, (name, params, sources) in merge_partners(entries, key_of, problems).items():
        if problems.run(None, "", _check_partner, params) is not None:
            out[key] = (name, params, sources)
    return out


# ---------------------------------------------------------------------------------------------
# The whole tenant
# ---------------------------------------------------------------------------------------------

def _check_cloud(merged: dict, entries: list, context: TenantContext, problems: Problems) -> None:
    """Every setting the tenant's cloud does not have (clouds.CLOUDS_BY_SETTING), by its key path."""
    settings = {}
    if "allowed_cloud_endpoints" in merged:
        settings["allowed_cloud_endpoints"] = cross_tenant_policy.SETTING
    for option in merged.get("cross_tenant_default", {}):
        if option in DEFAULT_BLOCKS:
            settings[f"cross_tenant_default.{option}"] = DEFAULT_BLOCKS[option].graph_name
    for option in merged.get("guest_invitation", {}):
        if option in guest_invitation.BY_OPTION:
            settings[f"guest_invitation.{option}"] = guest_invitation.CLOUD_SETTING[guest_invitation.BY_OPTION[option].path]
    for entry in entries:
        for option in entry.settings:
            if option in PARTNER_BLOCKS:
                settings[f"partners[{entry.name}].{option}"] = PARTNER_BLOCKS[option].graph_name
    for path, setting in settings.items():
        reason = unavailable_reason(setting, context.cloud)
        if reason:
            problems.add(path, reason)


def _finish(merged: dict, entries: list, context: TenantContext, problems: Problems) -> DesiredState:
    state = DesiredState(partner_entries=entries)
    if "allowed_cloud_endpoints" in merged:
        state.policy = {"allowed_cloud_endpoints": merged["allowed_cloud_endpoints"]}
    if merged.get("cross_tenant_default"):
        state.default = {"state": "present", **merged["cross_tenant_default"]}
        problems.run(None, "cross_tenant_default", cross_tenant_default.validate, state.default, context.tenant_id)
    state.partners = {key: params for key, (_name, params, _sources) in
                      checked_partners(entries, lambda e: e.name.lower(), problems).items()}
    management = merged.get("partner_management", {})
    state.partner_management = {"authoritative": bool(management.get("authoritative")),
                                "protected": [p.lower() for p in management.get("protected") or []],
                                "max_deletions": management.get("max_deletions", DEFAULT_MAX_DELETIONS)}
    if not isinstance(state.partner_management["max_deletions"], int) or state.partner_management["max_deletions"] < 0:
        problems.add("partner_management.max_deletions", "must be a whole number, 0 or more")
    if merged.get("guest_invitation"):
        state.guest_invitation = {"strictness": "exact", **merged["guest_invitation"]}
    if merged.get("guest_visibility"):
        state.guest_visibility = {"concurrency": 8, **merged["guest_visibility"]}
        problems.run(None, "guest_visibility", mail_user_visibility.validate, state.guest_visibility,
                     context.tenant_id)
    if merged.get("guest_invitation_domains"):
        state.guest_invitation_domains = {"state": "present", "strictness": "exact", **merged["guest_invitation_domains"]}
        problems.run(None, "guest_invitation_domains", guest_invitation_domains.validate,
                     state.guest_invitation_domains, context.tenant_id)
    return state


def _check_partner(params: dict) -> bool:
    try:
        cross_tenant_partner.validate(params, "")
    except InputError as exc:
        raise InputError(f"partners[{params['partner']}].{exc.field}" if exc.field != "partner"
                         else f"partners[{params['partner']}]", exc.message) from None
    return True


def parse(context: TenantContext, layers: list, relationships=None) -> DesiredState:
    """The tenant's desired state, or :class:`TenantInputError` with every problem found."""
    problems = Problems()
    canonical = []
    for index, layer in enumerate(layers or []):
        if not isinstance(layer, dict):
            problems.add(f"layers[{index}]", "must be a dict with name and settings")
            continue
        name = str(layer.get("name") or f"layers[{index}]")
        if name in LEGACY_VARIABLES:
            problems.add(name, f"is no longer read since 0.2.0: move it into entra_baseline or entra_tenant as "
                               f"{LEGACY_VARIABLES[name]} (see docs/inventory.md)")
            continue
        canonical.append((name, canonical_layer(name, layer.get("settings"), problems)))
    merged = merge(canonical)
    entries = partner_entries(canonical, relationship_entries(context, relationships or [], problems))
    _check_cloud(merged, entries, context, problems)
    state = _finish(merged, entries, context, problems)
    if problems.errors:
        raise TenantInputError(problems.errors)
    return state
