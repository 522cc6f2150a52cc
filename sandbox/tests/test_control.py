"""The control API: request log, reset, state dump, faults, settings."""
from __future__ import annotations

import pytest
from conftest import bearer

from sandbox.testing import SandboxError

AUTHZ = "/v1.0/policies/authorizationPolicy"


def test_reset_restores_the_seed_and_clears_faults_and_log(sandbox, http):
    headers = bearer(sandbox)
    assert http.patch(sandbox.graph_url + AUTHZ, json={"allowInvitesFrom": "adminsAndGuestInviters"},
                      headers=headers).status_code == 204
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["allowInvitesFrom"] == "adminsAndGuestInviters"
    sandbox.set_faults({"kind": "latency", "latency_ms": 1})
    sandbox.reset()
    assert [e["path"] for e in sandbox.requests_log()["entries"]] == ["/reset"]
    assert sandbox.state("contoso")["policies"]["authorizationPolicy"]["allowInvitesFrom"] == "everyone"
    assert sandbox.faults() == []


def test_request_log_counts_and_since(sandbox, http):
    headers = bearer(sandbox)
    mark = sandbox.requests_log()["last_seq"]
    for _ in range(2):
        http.get(sandbox.graph_url + AUTHZ, headers=headers)
    http.get(sandbox.graph_url + "/v1.0/groups/2c2d083e-1b64-4a26-8665-2c9136da5844", headers=bearer(sandbox, "fabrikam"))
    log = sandbox.requests_log(since=mark)
    graph = [e for e in log["entries"] if e["service"] == "graph"]
    assert [(e["method"], e["path"], e["status"]) for e in graph][:2] == [("GET", AUTHZ, 200)] * 2
    assert graph[0]["app"] == sandbox.tenant("contoso")["client_id"] and graph[0]["duration_ms"] >= 0
    assert log["per_endpoint"]["GET " + AUTHZ] == 2
    assert log["per_endpoint"]["GET /v1.0/groups/{id}"] == 1
    assert log["per_tenant"][sandbox.tenant("fabrikam")["id"]] >= 1
    assert all(e["seq"] > mark for e in log["entries"])


def test_state_of_one_tenant_and_of_an_unknown_one(sandbox):
    fabrikam = sandbox.state("fabrikam.com")
    assert "2c2d083e-1b64-4a26-8665-2c9136da5844" in fabrikam["groups"]
    assert set(sandbox.state()["tenants"]) >= {sandbox.tenant(n)["id"] for n in ("contoso", "fabrikam", "northwind")}
    with pytest.raises(SandboxError, match="404"):
        sandbox.state("nowhere.example")


def test_faults_add_list_delete_by_id(sandbox):
    added = sandbox.set_faults({"kind": "latency", "latency_ms": 1}, {"kind": "status", "status": 503, "count": 1})
    assert [f["kind"] for f in sandbox.faults()] == ["latency", "status"]
    sandbox.control("DELETE", f"/faults?id={added[0]['id']}")
    assert [f["id"] for f in sandbox.faults()] == [added[1]["id"]]
    sandbox.clear_faults()
    assert sandbox.faults() == []


@pytest.mark.parametrize("fault", [{"kind": "earthquake"}, {"kind": "status", "status": 418},
                                   {"kind": "status", "status": 503, "path": "("}])
def test_invalid_faults_are_400(sandbox, fault):
    with pytest.raises(SandboxError, match="400"):
        sandbox.set_faults(fault)


def test_settings(sandbox):
    assert sandbox.settings(token_lifetime=30, exchange_write_delay=0.5) == {"token_lifetime": 30,
                                                                             "exchange_write_delay": 0.5}
    with pytest.raises(SandboxError, match="400"):
        sandbox.settings(colour="blue")
    sandbox.reset()
    assert sandbox.state()["settings"]["token_lifetime"] == 3600
