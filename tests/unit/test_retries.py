"""The retry rule (docs/retries.md) as pure logic: which requests are safe to repeat, which
statuses kiota may answer by sending again, $batch items, and token reuse."""
import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest
from kiota_http.middleware.options import RetryHandlerOption

from ansible_collections.tenantops.entra.plugins.module_utils import transport
from ansible_collections.tenantops.entra.plugins.module_utils.exchange import cmdlet_is_safe
from ansible_collections.tenantops.entra.plugins.module_utils.graph import GraphClient


@pytest.mark.parametrize("method, safe", [("GET", True), ("put", True), ("PATCH", True), ("DELETE", True),
                                          ("POST", False)])
def test_safe_by_method_unless_the_caller_says(method, safe):
    assert transport.RetryRule.for_method(method).safe is safe


@pytest.mark.parametrize("cmdlet, parameters, safe", [
    ("Get-MailUser", {}, True),
    ("Set-MailUser", {"Identity": "x", "HiddenFromAddressListsEnabled": True}, True),
    ("Set-MailUser", {"Identity": "x", "EmailAddresses": {"Add": "smtp:a@b.c"}}, False),
    ("New-MailContact", {"ExternalEmailAddress": "a@b.c"}, False),
    ("Remove-MailContact", {"Identity": "x"}, False),
])
def test_exchange_cmdlets_that_read_or_set_a_value_are_safe(cmdlet, parameters, safe):
    assert cmdlet_is_safe(cmdlet, parameters) is safe


def answered(status: int, safe: bool, retry_after: str = "1") -> httpx.Response:
    request = httpx.Request("POST", "https://graph.example/v1.0/x")
    request.extensions[transport.RETRY_SAFE_KEY] = safe
    return httpx.Response(status, headers={"Retry-After": retry_after}, request=request)


@pytest.mark.parametrize("status, safe, retried", [(429, False, True), (503, False, False), (504, False, False),
                                                   (503, True, True), (504, True, True), (429, True, True)])
def test_kiota_sends_again_only_what_may_be_repeated(status, safe, retried):
    budget = transport.RetryBudget(60)
    handler = transport.BoundedRetryHandler(budget)
    delay = handler.get_delay_time(0, answered(status, safe))
    assert (delay < RetryHandlerOption.MAX_DELAY) is retried
    assert budget.retries == (1 if retried else 0)      # a refused retry costs nothing


def test_batch_items_answered_503_are_sent_again_only_when_safe():
    client = GraphClient.__new__(GraphClient)
    client.budget = transport.RetryBudget(10)
    sent = []

    async def request(method, path, body=None, *, safe=None, **options):
        items = body["requests"]
        sent.append(([i["id"] for i in items], safe))
        return {"responses": [{"id": i["id"], "status": 503 if len(sent) == 1 else 200,
                               "headers": {"Retry-After": "0"}} for i in items]}
    client.request = request
    answers = asyncio.run(client.batch([{"id": "read", "method": "GET", "url": "/users"},
                                        {"id": "create", "method": "POST", "url": "/x", "body": {}}]))
    assert sent == [(["read", "create"], False), (["read"], True)]
    assert answers == {"read": (200, None), "create": (503, None)}


class CountingCredential:
    def __init__(self, lifetime: float):
        self.lifetime = lifetime
        self.calls = 0

    def get_token(self, scope):
        self.calls += 1
        return SimpleNamespace(token=f"t{self.calls}", expires_on=time.time() + self.lifetime)


@pytest.mark.parametrize("lifetime", [3600, 60])
def test_a_token_is_reused_within_its_lifetime(lifetime):
    credential = CountingCredential(lifetime)
    tokens = transport.TokenProvider(credential, "https://graph.microsoft.com/.default")

    async def many():
        return {await tokens.token() for attempt in range(50)}
    assert asyncio.run(many()) == {"t1"}
    assert credential.calls == 1


def test_a_token_near_its_end_is_fetched_again():
    credential = CountingCredential(0.5)        # renewed in the last fifth of its lifetime: after 0.4 s
    tokens = transport.TokenProvider(credential, "scope")
    assert asyncio.run(tokens.token()) == "t1"
    time.sleep(0.45)
    assert asyncio.run(tokens.token()) == "t2"
