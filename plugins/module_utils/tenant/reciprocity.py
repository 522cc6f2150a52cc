"""Reciprocity of cross-tenant settings between two tenants of the fleet: what one side allows
only works when the other side allows its half.

* B2B direct connect works only when both sides allow it: A's inbound for B needs B's outbound
  for A, and the other way round
  (https://learn.microsoft.com/entra/external-id/b2b-direct-connect-overview).
* Inbound trust is declared once per relationship for both sides (docs/inventory.md): both
  sides' partner-specific ``inbound_trust`` must be the same.
* Cross-tenant synchronization: a target allowing ``user_sync_inbound`` from a source needs
  automatic redemption inbound on the target and outbound on the source
  (https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure).

A side is ``{"id": tenant id, "default": {block: value}, "partners": {partner id: entry}}`` with
blocks in the canonical shape of ``cross_tenant_settings`` (``inherit`` for a partner block that
falls back to the default).  A block missing from both partner and default is the service default
(blocked, nothing trusted, no automatic redemption).
"""
from __future__ import annotations

INHERIT = "inherit"
ALL = {"AllUsers", "AllApplications"}


def _block(side: dict, partner_id: str, option: str):
    entry = (side.get("partners") or {}).get(partner_id) or {}
    value = entry.get(option)
    if value is None or value == INHERIT:
        value = (side.get("default") or {}).get(option)
    return None if value == INHERIT else value


def allows(block) -> bool:
    """Whether a targets block lets anyone through: both halves allow someone."""
    if not isinstance(block, dict):
        return False
    for half in (block.get("users_and_groups"), block.get("applications")):
        if not isinstance(half, dict) or not half.get("targets"):
            return False
        targets = {t.get("target") if isinstance(t, dict) else t for t in half["targets"]}
        if half.get("access_type") == "blocked" and targets & ALL:
            return False
    return True


def _flag(side: dict, partner_id: str, option: str, flag: str) -> bool:
    value = _block(side, partner_id, option)
    return bool(value.get(flag)) if isinstance(value, dict) else False


def _has_entry(side: dict, partner_id: str) -> bool:
    return partner_id in (side.get("partners") or {})


def _direct_connect(receiver: str, sender: str, sides: dict) -> list:
    """B2B direct connect of ``sender``'s users into ``receiver``: both halves or neither."""
    inbound = allows(_block(sides[receiver], sides[sender]["id"], "b2b_direct_connect_inbound"))
    outbound = allows(_block(sides[sender], sides[receiver]["id"], "b2b_direct_connect_outbound"))
    if inbound == outbound:
        return []
    if inbound:
        message = (f"{receiver} allows inbound B2B direct connect from {sender}, but {sender} does not allow "
                   f"outbound to {receiver}")
    else:
        message = (f"{sender} allows outbound B2B direct connect to {receiver}, but {receiver} does not allow "
                   f"inbound from {sender}")
    return [{"pair": f"{sender} -> {receiver}", "setting": "b2b_direct_connect", "message": message}]


def _own_trust(side: dict, other_id: str):
    return (side.get("partners") or {}).get(other_id, {}).get("inbound_trust")


def _trust(a: str, b: str, sides: dict) -> list:
    side_a, side_b = sides[a], sides[b]
    if _own_trust(side_a, side_b["id"]) in (None, INHERIT) and _own_trust(side_b, side_a["id"]) in (None, INHERIT):
        return []
    trust_a, trust_b = _block(side_a, side_b["id"], "inbound_trust"), _block(side_b, side_a["id"], "inbound_trust")
    if (trust_a or {}) == (trust_b or {}):
        return []
    return [{"pair": f"{a} <-> {b}", "setting": "inbound_trust",
             "message": f"{a} trusts {b} with {_render(trust_a)}, but {b} trusts {a} with {_render(trust_b)}"}]


def _render(trust) -> str:
    if not isinstance(trust, dict):
        return "nothing (service default)"
    return ", ".join(f"{k}={str(v).lower()}" for k, v in sorted(trust.items()))


def _sync(target: str, source: str, sides: dict) -> list:
    side_t, side_s = sides[target], sides[source]
    sync = (side_t.get("partners") or {}).get(side_s["id"], {}).get("identity_synchronization")
    if not isinstance(sync, dict) or not sync.get("user_sync_inbound"):
        return []
    out = []
    if not _flag(side_t, side_s["id"], "automatic_user_consent_settings", "inbound_allowed"):
        out.append({"pair": f"{source} -> {target}", "setting": "automatic_user_consent_settings.inbound_allowed",
                    "message": f"{target} synchronizes users in from {source}, but does not allow automatic "
                               f"redemption inbound from {source}"})
    if not _flag(side_s, side_t["id"], "automatic_user_consent_settings", "outbound_allowed"):
        out.append({"pair": f"{source} -> {target}", "setting": "automatic_user_consent_settings.outbound_allowed",
                    "message": f"{target} synchronizes users in from {source}, but {source} does not allow "
                               f"automatic redemption outbound to {target}"})
    return out


def check(sides: dict) -> list:
    """Every mismatch between two tenants of which at least one has a partner entry for the other."""
    names = sorted(sides)
    mismatches = []
    for index, a in enumerate(names):
        for b in names[index + 1:]:
            if not (_has_entry(sides[a], sides[b]["id"]) or _has_entry(sides[b], sides[a]["id"])):
                continue
            mismatches += _direct_connect(a, b, sides) + _direct_connect(b, a, sides)
            mismatches += _trust(a, b, sides)
            mismatches += _sync(a, b, sides) + _sync(b, a, sides)
    return mismatches


def overlay(live: dict, default: dict | None, partners: dict) -> dict:
    """The side a tenant will have once its desired state is applied: the desired default blocks
    and partners (by id) over the live ones; ``state: absent`` partners removed."""
    side = {"id": live["id"], "default": {**(live.get("default") or {}), **(default or {})},
            "partners": {k: dict(v) for k, v in (live.get("partners") or {}).items()}}
    for partner_id, wanted in partners.items():
        if wanted.get("state") == "absent":
            side["partners"].pop(partner_id, None)
            continue
        entry = side["partners"].setdefault(partner_id, {})
        entry.update({k: v for k, v in wanted.items() if v is not None and k not in ("partner", "state")})
    return side
