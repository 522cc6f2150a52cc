"""A bounded fleet under faults: 20 tenants, forks 10, injected 429/503/504, dropped connections
(before and after the server acted) on every method, short token lifetimes, one tenant whose login
is down and one with a wrong secret.

Asserted against a clean run of the same tasks: only the two broken tenants fail, every other
tenant ends in the clean run's state, the audit log holds no effective write the clean run did not
make, and a rerun changes nothing.  The SIGTERM test stops a run mid-apply and checks the same
after a rerun.

The tasks each tenant runs are :data:`SOAK_TASKS`, in one place; they are the fleet path users run
(``tenant_settings``, one task per tenant).
"""
import collections
import os
import resource
import signal
import threading
import time

import pytest

from conftest import run_playbook
from sandbox.testing import SandboxProcess

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "soak.yml")
TENANTS = 20
FORKS = 10
LOGIN_DOWN, WRONG_SECRET = "soak0005", "soak0013"
BLOCK_ALL = {"users_and_groups": {"access_type": "blocked", "targets": ["AllUsers"]},
             "applications": {"access_type": "blocked", "targets": ["AllApplications"]}}
ALLOW_ALL = {"users_and_groups": {"access_type": "allowed", "targets": ["AllUsers"]},
             "applications": {"access_type": "allowed", "targets": ["AllApplications"]}}
INDEX = "(inventory_hostname[4:] | int)"
NEXT = "soak{{ '%04d' % ((" + INDEX + " + 1) % " + str(TENANTS) + ") }}.onmicrosoft.com"   # already a partner
NEW = "soak{{ '%04d' % ((" + INDEX + " + 3) % " + str(TENANTS) + ") }}.onmicrosoft.com"    # not yet one: a POST

# What users run: one tenant_settings task per tenant. It sends every method the collection has:
# PATCH (default, partner), POST (partner creation, $batch of reads, Exchange Get-/Set-MailUser),
# PUT (identity synchronization), GET.
SOAK_TASKS = [{"name": "tenant", "tenantops.entra.tenant_settings": {
    "tenant_name": "{{ inventory_hostname }}",
    "layers": [{"name": "soak", "settings": {
        "cross_tenant_default": {"b2b_collaboration_outbound": BLOCK_ALL},
        "partners": [
            {"partner": NEXT, "b2b_direct_connect_inbound": ALLOW_ALL},
            {"partner": NEW, "identity_synchronization": {"user_sync_inbound": True},
             "inbound_trust": {"is_mfa_accepted": True, "is_compliant_device_accepted": False,
                               "is_hybrid_azure_ad_joined_device_accepted": False}}],
        "guest_visibility": {"default": "visible", "rules": [
            {"visibility": "hidden", "partner_tenants": [NEXT.replace("onmicrosoft.com", "example")]}]}}}]}}]
TRANSIENT = [
    {"kind": "status", "status": 429, "retry_after": 1, "probability": 0.08, "seed": 1, "service": "graph"},
    {"kind": "status", "status": 429, "retry_after": 1, "probability": 0.08, "seed": 2, "service": "exchange"},
    {"kind": "status", "status": 503, "probability": 0.05, "seed": 3, "service": "graph"},
    {"kind": "status", "status": 503, "probability": 0.05, "seed": 4, "service": "exchange"},
    {"kind": "status", "status": 504, "probability": 0.03, "seed": 5},
    {"kind": "drop", "probability": 0.03, "seed": 6, "service": "graph"},
    {"kind": "drop", "probability": 0.03, "seed": 7, "service": "exchange"},
    {"kind": "drop_after", "probability": 0.05, "seed": 8, "service": "graph", "method": "POST"},
    {"kind": "drop_after", "probability": 0.03, "seed": 9, "service": "graph", "method": "PATCH"},
    {"kind": "drop_after", "probability": 0.03, "seed": 10, "service": "exchange"},
    # Deterministic ones, so that each retry rule is exercised whatever the order of requests:
    {"kind": "drop_after", "every": 4, "count": 4, "service": "graph", "method": "POST", "path": "partners$"},
    {"kind": "drop", "every": 5, "count": 4, "service": "graph", "method": "POST", "path": "batch"},
    {"kind": "drop", "every": 7, "count": 4, "service": "exchange"},
    {"kind": "token_lifetime", "seconds": 20},
]


@pytest.fixture(scope="module")
def fleet():
    sandbox = SandboxProcess(SEED)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def clean(fleet, collections_path, tmp_path_factory):
    """The reference: the tasks on a fault-free sandbox; its final states and effective writes."""
    fleet.reset()
    started = time.monotonic()
    run = play(fleet, collections_path, tmp_path_factory.mktemp("clean"))
    print(f"\nclean run: {time.monotonic() - started:.0f} s, {len(fleet.requests_log()['entries'])} requests")
    assert run.rc == 0, run.stdout[-3000:]
    assert all(status == "ok" for status in statuses(run).values())
    return {"states": states(fleet), "writes": effective_writes(fleet)}


def play(sandbox, collections_path, workdir, *, wrong_secret=None, started=None):
    secret = "{{ client_secret }}" if wrong_secret is None else \
        "{{ 'not-the-secret-%s' % inventory_hostname if inventory_hostname == '" + wrong_secret + "' else client_secret }}"
    connection = {"tenant_id": "{{ tenant_id }}", "client_id": "{{ client_id }}", "client_secret": secret,
                  "login_endpoint": sandbox.login_url, "graph_endpoint": sandbox.graph_url,
                  "exchange_endpoint": sandbox.exchange_url, "ca_bundle": sandbox.ca_file}
    os.makedirs(workdir, exist_ok=True)
    return run_playbook(sandbox, collections_path, SOAK_TASKS, hosts="all", connection=connection,
                        workdir=str(workdir), env={"ANSIBLE_FORKS": str(FORKS)}, started=started)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def statuses(run) -> dict:
    """{host: "ok" | "failed"}; a host is failed when any of its tasks failed."""
    outcome = {}
    for entry in run.results:
        if entry["status"] in ("failed", "unreachable") or outcome.get(entry["host"]) is None:
            outcome[entry["host"]] = "failed" if entry["status"] in ("failed", "unreachable") else "ok"
    return outcome


def states(sandbox) -> dict:
    return {t["name"]: {key: value for key, value in sandbox.state(t["id"]).items() if key != "audit"}
            for t in sandbox.ready["tenants"]}


def effective_writes(sandbox) -> dict:
    """Per tenant, the audit entries that changed something, as a multiset of (activity, target, changes)."""
    writes = {}
    for tenant in sandbox.ready["tenants"]:
        entries = collections.Counter()
        for entry in sandbox.state(tenant["id"])["audit"]:
            for target in entry["targetResources"]:
                changes = tuple(sorted((p["displayName"], p["newValue"]) for p in target["modifiedProperties"]))
                if changes or entry["operationType"] in ("Add", "Delete"):
                    entries[(entry["activityDisplayName"], target["id"], changes)] += 1
        writes[tenant["name"]] = entries
    return writes


def assert_converged_like(clean, sandbox, failed: set):
    now_states, now_writes = states(sandbox), effective_writes(sandbox)
    for name in clean["states"]:
        if name in failed:
            assert not now_writes[name], f"{name} failed before any write, yet wrote {now_writes[name]}"
            continue
        assert now_states[name] == clean["states"][name], name
        assert now_writes[name] == clean["writes"][name], f"{name}: writes beyond the clean run's"


def test_fleet_under_faults(fleet, collections_path, clean, tmp_path):
    fleet.reset()
    broken = {LOGIN_DOWN, WRONG_SECRET}
    fleet.set_faults(*TRANSIENT, {"kind": "login_outage", "tenant": f"{LOGIN_DOWN}.onmicrosoft.com"})
    started, cpu = time.monotonic(), children_cpu()
    run = play(fleet, collections_path, tmp_path / "faults", wrong_secret=WRONG_SECRET)
    elapsed, cpu = time.monotonic() - started, children_cpu() - cpu
    outcome = statuses(run)
    assert len(outcome) == TENANTS
    failures = {e["host"]: e["result"]["msg"] for e in run.results if e["status"] == "failed"}
    assert set(failures) == broken, failures
    assert "could not get a token" in failures[LOGIN_DOWN] and "AADSTS7000215" in failures[WRONG_SECRET]
    assert "not-the-secret" not in run.stdout + run.stderr + str(run.results)
    assert_converged_like(clean, fleet, broken)
    log = fleet.requests_log()["entries"]
    faulted = collections.Counter(e["status"] for e in log if e["status"] in (0, 429, 503, 504))
    print(f"\nsoak: {TENANTS} tenants, forks {FORKS}, {len(log)} requests ({sum(1 for e in log if e.get('batch'))} "
          f"$batch items), {elapsed:.0f} s, {cpu:.0f} CPU-s; answered by a fault: {dict(faulted)} "
          f"(0 = connection dropped)")
    assert set(faulted) == {0, 429, 503, 504}       # every kind of fault did fire
    dropped = {e["method"] + " " + e["path"].rsplit("/", 1)[-1] for e in log if e["status"] == 0}
    assert {"POST partners", "POST $batch", "POST InvokeCommand"} <= dropped

    rerun = play(fleet, collections_path, tmp_path / "rerun", wrong_secret=WRONG_SECRET)
    failures = {e["host"]: e["result"]["msg"] for e in rerun.results if e["status"] == "failed"}
    assert set(failures) == broken, failures
    changed = [(e["host"], e["task"]) for e in rerun.results if e["result"].get("changed")]
    assert changed == []
    assert_converged_like(clean, fleet, broken)


def test_sigterm_mid_apply_then_rerun(fleet, collections_path, clean, tmp_path):
    fleet.reset()
    fleet.set_faults({"kind": "latency", "latency_ms": 40, "service": "graph"})

    def stop_when_writing(process):
        def watch():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and process.poll() is None:
                writes = [e for e in fleet.requests_log()["entries"] if e["method"] in ("PATCH", "PUT")]
                if len(writes) >= TENANTS:   # part-way: about one write per tenant of several
                    process.send_signal(signal.SIGTERM)
                    return
                time.sleep(0.2)
        threading.Thread(target=watch, daemon=True).start()
    stopped = play(fleet, collections_path, tmp_path / "stopped", started=stop_when_writing)
    assert stopped.rc != 0
    partial = effective_writes(fleet)
    assert 0 < sum(sum(w.values()) for w in partial.values()) < sum(sum(w.values()) for w in clean["writes"].values())

    fleet.clear_faults()
    rerun = play(fleet, collections_path, tmp_path / "rerun")
    assert rerun.rc == 0, rerun.stdout[-3000:]
    assert_converged_like(clean, fleet, set())
