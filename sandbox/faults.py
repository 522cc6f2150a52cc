"""Injectable faults: latency, error statuses, throttling, dropped connections, login outages,
short token lifetimes.

A fault is a dict (from the seed's ``faults:`` list or ``POST /_control/faults``)::

    {"kind": "status", "status": 429, "retry_after": 1,        # what happens
     "tenant": "contoso.com", "service": "graph",               # where (all optional; tenant by id or domain)
     "method": "PATCH", "path": "/v1.0/policies/.*",
     "every": 3, "probability": 0.5, "seed": 7, "count": 2}     # when (all optional)

Kinds: ``latency`` (``latency_ms``, ``jitter_ms``), ``status`` (``status`` 429/500/503/504,
``retry_after``), ``drop`` (close the socket without an answer), ``drop_after`` (handle the request,
so a write takes effect, then close the socket without the answer), ``login_outage`` (token endpoint
answers 503 ``temporarily_unavailable``), ``throttle`` (a token bucket per app+tenant modelled on
Graph's identity limits, ``scale`` shrinks it), ``token_lifetime`` (``seconds``).
``every: N`` fires on every Nth matching request, ``probability`` fires at random with a seeded
RNG, ``count: N`` stops the fault after N firings.  Without a trigger a fault fires every time.
"""
from __future__ import annotations

import itertools
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field

from .clock import utc_timestamp
from .core import ApiError, Request
from .identity import oauth_error

KINDS = ("latency", "status", "drop", "drop_after", "login_outage", "throttle", "token_lifetime")
ERROR_STATUSES = {429: ("TooManyRequests", "Please retry again later."),
                  500: ("generalException", "An internal server error occurred."),
                  503: ("serviceNotAvailable", "The service is temporarily unavailable. Please try again later."),
                  504: ("GatewayTimeout", "The gateway did not receive a response in time.")}

# Identity and access limits per application+tenant (https://learn.microsoft.com/graph/throttling-limits, identity and access): ResourceUnits per
# 10 s by tenant size, and a write quota of 3,000 requests per 150 s.
RU_LIMITS = {"S": 3500, "M": 5000, "L": 8000}
RU_WINDOW = 10.0
WRITE_LIMIT = 3000
WRITE_WINDOW = 150.0
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}

_ids = itertools.count(1)


@dataclass
class Decision:
    latency: float = 0.0
    drop: bool = False
    drop_after: bool = False        # answer nothing, but only after the handler has run
    error: ApiError | None = None
    headers: dict = field(default_factory=dict)


class Fault:
    def __init__(self, spec: dict):
        self.spec = dict(spec)
        self.kind = spec.get("kind")
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "status" and int(spec.get("status", 0)) not in ERROR_STATUSES:
            raise ValueError(f"status fault needs status in {sorted(ERROR_STATUSES)}")
        self.id = str(spec.get("id") or next(_ids))
        self.spec["id"] = self.id
        self.tenant = (spec.get("tenant") or "").lower() or None
        self.service = spec.get("service")
        self.method = (spec.get("method") or "").upper() or None
        self.path = re.compile(spec["path"], re.I) if spec.get("path") else None
        self.every = int(spec.get("every") or 0)
        self.probability = spec.get("probability")
        self.remaining = int(spec["count"]) if spec.get("count") is not None else None
        self.rng = random.Random(spec.get("seed", 0))
        self.matched = 0
        self.buckets: dict = {}

    def matches(self, req: Request, tenant_keys: set) -> bool:
        if self.tenant and self.tenant not in tenant_keys:
            return False
        if self.service and self.service != req.service:
            return False
        if self.method and self.method != req.method:
            return False
        return not self.path or bool(self.path.search(req.path))

    def fires(self) -> bool:
        """Advance the trigger; called only for matching requests (under the FaultSet lock)."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        self.matched += 1
        if self.every and self.matched % self.every:
            return False
        if self.probability is not None and self.rng.random() >= float(self.probability):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class FaultSet:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict) -> dict:
        fault = Fault(spec)
        with self._lock:
            self._faults.append(fault)
        return fault.spec

    def replace(self, specs: list) -> None:
        faults = [Fault(s) for s in specs or []]
        with self._lock:
            self._faults = faults

    def remove(self, fault_id: str | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != str(fault_id)]
            return before - len(self._faults)

    def list(self) -> list:
        with self._lock:
            return [dict(f.spec, fired_remaining=f.remaining, matched=f.matched) for f in self._faults]

    def token_lifetime(self, tenant) -> int | None:
        keys = _tenant_keys(tenant)
        with self._lock:
            for f in self._faults:
                if f.kind == "token_lifetime" and (not f.tenant or f.tenant in keys):
                    return int(f.spec.get("seconds", 60))
        return None

    def evaluate(self, req: Request) -> Decision:
        decision = Decision()
        keys = _tenant_keys(req.tenant, req.caller)
        with self._lock:
            for fault in self._faults:
                if fault.kind == "token_lifetime" or not fault.matches(req, keys):
                    continue
                if fault.kind == "throttle":
                    if req.service == "graph" and req.caller is not None:
                        _throttle(fault, req, decision)
                elif fault.kind == "login_outage":
                    if req.service == "login" and req.path.endswith("/token") and fault.fires():
                        decision.error = login_outage_error()
                elif fault.fires():
                    _apply(fault, req, decision)
                if decision.drop or decision.error:
                    break
        return decision


def _tenant_keys(tenant, caller=None) -> set:
    keys = set()
    if tenant is not None:
        keys.add(tenant.id.lower())
        keys.update(d.lower() for d in tenant.domains)
    if caller is not None:
        keys.add(caller.tenant_id.lower())
    return keys


def _apply(fault: Fault, req: Request, decision: Decision) -> None:
    spec = fault.spec
    if fault.kind == "latency":
        jitter = float(spec.get("jitter_ms", 0))
        decision.latency += (float(spec.get("latency_ms", 0)) + fault.rng.uniform(0, jitter)) / 1000
    elif fault.kind == "drop":
        decision.drop = True
    elif fault.kind == "drop_after":
        decision.drop_after = True
    elif fault.kind == "status":
        status = int(spec["status"])
        headers = {}
        if spec.get("retry_after") is not None:
            headers["Retry-After"] = str(spec["retry_after"])
        decision.error = status_error(req, status, headers)


def status_error(req: Request, status: int, headers: dict) -> ApiError:
    code, message = ERROR_STATUSES[status]
    if req.service == "login":
        return login_outage_error(status)
    if status == 429 and req.service == "graph":
        return ApiError(429, code, message, headers=headers, body=throttled_body(req))
    return ApiError(status, code, message, headers=headers)


def throttled_body(req: Request) -> dict:
    """The documented 429 body (examples/throttling_429_response_body.json) for this request."""
    return {"error": {"code": "TooManyRequests", "innerError": {
        "code": "429", "date": utc_timestamp(zone=""), "message": "Please retry after", "request-id": req.request_id,
        "status": "429"}, "message": "Please retry again later."}}


def login_outage_error(status: int = 503) -> ApiError:
    return oauth_error(status, "temporarily_unavailable", 90033,
                       "A transient error has occurred. Please try again.")


def request_cost(req: Request) -> int:
    """ResourceUnits of one identity request (https://learn.microsoft.com/graph/throttling-limits): base 1, $select -1, $expand +1, $top<20 -1, min 1."""
    cost = 1
    query = {k.lower(): v for k, v in req.query.items()}
    if "$select" in query:
        cost -= 1
    if "$expand" in query:
        cost += 1
    if "$top" in query and str(query["$top"]).isdigit() and int(query["$top"]) < 20:
        cost -= 1
    return max(cost, 1)


def tenant_size(tenant) -> str:
    users = len(tenant.users) if tenant is not None else 0
    return "S" if users < 50 else "M" if users <= 500 else "L"


def _throttle(fault: Fault, req: Request, decision: Decision) -> None:
    scale = float(fault.spec.get("scale", 1.0))
    size = fault.spec.get("size") or tenant_size(req.tenant)
    key = (req.caller.app_id.lower(), req.caller.tenant_id.lower())
    now = time.monotonic()
    ru_capacity = max(RU_LIMITS[size] * scale, 1.0)
    write_capacity = max(WRITE_LIMIT * scale, 1.0)
    buckets = fault.buckets.setdefault(key, {"ru": [ru_capacity, now], "write": [write_capacity, now]})
    cost = request_cost(req)
    ru_wait = _bucket_wait(buckets["ru"], ru_capacity, ru_capacity / RU_WINDOW, cost, now)
    write_wait = 0.0
    if req.method in WRITE_METHODS:
        write_wait = _bucket_wait(buckets["write"], write_capacity, write_capacity / WRITE_WINDOW, 1, now)
    if ru_wait or write_wait:
        limit, info = (("ReadWrite", "WriteLimitExceeded") if write_wait >= ru_wait
                       else ("ResourceUnit", "ResourceUnitLimitExceeded"))
        decision.error = ApiError(429, "TooManyRequests", "Please retry again later.", body=throttled_body(req), headers={
            "Retry-After": str(max(1, math.ceil(max(ru_wait, write_wait)))),
            "x-ms-throttle-scope": f"Tenant_Application/{limit}/{key[0]}/{key[1]}",
            "x-ms-throttle-information": info})
        return
    buckets["ru"][0] -= cost
    if req.method in WRITE_METHODS:
        buckets["write"][0] -= 1
    decision.headers["x-ms-resource-unit"] = str(cost)
    used = 1 - buckets["ru"][0] / ru_capacity
    if used > 0.8:
        decision.headers["x-ms-throttle-limit-percentage"] = f"{min(used, 1.8):.1f}"


def _bucket_wait(bucket: list, capacity: float, rate: float, cost: float, now: float) -> float:
    """Refill the bucket [tokens, last]; return 0 if cost fits, else the seconds until it would."""
    tokens, last = bucket
    bucket[0] = min(capacity, tokens + (now - last) * rate)
    bucket[1] = now
    return 0.0 if bucket[0] >= cost else (cost - bucket[0]) / rate
