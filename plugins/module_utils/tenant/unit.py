"""The whole tenant as one unit: read everything the desired state needs at once, plan every
part with the resource units' own pure ``plan``, apply in a safe order.

Reads run concurrently and leave as one or two Graph ``$batch`` requests (``batching.py``) plus
Exchange's ``Get-MailUser``.  Writes go in this order, each part's writes in its own order:
the policy root, the default, partners that are created or changed (a partner before its identity
synchronization), partners that are removed (synchronization first, as Graph requires), guest
invitation settings, the invitation domain list (Graph beta), then guests' address-list visibility.  The first failed write stops the
tenant, except per-user Exchange writes, which go on past one user's failure.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from ..compare import is_guid
from ..errors import ApplyError, ServiceError, TenantOpsError
from ..exchange import token_tenant
from ..batching import BatchingReader
from ..graph import odata_key
from ..plan import Plan
from ..resources import cross_tenant_default, cross_tenant_partner, cross_tenant_policy, guest_invitation
from ..resources import cross_tenant_info, guest_invitation_domains, mail_user_visibility
from ..resources.cross_tenant_partner import BY_DOMAIN, BY_TENANT_ID, PARTNERS
from ..resources.cross_tenant_settings import INHERIT
from ..runner import apply_changes
from .model import DesiredState, Problems, TenantInputError, checked_partners

POLICY_LIMIT_BYTES = 25 * 1024   # https://learn.microsoft.com/graph/api/crosstenantaccesspolicy-update


@dataclass
class Part:
    """One managed object's plan, named as the user names it (``partners[fabrikam.com]``)."""
    name: str
    plan: Plan
    apply: object = None          # the unit's own apply, when its changes are not plain Graph calls


@dataclass
class TenantPlan:
    own_id: str
    parts: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def changed_parts(self) -> list:
        return [part for part in self.parts if part.plan.changes]


class ReadView:
    """What a resource unit's ``read`` sees: the batching reader in place of the Graph client."""

    def __init__(self, session, reader: BatchingReader):
        self.graph = reader
        self.settings = session.settings
        self._session = session

    @property
    def exchange(self):
        return self._session.exchange


# ---------------------------------------------------------------------------------------------
# Read
# ---------------------------------------------------------------------------------------------

def _names_to_resolve(state: DesiredState) -> dict:
    """{name: must exist} for every partner named in the state (and every protected partner)."""
    names = {}
    for entry in state.partner_entries:
        merged = state.partners.get(entry.name.lower(), {})
        names[entry.name.lower()] = merged.get("state", "present") == "present"
    for name in state.partner_management.get("protected", []):
        names.setdefault(name.lower(), False)
    return names


async def _resolve(reader, name: str, must_exist: bool):
    if is_guid(name) and not must_exist:
        return name.lower()
    template = BY_TENANT_ID if is_guid(name) else BY_DOMAIN
    found = await reader.get_or_none(template.format(odata_key(name)))
    return (found.get("tenantId") or "").lower() if found else None


async def read(session, state: DesiredState) -> dict:
    reader = BatchingReader(session.graph)
    view = ReadView(session, reader)
    readers = {"own_id": _own_id(session)}
    if state.policy is not None:
        readers["policy"] = reader.get(cross_tenant_policy.PATH)
    if state.default is not None:
        readers["default"] = reader.get(cross_tenant_default.PATH)
    if state.partners or state.partner_management.get("authoritative"):
        readers["partners"] = reader.list_all(PARTNERS, {"$expand": "identitySynchronization"})
    names = _names_to_resolve(state)
    for name, must_exist in names.items():
        readers[("resolve", name)] = _resolve(reader, name, must_exist)
    if state.guest_invitation is not None:
        readers["guest_invitation"] = guest_invitation.read(view, state.guest_invitation)
    if state.guest_visibility is not None:
        readers["guest_visibility"] = mail_user_visibility.read(view, state.guest_visibility)
    if state.guest_invitation_domains is not None:
        readers["guest_invitation_domains"] = guest_invitation_domains.read(view, state.guest_invitation_domains)
    values = await asyncio.gather(*readers.values())
    current = dict(zip(readers, values))
    current["resolved"] = {key[1]: value for key, value in current.items() if isinstance(key, tuple)}
    return {k: v for k, v in current.items() if not isinstance(k, tuple)}


async def _own_id(session) -> str:
    """The tenant's GUID, from the Graph token's ``tid`` claim (no request of its own)."""
    return token_tenant(await session.graph.tokens.token()).lower()


# ---------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------

def plan(current: dict, state: DesiredState, tenant_id: str) -> TenantPlan:
    problems = Problems()
    result = TenantPlan(own_id=current["own_id"])

    def add(key: str, label: str, unit, params, apply=None):
        if params is not None:
            part_plan = problems.run(None, label, unit.plan, current[key], params, tenant_id)
            if part_plan is not None:
                result.parts.append(Part(label, part_plan, apply))

    add("policy", "", cross_tenant_policy, state.policy)
    add("default", "cross_tenant_default", cross_tenant_default, state.default)
    result.parts += _partner_parts(current, state, tenant_id, problems, result)
    add("guest_invitation", "guest_invitation", guest_invitation, state.guest_invitation)
    add("guest_invitation_domains", "guest_invitation_domains", guest_invitation_domains,
        state.guest_invitation_domains)
    add("guest_visibility", "guest_visibility", mail_user_visibility, state.guest_visibility,
        apply=mail_user_visibility.apply)
    _check_policy_size(current, result, problems)
    if problems.errors:
        raise TenantInputError(problems.errors)
    return result


def _partner_parts(current: dict, state: DesiredState, tenant_id: str, problems: Problems,
                   result: TenantPlan) -> list:
    existing = {p["tenantId"].lower(): p for p in current.get("partners") or []}
    resolved, own_id = current.get("resolved", {}), current["own_id"]
    for entry in state.partner_entries:
        if resolved.get(entry.name.lower()) is None:
            what = "the id" if is_guid(entry.name) else "the verified domain"
            problems.add(f"partners[{entry.name}]", f"no tenant with {what} {entry.name!r} exists", entry.source)
    merged = checked_partners(state.partner_entries, lambda e: resolved.get(e.name.lower()), problems)
    present, absent = [], []
    for partner_id, (name, params, sources) in sorted(merged.items()):
        label = f"partners[{name}]"
        if partner_id == own_id:
            result.skipped.append(f"{label}: the tenant itself ({partner_id}, from {', '.join(sources)}); skipped")
            continue
        raw = existing.get(partner_id)
        unit_current = {"partner_id": partner_id, "own_id": own_id, "partner": raw,
                        "identity_synchronization": (raw or {}).get("identitySynchronization")}
        part_plan = problems.run(None, label, cross_tenant_partner.plan, unit_current, params, tenant_id)
        if part_plan is not None:
            (absent if params.get("state") == "absent" else present).append(Part(label, part_plan))
    if state.partner_management.get("authoritative"):
        absent += _removals(existing, set(merged), state, resolved, own_id, tenant_id, problems)
    return present + absent


def _removals(existing: dict, wanted_ids: set, state: DesiredState, resolved: dict, own_id: str,
              tenant_id: str, problems: Problems) -> list:
    protected = {resolved.get(name) or name for name in state.partner_management["protected"]}
    removals = []
    for partner_id, raw in sorted(existing.items()):
        if partner_id in wanted_ids or partner_id in protected or raw.get("isServiceProvider"):
            continue
        unit_current = {"partner_id": partner_id, "own_id": own_id, "partner": raw,
                        "identity_synchronization": raw.get("identitySynchronization")}
        removals.append(Part(f"partners[{partner_id}]", cross_tenant_partner.plan(
            unit_current, {"partner": partner_id, "state": "absent"}, tenant_id)))
    cap = state.partner_management["max_deletions"]
    if len(removals) > cap:
        problems.add("partner_management.max_deletions",
                     f"the authoritative partner list would remove {len(removals)} partners "
                     f"({', '.join(p.name[9:-1] for p in removals)}), more than {cap}; protect them, list them, or "
                     f"raise max_deletions")
        return []
    return removals


def _stored_size(value) -> int:
    def strip(item):
        if isinstance(item, dict):
            return {k: strip(v) for k, v in item.items() if v is not None and not k.startswith("@odata")
                    and k != "identitySynchronization"}
        return [strip(v) for v in item] if isinstance(item, list) else item
    return len(json.dumps(strip(value), separators=(",", ":")).encode("utf-8"))


def _check_policy_size(current: dict, result: TenantPlan, problems: Problems) -> None:
    """Refuse, before any write, partners that would take the policy past Microsoft's 25 KB."""
    partners = {p["tenantId"].lower(): p for p in current.get("partners") or []}
    for part in result.parts:
        for change in part.plan.changes:
            if change.method == "POST" and change.path == PARTNERS:
                partners[change.body["tenantId"]] = change.body
            elif change.method == "PATCH" and change.path.startswith(PARTNERS + "/"):
                key = change.path.rsplit("/", 1)[1]
                partners[key] = {**partners.get(key, {}), **change.body}
            elif change.method == "DELETE" and change.path.count("/") == PARTNERS.count("/") + 1:
                partners.pop(change.path.rsplit("/", 1)[1], None)
    size = sum(_stored_size(p) for p in partners.values())
    size += sum(_stored_size(current[k]) for k in ("policy", "default") if current.get(k))
    if size > POLICY_LIMIT_BYTES:
        problems.add("partners", f"the cross-tenant access policy would take about {size // 1024} KB with "
                                 f"{len(partners)} partners; Microsoft limits it to 25 KB "
                                 f"(https://learn.microsoft.com/graph/api/crosstenantaccesspolicy-update)")


# ---------------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------------

async def apply(session, tenant_plan: TenantPlan) -> list:
    applied = []
    parts = tenant_plan.changed_parts
    for index, part in enumerate(parts):
        try:
            if part.apply:
                done = await part.apply(session, part.plan)
            else:
                done = await apply_changes(session, part.plan.changes)
        except ApplyError as exc:
            later = [c.summary for p in parts[index + 1:] for c in p.plan.changes]
            raise ApplyError(exc.cause, applied + exc.applied, exc.not_applied + later, extra=exc.extra,
                             hint=exc.hint) from None
        except TenantOpsError as exc:
            later = [c.summary for p in parts[index:] for c in p.plan.changes]
            raise ApplyError(exc, applied, later) from None
        applied += done
    return applied


# ---------------------------------------------------------------------------------------------
# Export: live state in the layer schema
# ---------------------------------------------------------------------------------------------

async def read_export(session) -> dict:
    reader = BatchingReader(session.graph)
    view = ReadView(session, reader)
    cross, guest, domains = await asyncio.gather(cross_tenant_info.read(view, {}), guest_invitation.Info.read(view, {}),
                                                 _invitation_domains_or_none(view))
    return {"cross_tenant": cross, "guest_invitation": guest, "guest_invitation_domains": domains}


async def _invitation_domains_or_none(view):
    """The invitation domain list, or None when the app may not read it (it needs its own
    permission, Policy.Read.B2BManagementPolicy): the export then leaves the list unmanaged."""
    try:
        return await guest_invitation_domains.read(view, {})
    except ServiceError as exc:
        if exc.status == 403:
            return None
        raise


def export(current: dict) -> dict:
    """The tenant's live settings as one layer of the inventory schema (``entra_tenant``): every
    block Graph returns for the default (a block it returns as null is left out, so it stays
    unmanaged) and for each partner, by tenant id (blocks Graph stores as null listed under
    ``inherit``).  Planning this layer against the same tenant changes nothing."""
    cross = cross_tenant_info.export(current["cross_tenant"])
    partners = [{k: v for k, v in partner.items() if v != {"state": "absent"}} for partner in cross["partners"]]
    guest = guest_invitation.Info.plan(current["guest_invitation"], {}, "").result["settings"]
    default = {k: v for k, v in cross["default"].items() if v != INHERIT}
    layer = {"allowed_cloud_endpoints": cross["policy"]["allowed_cloud_endpoints"],
             "cross_tenant_default": default, "partners": partners,
             "guest_invitation": {**guest, "strictness": "exact"}}
    if current.get("guest_invitation_domains") is not None:
        layer["guest_invitation_domains"] = guest_invitation_domains.export(current["guest_invitation_domains"])
    return layer
