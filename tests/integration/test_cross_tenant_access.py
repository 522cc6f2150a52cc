"""cross_tenant_access_default / _partner / _info end to end through ansible-playbook.

Each change runs check, apply, check, apply (changed, changed, unchanged, unchanged) and the
result is read back from the sandbox's state.
"""
import pytest

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"
NORTHWIND = "7dc8c161-b920-4813-bc63-37dc0b3f76e5"
MARKETING = "2c2d083e-1b64-4a26-8665-2c9136da5844"  # a Fabrikam group
PARTNER_OF = "{{ {'contoso': 'fabrikam.com', 'fabrikam': '" + CONTOSO + "'}[inventory_hostname] }}"

BLOCK_ALL = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
             "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}
ALLOW_ALL = {"users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
             "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}
MARKETING_ONLY = {"users_and_groups": {"access_type": "allowed",
                                       "targets": [{"target": MARKETING.upper(), "target_type": "group"}]},
                  "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}


def task(name, module, **options):
    return {"name": name, f"tenantops.entra.{module}": options}


def four_steps(ansible, tasks, hosts=("contoso",), **kwargs):
    """check, apply, check, apply; returns {(task, host): [changed x4]} and the last run."""
    outcomes, run = {}, None
    for check in (True, False, True, False):
        run = ansible(tasks, hosts=list(hosts), check=check, **kwargs)
        assert run.rc == 0, run.stdout[-3000:]
        for item in tasks:
            for host in hosts:
                outcomes.setdefault((item["name"], host), []).append(run.task(item["name"], host)["changed"])
    return outcomes, run


def status(run, name: str) -> str:
    return next(entry["status"] for entry in run.results if entry["task"] == name)


def graph_block(access_users, users, access_apps, apps):
    return {"usersAndGroups": {"accessType": access_users, "targets": users},
            "applications": {"accessType": access_apps, "targets": apps}}


ALL_USERS = [{"target": "AllUsers", "targetType": "user"}]
ALL_APPS = [{"target": "AllApplications", "targetType": "application"}]


def test_scenario_1_block_direct_connect_by_default_allow_it_for_each_other(sandbox, ansible):
    tasks = [task("default", "cross_tenant_access_default",
                  b2b_direct_connect_inbound=BLOCK_ALL, b2b_direct_connect_outbound=BLOCK_ALL,
                  inbound_trust={"is_mfa_accepted": True, "is_compliant_device_accepted": False,
                                 "is_hybrid_azure_ad_joined_device_accepted": False}),
             task("partner", "cross_tenant_access_partner", partner=PARTNER_OF,
                  b2b_direct_connect_inbound=ALLOW_ALL, b2b_direct_connect_outbound=ALLOW_ALL)]
    outcomes, last = four_steps(ansible, tasks, hosts=("contoso", "fabrikam"), diff=True)
    assert all(steps == [True, True, False, False] for steps in outcomes.values()), outcomes
    # The service default already blocks direct connect: only inboundTrust was sent.
    assert last.task("default", "contoso")["is_service_default"] is False
    for me, other in (("contoso", FABRIKAM), ("fabrikam", CONTOSO)):
        state = sandbox.state(me)
        assert state["policies"]["default"]["inboundTrust"]["isMfaAccepted"] is True
        assert state["policies"]["default"]["b2bDirectConnectInbound"] == graph_block("blocked", ALL_USERS,
                                                                                      "blocked", ALL_APPS)
        partner = state["partners"][other]
        assert partner["b2bDirectConnectInbound"] == graph_block("allowed", ALL_USERS, "allowed", ALL_APPS)
        assert partner["b2bDirectConnectOutbound"] == graph_block("allowed", ALL_USERS, "allowed", ALL_APPS)
        assert partner["b2bCollaborationInbound"] is None  # not given: not managed, still inherited
    diff = last.task("partner", "contoso")["diff"]
    assert diff["before"] == diff["after"] and diff["after"]["partner"] == FABRIKAM
    assert set(diff["after"]) == {"partner", "b2b_direct_connect_inbound", "b2b_direct_connect_outbound"}
    secret = sandbox.tenant("contoso")["client_secret"]
    assert secret not in last.stdout and secret not in str(last.results)


def test_scenario_2_inbound_only_for_the_marketing_group(sandbox, ansible):
    first = [task("partner", "cross_tenant_access_partner", partner=PARTNER_OF,
                  b2b_direct_connect_inbound=ALLOW_ALL, b2b_direct_connect_outbound=ALLOW_ALL)]
    assert ansible(first, hosts=["contoso", "fabrikam"]).rc == 0
    # Contoso lets in only Fabrikam's Marketing group; Fabrikam lets only Marketing out to Contoso.
    narrowed = {"contoso": {"b2b_direct_connect_inbound": MARKETING_ONLY},
                "fabrikam": {"b2b_direct_connect_outbound": MARKETING_ONLY}}
    tasks = [task("contoso narrows inbound", "cross_tenant_access_partner", partner="fabrikam.com",
                  **narrowed["contoso"]),
             task("fabrikam narrows outbound", "cross_tenant_access_partner", partner=CONTOSO.upper(),
                  **narrowed["fabrikam"])]
    tasks[0]["when"] = "inventory_hostname == 'contoso'"
    tasks[1]["when"] = "inventory_hostname == 'fabrikam'"
    outcomes, last = four_steps(ansible, tasks, hosts=("contoso", "fabrikam"), diff=True)
    assert outcomes[("contoso narrows inbound", "contoso")] == [True, True, False, False]
    assert outcomes[("fabrikam narrows outbound", "fabrikam")] == [True, True, False, False]
    marketing = graph_block("allowed", [{"target": MARKETING, "targetType": "group"}], "allowed", ALL_APPS)
    assert sandbox.state("contoso")["partners"][FABRIKAM]["b2bDirectConnectInbound"] == marketing
    assert sandbox.state("contoso")["partners"][FABRIKAM]["b2bDirectConnectOutbound"] == graph_block(
        "allowed", ALL_USERS, "allowed", ALL_APPS)
    assert sandbox.state("fabrikam")["partners"][CONTOSO]["b2bDirectConnectOutbound"] == marketing


def test_partner_by_domain_with_identity_sync_inherit_then_absent(sandbox, ansible):
    trust = {"is_mfa_accepted": True, "is_compliant_device_accepted": True,
             "is_hybrid_azure_ad_joined_device_accepted": False}
    create = [task("northwind", "cross_tenant_access_partner", partner="northwindtraders.com", inbound_trust=trust,
                   automatic_user_consent_settings={"inbound_allowed": True, "outbound_allowed": False},
                   identity_synchronization={"user_sync_inbound": True, "display_name": "Northwind"})]
    outcomes, last = four_steps(ansible, create, diff=True)
    assert outcomes[("northwind", "contoso")] == [True, True, False, False]
    state = sandbox.state("contoso")
    assert state["partners"][NORTHWIND]["inboundTrust"]["isCompliantDeviceAccepted"] is True
    assert state["partners"][NORTHWIND]["automaticUserConsentSettings"] == {"inboundAllowed": True,
                                                                            "outboundAllowed": False}
    assert state["identity_sync"][NORTHWIND]["userSyncInbound"] == {"isSyncAllowed": True}
    assert last.task("northwind")["partner_tenant_id"] == NORTHWIND

    inherit = [task("inherit", "cross_tenant_access_partner", partner="northwindtraders.com",
                    inherit=["inbound_trust"], identity_synchronization={"state": "absent"})]
    outcomes, last = four_steps(ansible, inherit, diff=True)
    assert outcomes[("inherit", "contoso")] == [True, True, False, False]
    state = sandbox.state("contoso")
    assert state["partners"][NORTHWIND]["inboundTrust"] is None
    assert NORTHWIND not in state["identity_sync"]
    assert state["partners"][NORTHWIND]["automaticUserConsentSettings"]["inboundAllowed"] is True


def test_partner_absent_removes_identity_sync_first(sandbox, ansible):
    create = [task("create", "cross_tenant_access_partner", partner=NORTHWIND,
                   identity_synchronization={"user_sync_inbound": True})]
    assert ansible(create).rc == 0
    assert NORTHWIND in sandbox.state("contoso")["identity_sync"]
    seq = sandbox.requests_log()["last_seq"]
    outcomes, last = four_steps(ansible, [task("remove", "cross_tenant_access_partner", partner=NORTHWIND,
                                               state="absent")], diff=True)
    assert outcomes[("remove", "contoso")] == [True, True, False, False]
    deletes = [e["path"] for e in sandbox.requests_log(seq)["entries"] if e["method"] == "DELETE"]
    assert len(deletes) == 2 and deletes[0].endswith("/identitySynchronization") and deletes[1].endswith(NORTHWIND)
    assert NORTHWIND not in sandbox.state("contoso")["partners"]


def test_partial_failure_names_what_was_and_was_not_applied(sandbox, ansible):
    sandbox.set_faults({"kind": "status", "status": 500, "service": "graph", "method": "PUT",
                        "path": ".*/identitySynchronization$"})
    try:
        run = ansible([task("create", "cross_tenant_access_partner", partner=NORTHWIND,
                            b2b_collaboration_inbound=BLOCK_ALL, identity_synchronization={"user_sync_inbound": True}),
                       ])
    finally:
        sandbox.clear_faults()
    result = run.task("create")
    assert status(run, "create") == "failed" and result["changed"]
    assert result["applied"] == [f"POST partners: create {NORTHWIND} with b2bCollaborationInbound"]
    assert result["not_applied"] == [f"PUT partners/{NORTHWIND}/identitySynchronization"]
    assert NORTHWIND in sandbox.state("contoso")["partners"]


def test_reset_to_system_default(sandbox, ansible):
    change = [task("change", "cross_tenant_access_default", b2b_collaboration_outbound=BLOCK_ALL)]
    assert ansible(change).rc == 0
    assert sandbox.state("contoso")["policies"]["default"]["isServiceDefault"] is False
    outcomes, last = four_steps(ansible, [task("reset", "cross_tenant_access_default", state="reset")], diff=True)
    assert outcomes[("reset", "contoso")] == [True, True, False, False]
    default = sandbox.state("contoso")["policies"]["default"]
    assert default["isServiceDefault"] is True
    assert default["b2bCollaborationOutbound"] == graph_block("allowed", ALL_USERS, "allowed", ALL_APPS)


def test_info_export_reapplied_changes_nothing(sandbox, ansible):
    setup = [task("default", "cross_tenant_access_default", b2b_direct_connect_inbound=BLOCK_ALL,
                  invitation_redemption_identity_provider_configuration={
                      "primary_identity_provider_precedence_order": ["azureActiveDirectory", "externalFederation"],
                      "fallback_identity_provider": "emailOneTimePasscode"}),
             task("fabrikam", "cross_tenant_access_partner", partner="fabrikam.com",
                  b2b_direct_connect_inbound=MARKETING_ONLY, identity_synchronization={"user_sync_inbound": True}),
             task("northwind", "cross_tenant_access_partner", partner=NORTHWIND, inbound_trust={
                 "is_mfa_accepted": True, "is_compliant_device_accepted": False,
                 "is_hybrid_azure_ad_joined_device_accepted": False}),
             task("policy", "cross_tenant_access_policy", allowed_cloud_endpoints=["microsoftonline.us"])]
    assert ansible(setup).rc == 0
    partner_options = ("b2b_collaboration_inbound", "b2b_collaboration_outbound", "b2b_direct_connect_inbound",
                       "b2b_direct_connect_outbound", "tenant_restrictions", "inbound_trust",
                       "automatic_user_consent_settings", "identity_synchronization", "inherit")
    default_options = ("b2b_collaboration_inbound", "b2b_collaboration_outbound", "b2b_direct_connect_inbound",
                       "b2b_direct_connect_outbound", "tenant_restrictions", "inbound_trust",
                       "invitation_redemption_identity_provider_configuration")
    reapply = [
        {**task("export", "cross_tenant_access_info"), "register": "export"},
        task("policy again", "cross_tenant_access_policy",
             allowed_cloud_endpoints="{{ export.policy.allowed_cloud_endpoints }}"),
        task("default again", "cross_tenant_access_default",
             **{option: "{{ export.default.%s }}" % option for option in default_options}),
        {**task("partners again", "cross_tenant_access_partner", partner="{{ item.partner }}",
                **{option: "{{ item.%s | default(omit) }}" % option for option in partner_options}),
         "loop": "{{ export.partners }}"},
    ]
    for check in (True, False):
        run = ansible(reapply, check=check)
        assert run.rc == 0, run.stdout[-3000:]
        for name in ("policy again", "default again", "partners again"):
            assert run.task(name)["changed"] is False, (name, run.task(name))
    exported = run.task("export")
    assert [p["partner"] for p in exported["partners"]] == sorted([FABRIKAM, NORTHWIND])
    fabrikam = next(p for p in exported["partners"] if p["partner"] == FABRIKAM)
    assert fabrikam["b2b_direct_connect_inbound"]["users_and_groups"]["targets"] == [
        {"target": MARKETING, "target_type": "group"}]
    assert "b2b_collaboration_inbound" in fabrikam["inherit"] and "b2b_collaboration_inbound" not in fabrikam
    assert fabrikam["identity_synchronization"] == {"user_sync_inbound": True}
    for key in ("isServiceDefault", "isServiceProvider", "isInMultiTenantOrganization", "@odata", "tenantId"):
        assert key not in str(exported["default"]) + str(exported["partners"])
    assert len(run.task("partners again")["results"]) == 2

    seq = sandbox.requests_log()["last_seq"]
    assert ansible([task("export only", "cross_tenant_access_info")]).rc == 0
    reads = [e["path"] for e in sandbox.requests_log(seq)["entries"] if e["service"] == "graph"]
    # one list call with $expand, not one call per partner
    assert sorted(path.split("/v1.0")[-1] for path in reads) == [
        "/policies/crossTenantAccessPolicy", "/policies/crossTenantAccessPolicy/default",
        "/policies/crossTenantAccessPolicy/partners"]


@pytest.mark.parametrize("options, message, calls_graph", [
    ({"partner": "fabrikam.com", "b2b_direct_connect_inbound": {
        "users_and_groups": {"access_type": "allowed", "targets": ["AllUsers", {"target": "x", "target_type": "user"}]},
        "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}},
     "b2b_direct_connect_inbound.users_and_groups.targets[1].target: 'x' is not a GUID or a reserved value", False),
    # A domain is only known to be the tenant itself after resolving it: reads, but no write.
    ({"partner": "contoso.com", "inherit": ["inbound_trust"]}, "partner: 'contoso.com' is the tenant itself", True),
])
def test_bad_input_fails_naming_tenant_and_field_without_writing(sandbox, ansible, options, message, calls_graph):
    seq = sandbox.requests_log()["last_seq"]
    run = ansible([task("bad", "cross_tenant_access_partner", **options)])
    result = run.task("bad")
    assert status(run, "bad") == "failed" and not result["changed"]
    assert result["msg"] == f"tenant {CONTOSO}: invalid input: " + result["msg"].split("invalid input: ", 1)[1]
    assert message in result["msg"]
    graph_calls = [e for e in sandbox.requests_log(seq)["entries"] if e["service"] == "graph"]
    assert [e for e in graph_calls if e["method"] != "GET"] == []
    assert bool(graph_calls) is calls_graph
