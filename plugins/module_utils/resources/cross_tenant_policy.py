"""The cross-tenant access policy root: ``allowedCloudEndpoints`` (FACTS 1.1)."""
from __future__ import annotations

from ..errors import InputError
from ..plan import Change, Plan

PATH = "/policies/crossTenantAccessPolicy"
CLOUD_ENDPOINTS = ("microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn")


def validate(params: dict, tenant_id: str) -> None:
    for index, endpoint in enumerate(params.get("allowed_cloud_endpoints") or []):
        if endpoint not in CLOUD_ENDPOINTS:
            raise InputError(f"allowed_cloud_endpoints[{index}]",
                             f"{endpoint!r} is not one of {', '.join(CLOUD_ENDPOINTS)}")


async def read(session, params: dict) -> dict:
    return await session.graph.get(PATH)


def normalise(raw: dict) -> dict:
    return {"allowed_cloud_endpoints": sorted(raw.get("allowedCloudEndpoints") or [])}


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    before = normalise(current)
    wanted = params.get("allowed_cloud_endpoints")
    if wanted is None:
        return Plan(before, before)
    after = {"allowed_cloud_endpoints": sorted(set(wanted))}
    if after == before:
        return Plan(before, after)
    change = Change("PATCH crossTenantAccessPolicy: allowedCloudEndpoints", "PATCH", PATH,
                    {"allowedCloudEndpoints": after["allowed_cloud_endpoints"]})
    return Plan(before, after, [change])
