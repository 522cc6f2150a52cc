"""Where the role's CPU goes: py-spy samples a no-drift run (every process of the tree, on-CPU
samples only), and the samples are folded by library and by function."""
from __future__ import annotations

import os
import re
import subprocess
from collections import Counter

from .tools import BIN

FRAME = re.compile(r"^(?P<function>.+) \((?P<file>[^()]+?)(?::(?P<line>\d+))?\)$")
RECORD = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
RATE = 100
AREAS = (  # first match wins: (label, substring of the file path)
    ("tenantops.entra (units, runner, action plugins)", "ansible_collections/tenantops"),
    ("msgraph-core / kiota HTTP pipeline", "msgraph_core"), ("msgraph-core / kiota HTTP pipeline", "kiota"),
    ("azure-identity / MSAL", "azure/identity"), ("azure-identity / MSAL", "/msal/"), ("azure-identity / MSAL", "azure/core"),
    ("httpx / httpcore / h11 / h2", "httpx"), ("httpx / httpcore / h11 / h2", "httpcore"),
    ("httpx / httpcore / h11 / h2", "/h11/"), ("httpx / httpcore / h11 / h2", "/h2/"),
    ("Jinja2 templating", "jinja2"), ("Ansible templating", "ansible/_internal/_templating"),
    ("Ansible templating", "ansible/template"), ("Ansible task executor and workers", "ansible/executor"),
    ("Ansible strategy, play iterator", "ansible/plugins/strategy"), ("Ansible (other)", "/ansible/"),
    ("YAML", "yaml"), ("ssl / sockets", "ssl.py"), ("ssl / sockets", "socket.py"), ("asyncio", "asyncio/"),
    ("Python imports", "importlib"), ("Python imports", "<frozen"), ("cryptography / JWT", "cryptography"),
    ("cryptography / JWT", "/jwt/"),
)


def record(argv: list, env: dict, cwd: str, out: str) -> None:
    command = [os.path.join(BIN, "py-spy"), "record", "--subprocesses", "--rate", str(RATE), "--format", "raw",
               "--output", out, "--", *argv]
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)


def parse(path: str) -> list:
    """[(frames leaf last, samples)] from py-spy's raw (folded) output."""
    stacks = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = RECORD.match(line.rstrip("\n"))
            if not match:
                continue
            frames = [FRAME.match(f) for f in match["stack"].split(";")]
            frames = [(f["function"], f["file"]) for f in frames if f]
            if frames:
                stacks.append((frames, int(match["count"])))
    return stacks


def area_of(file: str) -> str:
    return next((label for label, part in AREAS if part in file), "other")


def short(function: str, file: str) -> str:
    for marker in ("site-packages/", "ansible_collections/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{function} ({file})"


def summarise(stacks: list, top: int = 15) -> dict:
    total = sum(count for _, count in stacks) or 1
    by_area, by_self, in_collection = Counter(), Counter(), Counter()
    for frames, count in stacks:
        function, file = frames[-1]
        by_area[area_of(file)] += count
        by_self[short(function, file)] += count
        for name in {short(f, p) for f, p in frames if "ansible_collections/tenantops" in p}:
            in_collection[name] += count

    def rows(counter):
        return [(name, round(100 * count / total, 1)) for name, count in counter.most_common(top)]
    return {"samples": total, "rate_hz": RATE, "cpu_s_sampled": round(total / RATE, 1), "by_area": rows(by_area),
            "by_function_self": rows(by_self), "collection_inclusive": rows(in_collection)}


def as_markdown(summary: dict, tenants: int) -> str:
    lines = [f"py-spy, {summary['samples']} on-CPU samples at {summary['rate_hz']} Hz over every process "
             f"(≈{summary['cpu_s_sampled']} CPU-s), no-drift run of the role at N={tenants}.", "",
             "| where (leaf frame's library) | share of CPU |", "|---|---|"]
    lines += [f"| {name} | {share}% |" for name, share in summary["by_area"]]
    lines += ["", "| function (self time) | share |", "|---|---|"]
    lines += [f"| `{name}` | {share}% |" for name, share in summary["by_function_self"]]
    lines += ["", "| collection function (inclusive) | share |", "|---|---|"]
    lines += [f"| `{name}` | {share}% |" for name, share in summary["collection_inclusive"]]
    return "\n".join(lines)


def profile_no_drift(tool, sandbox, out_dir: str) -> dict:
    """Profile one more no-drift run of the (converged) role; the raw samples go to ``out_dir``."""
    argv, env = tool.command(plan=False)
    raw = os.path.join(out_dir, f"profile-{tool.name}-{len(tool.tenants)}.txt")
    record(argv, env, tool.workdir, raw)
    summary = summarise(parse(raw))
    summary["tenants"] = len(tool.tenants)
    summary["summary_markdown"] = as_markdown(summary, len(tool.tenants))
    return summary
