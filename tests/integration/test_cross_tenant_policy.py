"""cross_tenant_access_policy end to end: check, apply, check, apply; secrets never shown."""

TASK = {"name": "allow US Gov", "tenantops.entra.cross_tenant_access_policy": {
    "allowed_cloud_endpoints": ["microsoftonline.us"]}}


def test_check_apply_check_apply(sandbox, ansible):
    outcomes = []
    for check in (True, False, True, False):
        run = ansible([TASK], check=check, diff=True)
        assert run.rc == 0, run.stdout
        outcomes.append(run.task("allow US Gov")["changed"])
    assert outcomes == [True, True, False, False]
    policy = sandbox.state("contoso")["policies"]["crossTenantAccessPolicy"]
    assert policy["allowedCloudEndpoints"] == ["microsoftonline.us"]


def test_check_mode_writes_nothing_and_predicts(sandbox, ansible):
    before = sandbox.requests_log()
    run = ansible([TASK], check=True, diff=True)
    result = run.task("allow US Gov")
    assert result["diff"] == {"before": {"allowed_cloud_endpoints": []},
                              "after": {"allowed_cloud_endpoints": ["microsoftonline.us"]}}
    seen = sandbox.requests_log(before["last_seq"])["entries"]
    assert any(e["method"] == "GET" and e["service"] == "graph" for e in seen)
    assert [e for e in seen if e["method"] != "GET" and e["service"] == "graph"] == []


def test_secret_never_appears_at_any_verbosity(sandbox, ansible):
    secret = sandbox.tenant("contoso")["client_secret"]
    run = ansible([TASK], diff=True, verbosity=4)
    assert run.rc == 0
    assert secret not in run.stdout and secret not in run.stderr
    assert secret not in str(run.results)
