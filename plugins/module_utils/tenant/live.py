"""The live tenant for the GitOps playbooks (the unit of ``tenant_export``): its settings as one
layer of the inventory schema, its verified domains, and optionally its directory audit log for
drift attribution.  Only reads; the same in check mode."""
from __future__ import annotations

import asyncio

from ..errors import InputError, ServiceError
from ..plan import Plan
from . import drift, unit

ORGANIZATION = "/organization"


def validate(params: dict, tenant_id: str) -> None:
    if (params.get("audit_days") or 0) < 0:
        raise InputError("audit_days", "must be 0 (do not read the audit log) or more days")


async def _domains(graph) -> list:
    """The tenant's verified domains (``Organization.Read.All``); [] without the permission."""
    try:
        organizations = await graph.list_all(ORGANIZATION, {"$select": "verifiedDomains"})
    except ServiceError as exc:
        if exc.status in (401, 403):
            return []
        raise
    return sorted(d["name"].lower() for org in organizations for d in org.get("verifiedDomains") or [])


async def read(session, params: dict) -> dict:
    readers = {"own_id": unit._own_id(session)}
    if params.get("settings", True):
        readers["live"] = unit.read_export(session)
        readers["domains"] = _domains(session.graph)
    if params.get("audit_days"):
        readers["audit"] = drift.read(session.graph, params["audit_days"])
    values = await asyncio.gather(*readers.values())
    return dict(zip(readers, values))


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    result = {"tenant_id": current["own_id"]}
    if "live" in current:
        result.update(entra_tenant=unit.export(current["live"]), domains=current["domains"])
    if "audit" in current:
        result["audit"] = current["audit"]
    return Plan({}, {}, result=result)
