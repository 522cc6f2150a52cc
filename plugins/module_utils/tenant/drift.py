"""Who changed a drifted setting, and when: the tenant's directory audit log matched to the
settings a plan would change.

The audit log is read with ``GET /auditLogs/directoryAudits``, which needs ``AuditLog.Read.All``
(https://learn.microsoft.com/graph/api/directoryaudit-list).  Cross-tenant access settings are
logged in the category ``CrossTenantAccessSettings`` and guest invitation settings (authorization,
authentication methods and flows policies) in ``Policy``
(https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities).
Exchange's address-list visibility is not in the directory audit log.

:func:`read` never fails the plan: without the permission it returns ``readable: False`` and the
reason, which the report shows instead of names.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from ..errors import ServiceError
from ..resources.cross_tenant_settings import DEFAULT_BLOCKS, PARTNER_BLOCKS
from ..resources.guest_invitation import BY_OPTION as GUEST_SETTINGS

AUDITS = "/auditLogs/directoryAudits"
CATEGORIES = ("CrossTenantAccessSettings", "Policy")
NOT_READABLE = ("the audit log is not readable with these credentials (needs AuditLog.Read.All); "
                "who changed it is unknown")


async def read(graph, days: int, now: datetime | None = None) -> dict:
    """The tenant's audit entries of the last ``days`` days in both categories, newest first."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        pages = await asyncio.gather(*(graph.list_all(AUDITS, {
            "$filter": f"category eq '{category}' and activityDateTime ge {stamp}"}) for category in CATEGORIES))
    except ServiceError as exc:
        if exc.status in (401, 403):
            return {"readable": False, "reason": NOT_READABLE, "entries": []}
        raise
    entries = sorted((e for page in pages for e in page), key=lambda e: e.get("activityDateTime") or "",
                     reverse=True)
    return {"readable": True, "days": days, "entries": [_slim(e) for e in entries]}


def _slim(entry: dict) -> dict:
    """What attribution needs of an entry (the log's values are not secrets, but keep it short)."""
    targets = entry.get("targetResources") or []
    return {"time": entry.get("activityDateTime"), "activity": entry.get("activityDisplayName"),
            "category": entry.get("category"), "actor": actor(entry.get("initiatedBy") or {}),
            "target_ids": [str(t.get("id") or "").lower() for t in targets],
            "target_names": [str(t.get("displayName") or "") for t in targets],
            "properties": sorted({p.get("displayName") for t in targets for p in t.get("modifiedProperties") or []
                                  if p.get("displayName")})}


def actor(initiated_by: dict) -> str:
    """``Megan Bowen (megan@contoso.com)`` for a user, ``app tenantops-automation (43b9…)`` for an app."""
    user = initiated_by.get("user") or {}
    if user.get("userPrincipalName") or user.get("displayName"):
        name = user.get("displayName") or user.get("userPrincipalName")
        upn = user.get("userPrincipalName")
        return f"{name} ({upn})" if upn and upn != name else name
    app = initiated_by.get("app") or {}
    if app.get("displayName") or app.get("appId"):
        return f"app {app.get('displayName') or '?'} ({app.get('appId') or '?'})"
    return "unknown"


# ---------------------------------------------------------------------------------------------
# Matching a setting to the entries that may have changed it
# ---------------------------------------------------------------------------------------------

def _object_and_property(setting: str, parts: dict) -> tuple:
    """(predicate over an entry for the setting's object, the Graph property name or None)."""
    if setting.startswith("partners["):   # the partner's name may hold dots: partners[fabrikam.com].x
        close = setting.index("]") + 1
        head, rest = setting[:close], setting[close + 1:]
    else:
        head, rest = setting.partition(".")[::2]
    option = rest.split(".", 1)[0] if rest else None
    if head.startswith("partners["):
        partner_id = str((parts.get(head) or {}).get("partner_tenant_id") or "").lower()
        block = PARTNER_BLOCKS.get(option)
        prop = block.graph_name if block else ("identitySynchronization" if option else None)
        return (lambda e: e["category"] == CATEGORIES[0] and partner_id in e["target_ids"]), prop
    if head == "cross_tenant_default":
        block = DEFAULT_BLOCKS.get(option)
        return (lambda e: e["category"] == CATEGORIES[0] and "default" in (e["activity"] or "").lower()), \
            (block.graph_name if block else None)
    if head == "allowed_cloud_endpoints":
        return (lambda e: e["category"] == CATEGORIES[0] and "policy" in (e["activity"] or "").lower()
                and "default" not in (e["activity"] or "").lower() and "partner" not in (e["activity"] or "").lower()), \
            "allowedCloudEndpoints"
    if head == "guest_invitation" and option in GUEST_SETTINGS:
        return (lambda e: e["category"] == CATEGORIES[1]), GUEST_SETTINGS[option].prop[0]
    return None, None


def attribute(setting: str, parts: dict, audit: dict | None) -> dict:
    """The newest audit entry that may have made the live value of ``setting``.

    An entry listing the setting's Graph property among its modified properties wins; otherwise
    the newest entry for the same object (Entra does not always list the properties)."""
    if not audit:
        return {"attribution": "not looked up"}
    if not audit.get("readable"):
        return {"attribution": audit.get("reason") or NOT_READABLE}
    matches_object, prop = _object_and_property(setting, parts)
    if matches_object is None:
        return {"attribution": "not recorded in the directory audit log"}
    candidates = [e for e in audit.get("entries") or [] if matches_object(e)]
    exact = [e for e in candidates if prop and prop in e["properties"]]
    found = (exact or candidates or [None])[0]
    if found is None:
        return {"attribution": f"no audit entry in the last {audit.get('days', '?')} days"}
    return {"changed_by": found["actor"], "changed_at": found["time"], "activity": found["activity"]}
