"""The Exchange Online admin API client: cmdlets through ``InvokeCommand`` without PowerShell.

The endpoint is undocumented by Microsoft (this follows third-party clients, e.g. the CIPP project): POST
``{exchange}/adminapi/beta/{tenantGuid}/InvokeCommand`` with ``{"CmdletInput": {...}}``, paged by
``@odata.nextLink``; the reason for a failure sits in ``error.details[].message`` as
``ErrId|ExceptionType|text``.  The tenant segment must be the GUID, which we read from the token.
"""
from __future__ import annotations

import base64
import json

from .errors import ExchangeError
from .graph import error_from_response
from .transport import RetryBudget, RetryRule, TokenProvider, build_http_client, send

ANCHOR_MAILBOX = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"
# Cmdlets that read, or set properties to given values, leave the same state when run twice.
SAFE_VERBS = ("Get", "Set")


def cmdlet_is_safe(cmdlet: str, parameters: dict) -> bool:
    """Get-* and Set-* are safe to repeat, unless a parameter is a hashtable (``@{Add=...}``
    adds to a multi-valued property, so a second run would add again)."""
    return cmdlet.split("-", 1)[0] in SAFE_VERBS and not any(isinstance(v, dict) for v in parameters.values())


def token_tenant(access_token: str) -> str:
    payload = access_token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["tid"]


class ExchangeClient:
    def __init__(self, base_url: str, credential, scope: str, *, ca_bundle: str | None = None,
                 timeout: float = 60.0, budget: RetryBudget | None = None, page_size: int = 1000):
        self.base_url = base_url.rstrip("/")
        self.budget = budget or RetryBudget(120)
        self.tokens = TokenProvider(credential, scope)
        self.http = build_http_client(ca_bundle, timeout, self.budget, graph=False)
        self.page_size = page_size

    async def close(self) -> None:
        await self.http.aclose()

    async def invoke(self, cmdlet: str, parameters: dict | None = None, select: list | None = None) -> list:
        """Run a cmdlet and return every output object (all pages)."""
        tenant = token_tenant(await self.tokens.token())
        url = f"{self.base_url}/adminapi/beta/{tenant}/InvokeCommand"
        if select:
            url += "?$select=" + ",".join(select)
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
        headers = {"X-AnchorMailbox": ANCHOR_MAILBOX + tenant, "Prefer": f"odata.maxpagesize={self.page_size}",
                   "Content-Type": "application/json"}
        rule = RetryRule(cmdlet_is_safe(cmdlet, parameters or {}))
        items: list = []
        while url:
            response = await send(self.http, self.tokens, self.budget, "POST", url, json=body, headers=headers,
                                  rule=rule)
            if response.status_code >= 400:
                raise error_from_response(ExchangeError, "POST", f"InvokeCommand {cmdlet}", response)
            page = response.json() if response.content else {}
            items.extend(page.get("value", []))
            url = page.get("@odata.nextLink")
        return items
