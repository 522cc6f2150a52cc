"""One benchmark pass: for each fleet size, seed the sandbox, add the latency, and run every tool's
first apply, no-drift apply and plan from the same seed state, checking the end state each reaches."""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time

import psutil

from sandbox.testing import SandboxProcess

from .baseline import GUESTS_PER_TENANT, end_state_errors, managed_tenants, write_seed
from .large_tenant import large_tenant
from .measure import request_counts, run_measured
from .tools import BIN, FORKS, REPO, Role, Script, Uri

RUNS = ("first_apply", "no_drift", "plan")
LATENCY_MS = 50
GRAPH_WRITE = re.compile(r"^(PATCH|POST|PUT|DELETE)$")


def install_collection(workdir: str) -> str:
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    from conftest import install_collection as install  # the integration suite's build + install
    return install(workdir)


def last_seq(sandbox) -> int:
    return sandbox.requests_log(since=2**62)["last_seq"]


def sandbox_cpu(sandbox) -> float:
    """The sandbox server's own CPU: not the tool's cost, but it shares the machine and bounds the wall."""
    times = psutil.Process(sandbox.process.pid).cpu_times()
    return times.user + times.system


def graph_writes(entries: list) -> int:
    return sum(1 for e in entries if e["service"] == "graph" and not e.get("batch") and GRAPH_WRITE.match(e["method"])
               and not e["path"].endswith("/$batch"))


def run_tool(tool, sandbox, tenants: list, log_dir: str, on_run=None) -> list:
    """The three runs of one tool from the seed state; a list of result dicts."""
    sandbox.reset()
    sandbox.set_faults({"kind": "latency", "latency_ms": LATENCY_MS})
    results = []
    for run in RUNS:
        argv, env = tool.command(plan=run == "plan")
        since = last_seq(sandbox)
        sandbox_before = sandbox_cpu(sandbox)
        measured = run_measured(argv, env, tool.workdir, os.path.join(log_dir, f"{tool.name}-{len(tenants)}-{run}.log"))
        sandbox_spent = sandbox_cpu(sandbox) - sandbox_before
        entries = sandbox.requests_log(since=since)["entries"]
        missed = end_state_errors(sandbox, tenants)
        result = {"tool": tool.name, "label": tool.label, "tenants": len(tenants), "run": run,
                  "returncode": measured.returncode, "wall_s": round(measured.wall, 2), "cpu_s": round(measured.cpu, 2),
                  "cpu_per_tenant": round(measured.cpu / len(tenants), 3),
                  "sandbox_cpu_s": round(sandbox_spent, 2), "max_rss_mb": round(measured.max_rss_mb, 1), "tree_rss_mb": round(measured.tree_rss_mb, 1),
                  "requests": request_counts(entries, len(tenants)), "graph_writes": graph_writes(entries),
                  "end_state_reached": not missed, "tenants_missing_end_state": len(missed),
                  "end_state_sample": dict(list(missed.items())[:2]),
                  "reports_no_change": tool.changed_nothing(measured.output) if run != "first_apply" else None}
        if measured.returncode != 0:
            result["output_tail"] = measured.output[-2000:]
        results.append(result)
        if on_run:
            on_run(result)
    return results


def bench(sizes: list, tools: list, uri_max: int, guests: int = GUESTS_PER_TENANT, workdir: str | None = None,
          on_run=None, profile=None, large: tuple = (0, 0.0), asyncio_max: int = 0) -> dict:
    """Every tool at every size (the uri peer only up to ``uri_max`` tenants).  ``profile(tool, sandbox)``
    is called for the role after its runs at the smallest size, the state converged; the asyncio
    script runs up to ``asyncio_max`` tenants (0: every size).  ``large`` is
    (guests, share differing) of the one-tenant scenario of :mod:`.large_tenant` (0 guests: not run)."""
    workdir = workdir or tempfile.mkdtemp(prefix="tenantops-bench-")
    os.makedirs(workdir, exist_ok=True)
    collections = install_collection(workdir) if "role" in tools else None
    started = time.time()
    results, profiled = [], None
    for size in sizes:
        seed = os.path.join(workdir, f"seed-{size}.yml")
        write_seed(seed, size, guests)
        with SandboxProcess(seed, timeout=300) as sandbox:
            tenants = managed_tenants(sandbox)
            for name in tools:
                if (name == "uri" and size > uri_max) or (name == "asyncio" and asyncio_max and size > asyncio_max):
                    continue
                size_dir = os.path.join(workdir, str(size))
                tool = (Role(size_dir, sandbox, tenants, collections) if name == "role" else
                        Uri(size_dir, sandbox, tenants) if name == "uri" else Script(size_dir, sandbox, tenants))
                results.extend(run_tool(tool, sandbox, tenants, workdir, on_run))
                if name == "role" and profile and profiled is None:
                    profiled = profile(tool, sandbox)
    large_guests, large_share = large
    large_result = (large_tenant(large_guests, large_share, os.path.join(workdir, "large"), collections, on_run)
                    if large_guests and "role" in tools else None)
    return {"latency_ms": LATENCY_MS, "forks": FORKS, "guests_per_tenant": guests, "sizes": sizes,
            "uri_max_tenants": uri_max, "asyncio_max_tenants": asyncio_max or None, "cpus": os.cpu_count(), "load_at_start": os.getloadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "duration_s": round(time.time() - started), "python": sys.version.split()[0], "bin": BIN,
            "results": results, "profile": profiled, "large_tenant": large_result}
