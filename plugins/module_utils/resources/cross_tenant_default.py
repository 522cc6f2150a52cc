"""The default cross-tenant access settings: ``/policies/crossTenantAccessPolicy/default``
(https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyconfigurationdefault).

``state: present`` PATCHes the given blocks that differ (each replaced whole); ``state: reset``
POSTs ``resetToSystemDefault`` unless ``isServiceDefault`` is already true.
"""
from __future__ import annotations

from ..compare import changed_keys
from ..errors import InputError
from ..plan import Change, Landed, Plan
from .cross_tenant_settings import DEFAULT_BLOCKS, blocks_from_graph, blocks_to_graph, canonical_blocks

PATH = "/policies/crossTenantAccessPolicy/default"
RESET_PATH = PATH + "/resetToSystemDefault"
STATES = ("present", "reset")


def _target_config(access: str, target: str, target_type: str) -> dict:
    return {"accessType": access, "targets": [{"target": target, "targetType": target_type}]}


def _b2b(access: str) -> dict:
    return {"usersAndGroups": _target_config(access, "AllUsers", "user"),
            "applications": _target_config(access, "AllApplications", "application")}


# The system default (https://learn.microsoft.com/graph/api/crosstenantaccesspolicyconfigurationdefault-get,
# isServiceDefault): what check mode predicts after a reset.
SERVICE_DEFAULT = {
    "inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": False,
                     "isHybridAzureADJoinedDeviceAccepted": False},
    "b2bCollaborationInbound": _b2b("allowed"),
    "b2bCollaborationOutbound": _b2b("allowed"),
    "b2bDirectConnectInbound": _b2b("blocked"),
    "b2bDirectConnectOutbound": _b2b("blocked"),
    "tenantRestrictions": _b2b("blocked"),
    "invitationRedemptionIdentityProviderConfiguration": {
        "primaryIdentityProviderPrecedenceOrder": ["externalFederation", "azureActiveDirectory",
                                                   "socialIdentityProviders"],
        "fallbackIdentityProvider": "defaultConfiguredIdp",
    },
    "m365CollaborationInbound": {"users": _target_config("blocked", "AllUsers", "user")},
    "m365CollaborationOutbound": {"usersAndGroups": _target_config("blocked", "AllUsers", "user")},
    "appServiceConnectInbound": {"applications": _target_config("blocked", "AllApplications", "application")},
}


def validate(params: dict, tenant_id: str) -> None:
    _wanted(params)


def _wanted(params: dict) -> dict:
    if params.get("automatic_user_consent_settings") is not None:
        # "always false and can't be updated in the default configuration. Read-only."
        # https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyconfigurationdefault
        raise InputError("automatic_user_consent_settings", "not a setting of the default: Graph keeps it "
                                                            "false and read-only there; set it per partner")
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state", f"{state!r} is not one of {', '.join(STATES)}")
    wanted = canonical_blocks(params, DEFAULT_BLOCKS, allow_inherit=False)
    if state == "reset" and wanted:
        raise InputError(next(iter(wanted)), "not allowed with state=reset (a reset restores every setting)")
    return wanted


async def read(session, params: dict) -> dict:
    return await session.graph.get(PATH)


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    wanted = _wanted(params)
    if (params.get("state") or "present") == "reset":
        return _plan_reset(current, params.get("cloud"))
    before_all = blocks_from_graph(current, DEFAULT_BLOCKS, params.get("cloud"))
    before = {option: before_all[option] for option in wanted}
    changed = changed_keys(before, wanted)
    if not changed:
        return Plan(before, wanted, result={"is_service_default": bool(current.get("isServiceDefault"))})
    body = blocks_to_graph({option: wanted[option] for option in changed}, DEFAULT_BLOCKS)
    change = Change(f"PATCH default: {', '.join(body)}", "PATCH", PATH, body)
    return Plan(before, wanted, [change], result={"is_service_default": False})


def _plan_reset(current: dict, cloud: str | None) -> Plan:
    before = blocks_from_graph(current, DEFAULT_BLOCKS, cloud)
    if current.get("isServiceDefault"):
        return Plan(before, before, result={"is_service_default": True})
    after = blocks_from_graph(SERVICE_DEFAULT, DEFAULT_BLOCKS, cloud)
    change = Change("POST default/resetToSystemDefault", "POST", RESET_PATH,
                    landed=Landed(PATH, {"isServiceDefault": True}))
    return Plan(before, after, [change], result={"is_service_default": True})
