"""What Graph and Exchange calls share: tokens, the HTTP client with the SDK's middleware, and a
retry budget so that throttling can slow a run down but never hang it.

The HTTP client is msgraph-core's / kiota's httpx pipeline (redirects, retries of 429/503/504 with
``Retry-After``, telemetry).  Kiota honours any ``Retry-After`` without a cap; the
:class:`BoundedRetryHandler` below charges each wait to a per-run :class:`RetryBudget` and stops
retrying once the budget is spent, so the caller gets the 429 back and reports it.
"""
from __future__ import annotations

import asyncio
import functools
import importlib
import os
import ssl
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Awaitable, Callable

import traceback

from .errors import AuthError, TenantOpsError, TransportError, first_line

# Imported at the top: an action plugin's imports happen once in the controller, before the workers
# fork, instead of once per task (msgraph-core and, in auth.py, azure-identity cost about 0.11 CPU-s together).
try:
    import certifi
    import httpx
    from msgraph_core import GraphClientFactory
    from kiota_http.kiota_client_factory import KiotaClientFactory
    from kiota_http.middleware import RetryHandler
    from kiota_http.middleware.middleware import REQUEST_OPTIONS_KEY
    from kiota_http.middleware.options import RetryHandlerOption
    IMPORT_ERROR = None
except ImportError:  # reported by require_libraries(), so that a missing library is one clear line
    RetryHandler = object
    IMPORT_ERROR = traceback.format_exc()

# Dropped connections (and, for requests that are not safe to repeat, 503/504 answers) are
# retried this many times; 429/503/504 of safe requests are retried by kiota up to MAX_RETRIES.
TRANSPORT_RETRIES = 4
IDEMPOTENT = frozenset({"GET", "PUT", "PATCH", "DELETE"})
MAX_RETRIES = 6
# The request extension that tells BoundedRetryHandler whether a 503/504 may be answered by sending again.
RETRY_SAFE_KEY = "tenantops_retry_safe"


@dataclass(frozen=True)
class RetryRule:
    """Whether a request may be sent again after a dropped connection or a 503/504 answer.

    ``safe``: a second attempt leaves the tenant as one success would - reads (also those sent
    as POST: Exchange Get-* cmdlets, a ``$batch`` of reads), and writes that set a value (PUT,
    PATCH, DELETE, Set-* cmdlets with the same parameters).  Such requests are retried on
    dropped connections, 429, 503 and 504 while the budget lasts.

    A request that is not safe (creating a partner with POST, ``resetToSystemDefault``) is sent
    again only when ``landed`` - an async read - answers False, i.e. shows that the first attempt
    did not take effect; True means it did, and the request counts as done.  Without ``landed`` it
    is never repeated, except after a 429, which the service answers before doing anything
    (https://learn.microsoft.com/en-us/graph/throttling: "the requests fail").
    """
    safe: bool
    landed: Callable[[], Awaitable[bool]] | None = None

    @classmethod
    def for_method(cls, method: str) -> "RetryRule":
        return cls(method.upper() in IDEMPOTENT)


def require_libraries() -> None:
    if IMPORT_ERROR:
        raise TenantOpsError("the Python libraries msgraph-sdk (msgraph-core) and azure-identity are required on the "
                             "controller: pip install -r requirements.txt of the collection\n" + IMPORT_ERROR)


class RetryBudget:
    """Total seconds a run may spend waiting before retries."""

    def __init__(self, seconds: float):
        self.remaining = float(seconds)
        self.waited = 0.0
        self.retries = 0

    def take(self, delay: float) -> bool:
        if delay > self.remaining:
            return False
        self.remaining -= delay
        self.waited += delay
        self.retries += 1
        return True


class BoundedRetryHandler(RetryHandler):
    """Kiota's retry handler, with every wait charged to a shared :class:`RetryBudget`."""

    def __init__(self, budget: RetryBudget):
        super().__init__(RetryHandlerOption(max_retries=MAX_RETRIES))
        self.budget = budget

    def get_delay_time(self, retry_count, response=None, delay=None):
        wait = super().get_delay_time(retry_count, response, RetryHandlerOption.DEFAULT_DELAY if delay is None else delay)
        # Kiota asks for a delay after every response; only a retryable one spends the budget.
        if response is None or response.status_code not in self.retry_on_status_codes:
            return wait
        if response.status_code != 429 and not response.request.extensions.get(RETRY_SAFE_KEY, True):
            return RetryHandlerOption.MAX_DELAY  # send() decides, after asking whether it landed
        if retry_count >= MAX_RETRIES or not self.budget.take(wait):
            return RetryHandlerOption.MAX_DELAY  # kiota's own "do not retry" threshold
        return wait


@functools.lru_cache(maxsize=8)
def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The TLS context for a CA bundle (certifi's when None), loaded once per process: Graph and
    Exchange share it, and the one of the bundle named in the environment is made before the fork."""
    return ssl.create_default_context(cafile=ca_bundle or certifi.where())


# What the HTTP stack and azure-identity import on first use (connection pools, HTTP/1.1 and 2,
# the asyncio backend, MSAL's cache helpers): imported here too, so once before the fork rather
# than in every task's worker (about 0.05 CPU-s a task, measured).
FIRST_USE_IMPORTS = ("anyio._backends._asyncio", "httpcore._async.http11", "httpcore._async.http2",
                     "httpcore._backends.anyio", "h11", "h2.connection", "hpack", "hyperframe.frame",
                     "msal_extensions", "netrc", "concurrent.futures.thread",
                     "azure.core.pipeline.transport._requests_basic", "azure.core.rest._requests_basic",
                     "encodings.utf_8_sig")


def _import_first_use_modules() -> None:
    for name in FIRST_USE_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # a version without it imports something else; that is only slower
            pass


if IMPORT_ERROR is None:
    tls_context(os.environ.get("TENANTOPS_ENTRA_CA_BUNDLE") or None)
    _import_first_use_modules()


def build_http_client(ca_bundle: str | None, timeout: float, budget: RetryBudget, *, graph: bool):
    client = httpx.AsyncClient(verify=tls_context(ca_bundle), timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
                               limits=httpx.Limits(max_connections=20, max_keepalive_connections=20))
    middleware = [handler for handler in KiotaClientFactory.get_default_middleware(None)
                  if not isinstance(handler, RetryHandler)]
    middleware.insert(0, BoundedRetryHandler(budget))
    if graph:
        return GraphClientFactory.create_with_custom_middleware(middleware, client=client)
    return KiotaClientFactory.create_with_custom_middleware(middleware, client=client)


# One lock per credential, shared by its token providers (Graph, Exchange): MSAL discovers the
# authority on a credential's first token, and two first tokens fetched at once discover it twice.
_CREDENTIAL_LOCKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class TokenProvider:
    """Access tokens for one resource from a synchronous azure-identity credential, reused until
    shortly before expiry (two minutes, or a fifth of a short lifetime).  Fetching runs in a
    thread so that the event loop keeps going."""

    def __init__(self, credential, scope: str):
        self.credential = credential
        self.scope = scope
        self.fetches = 0
        self._token = None
        self._refresh_at = 0.0
        self._lock = _CREDENTIAL_LOCKS.setdefault(credential, asyncio.Lock())

    async def token(self, *, refresh: bool = False) -> str:
        async with self._lock:
            if refresh or self._token is None or time.time() >= self._refresh_at:
                self._token = await asyncio.to_thread(self._fetch)
                self.fetches += 1
                lifetime = max(self._token.expires_on - time.time(), 0)
                self._refresh_at = self._token.expires_on - min(120.0, lifetime / 5)
            return self._token.token

    def _fetch(self):
        from azure.core.exceptions import AzureError
        try:
            return self.credential.get_token(self.scope)
        except AzureError as exc:
            raise AuthError(f"could not get a token for {self.scope}: {first_line(exc)}") from None
        except ValueError as exc:  # MSAL: authority discovery failed (unknown tenant, unreachable host)
            raise AuthError(f"could not get a token for {self.scope}: {first_line(exc)}") from None


async def send(client, tokens: TokenProvider, budget: RetryBudget, method: str, url: str,
               *, json=None, headers: dict | None = None, params: dict | None = None,
               rule: RetryRule | None = None) -> "httpx.Response":
    """One call with a bearer token: refreshes an expired token once, sends again after a dropped
    connection (or a 503/504 of a request that is not safe to repeat) as ``rule`` allows, and
    leaves status handling to the caller."""
    method = method.upper()
    rule = rule or RetryRule.for_method(method)
    request_headers = {"client-request-id": str(uuid.uuid4()), "Accept": "application/json"}
    request_headers.update(headers or {})
    refreshed = refresh_now = answer_lost = False
    repeats = 0
    while True:
        request_headers["Authorization"] = "Bearer " + await tokens.token(refresh=refresh_now)
        refresh_now = False
        request = client.build_request(method, url, json=json, headers=request_headers, params=params)
        # msgraph-core's transport runs the middleware (retries included) only for requests that
        # carry kiota request options; plain httpx requests would bypass it.
        request.extensions[REQUEST_OPTIONS_KEY] = {}
        request.extensions[RETRY_SAFE_KEY] = rule.safe
        try:
            response = await read_body(await client.send(request, stream=True))
        except (httpx.TransportError, httpx.StreamError) as exc:
            response, failure = None, f"connection failed: {first_line(exc) or type(exc).__name__}"
            never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
            answer_lost = answer_lost or not never_sent
        else:
            if response.status_code == 401 and not refreshed:
                refreshed = refresh_now = True  # the token may have expired mid-run
                continue
            if method == "DELETE" and response.status_code == 404 and answer_lost:
                return httpx.Response(204, request=request)  # the attempt whose answer was lost removed it
            if rule.safe or rule.landed is None or response.status_code not in (503, 504):
                return response
            failure, never_sent = f"HTTP {response.status_code}", False
        if not rule.safe and not never_sent:
            if rule.landed is None:
                raise TransportError(f"{method} {url}: {failure}; not sent again, since a second {method} "
                                     f"could repeat what the first may have done")
            if await rule.landed():
                return httpx.Response(204, request=request)  # the first attempt took effect
        repeats += 1
        if repeats > TRANSPORT_RETRIES or not budget.take(0.5 * repeats):
            if response is not None:
                return response
            raise TransportError(f"{method} {url}: {failure}")
        await asyncio.sleep(0.5 * repeats)


async def read_body(response: httpx.Response) -> httpx.Response:
    """Read a streamed response.  Exchange answers a cmdlet it does not know (or the app's role
    lacks) with a 403 whose body is NUL bytes declared as gzip (observed from the undocumented
    InvokeCommand endpoint; see exchange.py): that body is dropped so the caller still sees the
    status, instead of httpx's DecodingError."""
    try:
        await response.aread()
        return response
    except httpx.DecodingError:
        await response.aclose()
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=b"", request=response.request)
