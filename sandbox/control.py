"""The test-only control API under /_control (no auth; the server answers loopback clients only)."""
from __future__ import annotations

import json
import re

from .core import ApiError, Request, Response, bad_request, route

SETTINGS = {"token_lifetime": int, "exchange_write_delay": float}


def runtime_of(req: Request):
    return req.world.runtime


@route("control", "GET", "/requests")
def requests_log(req: Request) -> Response:
    since = req.query.get("since", "0")
    if not since.isdigit():
        raise bad_request("since must be a sequence number")
    return Response(200, runtime_of(req).log.snapshot(int(since)))


@route("control", "POST", "/reset")
def reset(req: Request) -> Response:
    runtime_of(req).reset()
    return Response(200, {"reset": True, "tenants": len(req.world.tenants)})


@route("control", "GET", "/state")
def state(req: Request) -> Response:
    world = req.world
    wanted = req.query.get("tenant")
    if wanted:
        tenant = world.find_tenant(wanted)
        if tenant is None:
            raise ApiError(404, "NotFound", f"No tenant {wanted!r}.")
        tenants = [tenant]
    else:
        tenants = list(world.tenants.values())
    with world.lock:
        dump = {"settings": dict(world.settings), "tenants": {t.id: tenant_state(t) for t in tenants}}
        # Round-trip now, under the lock, so the dump is one consistent snapshot.
        return Response(200, json.loads(json.dumps(dump, default=str)))


def tenant_state(tenant) -> dict:
    return {
        "id": tenant.id, "display_name": tenant.display_name, "domains": tenant.domains,
        "apps": {a.client_id: {"display_name": a.display_name, "roles": sorted(a.roles),
                               "exchange_role": a.exchange_role, "managed_identity": a.managed_identity}
                 for a in tenant.apps.values()},
        "policies": tenant.policies, "partners": tenant.partners, "identity_sync": tenant.identity_sync,
        "users": tenant.users, "groups": tenant.groups, "mail_contacts": tenant.mail_contacts,
        "audit": tenant.audit, "pending_exchange": tenant.pending_exchange,
        "delegated_admin_customers": tenant.delegated_admin_customers,
        "multi_tenant_organization": tenant.multi_tenant_organization,
    }


@route("control", "GET", "/faults")
def list_faults(req: Request) -> Response:
    return Response(200, {"faults": runtime_of(req).faults.list()})


@route("control", "POST", "/faults")
def add_faults(req: Request) -> Response:
    body = req.body
    specs = body.get("faults") if isinstance(body, dict) and "faults" in body else body
    specs = specs if isinstance(specs, list) else [specs]
    if not all(isinstance(s, dict) for s in specs):
        raise bad_request("a fault is a JSON object (or send a list of them)")
    try:
        added = [runtime_of(req).faults.add(spec) for spec in specs]
    except (ValueError, KeyError, TypeError, re.error) as err:
        raise bad_request(f"invalid fault: {err}") from None
    return Response(201, {"faults": added})


@route("control", "DELETE", "/faults")
def clear_faults(req: Request) -> Response:
    return Response(200, {"removed": runtime_of(req).faults.remove(req.query.get("id"))})


@route("control", "POST", "/settings")
def update_settings(req: Request) -> Response:
    if not isinstance(req.body, dict) or not set(req.body) <= set(SETTINGS):
        raise bad_request(f"settings are any of {sorted(SETTINGS)}")
    try:
        changes = {name: SETTINGS[name](value) for name, value in req.body.items()}
    except (TypeError, ValueError) as err:
        raise bad_request(f"invalid setting: {err}") from None
    with req.world.lock:
        req.world.settings.update(changes)
        return Response(200, dict(req.world.settings))
