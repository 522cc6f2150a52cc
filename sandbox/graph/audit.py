"""Entra directory audit log: every write the sandbox accepts is recorded here.

``record(...)`` is the seam every write handler calls; ``GET /v1.0/auditLogs/directoryAudits``
reads the log back newest first, as Entra does.
"""
from __future__ import annotations

import json
import uuid

from sandbox.clock import utc_timestamp
from sandbox.core import Request, Response, not_found, route
from sandbox.graph import odata

# Categories and activity names as the Entra audit log shows them (see sandbox/README.md,
# "Fidelity choices": the cross-tenant names are Entra's portal names, not a documented list).
CATEGORY_CROSS_TENANT = "CrossTenantAccessSettings"
CATEGORY_POLICY = "Policy"
CATEGORY_USER = "UserManagement"

ACTIVITY_PARTNER_ADD = "Added a partner to cross-tenant access setting"
ACTIVITY_PARTNER_UPDATE = "Updated a partner cross-tenant access setting"
ACTIVITY_PARTNER_DELETE = "Deleted partner specific cross-tenant access setting"
ACTIVITY_DEFAULT_UPDATE = "Updated the company default cross-tenant access setting"
ACTIVITY_DEFAULT_RESET = "Reset the cross-tenant access default setting"
ACTIVITY_IDENTITY_SYNC_UPDATE = "Update a partner cross-tenant identity sync setting"
ACTIVITY_CROSS_TENANT_POLICY_UPDATE = "Update cross-tenant access policy"
ACTIVITY_AUTHORIZATION_POLICY_UPDATE = "Update authorization policy"
ACTIVITY_AUTH_METHODS_POLICY_UPDATE = "Authentication Methods Policy Update"
ACTIVITY_AUTH_FLOWS_POLICY_UPDATE = "Update authentication flows policy"
ACTIVITY_USER_UPDATE = "Update user"
ACTIVITY_POLICY_ADD = "Add policy"
ACTIVITY_POLICY_UPDATE = "Update policy"
ACTIVITY_POLICY_DELETE = "Delete policy"

LOGGED_BY = "Core Directory"

# A fixed namespace so an app's servicePrincipalId is stable per tenant across runs.
_SERVICE_PRINCIPAL_NS = uuid.UUID("5f1c8c1e-3f7b-4d0e-9a57-1d2b0c3e4f60")


def record(req: Request, category: str, activity: str, target: dict, old: dict | None,
           new: dict | None, *, additional_details: dict | None = None) -> dict:
    """Append a directoryAudit for an accepted write to ``req.tenant.audit`` and return it.

    ``target`` is ``{"id", "displayName", "type"}`` (``type`` e.g. "Policy", "User").
    ``old``/``new`` are the changed object's properties before and after; ``old is None``
    means Add, ``new is None`` means Delete.  Only properties whose value changed are listed
    in ``modifiedProperties``, their values as JSON strings, as Entra writes them.
    """
    entry = {
        "id": f"Directory_{uuid.uuid4()}",
        "activityDateTime": utc_timestamp(timespec="microseconds"),
        "activityDisplayName": activity,
        "category": category,
        "correlationId": req.headers.get("client-request-id") or req.request_id,
        "initiatedBy": {"app": _initiating_app(req), "user": None},
        "loggedByService": LOGGED_BY,
        "operationType": _operation_type(old, new),
        "result": "success",
        "resultReason": "",
        "targetResources": [{
            "id": target.get("id"),
            "displayName": target.get("displayName"),
            "type": target.get("type"),
            "userPrincipalName": target.get("userPrincipalName"),
            "groupType": None,
            "modifiedProperties": modified_properties(old or {}, new or {}),
        }],
        "additionalDetails": [{"key": k, "value": str(v)} for k, v in (additional_details or {}).items()],
    }
    with req.world.lock:
        req.tenant.audit.append(entry)
    return entry


def modified_properties(old: dict, new: dict) -> list[dict]:
    changed = [name for name in dict.fromkeys([*old, *new]) if old.get(name) != new.get(name)]
    return [{"displayName": name,
             "oldValue": _json_value(old.get(name)),
             "newValue": _json_value(new.get(name))} for name in changed]


def _json_value(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _operation_type(old, new) -> str:
    if old is None:
        return "Add"
    if new is None:
        return "Delete"
    return "Update"


def _initiating_app(req: Request) -> dict | None:
    caller = req.caller
    if caller is None:
        return None
    app = req.tenant.apps.get(caller.app_id.lower()) if req.tenant else None
    display_name = caller.display_name or (app.display_name if app else None)
    return {
        "appId": caller.app_id,
        "displayName": display_name,
        "servicePrincipalId": str(uuid.uuid5(_SERVICE_PRINCIPAL_NS, f"{req.tenant.id}/{caller.app_id}".lower())),
        "servicePrincipalName": None,
    }


# --------------------------------------------------------------------------------------------
# GET /v1.0/auditLogs/directoryAudits
# --------------------------------------------------------------------------------------------

AUDIT_FILTER_FIELDS = {"activityDateTime": "datetime", "category": "str", "activityDisplayName": "str",
                       "loggedByService": "str", "operationType": "str", "correlationId": "str", "result": "str"}


@route("graph", "GET", r"/v1\.0/auditLogs/directoryAudits", ("AuditLog.Read.All",))
def list_directory_audits(req: Request) -> Response:
    matches = odata.compile_filter(odata.query_option(req, "filter"), AUDIT_FILTER_FIELDS, "DirectoryAudit")
    newest_first = [entry for entry in reversed(list(req.tenant.audit)) if matches(entry)]
    return Response(200, odata.collection_body(req, newest_first, "auditLogs/directoryAudits"))


@route("graph", "GET", r"/v1\.0/auditLogs/directoryAudits/(?P<audit_id>[^/]+)", ("AuditLog.Read.All",))
def get_directory_audit(req: Request) -> Response:
    entry = next((e for e in list(req.tenant.audit) if e["id"] == req.match["audit_id"]), None)
    if entry is None:
        raise not_found(f"Resource '{req.match['audit_id']}' does not exist.")
    return Response(200, odata.entity_response_body(req, entry, "directoryAudit", "auditLogs/directoryAudits"))
