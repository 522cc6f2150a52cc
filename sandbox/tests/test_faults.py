"""Every fault kind and trigger, seen from the clients the collection uses."""
from __future__ import annotations

import json
import os
import time

import httpx
import pytest
from conftest import GRAPH_SCOPE, bearer, graph_client_for, run, secret_credential

AUTHZ = "/v1.0/policies/authorizationPolicy"
EXAMPLES = os.path.join(os.path.dirname(__file__), "examples")


def get_statuses(sandbox, http, count: int, name="contoso") -> list:
    headers = bearer(sandbox, name)
    return [http.get(sandbox.graph_url + AUTHZ, headers=headers).status_code for _ in range(count)]


def test_latency_with_jitter(sandbox, http):
    headers = bearer(sandbox)
    sandbox.set_faults({"kind": "latency", "latency_ms": 250, "jitter_ms": 50, "service": "graph"})
    started = time.monotonic()
    assert http.get(sandbox.graph_url + AUTHZ, headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.25


@pytest.mark.parametrize("status, code", [(503, "serviceNotAvailable"), (504, "GatewayTimeout"),
                                          (500, "generalException")])
def test_error_status_faults(sandbox, http, status, code):
    sandbox.set_faults({"kind": "status", "status": status, "service": "graph", "count": 1})
    headers = bearer(sandbox)
    first = http.get(sandbox.graph_url + AUTHZ, headers=headers)
    assert (first.status_code, first.json()["error"]["code"]) == (status, code)
    assert http.get(sandbox.graph_url + AUTHZ, headers=headers).status_code == 200


def test_every_nth_request(sandbox, http):
    sandbox.set_faults({"kind": "status", "status": 503, "every": 3, "path": "authorizationPolicy"})
    assert get_statuses(sandbox, http, 6) == [200, 200, 503, 200, 200, 503]


def test_probability_is_reproducible_with_a_seed(sandbox, http):
    spec = {"kind": "status", "status": 503, "probability": 0.5, "seed": 42, "path": "authorizationPolicy"}
    sandbox.set_faults(spec)
    first = get_statuses(sandbox, http, 16)
    sandbox.reset()
    sandbox.set_faults(spec)
    assert get_statuses(sandbox, http, 16) == first
    assert 200 in first and 503 in first


def test_faults_scoped_to_a_tenant_by_domain(sandbox, http):
    sandbox.set_faults({"kind": "status", "status": 503, "tenant": "fabrikam.com", "service": "graph"})
    assert get_statuses(sandbox, http, 1, "contoso") == [200]
    assert get_statuses(sandbox, http, 1, "fabrikam") == [503]


def test_sdk_honours_retry_after_on_429(sandbox):
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 1, "count": 1, "path": "authorizationPolicy"})

    async def read():
        return await graph_client_for(sandbox).policies.authorization_policy.get()
    assert run(read()).id == "authorizationPolicy"
    gets = [e for e in sandbox.requests_log()["entries"] if e["path"] == AUTHZ]
    assert [e["status"] for e in gets] == [429, 200]
    assert gets[1]["time"] - gets[0]["time"] >= 1.0


def test_429_body_is_the_documented_one(sandbox, http):
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 7, "service": "graph"})
    response = http.get(sandbox.graph_url + AUTHZ, headers=bearer(sandbox))
    with open(os.path.join(EXAMPLES, "throttling_429_response_body.json"), encoding="utf-8") as f:
        documented = json.load(f)
    body = response.json()
    assert response.headers["retry-after"] == "7"
    assert body["error"]["code"] == documented["error"]["code"]
    assert set(body["error"]["innerError"]) == set(documented["error"]["innerError"])
    assert body["error"]["innerError"]["request-id"] == response.headers["request-id"]


def test_dropped_connection(sandbox, http):
    headers = bearer(sandbox)
    sandbox.set_faults({"kind": "drop", "count": 1, "service": "graph"})
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(sandbox.graph_url + AUTHZ, headers=headers)
    assert http.get(sandbox.graph_url + AUTHZ, headers=headers).status_code == 200
    assert [e["status"] for e in sandbox.requests_log()["entries"] if e["path"] == AUTHZ] == [0, 200]


def test_drop_after_applies_the_write_then_closes_the_socket(sandbox, http):
    headers = bearer(sandbox)
    sandbox.set_faults({"kind": "drop_after", "count": 1, "service": "graph", "method": "PATCH"})
    with pytest.raises(httpx.RemoteProtocolError):
        http.patch(sandbox.graph_url + AUTHZ, json={"allowInvitesFrom": "adminsAndGuestInviters"}, headers=headers)
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["allowInvitesFrom"] == "adminsAndGuestInviters"
    assert [e["status"] for e in sandbox.requests_log()["entries"] if e["path"] == AUTHZ] == [0]


def test_drop_after_in_a_batch_item_is_an_applied_504(sandbox, http):
    sandbox.set_faults({"kind": "drop_after", "count": 1, "service": "graph", "method": "PATCH"})
    batch = {"requests": [{"id": "1", "method": "PATCH", "url": "/policies/authorizationPolicy",
                           "headers": {"Content-Type": "application/json"},
                           "body": {"allowInvitesFrom": "adminsAndGuestInviters"}}]}
    response = http.post(sandbox.graph_url + "/v1.0/$batch", json=batch, headers=bearer(sandbox))
    assert [item["status"] for item in response.json()["responses"]] == [504]
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["allowInvitesFrom"] == "adminsAndGuestInviters"


def test_login_outage(sandbox, http):
    sandbox.set_faults({"kind": "login_outage", "tenant": "fabrikam.com"})
    response = http.post(f"{sandbox.login_url}/fabrikam.com/oauth2/v2.0/token", data={"grant_type": "x"})
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert response.json()["error_codes"] == [90033]


def test_azure_identity_retries_a_brief_login_outage(sandbox):
    sandbox.set_faults({"kind": "login_outage", "count": 1})
    assert secret_credential(sandbox).get_token(GRAPH_SCOPE).token
    token_calls = [e["status"] for e in sandbox.requests_log()["entries"] if e["path"].endswith("/token")]
    assert token_calls == [503, 200]


def test_token_lifetime_fault_is_per_tenant(sandbox):
    sandbox.set_faults({"kind": "token_lifetime", "seconds": 5, "tenant": "contoso.com"})
    assert secret_credential(sandbox, "contoso").get_token(GRAPH_SCOPE).expires_on - time.time() <= 5
    assert secret_credential(sandbox, "fabrikam").get_token(GRAPH_SCOPE).expires_on - time.time() > 3000


def test_token_bucket_resource_units(sandbox, http):
    # Contoso is a small tenant: 3,500 RU per 10 s, scaled down to 3.5 RU.
    sandbox.set_faults({"kind": "throttle", "scale": 0.001})
    headers = bearer(sandbox)
    responses = [http.get(sandbox.graph_url + AUTHZ, headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0].headers["x-ms-resource-unit"] == "1"
    throttled = responses[3]
    app, tenant = sandbox.tenant("contoso")["client_id"], sandbox.tenant("contoso")["id"]
    assert throttled.headers["x-ms-throttle-scope"] == f"Tenant_Application/ResourceUnit/{app}/{tenant}"
    assert throttled.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert int(throttled.headers["retry-after"]) >= 1
    assert get_statuses(sandbox, http, 1, "fabrikam") == [200]      # buckets are per app+tenant


def test_token_bucket_write_quota(sandbox, http):
    sandbox.set_faults({"kind": "throttle", "scale": 0.001, "path": "authorizationPolicy"})
    headers = bearer(sandbox)
    statuses = [http.patch(sandbox.graph_url + AUTHZ, json={"allowInvitesFrom": "everyone"}, headers=headers)
                for _ in range(4)]
    assert [r.status_code for r in statuses[:3]] == [204, 204, 204]
    assert statuses[3].status_code == 429
    assert statuses[3].headers["x-ms-throttle-information"] == "WriteLimitExceeded"
