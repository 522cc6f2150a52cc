"""mail_user_visibility and mail_user_visibility_info end to end, against the demo sandbox and a
second sandbox with this suite's own seed (10,000 guests; hand-made edge cases; a read-only role)."""
import os
import time

import pytest

from conftest import player
from sandbox.testing import SandboxProcess

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "guest_visibility.yml")
REASON_CONTACT = "a mail contact holds this address, so Exchange cannot mail-enable the user"
REASON_NOT_MAIL_ENABLED = ("no Exchange mail user (not mail-enabled yet, or an external member invited "
                           "directly, which cannot be mail-enabled)")
ADA, BEN, CY, DI, ED, FAY = (f"0a000000-0000-4000-8000-00000000000{n}" for n in range(1, 7))


def exchange_hidden(state: dict) -> dict:
    return {u["id"]: u["_exchange"]["HiddenFromAddressListsEnabled"] for u in state["users"].values()
            if "_exchange" in u}


def invoke_commands(log: dict) -> int:
    return sum(n for endpoint, n in log["per_endpoint"].items() if endpoint.endswith("/InvokeCommand"))


def graph_writes(log: dict) -> list:
    """Graph requests that write: anything but a GET, except the $batch envelope (its items are logged too)."""
    return [e for e in log["entries"] if e["service"] == "graph" and e["method"] != "GET"
            and not (e["method"] == "POST" and e["path"] == "/v1.0/$batch")]


# --------------------------------------------------------------------------------------------
# Demo tenants
# --------------------------------------------------------------------------------------------

PARTNERS_VISIBLE = {"name": "partners visible", "tenantops.entra.mail_user_visibility": {
    "default": "hidden", "rules": [{"visibility": "visible", "partner_tenants": ["fabrikam.com"]}]}}


def test_check_apply_check_apply(sandbox, ansible):
    before = exchange_hidden(sandbox.state("contoso"))
    outcomes, results = [], []
    for check in (True, False, True, False):
        run = ansible([PARTNERS_VISIBLE], check=check, diff=True)
        assert run.rc == 0, run.stdout
        results.append(run.task("partners visible"))
        outcomes.append(results[-1]["changed"])
        if check and len(results) == 1:
            assert exchange_hidden(sandbox.state("contoso")) == before      # check mode wrote nothing
    assert outcomes == [True, True, False, False]
    would = results[0]
    fabrikam_guests = {c["user"] for c in would["exchange_changes"]}
    assert fabrikam_guests and all(c["mail"].endswith("@fabrikam.com") and c["hidden"] is False
                                   for c in would["exchange_changes"])
    assert would["diff"]["after"]["exchange"]["visible"] == len(fabrikam_guests)
    after = exchange_hidden(sandbox.state("contoso"))
    assert {user for user, hidden in after.items() if not hidden} == fabrikam_guests
    # Nestor's address is held by a mail contact; Lidia was never mail-enabled: listed, not failures.
    unreconcilable = {u["mail"]: u["reason"] for u in results[1]["unreconcilable"]}
    assert unreconcilable["nestor.wilke@fabrikam.com"] == REASON_CONTACT
    assert unreconcilable["lidia.holloway@gmail.com"] == REASON_NOT_MAIL_ENABLED


def test_info_suggestion_round_trips(sandbox, ansible):
    run = ansible([
        {"name": "show one guest", "tenantops.entra.mail_user_visibility": {
            "rules": [{"visibility": "visible", "users": ["adele.vance@fabrikam.com"]}]}},
        {"name": "info", "tenantops.entra.mail_user_visibility_info": {}, "register": "gal"},
        {"name": "feed back", "check_mode": True, "tenantops.entra.mail_user_visibility": {
            "default": "{{ gal.suggestion.default }}", "rules": "{{ gal.suggestion.rules }}"}},
    ])
    assert run.rc == 0, run.stdout
    info = run.task("info")
    adele = next(u for u in info["users"] if u["mail"] == "adele.vance@fabrikam.com")
    assert adele["hidden_from_address_lists"] is False
    assert info["suggestion"] == {"default": "hidden", "rules": [{"visibility": "visible", "users": [adele["user"]]}]}
    assert info["counts"]["visible"] == 1 and info["counts"]["unreconcilable"] == len(info["unreconcilable"]) >= 2
    assert run.task("feed back")["changed"] is False


# --------------------------------------------------------------------------------------------
# This suite's own seed
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def visibility_sandbox():
    sandbox = SandboxProcess(SEED)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def play(visibility_sandbox, collections_path, tmp_path):
    visibility_sandbox.reset()
    visibility_sandbox.clear_faults()
    return player(visibility_sandbox, collections_path, tmp_path)


HIDE_ALL = {"name": "hide all", "tenantops.entra.mail_user_visibility": {"default": "hidden", "concurrency": 8}}


def test_ten_thousand_guests_one_percent_differing_under_throttling(visibility_sandbox, play):
    state = visibility_sandbox.state("scale")
    visible = sorted(user for user, hidden in exchange_hidden(state).items() if not hidden)
    assert len(exchange_hidden(state)) == 10_000 and 50 < len(visible) < 200

    check = play([HIDE_ALL], hosts="scale", check=True, diff=True)
    would = check.task("hide all")
    assert would["changed"] and not would.get("failed"), would.get("msg")
    assert sorted(c["user"] for c in would["exchange_changes"]) == visible
    assert would["disagreements"] == []                                     # v1.0 answers showInAddressList null
    assert would["diff"]["after"]["exchange"] == {"hidden": 10_000, "visible": 0}
    assert len(would["diff"]["after"]["users"]) == 21                        # 20 named, then "... and N more"
    assert exchange_hidden(visibility_sandbox.state("scale")) == exchange_hidden(state)

    visibility_sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 1, "service": "exchange",
                                   "method": "POST", "every": 10, "count": 6})
    mark = visibility_sandbox.requests_log()["last_seq"]
    started = time.monotonic()
    applied = play([HIDE_ALL], hosts="scale")
    wall = time.monotonic() - started
    result = applied.task("hide all")
    assert applied.rc == 0 and result["changed"], result.get("msg")
    log = visibility_sandbox.requests_log(mark)
    throttled = [e for e in log["entries"] if e["status"] == 429]
    assert len(throttled) == 6
    assert graph_writes(log) == []
    set_mail_user = [e for e in log["entries"] if e["service"] == "exchange" and e["status"] == 200]
    assert len(set_mail_user) == len(visible) + 10                           # + 10 Get-MailUser pages of 1,000
    after = visibility_sandbox.state("scale")
    assert not any(hidden is False for hidden in exchange_hidden(after).values())
    assert all(after["users"][user]["showInAddressList"] is True for user in visible)   # Entra left alone
    print(f"\n10,000 guests, {len(visible)} to hide, 6 throttled answers: apply took {wall:.1f} s wall "
          f"({invoke_commands(log)} InvokeCommand calls)")

    again = play([HIDE_ALL], hosts="scale")
    assert again.task("hide all")["changed"] is False


SMALL_POLICY = {"name": "small policy", "tenantops.entra.mail_user_visibility": {
    "default": "{{ 'visible' if inventory_hostname == 'readonly' else 'hidden' }}",
    "rules": [{"visibility": "visible", "users": ["BEN@partner-a.example"]},
              {"visibility": "visible", "user_types": ["external_member"]}]}}


def test_unreconcilable_and_per_user_failures(visibility_sandbox, play):
    check = play([SMALL_POLICY], hosts="small", check=True)
    would = check.task("small policy")
    assert would["exchange_changes"] == [{"user": CY, "mail": "cy@partner-b.example", "hidden": False}]
    # Ada's stored showInAddressList disagrees with Exchange, but Graph v1.0 does not tell: nothing to report.
    assert would["disagreements"] == [] and "entra_changes" not in would
    reasons = {u["user"]: u["reason"] for u in would["unreconcilable"]}
    assert reasons == {DI: REASON_NOT_MAIL_ENABLED, ED: REASON_CONTACT}
    assert would["counts"]["users"] == 6                                    # the internal member is not considered

    small_id = visibility_sandbox.tenant("small")["id"]
    # Reads are Get-MailUser and Get-MailContact; the third Exchange call is Cy's Set-MailUser.
    visibility_sandbox.set_faults({"kind": "status", "status": 500, "service": "exchange", "tenant": small_id,
                                   "every": 3, "count": 1})
    failing = play([
        {"name": "invitation settings without the permission", "ignore_errors": True,
         "when": "inventory_hostname == 'readonly'",
         "tenantops.entra.guest_invitation_settings": {"self_service_sign_up": True}},
        SMALL_POLICY], hosts="small,readonly")
    broken = failing.task("small policy", host="small")
    assert failing.rc != 0 and not broken["changed"]
    assert [f["user"] for f in broken["failed_users"]] == [CY]
    assert "HTTP 500 generalException" in broken["failed_users"][0]["reason"]
    assert broken["applied"] == []
    assert broken["not_applied"] == ["Set-MailUser -HiddenFromAddressListsEnabled $false: cy@partner-b.example"]
    assert broken["msg"].startswith(f"tenant {small_id}: 1 of 1 address-list writes failed")

    denied = failing.task("small policy", host="readonly")
    assert denied["failed_users"] and not denied["changed"]
    assert "HTTP 403" in denied["msg"] and "Exchange.ManageAsApp" in denied["msg"]
    assert "Exchange Recipient Administrator" in denied["msg"]
    # After the first 403 no new call starts; the ones already in flight (up to concurrency 8) answer 403 too.
    assert len(denied["failed_users"]) == 5
    assert all("HTTP 403" in f["reason"] or f["reason"].startswith("not sent after a permission failure")
               for f in denied["failed_users"])
    no_policy_permission = failing.task("invitation settings without the permission", host="readonly")
    assert "the application needs Policy.ReadWrite.AuthenticationFlows" in no_policy_permission["msg"]

    outcomes = []
    for attempt in ("converges", "idempotent"):
        run = play([SMALL_POLICY], hosts="small")
        assert run.rc == 0, (attempt, run.stdout)
        outcomes.append(run.task("small policy")["changed"])
    assert outcomes == [True, False]
    small = visibility_sandbox.state("small")["users"]
    assert small[CY]["_exchange"]["HiddenFromAddressListsEnabled"] is False
    assert (small[ADA]["showInAddressList"], small[CY]["showInAddressList"]) == (True, False)   # Entra untouched


def test_deprecated_align_entra_warns_and_writes_nothing_through_graph(visibility_sandbox, play):
    mark = visibility_sandbox.requests_log()["last_seq"]
    task = {"name": "old style", "tenantops.entra.mail_user_visibility": {
        "default": "hidden", "rules": [{"visibility": "visible", "user_types": ["external_member"]}],
        "align_entra": True}}
    run = play([task], hosts="small")
    result = run.task("old style")
    assert run.rc == 0 and result["changed"], run.stdout
    assert sorted((c["user"], c["hidden"]) for c in result["exchange_changes"]) == [(BEN, True), (CY, False)]
    assert "[DEPRECATION WARNING]: Param 'align_entra' is deprecated" in run.stdout + run.stderr
    assert "align_entra is deprecated and ignored" in run.stdout + run.stderr
    log = visibility_sandbox.requests_log(mark)
    assert graph_writes(log) == []
    assert {e["method"] for e in log["entries"] if e["service"] == "graph"} == {"GET"}
    set_calls = [e for e in log["entries"] if e["service"] == "exchange"]
    assert len(set_calls) == 4                              # Get-MailUser, Get-MailContact, Set-MailUser for Ben and Cy
    assert visibility_sandbox.state("small")["users"][CY]["showInAddressList"] is False
