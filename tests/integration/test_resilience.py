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


# ---------------------------------------------------------------------------------------------
# Retry by meaning (docs/retries.md): safe requests are sent again, a partner POST only after a
# read shows that the first attempt did not land.
# ---------------------------------------------------------------------------------------------

NORTHWIND = "7dc8c161-b920-4813-bc63-37dc0b3f76e5"
PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
CREATE_PARTNER = {"name": "create", "tenantops.entra.cross_tenant_access_partner": {
    "partner": NORTHWIND, "b2b_collaboration_inbound": {
        "users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
        "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}}}
GAL_INFO = {"name": "info", "tenantops.entra.mail_user_visibility_info": {}}
# Resolving the partner's domain to its tenant id is a $batch of reads.
GAL_BY_PARTNER = {"name": "gal", "check_mode": True, "tenantops.entra.mail_user_visibility": {
    "default": "hidden", "rules": [{"visibility": "visible", "partner_tenants": ["fabrikam.com", "northwindtraders.com"]}]}}


def graph_calls(sandbox, method, path_end) -> list:
    return [e["status"] for e in sandbox.requests_log()["entries"]
            if e["service"] == "graph" and e["method"] == method and e["path"].endswith(path_end)
            and not e.get("batch")]


def test_a_dropped_connection_on_get_mail_user_is_retried(sandbox, ansible):
    """Get-MailUser is a read sent as POST: safe to repeat."""
    sandbox.set_faults({"kind": "drop", "service": "exchange", "method": "POST", "count": 1})
    run = ansible([GAL_INFO])
    assert run.rc == 0, run.stdout
    assert run.task("info")["counts"]["mail_users"] > 0
    statuses = [e["status"] for e in sandbox.requests_log()["entries"] if e["service"] == "exchange"]
    assert statuses[:2] == [0, 200]


def test_a_dropped_batch_of_reads_is_retried(sandbox, ansible):
    sandbox.set_faults({"kind": "drop", "service": "graph", "method": "POST", "path": r"\$batch", "count": 1})
    run = ansible([GAL_BY_PARTNER])
    assert run.rc == 0, run.stdout
    assert run.task("gal")["changed"] is True
    assert graph_calls(sandbox, "POST", "/$batch")[:2] == [0, 200]


def test_batch_items_answered_503_are_retried_on_their_own(sandbox, ansible):
    sandbox.set_faults({"kind": "status", "status": 503, "retry_after": 1, "service": "graph", "method": "GET",
                        "path": "findTenantInformationByDomainName", "count": 1})
    run = ansible([GAL_BY_PARTNER])
    assert run.rc == 0, run.stdout
    items = [e for e in sandbox.requests_log()["entries"] if e.get("batch")]
    assert [e["status"] for e in items].count(503) == 1
    retried = items[0]["path"]
    assert [e["status"] for e in items if e["path"] == retried] == [503, 200]
    assert len(graph_calls(sandbox, "POST", "/$batch")) == 2   # the second $batch carries only that item


def test_a_partner_post_that_landed_before_the_drop_is_not_sent_again(sandbox, ansible):
    sandbox.set_faults({"kind": "drop_after", "service": "graph", "method": "POST", "path": "partners$", "count": 1})
    run = ansible([CREATE_PARTNER])
    assert run.rc == 0, run.stdout
    assert run.task("create")["changed"] is True
    assert graph_calls(sandbox, "POST", "/partners") == [0]                 # sent once, answer lost
    assert graph_calls(sandbox, "GET", f"/partners/{NORTHWIND}")[-1] == 200  # the read that settled it
    added = [a for a in sandbox.state("contoso")["audit"] if a["activityDisplayName"].startswith("Added a partner")]
    assert len(added) == 1
    again = ansible([CREATE_PARTNER])
    assert again.rc == 0 and again.task("create")["changed"] is False


def test_a_partner_post_dropped_before_it_landed_is_sent_again(sandbox, ansible):
    sandbox.set_faults({"kind": "drop", "service": "graph", "method": "POST", "path": "partners$", "count": 1},
                       {"kind": "status", "status": 503, "service": "graph", "method": "POST", "path": "partners$",
                        "count": 1})
    run = ansible([CREATE_PARTNER])
    assert run.rc == 0, run.stdout
    assert graph_calls(sandbox, "POST", "/partners") == [0, 503, 201]
    assert graph_calls(sandbox, "GET", f"/partners/{NORTHWIND}")[-2:] == [404, 404]   # asked before each repeat
    assert NORTHWIND in sandbox.state("contoso")["partners"]


def test_reset_to_system_default_whose_answer_was_lost_is_checked_not_repeated(sandbox, ansible):
    change = {"name": "change", "tenantops.entra.cross_tenant_access_default": {"b2b_collaboration_outbound": {
        "users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
        "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}}}
    assert ansible([change]).rc == 0
    sandbox.set_faults({"kind": "drop_after", "service": "graph", "method": "POST", "path": "resetToSystemDefault",
                        "count": 1})
    run = ansible([{"name": "reset", "tenantops.entra.cross_tenant_access_default": {"state": "reset"}}])
    assert run.rc == 0, run.stdout
    assert graph_calls(sandbox, "POST", "/resetToSystemDefault") == [0]
    assert sandbox.state("contoso")["policies"]["default"]["isServiceDefault"] is True


def test_a_patch_whose_answer_was_lost_is_sent_again(sandbox, ansible):
    sandbox.set_faults({"kind": "drop_after", "service": "graph", "method": "PATCH", "count": 1})
    run = ansible([TASK])
    assert run.rc == 0, run.stdout
    assert graph_calls(sandbox, "PATCH", "/crossTenantAccessPolicy") == [0, 204]


def test_a_delete_whose_answer_was_lost_is_done_when_the_repeat_finds_nothing(sandbox, ansible):
    assert ansible([CREATE_PARTNER]).rc == 0
    sandbox.set_faults({"kind": "drop_after", "service": "graph", "method": "DELETE", "count": 1})
    run = ansible([{"name": "remove", "tenantops.entra.cross_tenant_access_partner": {
        "partner": NORTHWIND, "state": "absent"}}])
    assert run.rc == 0, run.stdout
    assert run.task("remove")["changed"] is True
    assert graph_calls(sandbox, "DELETE", f"/partners/{NORTHWIND}") == [0, 404]
    assert NORTHWIND not in sandbox.state("contoso")["partners"]
