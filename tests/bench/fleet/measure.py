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
    for (wait4's rusage); ``max_rss_mb`` is the largest single process (the controller);
    ``tree_rss_mb`` the highest sampled sum over the tree (forks share pages, so it over-counts)."""
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
        self.done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.wait(SAMPLE_SECONDS):
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
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, max_rss_mb=usage.ru_maxrss / 1024,
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
