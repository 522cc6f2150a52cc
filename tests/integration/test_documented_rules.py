"""Documented rules and the v1.0 Microsoft 365 collaboration / app service connect blocks, through
ansible-playbook against the sandbox: refusals happen before any write (the request log proves it), the new
blocks go check -> apply -> check -> apply and read back from the sandbox's state."""
import ssl

import httpx
from azure.identity import ClientSecretCredential

from test_cross_tenant_access import ALL_USERS, CONTOSO, FABRIKAM, MARKETING, four_steps, status, task

OFFICE = [{"target": "Office365", "targetType": "application"}]
M365_DEFAULT = {"m365_collaboration_inbound": {"users": {"access_type": "allowed", "targets": ["AllUsers"]}},
                "m365_collaboration_outbound": {"users_and_groups": {
                    "access_type": "allowed", "targets": [{"target": MARKETING, "target_type": "group"}]}},
                "app_service_connect_inbound": {"applications": {"access_type": "allowed", "targets": ["Office365"]}}}
NEW_OPTIONS = tuple(M365_DEFAULT)


def writes_since(sandbox, seq):
    return [e for e in sandbox.requests_log(seq)["entries"] if e["service"] == "graph" and e["method"] != "GET"]


def refused(run, name):
    result = run.task(name)
    assert status(run, name) == "failed" and not result["changed"], result
    return result["msg"]


def test_new_blocks_on_the_default_and_a_partner_converge_and_export(sandbox, ansible):
    tasks = [task("default", "cross_tenant_access_default", **M365_DEFAULT),
             task("partner", "cross_tenant_access_partner", partner="fabrikam.com",
                  m365_collaboration_inbound={"users": {"access_type": "allowed", "targets": [
                      {"target": MARKETING, "target_type": "group"}]}},
                  inherit=["app_service_connect_inbound"])]
    outcomes, last = four_steps(ansible, tasks, diff=True)
    assert outcomes[("default", "contoso")] == [True, True, False, False]
    assert outcomes[("partner", "contoso")] == [True, True, False, False]
    state = sandbox.state("contoso")
    stored = state["policies"]["default"]
    assert stored["m365CollaborationInbound"] == {"users": {"accessType": "allowed", "targets": ALL_USERS}}
    assert stored["m365CollaborationOutbound"] == {"usersAndGroups": {"accessType": "allowed", "targets": [
        {"target": MARKETING, "targetType": "group"}]}}
    assert stored["appServiceConnectInbound"] == {"applications": {"accessType": "allowed", "targets": OFFICE}}
    fabrikam = state["partners"][FABRIKAM]
    assert fabrikam["m365CollaborationInbound"]["users"]["targets"] == [{"target": MARKETING, "targetType": "group"}]
    assert fabrikam["appServiceConnectInbound"] is None

    reapply = [{**task("export", "cross_tenant_access_info"), "register": "export"},
               task("default again", "cross_tenant_access_default",
                    **{option: "{{ export.default.%s }}" % option for option in NEW_OPTIONS}),
               {**task("partners again", "cross_tenant_access_partner", partner="{{ item.partner }}",
                       **{option: "{{ item.%s | default(omit) }}" % option for option in (*NEW_OPTIONS, "inherit")}),
                "loop": "{{ export.partners }}"}]
    run = ansible(reapply)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.task("default again")["changed"] is False and run.task("partners again")["changed"] is False
    exported = run.task("export")
    assert exported["default"]["app_service_connect_inbound"] == {"applications": {
        "access_type": "allowed", "targets": [{"target": "Office365", "target_type": "application"}]}}
    assert {"m365_collaboration_outbound", "app_service_connect_inbound"} <= set(exported["partners"][0]["inherit"])


def test_default_inbound_targeting_a_group_fails_before_any_call(sandbox, ansible):
    seq = sandbox.requests_log()["last_seq"]
    run = ansible([task("bad", "cross_tenant_access_default", b2b_collaboration_inbound={
        "users_and_groups": {"access_type": "allowed", "targets": [{"target": MARKETING, "target_type": "group"}]},
        "applications": {"access_type": "allowed", "targets": ["AllApplications"]}})])
    message = refused(run, "bad")
    assert message.startswith(f"tenant {CONTOSO}: invalid input: b2b_collaboration_inbound.users_and_groups.targets[0]: ")
    assert "cannot target specific users or groups" in message
    assert [e for e in sandbox.requests_log(seq)["entries"] if e["service"] == "graph"] == []


def test_tenant_restrictions_block_all_mismatch_fails_before_any_write(sandbox, ansible):
    seq = sandbox.requests_log()["last_seq"]
    run = ansible([task("bad", "cross_tenant_access_partner", partner="fabrikam.com", tenant_restrictions={
        "users_and_groups": {"access_type": "blocked", "targets": [{"target": MARKETING, "target_type": "group"}]},
        "applications": {"access_type": "blocked", "targets": ["AllApplications"]}})])
    assert "tenant_restrictions: conflicting settings" in refused(run, "bad")
    assert writes_since(sandbox, seq) == []


def test_new_blocks_are_refused_in_a_cloud_that_lacks_them(sandbox, ansible):
    seq = sandbox.requests_log()["last_seq"]
    run = ansible([task("gov", "cross_tenant_access_partner", partner=FABRIKAM, cloud="usgov",
                        inherit=["m365_collaboration_outbound"])])
    assert "m365_collaboration_outbound: not available in the usgov cloud" in refused(run, "gov")
    assert [e for e in sandbox.requests_log(seq)["entries"] if e["service"] != "control"] == []  # no login either


def test_a_service_provider_partner_is_not_removed_and_nothing_is_written(sandbox, ansible):
    contoso = sandbox.tenant("contoso")
    credential = ClientSecretCredential(contoso["id"], contoso["client_id"], contoso["client_secret"],
                                        authority=sandbox.login_url, disable_instance_discovery=True,
                                        connection_verify=sandbox.ca_file)
    token = credential.get_token("https://graph.microsoft.com/.default").token
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file)) as http:
        created = http.post(sandbox.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners",
                            json={"tenantId": FABRIKAM, "isServiceProvider": True},
                            headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    seq = sandbox.requests_log()["last_seq"]
    for check in (True, False):
        run = ansible([task("remove", "cross_tenant_access_partner", partner=FABRIKAM, state="absent")], check=check)
        assert "state: absent is not possible" in refused(run, "remove") and "cloud service provider" in refused(
            run, "remove")
    assert writes_since(sandbox, seq) == []
    assert FABRIKAM in sandbox.state("contoso")["partners"]


MICROSOFT_ACCOUNTS = "9188040d-6c67-4c5b-b112-36a304b66dad"
MICROSOFT_LEARN = "18fbca16-2224-45f6-85b0-f7bf2b39b3f3"


def test_tenant_restrictions_let_microsoft_accounts_reach_one_app_but_not_per_user(sandbox, ansible):
    apps = {"access_type": "allowed", "targets": [MICROSOFT_LEARN]}
    seq = sandbox.requests_log()["last_seq"]
    per_user = [task("per user", "cross_tenant_access_partner", partner=MICROSOFT_ACCOUNTS, tenant_restrictions={
        "users_and_groups": {"access_type": "allowed", "targets": [{"target": MARKETING, "target_type": "group"}]},
        "applications": apps})]
    assert "Microsoft Accounts" in refused(ansible(per_user), "per user")
    assert [e for e in sandbox.requests_log(seq)["entries"] if e["service"] == "graph"] == []

    everyone = [task("msa", "cross_tenant_access_partner", partner=MICROSOFT_ACCOUNTS, tenant_restrictions={
        "users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]}, "applications": apps})]
    outcomes = four_steps(ansible, everyone)[0]
    assert outcomes[("msa", "contoso")] == [True, True, False, False]
    stored = sandbox.state("contoso")["partners"][MICROSOFT_ACCOUNTS]["tenantRestrictions"]
    assert stored["applications"]["targets"] == [{"target": MICROSOFT_LEARN, "targetType": "application"}]
