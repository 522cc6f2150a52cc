"""The Graph client: JSON in, JSON out, through msgraph-core's HTTP pipeline.

Deliberately not msgraph-sdk's typed models: deserialising any response into them costs about
2.3 CPU-seconds per process (the entity discriminator imports ~1,300 classes), more than all the
rest of a task.  Property names therefore appear exactly as Graph spells them.
"""
from __future__ import annotations

import asyncio
import copy
from urllib.parse import quote

from .errors import GraphError
from .transport import IDEMPOTENT, RetryBudget, RetryRule, TokenProvider, build_http_client, send

BATCH_LIMIT = 20


def error_from_response(cls, method: str, path: str, response) -> Exception:
    """Build a GraphError/ExchangeError from an HTTP error response, whatever its body."""
    code = message = ""
    try:
        error = (response.json() or {}).get("error") or {}
        code = error.get("code", "")
        message = error.get("message", "")
        details = error.get("details") or []
        if details and isinstance(details, list) and details[0].get("message"):
            detail = _exchange_reason(details[0]["message"])
            generic = not message or message.startswith(("Error executing", "Invalid Operation"))
            message = detail if generic or detail.startswith(message) else f"{message} ({detail})"
    except ValueError:
        message = "" if not response.content.strip(b"\0 \n") else response.text[:200]
    return cls(method, path, response.status_code, code, message,
               response.headers.get("request-id", ""), _retry_after(response))


def _exchange_reason(text: str) -> str:
    """Exchange's ``ErrId|Namespace.ExceptionType|text`` (as Exchange's InvokeCommand reports a cmdlet's failure) as ``text (ExceptionType)``."""
    parts = text.split("|", 2)
    if len(parts) == 3 and "." in parts[1]:
        return f"{parts[2]} ({parts[1].rsplit('.', 1)[-1]})"
    return text


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def odata_key(value: str) -> str:
    """A value as an OData string literal inside a URL: quotes doubled, then percent-encoded."""
    return quote(value.replace("'", "''"), safe="")


class ReadVerbs:
    """``get_or_none`` and ``list_all`` over a reader's own ``get(path, params)`` (the Graph client,
    and the batching reader that coalesces GETs)."""

    async def get(self, path: str, params: dict | None = None):
        raise NotImplementedError

    async def get_or_none(self, path: str, params: dict | None = None):
        try:
            return await self.get(path, params)
        except GraphError as err:
            if err.status == 404:
                return None
            raise

    async def list_all(self, path: str, params: dict | None = None) -> list:
        """Every item of a collection, following ``@odata.nextLink`` (used whole, as Graph asks)."""
        page = await self.get(path, params)
        items = list(page.get("value", []))
        while page.get("@odata.nextLink"):
            page = await self.get(page["@odata.nextLink"])
            items.extend(page.get("value", []))
        return items


class GraphClient(ReadVerbs):
    """Calls under ``/v1.0``.  :attr:`beta` is the same client (connection pool, token, retry budget)
    under ``/beta``, for the few settings v1.0 does not have; a unit that uses it says so in its docs."""

    def __init__(self, base_url: str, credential, scope: str, *, ca_bundle: str | None = None,
                 timeout: float = 60.0, budget: RetryBudget | None = None):
        self.root = base_url.rstrip("/")
        self.base_url = f"{self.root}/v1.0"
        self.budget = budget or RetryBudget(120)
        self.tokens = TokenProvider(credential, scope)
        self.http = build_http_client(ca_bundle, timeout, self.budget, graph=True)
        self._beta = None

    @property
    def beta(self) -> "GraphClient":
        if self._beta is None:
            beta = copy.copy(self)
            beta.base_url, beta._beta = f"{self.root}/beta", None
            self._beta = beta
        return self._beta

    async def close(self) -> None:
        await self.http.aclose()       # the beta view shares this pool

    async def request(self, method: str, path: str, body=None, params: dict | None = None,
                      headers: dict | None = None, *, safe: bool | None = None, landed=None):
        """Call Graph; return the parsed JSON body (None for 204) or raise :class:`GraphError`.

        ``safe`` overrides the method's default retry rule (see :class:`RetryRule`); ``landed``
        (a :class:`~plan.Landed`) is the read that tells whether a non-idempotent write took effect."""
        url = path if path.startswith("https://") else self.base_url + path
        rule = RetryRule(method.upper() in IDEMPOTENT if safe is None else safe,
                         self._landed_probe(landed) if landed is not None else None)
        response = await send(self.http, self.tokens, self.budget, method, url, json=body, params=params,
                              headers=headers, rule=rule)
        if response.status_code >= 400:
            raise error_from_response(GraphError, method, path.split("?")[0], response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _landed_probe(self, landed):
        async def probe() -> bool:
            current = await self.get_or_none(landed.path)
            return current is not None and all(current.get(key) == value for key, value in landed.expect.items())
        return probe

    async def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return await self.request("GET", path, params=params, headers=headers)

    async def batch(self, requests: list[dict]) -> dict:
        """Run many requests through ``$batch``, 20 at a time.

        ``requests`` are ``{"id", "method", "url", "body"?}`` with URLs relative to the version root.
        The ``$batch`` POST itself is safe to repeat when every item is (GET, PUT, PATCH, DELETE).
        Items answered 429 - and 503/504 when the item is safe to repeat - are sent again on
        their own after their ``Retry-After`` while the budget lasts.  Returns
        ``{id: (status, body)}``; the caller decides what an item's failure means.
        """
        results: dict = {}
        pending = list(requests)
        while pending:
            retry, wait = [], 0.0
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start:start + BATCH_LIMIT]
                safe = all(r["method"].upper() in IDEMPOTENT for r in chunk)
                answer = await self.request("POST", "/$batch", {"requests": [_batch_item(r) for r in chunk]},
                                            safe=safe)
                for item in answer.get("responses", []):
                    status = int(item.get("status", 0))
                    sent = next(r for r in chunk if str(r["id"]) == str(item["id"]))
                    if status == 429 or (status in (503, 504) and sent["method"].upper() in IDEMPOTENT):
                        retry.append(sent)
                        wait = max(wait, _header_seconds(item.get("headers") or {}))
                    results[str(item["id"])] = (status, item.get("body"))
            if not retry or not self.budget.take(wait):
                break
            await asyncio.sleep(wait)
            pending = retry
        return results


def _batch_item(request: dict) -> dict:
    item = {"id": str(request["id"]), "method": request["method"].upper(), "url": request["url"]}
    if request.get("body") is not None:
        item["body"] = request["body"]
        item["headers"] = {"Content-Type": "application/json"}
    return item


def _header_seconds(headers: dict) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return 1.0
    return 1.0
