"""Errors the collection raises, each rendered as one clear line.

A Graph or Exchange failure names the operation, the HTTP status, the service's error code and
message, and the request-id; a 403 also names the permission the call needs.
"""
from __future__ import annotations

import re


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (or its type's name): what a one-line error quotes."""
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class TenantOpsError(Exception):
    """Base class: ``str(err)`` is the line shown to the user (the runner prefixes the tenant)."""


class InputError(TenantOpsError):
    """A bad option value, found before any call is made.  ``field`` is the option path."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class AuthError(TenantOpsError):
    """No token could be obtained (bad credential, unknown tenant, unreachable login endpoint)."""


# (method, path regex, permission) — the least-privileged application permission each call needs.
_PERMISSIONS = [
    ("GET", r"/policies/crossTenantAccessPolicy", "Policy.Read.All"),
    ("*", r"/policies/crossTenantAccessPolicy", "Policy.ReadWrite.CrossTenantAccess"),
    ("GET", r"/policies/authorizationPolicy", "Policy.Read.All"),
    ("*", r"/policies/authorizationPolicy", "Policy.ReadWrite.Authorization"),
    ("GET", r"/policies/authenticationMethodsPolicy", "Policy.Read.All"),
    ("*", r"/policies/authenticationMethodsPolicy", "Policy.ReadWrite.AuthenticationMethod"),
    ("GET", r"/policies/authenticationFlowsPolicy", "Policy.Read.All"),
    ("*", r"/policies/authenticationFlowsPolicy", "Policy.ReadWrite.AuthenticationFlows"),
    ("GET", r"/users", "User.Read.All"),
    ("*", r"/users", "User.ReadWrite.All"),
    ("GET", r"/tenantRelationships/delegatedAdminCustomers", "DelegatedAdminRelationship.Read.All"),
    ("GET", r"/tenantRelationships/multiTenantOrganization", "MultiTenantOrganization.Read.All"),
    ("GET", r"/tenantRelationships", "CrossTenantInformation.ReadBasic.All"),
    ("GET", r"/organization", "Organization.Read.All"),
    ("GET", r"/groups", "Group.Read.All"),
    ("GET", r"/auditLogs", "AuditLog.Read.All"),
    ("*", r"InvokeCommand",
     "Exchange.ManageAsApp (Office 365 Exchange Online) and an Exchange role such as "
     "Exchange Recipient Administrator on the app's service principal"),
]


def permission_for(method: str, path: str) -> str | None:
    for wanted_method, pattern, permission in _PERMISSIONS:
        if wanted_method in ("*", method.upper()) and re.search(pattern, path, re.I):
            return permission
    return None


class ServiceError(TenantOpsError):
    """An HTTP error answered by Graph or Exchange."""

    service = "Graph"

    def __init__(self, method: str, path: str, status: int, code: str = "", message: str = "",
                 request_id: str = "", retry_after: float | None = None):
        self.method = method.upper()
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [f"{self.service} {self.method} {self.path} failed: HTTP {self.status}"]
        if self.code:
            parts.append(self.code)
        line = " ".join(parts)
        if self.message:
            line += f": {self.message}"
        if self.status == 403:
            needed = permission_for(self.method, self.path)
            if needed:
                line += f" (the application needs {needed})"
        if self.status == 429:
            line += " (throttled; the retry budget was used up"
            line += f", Retry-After {self.retry_after:g} s)" if self.retry_after is not None else ")"
        if self.request_id:
            line += f" [request-id {self.request_id}]"
        return line


class GraphError(ServiceError):
    service = "Graph"


class ExchangeError(ServiceError):
    service = "Exchange"


class TransportError(TenantOpsError):
    """The connection failed (refused, dropped, timed out) and retries did not help."""


class ApplyError(TenantOpsError):
    """A write failed part-way: what was applied and what was not, so a rerun converges."""

    def __init__(self, cause: Exception, applied: list, not_applied: list, *, extra: dict | None = None,
                 hint: str | None = None):
        super().__init__(str(cause))
        self.cause = cause
        self.applied = applied
        self.not_applied = not_applied
        self.extra = extra or {}      # more result keys, e.g. the per-user failures of a bulk write
        self.hint = hint              # replaces the runner's "nothing after the first failure" hint
