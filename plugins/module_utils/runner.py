"""Runs one resource unit for one tenant: validate, read, plan, apply — in one event loop.

Both the action plugins (in the controller's worker, the fast path) and the modules (the
classic path) call :func:`run`; neither contains logic of its own.

A unit is a Python module with:

* ``validate(params, tenant_id)`` — raise :class:`InputError` before any call is made;
* ``async read(session, params)`` — fetch what the plan needs;
* ``plan(current, params, tenant_id) -> Plan`` — pure: before/after of the managed fields and
  the list of :class:`Change` that turns one into the other;
* optionally ``async apply(session, plan)`` — when changes are not a simple sequence of Graph calls.
"""
from __future__ import annotations

import asyncio
import traceback

from .auth import ConnectionSettings, build_credential
from .errors import ApplyError, InputError, ServiceError, TenantOpsError, first_line
from .redact import scrub, secret_values
from .exchange import ExchangeClient
from .graph import GraphClient
from .transport import RetryBudget, require_libraries


class Session:
    """What a unit may use: the Graph client, an Exchange client made on first use, the
    settings, and the run's check mode."""

    def __init__(self, settings: ConnectionSettings, check_mode: bool):
        require_libraries()
        self.settings = settings
        self.check_mode = check_mode
        self.budget = RetryBudget(settings.max_retry_wait)
        self.credential = build_credential(settings)
        self.graph = GraphClient(settings.graph_url, self.credential, settings.cloud.graph_scope,
                                 ca_bundle=settings.ca_bundle, timeout=settings.timeout, budget=self.budget)
        self._exchange = None

    @property
    def exchange(self) -> ExchangeClient:
        if self._exchange is None:
            self._exchange = ExchangeClient(self.settings.exchange_url, self.credential,
                                            self.settings.cloud.exchange_scope, ca_bundle=self.settings.ca_bundle,
                                            timeout=self.settings.timeout, budget=self.budget)
        return self._exchange

    async def close(self) -> None:
        await self.graph.close()
        if self._exchange is not None:
            await self._exchange.close()
        close = getattr(self.credential, "close", None)
        if close:
            close()


async def apply_changes(session: Session, changes: list) -> list:
    """Send the changes in order; on a failure raise :class:`ApplyError` naming what was and was not applied."""
    applied = []
    for index, change in enumerate(changes):
        try:
            client = session.graph.beta if change.api == "beta" else session.graph
            await client.request(change.method, change.path, change.body, landed=change.landed)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the user learns what was and was not applied
            cause = exc if isinstance(exc, TenantOpsError) else TenantOpsError(unexpected(exc))
            raise ApplyError(cause, applied, [c.summary for c in changes[index:]]) from None
        applied.append(change.summary)
    return applied


async def _run_unit(unit, settings: ConnectionSettings, params: dict, check_mode: bool) -> tuple:
    session = Session(settings, check_mode)
    try:
        current = await unit.read(session, params)
        plan = unit.plan(current, params, settings.tenant_id)
        applied = []
        if plan.changes and not check_mode:
            custom_apply = getattr(unit, "apply", None)
            applied = await (custom_apply(session, plan) if custom_apply else apply_changes(session, plan.changes))
        return plan, applied
    finally:
        await session.close()


def unexpected(exc: BaseException) -> str:
    return f"unexpected {type(exc).__name__}: {first_line(exc)}"


def run(unit, params: dict, *, check_mode: bool, diff_mode: bool) -> dict:
    """Return an Ansible result dict for one unit run, with every configured secret scrubbed
    from it (:func:`redact.scrub`); never raises."""
    return scrub(_run(unit, params, check_mode=check_mode, diff_mode=diff_mode), secret_values(params))


def _run(unit, params: dict, *, check_mode: bool, diff_mode: bool) -> dict:
    tenant = (params.get("tenant_id") or "").strip() or "?"
    try:
        settings = ConnectionSettings.from_params(params)
        unit.validate(params, settings.tenant_id)
        plan, applied = asyncio.run(_run_unit(unit, settings, params, check_mode))
    except InputError as exc:
        return {"failed": True, "changed": False, "msg": f"tenant {tenant}: invalid input: {exc}"}
    except ApplyError as exc:
        return {"failed": True, "changed": bool(exc.applied), "msg": f"tenant {tenant}: {exc}",
                "applied": exc.applied, "not_applied": exc.not_applied, **exc.extra,
                "hint": exc.hint or "nothing after the first failed change was sent; fix the cause and run again "
                                    "to converge"}
    except (ServiceError, TenantOpsError) as exc:
        return {"failed": True, "changed": False, "msg": f"tenant {tenant}: {exc}"}
    except Exception as exc:  # noqa: BLE001 - the one door: a library's surprise is still one line
        return {"failed": True, "changed": False, "msg": f"tenant {tenant}: {unexpected(exc)}",
                "exception": traceback.format_exc()}

    result = {"changed": bool(plan.changes), "tenant_id": settings.tenant_id}
    result.update(plan.result)
    if plan.changes:
        result["changes"] = [c.summary for c in plan.changes]
        if not check_mode:
            result["applied"] = applied
    if plan.warnings:
        result["warnings"] = plan.warnings
    if diff_mode:
        result["diff"] = plan.diff if plan.diff is not None else {"before": plan.before, "after": plan.after}
    return result
