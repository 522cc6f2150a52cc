"""One tenant with many guests, a few of them drifted (issue 9: 10,000 guests, 1% differing, in at
most 60 s, with requests about the pages read plus the users changed).

The tenant gets the fleet baseline (guests of the partners' domains visible in the address list,
the rest hidden).  Three runs of the role, 50 ms per request: the **converge** (every guest starts
hidden, so three in four are written), the **steady** run (nothing differs: only the pages are
read), then, after an admin flips ``HiddenFromAddressListsEnabled`` on 1% of the guests through
Exchange's own API, the **repair**.  The expected requests are computed from the page sizes Graph and
Exchange document, not taken from the run.
"""
from __future__ import annotations

import math
import ssl
import os

import httpx

from sandbox.testing import SandboxProcess

from .baseline import end_state_errors, managed_tenants, write_seed
from .measure import request_counts, run_measured
from .tools import Role

LATENCY_MS = 50
GRAPH_PAGE = 999          # $top's maximum for /users: https://learn.microsoft.com/graph/paging
EXCHANGE_PAGE = 1000      # odata.maxpagesize the collection asks of InvokeCommand
USER_QUERIES = 2          # guests, and members who were invited (mail_user_visibility.USER_QUERIES)
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
ANCHOR = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@"


def expected_reads(guests: int) -> int:
    """Graph + Exchange requests of a run that changes nothing: the tenant's reads in one ``$batch``
    (each ``/users`` query's first page among them), the further ``/users`` pages, and the
    ``Get-MailUser`` pages."""
    further_user_pages = max(math.ceil(guests / GRAPH_PAGE), 1) - 1
    return 1 + further_user_pages + math.ceil(guests / EXCHANGE_PAGE)


def drift(sandbox, tenant: dict, share: float) -> int:
    """Flip ``HiddenFromAddressListsEnabled`` on every ``1/share``-th mail user, as an admin in the
    Exchange admin center would; returns how many were flipped."""
    users = [u for u in sandbox.state(tenant["id"])["users"].values() if "_exchange" in u]
    chosen = users[::max(int(round(1 / share)), 1)]
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file), timeout=30) as http:
        token = http.post(f"{sandbox.login_url}/{tenant['id']}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": tenant["client_id"],
            "client_secret": tenant["client_secret"], "scope": EXCHANGE_SCOPE}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-AnchorMailbox": ANCHOR + tenant["id"]}
        for user in chosen:
            mail_user = user["_exchange"]
            body = {"CmdletInput": {"CmdletName": "Set-MailUser", "Parameters": {
                "Identity": mail_user["Guid"],
                "HiddenFromAddressListsEnabled": not mail_user["HiddenFromAddressListsEnabled"]}}}
            answer = http.post(f"{sandbox.exchange_url}/adminapi/beta/{tenant['id']}/InvokeCommand", json=body,
                               headers=headers)
            answer.raise_for_status()
    return len(chosen)


def measured_run(tool, sandbox, tenants: list, name: str, log_dir: str) -> dict:
    argv, env = tool.command(plan=False)
    since = sandbox.requests_log(since=2**62)["last_seq"]
    run = run_measured(argv, env, tool.workdir, os.path.join(log_dir, f"large-{name}.log"))
    entries = sandbox.requests_log(since=since)["entries"]
    api = [e for e in entries if e["service"] in ("graph", "exchange") and not e.get("batch")]
    result = {"run": name, "returncode": run.returncode, "wall_s": round(run.wall, 2), "cpu_s": round(run.cpu, 2),
              "max_rss_mb": round(run.max_rss_mb, 1), "api_requests": len(api),
              "set_mail_user": sum(1 for e in api if e.get("cmdlet") == "Set-MailUser"),
              "requests": request_counts(entries, 1), "end_state_reached": not end_state_errors(sandbox, tenants)}
    if run.returncode != 0:
        result["output_tail"] = run.output[-2000:]
    return result


def large_tenant(guests: int, share: float, workdir: str, collections: str, on_run=None) -> dict:
    """The three runs on one tenant of ``guests`` guests; a dict for fleet.json's ``large_tenant``."""
    os.makedirs(workdir, exist_ok=True)
    seed = os.path.join(workdir, f"seed-large-{guests}.yml")
    write_seed(seed, 1, guests)
    with SandboxProcess(seed, timeout=300) as sandbox:
        sandbox.set_faults({"kind": "latency", "latency_ms": LATENCY_MS})
        tenants = managed_tenants(sandbox)
        tool = Role(os.path.join(workdir, f"large-{guests}"), sandbox, tenants, collections)
        runs = []
        for name in ("converge", "steady", "repair"):
            flipped = drift(sandbox, tenants[0], share) if name == "repair" else 0
            result = measured_run(tool, sandbox, tenants, name, workdir)
            result["flipped_before"] = flipped
            result["expected_requests"] = expected_reads(guests) + flipped if name != "converge" else None
            runs.append(result)
            if on_run:
                on_run(result)
    return {"guests": guests, "differing_share": share, "latency_ms": LATENCY_MS, "runs": runs}
