"""Socket-free request dispatch: route lookup, permission check, faults, handler, error rendering.

The HTTP server (``server.py``) parses and authenticates a wire request and then calls
:func:`handle`.  ``$batch`` runs each of its items through :func:`dispatch_internal`, which is the
same path minus authentication, so an item behaves exactly like the request it stands for.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
import traceback
from collections import Counter
from urllib.parse import parse_qsl, unquote, urlsplit

from .clock import utc_timestamp
from .faults import FaultSet
from .identity import TokenVerifier
from .core import GUID_RE, ApiError, Caller, Request, Response, Tenant, World, find_route, ROUTES

log = logging.getLogger("sandbox")

GRAPH_CONTENT_TYPE = ("application/json;odata.metadata=minimal;odata.streaming=true;"
                      "IEEE754Compatible=false;charset=utf-8")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
AGS_DIAGNOSTIC = json.dumps({"ServerInfo": {"DataCenter": "Sandbox", "Slice": "E", "Ring": "1",
                                            "ScaleUnit": "000", "RoleInstance": "SANDBOX0"}},
                            separators=(",", ":"))


class DropConnection(Exception):
    """Raised by a fault: the server closes the socket without answering."""


class RequestLog:
    """Every answered request, in order, with a sequence number for ``?since=N`` polling."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: list[dict] = []
        self._seq = 0

    def record(self, req: Request, status: int, duration: float, *, batch: bool = False) -> None:
        entry = {"time": time.time(), "service": req.service, "tenant": _tenant_of(req), "app": _app_of(req),
                 "method": req.method, "path": req.path, "status": status,
                 "duration_ms": round(duration * 1000, 3)}
        if batch:
            entry["batch"] = True
        cmdlet = _cmdlet_of(req)
        if cmdlet:
            entry["cmdlet"] = cmdlet
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self, since: int = 0) -> dict:
        with self._lock:
            entries = [e for e in self._entries if e["seq"] > since]
            last = self._seq
        return {"last_seq": last, "entries": entries,
                "per_tenant": dict(Counter(e["tenant"] or "" for e in entries)),
                "per_endpoint": dict(Counter(f'{e["method"]} {endpoint_key(e["path"])}' for e in entries))}


def endpoint_key(path: str) -> str:
    """A path with its ids folded, so counts group by endpoint: /v1.0/.../partners/{id}."""
    return "/".join("{id}" if GUID_RE.match(seg) else seg for seg in path.split("/"))


def _cmdlet_of(req: Request) -> str | None:
    """The Exchange cmdlet a request runs (a next-page request carries none: its token holds it)."""
    if req.service != "exchange" or not isinstance(req.body, dict):
        return None
    name = (req.body.get("CmdletInput") or {}).get("CmdletName") if isinstance(req.body.get("CmdletInput"), dict) else None
    return name if isinstance(name, str) else None


def _tenant_of(req: Request) -> str | None:
    if req.caller:
        return req.caller.tenant_id
    if req.tenant:
        return req.tenant.id
    return None


def _app_of(req: Request) -> str | None:
    if req.caller:
        return req.caller.app_id
    if req.service == "login" and isinstance(req.body, dict):
        return req.body.get("client_id")
    return None


class Runtime:
    """What the server keeps beside the world: keys, faults, the request log, the seed to reset to."""

    def __init__(self, world: World, keys, seed, *, msi_secret: str, base_url: str = ""):
        self.world = world
        self.keys = keys
        self.seed = seed
        self.msi_secret = msi_secret
        self.base_url = base_url
        self.faults = FaultSet()
        self.log = RequestLog()
        self.verifier = TokenVerifier(keys.signing_key.public_key()) if keys else None
        world.runtime = self

    def reset(self) -> None:
        """Back to the seed state: world, settings, faults (the seed's own again) and an empty log."""
        from .seed import populate
        with self.world.lock:
            populate(self.world, self.seed)
        self.faults.replace(self.seed.faults)
        self.log.clear()


# ---------------------------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------------------------

def handle(req: Request) -> Response:
    """Dispatch an authenticated request and render whatever error comes out in the service's shape."""
    try:
        response = dispatch(req)
    except DropConnection:
        raise
    except ApiError as err:
        response = render_error(req, err)
    except Exception:  # a handler bug must answer 500, never take the server down
        log.error("handler failed for %s %s\n%s", req.method, req.path, traceback.format_exc())
        response = render_error(req, ApiError(500, "generalException", "An internal server error occurred."))
    add_service_headers(req, response)
    return response


def dispatch(req: Request) -> Response:
    route, groups, path_known = find_route(req.service, req.method, req.path)
    if route is None:
        raise route_error(req, path_known)
    req.match = groups
    if req.tenant is None and groups.get("tenant"):
        req.tenant = req.world.find_tenant(unquote(groups["tenant"]))  # login: faults can be per tenant
    check_permissions(route.permissions, req.caller)
    decision = apply_faults(req)
    try:
        response = route.handler(req)
    except ApiError:
        if decision.drop_after:
            raise DropConnection() from None
        raise
    if decision.drop_after:
        raise DropConnection()  # the handler's effect stays; the client never hears of it
    if decision.headers:
        response.headers = {**decision.headers, **response.headers}
    return response


def apply_faults(req: Request):
    from .faults import Decision
    runtime = req.world.runtime
    if runtime is None or req.service == "control":
        return Decision()
    decision = runtime.faults.evaluate(req)
    if decision.latency:
        time.sleep(decision.latency)
    if decision.drop:
        raise DropConnection()
    if decision.error:
        raise decision.error
    return decision


def check_permissions(required: tuple, caller: Caller | None) -> None:
    if required and (caller is None or not caller.roles.intersection(required)):
        raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def route_error(req: Request, path_known: bool) -> ApiError:
    if path_known:
        return ApiError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
    if req.service == "graph":
        return ApiError(400, "Request_BadRequest",
                        f"Resource not found for the segment '{unknown_segment(req.service, req.path)}'.")
    return ApiError(404, "NotFound", f"The resource '{req.path}' was not found.")


def unknown_segment(service: str, path: str) -> str:
    """The first path segment no registered route can continue with (Graph names it in its 400)."""
    segments = [s for s in path.split("/") if s]
    patterns = [_pattern_segments(r.regex.pattern) for r in ROUTES if r.service == service]
    for depth, segment in enumerate(segments):
        if not any(len(p) > depth and all(p[i].fullmatch(segments[i]) for i in range(depth + 1)) for p in patterns):
            return segment
    return segments[-1] if segments else ""


_SEGMENT_CACHE: dict[str, list] = {}


def _pattern_segments(pattern: str) -> list:
    """Split a route regex on the '/' that separate segments (not those inside [] or ())."""
    if pattern not in _SEGMENT_CACHE:
        parts, depth, current = [], 0, ""
        for ch in pattern.strip("^$"):
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            if ch == "/" and depth == 0:
                parts.append(current)
                current = ""
            else:
                current += ch
        parts.append(current)
        _SEGMENT_CACHE[pattern] = [re.compile(p, re.I) for p in parts if p]
    return _SEGMENT_CACHE[pattern]


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------

def render_error(req: Request, err: ApiError) -> Response:
    if err.body is not None:
        body = err.body
    elif req.service == "exchange":
        body = exchange_error_body(err)
    elif req.service == "login":
        body = {"error": err.code, "error_description": err.message}
    else:
        body = {"error": {"code": err.code, "message": err.message, "innerError": {
            "date": utc_timestamp(zone=""), "request-id": req.request_id,
            "client-request-id": req.headers.get("client-request-id", req.request_id)}}}
    return Response(err.status, body, dict(err.headers))


def exchange_error_body(err: ApiError) -> dict:
    details = err.details or [f"|Microsoft.Exchange.Admin.OData.Core.ODataServiceException|{err.message}"]
    return {"error": {
        "code": err.code, "message": err.message,
        "details": [{"code": "Client", "target": "", "message": d} if isinstance(d, str) else d for d in details],
        "innererror": {"message": err.message, "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                       "stacktrace": ""}}}


def add_service_headers(req: Request, response: Response) -> None:
    headers = response.headers
    if req.service in ("graph", "exchange"):
        headers.setdefault("request-id", req.request_id)
        headers.setdefault("client-request-id", req.headers.get("client-request-id", req.request_id))
        headers.setdefault("x-ms-ags-diagnostic", AGS_DIAGNOSTIC)
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if isinstance(response.body, (dict, list)):
            headers.setdefault("Content-Type", GRAPH_CONTENT_TYPE)
    elif isinstance(response.body, (dict, list)):
        headers.setdefault("Content-Type", JSON_CONTENT_TYPE)
    if req.service == "login":
        headers.setdefault("Cache-Control", "no-store, no-cache")
        headers.setdefault("x-ms-request-id", req.request_id)


def dispatch_internal(service: str, method: str, path_with_query: str, headers: dict, body, caller: Caller | None,
                      tenant: Tenant | None, world: World, base_url: str) -> Response:
    """Run one sub-request (e.g. a ``$batch`` item) as the given caller, without re-authenticating.

    ``path_with_query`` is relative to the service prefix (``/v1.0/...``).  Faults apply as for a
    wire request, except that a dropped connection becomes a 504 for the item.
    """
    split = urlsplit(path_with_query)
    req = Request(service=service, method=method.upper(), path=split.path, query=dict(parse_qsl(split.query)),
                  headers={k.lower(): v for k, v in (headers or {}).items()}, body=body, world=world,
                  tenant=tenant, caller=caller, base_url=base_url)
    started = time.monotonic()
    try:
        response = handle(req)
    except DropConnection:
        response = render_error(req, ApiError(504, "GatewayTimeout", "The gateway timed out."))
        add_service_headers(req, response)
    if world.runtime is not None:
        world.runtime.log.record(req, response.status, time.monotonic() - started, batch=True)
    return response
