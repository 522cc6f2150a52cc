"""The sandbox's shared vocabulary: requests, responses, errors, routes and the in-memory world.

Every service (login, Graph, Exchange, control) is a set of handlers registered with
``@route(service, method, pattern)``.  A handler receives a :class:`Request` and returns a
:class:`Response` (or raises :class:`ApiError`).  The HTTP server (``server.py``) parses the
wire request, authenticates it, resolves the tenant, injects faults, dispatches, and renders
errors in the service's own shape.  Handlers never touch sockets, so they can be tested
directly and reused by ``$batch``.
"""
from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def new_id() -> str:
    return str(uuid.uuid4())


class ApiError(Exception):
    """An error a service answers with.

    For Graph the server renders ``{"error": {"code", "message", "innerError": {...}}}``; for
    Exchange ``details`` carries the ``ErrId|ExceptionType|text`` lines; for login the OAuth
    error body is given whole in ``body``.
    """

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None,
                 details: list | None = None, body: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details
        self.body = body


def bad_request(message: str, code: str = "Request_BadRequest") -> ApiError:
    return ApiError(400, code, message)


def not_found(message: str, code: str = "Request_ResourceNotFound") -> ApiError:
    return ApiError(404, code, message)


@dataclass
class Caller:
    """Who is calling, from a verified access token."""
    tenant_id: str
    app_id: str
    audience: str
    roles: frozenset = frozenset()
    display_name: str = ""


@dataclass
class Request:
    service: str                      # "login" | "graph" | "exchange" | "control"
    method: str
    path: str                         # path without query, e.g. /v1.0/policies/authorizationPolicy
    query: dict                       # decoded query parameters, one value each
    headers: dict                     # lower-cased header names
    body: Any                         # parsed JSON (or form dict for login), None when empty
    world: "World"
    match: dict = field(default_factory=dict)   # named groups of the route pattern
    tenant: "Tenant | None" = None
    caller: Caller | None = None
    request_id: str = field(default_factory=new_id)
    base_url: str = ""                # e.g. https://127.0.0.1:8443 (for nextLink / @odata.context)


@dataclass
class Response:
    status: int = 200
    body: Any = None                  # dict/list -> JSON; bytes -> raw; None -> empty
    headers: dict = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass
class Route:
    service: str
    method: str
    regex: re.Pattern
    handler: Handler
    permissions: tuple = ()           # any one of these application roles is enough


ROUTES: list[Route] = []


def route(service: str, method: str, pattern: str, permissions: tuple = ()):
    """Register a handler.  ``pattern`` is a regex matched against the whole path
    (case-insensitive, as Graph's URL segments are); use named groups for ids."""
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(service, method.upper(), re.compile("^" + pattern + "$", re.I), handler, permissions))
        return handler
    return register


def find_route(service: str, method: str, path: str) -> tuple[Route | None, dict, bool]:
    """Return (route, groups, path_known).  path_known tells 405 from 404."""
    path_known = False
    for r in ROUTES:
        if r.service != service:
            continue
        m = r.regex.match(path)
        if m:
            path_known = True
            if r.method == method.upper():
                return r, m.groupdict(), True
    return None, {}, path_known


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------

@dataclass
class App:
    client_id: str
    display_name: str
    secrets: list = field(default_factory=list)          # plain secret strings
    certificates: list = field(default_factory=list)     # PEM public certificates
    federated: list = field(default_factory=list)        # {"issuer", "subject", "audience", "jwks" | "public_key_pem"}
    roles: frozenset = frozenset()                       # granted application permissions (Graph and Exchange)
    exchange_role: str | None = None                     # e.g. "Exchange Recipient Administrator"
    managed_identity: bool = False                       # served by the /msi/token endpoint


@dataclass
class Tenant:
    id: str
    display_name: str
    domains: list                                        # verified domains, the first is the default
    apps: dict = field(default_factory=dict)             # client_id(lower) -> App
    users: dict = field(default_factory=dict)            # id -> Graph user dict (plus "_exchange" dict for mail users)
    groups: dict = field(default_factory=dict)           # id -> Graph group dict
    mail_contacts: dict = field(default_factory=dict)    # id -> Exchange mail contact dict
    policies: dict = field(default_factory=dict)         # "crossTenantAccessPolicy", "default", "authorizationPolicy", "email", "authenticationFlowsPolicy"
    partners: dict = field(default_factory=dict)         # tenantId(lower) -> partner dict (Graph shape, without identitySynchronization)
    identity_sync: dict = field(default_factory=dict)    # tenantId(lower) -> identitySynchronization dict
    audit: list = field(default_factory=list)            # directoryAudit dicts, oldest first
    pending_exchange: list = field(default_factory=list) # (visible_at, user_id, field, value): delayed Exchange writes
    delegated_admin_customers: list = field(default_factory=list)  # GDAP customers of a partner tenant (Graph shape)
    multi_tenant_organization: list = field(default_factory=list)  # members of its multitenant organization (Graph shape)

    @property
    def default_domain(self) -> str:
        return self.domains[0]


class World:
    """All tenants of one sandbox, plus the knobs that cut across them.

    One re-entrant lock guards every mutation; handlers take ``world.lock`` around a
    read-modify-write so that concurrent requests see whole changes.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}
        self.domain_index: dict[str, str] = {}           # domain(lower) -> tenant id
        self.settings: dict = {"token_lifetime": 3600, "exchange_write_delay": 0.0}
        self.runtime = None                              # the server's keys, faults and request log (sandbox.dispatch.Runtime)

    def add_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.id.lower()] = tenant
        for domain in tenant.domains:
            self.domain_index[domain.lower()] = tenant.id.lower()

    def find_tenant(self, id_or_domain: str) -> Tenant | None:
        key = (id_or_domain or "").lower()
        if key in self.tenants:
            return self.tenants[key]
        tid = self.domain_index.get(key)
        return self.tenants.get(tid) if tid else None
