"""Runs a tenant's whole desired state in one event loop: parse, read, plan, apply.

Both the action plugin (the fast path) and the module's ``main`` call :func:`run`.
"""
from __future__ import annotations

import asyncio
import traceback

from ..auth import ConnectionSettings
from ..errors import ApplyError, InputError, ServiceError, TenantOpsError
from ..redact import scrub, secret_values
from ..runner import Session, unexpected
from . import model, report, unit


def _context(params: dict, settings: ConnectionSettings) -> model.TenantContext:
    return model.TenantContext(name=params.get("tenant_name") or settings.tenant_id, tenant_id=settings.tenant_id,
                               cloud=settings.cloud.name, inventory=dict(params.get("inventory_tenants") or {}))


async def _run(settings: ConnectionSettings, state: model.DesiredState, check_mode: bool) -> tuple:
    session = Session(settings, check_mode)
    try:
        current = await unit.read(session, state)
        tenant_plan = unit.plan(current, state, settings.tenant_id)
        applied = []
        if tenant_plan.changed_parts and not check_mode:
            applied = await unit.apply(session, tenant_plan)
        return tenant_plan, applied
    finally:
        await session.close()


def _input_failure(name: str, exc: InputError) -> dict:
    errors = exc.errors if isinstance(exc, model.TenantInputError) else [exc]
    listed = "".join(f"\n  - {error}" for error in errors)
    return {"failed": True, "changed": False, "tenant": name, "applied": [], "not_applied": [],
            "msg": f"tenant {name}: invalid input, nothing was written ({len(errors)} "
                   f"error{'s' if len(errors) != 1 else ''}):{listed}",
            "errors": [{"path": e.field, "message": e.message} for e in errors]}


def run(params: dict, *, check_mode: bool, diff_mode: bool) -> dict:
    """An Ansible result dict for one tenant, every configured secret scrubbed from it; never raises."""
    return scrub(_run_tenant(params, check_mode, diff_mode), secret_values(params))


def _run_tenant(params: dict, check_mode: bool, diff_mode: bool) -> dict:
    name = params.get("tenant_name") or (params.get("tenant_id") or "").strip() or "?"
    try:
        settings = ConnectionSettings.from_params(params)
        state = model.parse(_context(params, settings), params.get("layers") or [], params.get("relationships"))
        tenant_plan, applied = asyncio.run(_run(settings, state, check_mode))
    except InputError as exc:
        return _input_failure(name, exc)
    except ApplyError as exc:
        return {"failed": True, "changed": bool(exc.applied), "tenant": name, "msg": f"tenant {name}: {exc}",
                "applied": exc.applied, "not_applied": exc.not_applied, **exc.extra,
                "hint": exc.hint or "nothing after the first failed write was sent; fix the cause and run again "
                                    "to converge"}
    except (ServiceError, TenantOpsError) as exc:
        return {"failed": True, "changed": False, "tenant": name, "msg": f"tenant {name}: {exc}",
                "applied": [], "not_applied": []}
    except Exception as exc:  # noqa: BLE001 - the one door: a library's surprise is still one line
        return {"failed": True, "changed": False, "tenant": name, "msg": f"tenant {name}: {unexpected(exc)}",
                "applied": [], "not_applied": [], "exception": traceback.format_exc()}
    return _result(name, settings, tenant_plan, applied, check_mode, diff_mode)


# Per-user lists (guest visibility) are cut to their first entries in a fleet result: every tenant's
# result stays in the controller's memory for the summary, and counts say how many there are.
LISTED = 20


def _part_result(part: unit.Part) -> dict:
    result = {"changed": bool(part.plan.changes), "changes": [c.summary for c in part.plan.changes]}
    for key, value in part.plan.result.items():
        if isinstance(value, list) and len(value) > LISTED:
            result[f"{key}_count"] = len(value)
            value = value[:LISTED]
        result[key] = value
    return result


def _result(name: str, settings, tenant_plan: unit.TenantPlan, applied: list, check_mode: bool,
            diff_mode: bool) -> dict:
    changed = tenant_plan.changed_parts
    result = {
        "changed": bool(changed), "tenant": name, "tenant_id": tenant_plan.own_id,
        "changes": [c.summary for part in changed for c in part.plan.changes],
        "settings_changed": report.setting_changes(tenant_plan),
        "stricter_than_requested": report.stricter_notes(tenant_plan),
        "skipped_entries": tenant_plan.skipped,
        "parts": {part.name or "allowed_cloud_endpoints": _part_result(part) for part in tenant_plan.parts},
    }
    if not check_mode:
        result["applied"] = applied
        result["not_applied"] = []
    warnings = [w for part in tenant_plan.parts for w in part.plan.warnings]
    if warnings:
        result["warnings"] = warnings
    if diff_mode and changed:
        result["diff"] = report.diff(name, tenant_plan)
    return result
