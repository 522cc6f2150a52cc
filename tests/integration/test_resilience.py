"""Throttling, outages and dropped connections through ansible-playbook: retried within the
budget, and a budget that runs out fails fast with one clear line instead of hanging."""
import time

TASK = {"name": "allow US Gov", "tenantops.entra.cross_tenant_access_policy": {
    "allowed_cloud_endpoints": ["microsoftonline.us"]}}


def test_throttled_and_unavailable_answers_are_retried(sandbox, ansible):
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 1, "service": "graph", "count": 2},
                       {"kind": "status", "status": 503, "retry_after": 1, "service": "graph", "method": "PATCH",
                        "count": 1})
    run = ansible([TASK])
    assert run.rc == 0, run.stdout
    assert run.task("allow US Gov")["changed"] is True
    statuses = [e["status"] for e in sandbox.requests_log()["entries"] if e["service"] == "graph"]
    assert statuses.count(429) == 2 and statuses.count(503) == 1
    assert sandbox.state("contoso")["policies"]["crossTenantAccessPolicy"]["allowedCloudEndpoints"] == ["microsoftonline.us"]


def test_a_dropped_connection_on_a_read_is_retried(sandbox, ansible):
    sandbox.set_faults({"kind": "drop", "service": "graph", "method": "GET", "count": 1})
    run = ansible([TASK])
    assert run.rc == 0, run.stdout


def test_retry_budget_bounds_the_wait(sandbox, ansible):
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 30, "service": "graph"})
    task = {"name": "allow US Gov", "tenantops.entra.cross_tenant_access_policy": {
        "allowed_cloud_endpoints": ["microsoftonline.us"], "max_retry_wait": 5}}
    started = time.monotonic()
    run = ansible([task])
    elapsed = time.monotonic() - started
    assert run.rc != 0
    message = run.task("allow US Gov")["msg"]
    assert "HTTP 429" in message and "Retry-After 30 s" in message
    assert message.startswith("tenant 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9:")
    assert elapsed < 30, f"waited {elapsed:.0f} s although Retry-After (30 s) exceeded the 5 s budget"
