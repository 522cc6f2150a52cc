"""The cross-tenant access policy root: ``allowedCloudEndpoints``
(https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicy).

Only the public cloud's Graph has ``allowedCloudEndpoints`` (see ``clouds.CLOUDS_BY_SETTING``).
"""
from __future__ import annotations

from ..clouds import cloud_has, unavailable_reason
from ..errors import InputError
from ..plan import Change, Plan

PATH = "/policies/crossTenantAccessPolicy"
SETTING = "allowedCloudEndpoints"
CLOUD_ENDPOINTS = ("microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn")


def validate(params: dict, tenant_id: str) -> None:
    endpoints = params.get("allowed_cloud_endpoints")
    reason = unavailable_reason(SETTING, params.get("cloud"))
    if endpoints is not None and reason:
        raise InputError("allowed_cloud_endpoints", reason)
    for index, endpoint in enumerate(endpoints or []):
        if endpoint not in CLOUD_ENDPOINTS:
            raise InputError(f"allowed_cloud_endpoints[{index}]",
                             f"{endpoint!r} is not one of {', '.join(CLOUD_ENDPOINTS)}")


async def read(session, params: dict) -> dict:
    return await session.graph.get(PATH)


def normalise(raw: dict, cloud: str | None = None) -> dict:
    if not cloud_has(SETTING, cloud):
        return {}
    return {"allowed_cloud_endpoints": sorted(raw.get(SETTING) or [])}


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    before = normalise(current, params.get("cloud"))
    wanted = params.get("allowed_cloud_endpoints")
    if wanted is None:
        return Plan(before, before)
    after = {"allowed_cloud_endpoints": sorted(set(wanted))}
    if after == before:
        return Plan(before, after)
    change = Change("PATCH crossTenantAccessPolicy: allowedCloudEndpoints", "PATCH", PATH,
                    {SETTING: after["allowed_cloud_endpoints"]})
    return Plan(before, after, [change])
