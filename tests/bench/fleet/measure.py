"""Measuring one run of one tool: wall, CPU of the whole process tree, memory, and the requests
the sandbox saw during it."""
from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psutil


SAMPLE_SECONDS = 0.25
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass
class Run:
    """What one run cost.  ``cpu`` is user+system of the process and every descendant it waited
    for (wait4's rusage); ``max_rss_mb`` is the peak RSS of the process itself (the controller), its
    kernel high-water mark ``VmHWM`` as last sampled (monotonic, so only growth in the last quarter
    second before exit can be missed); ``tree_rss_mb`` the highest sampled sum over
    the tree (forks share pages, so it over-counts).

    Not wait4's ``ru_maxrss``: Linux carries the high-water mark of the forking process across
    ``exec``, so every child of a harness that holds a large sandbox state reported at least the
    harness's own size (671 MB for every tool alike at N=1,000)."""
    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float
    returncode: int
    output: str = ""
    requests: dict = field(default_factory=dict)


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.root_peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.wait(SAMPLE_SECONDS):
            self.root_peak = max(self.root_peak, high_water_mark(self.pid))
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)


def high_water_mark(pid: int) -> int:
    """The process's peak RSS so far in bytes (``VmHWM`` of /proc/PID/status), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_measured(command: list, env: dict, cwd: str, log_path: str) -> Run:
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    with open(log_path, encoding="utf-8", errors="replace") as log:
        output = log.read()
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, max_rss_mb=sampler.root_peak / 2**20,
               tree_rss_mb=sampler.peak / 2**20, returncode=process.returncode, output=output)


def request_counts(entries: list, tenants: int) -> dict:
    """Requests per tenant: HTTP requests by endpoint (``$batch`` items apart), tokens, discovery."""
    http = [e for e in entries if e["service"] in ("login", "graph", "exchange") and not e.get("batch")]
    items = [e for e in entries if e.get("batch")]
    by_endpoint = Counter(f'{e["service"]} {e["method"]} {GUID.sub("{id}", e["path"])}' for e in http)
    tokens = sum(1 for e in http if e["service"] == "login" and e["path"].endswith("/oauth2/v2.0/token"))
    discovery = sum(1 for e in http if e["service"] == "login" and "openid-configuration" in e["path"])
    api = [e for e in http if e["service"] in ("graph", "exchange")]
    per = float(max(tenants, 1))
    return {
        "tokens": tokens / per,
        "discovery": discovery / per,
        "login_other": (sum(1 for e in http if e["service"] == "login") - tokens - discovery) / per,
        "graph": sum(1 for e in api if e["service"] == "graph") / per,
        "exchange": sum(1 for e in api if e["service"] == "exchange") / per,
        "api": len(api) / per,
        "batch_items": len(items) / per,
        "errors": sum(1 for e in http if e["status"] >= 400 or e["status"] == 0),
        "by_endpoint": {key: round(count / per, 2) for key, count in sorted(by_endpoint.items())},
    }
