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
# py-spy names files relative to their sys.path entry: the collection's are module_utils/…,
# plugin_utils/…, action/…; Ansible's own start with ansible/.
COLLECTION = ("module_utils/", "plugin_utils/", "action/", "modules/")
AREAS = (  # first match wins: (label, test on the file)
    ("tenantops.entra (units, runner, action plugins)", lambda f: f.startswith(COLLECTION)),
    ("msgraph-core / kiota HTTP pipeline", lambda f: f.startswith(("msgraph_core/", "kiota"))),
    ("azure-identity / MSAL / azure-core", lambda f: f.startswith(("azure/", "msal/"))),
    ("httpx / httpcore / h11 / h2 / anyio", lambda f: f.startswith(("httpx/", "httpcore/", "h11/", "h2/", "anyio/"))),
    ("ssl / sockets / selectors", lambda f: f in ("ssl.py", "socket.py", "selectors.py")),
    ("asyncio", lambda f: f.startswith("asyncio/")),
    ("cryptography / JWT", lambda f: f.startswith(("cryptography/", "jwt/"))),
    ("Jinja2 and Ansible templating", lambda f: f.startswith(("jinja2/", "ansible/_internal/_templating",
                                                              "ansible/template"))),
    ("Ansible task executor (in the worker)", lambda f: f.startswith("ansible/executor/")),
    ("Ansible strategy and results (controller)", lambda f: f.startswith("ansible/plugins/strategy")),
    ("Ansible callbacks and display", lambda f: f.startswith(("ansible/plugins/callback", "ansible/utils/display"))),
    ("Ansible inventory, vars, playbook loading", lambda f: f.startswith(("ansible/inventory", "ansible/vars",
                                                                         "ansible/playbook", "ansible/parsing"))),
    ("Ansible (other)", lambda f: f.startswith("ansible/")),
    ("YAML", lambda f: f.startswith("yaml/")),
    ("multiprocessing (forking workers)", lambda f: f.startswith("multiprocessing/")),
)
PHASES = (  # by the frames a sample's stack contains, first match wins
    ("worker: the collection's action plugin (validate, credential, token, HTTP, plan)",
     lambda files: "plugin_utils/tenant_action.py" in files),
    ("worker: Ansible's per-task work (templating, argument handling, results)",
     lambda files: "ansible/executor/process/worker.py" in files),
    ("controller: strategy, forking, results, callbacks", lambda files: "ansible/executor/task_queue_manager.py" in files),
    ("controller: start-up (CLI, inventory, playbook load)", lambda files: True),
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


def area_of(frames: list) -> str:
    """The library of the deepest frame that belongs to a known one (a leaf in the stdlib counts
    for whoever called it)."""
    for _, file in reversed(frames):
        for label, matches in AREAS:
            if matches(file):
                return label
    return "other"


def is_import(frames: list) -> bool:
    return any(file.startswith("<frozen importlib") for _, file in frames)


def phase_of(frames: list) -> str:
    files = {file for _, file in frames}
    return next(label for label, matches in PHASES if matches(files))


def short(function: str, file: str) -> str:
    return f"{function} ({file})"


def summarise(stacks: list, top: int = 15) -> dict:
    total = sum(count for _, count in stacks) or 1
    by_phase, importing, by_area, by_self, in_collection = Counter(), Counter(), Counter(), Counter(), Counter()
    for frames, count in stacks:
        by_phase[phase_of(frames)] += count
        if is_import(frames):
            importing[phase_of(frames)] += count
        by_area[area_of(frames)] += count
        by_self[short(*frames[-1])] += count
        for name in {short(f, p) for f, p in frames if AREAS[0][1](p)}:
            in_collection[name] += count

    def rows(counter):
        return [(name, round(100 * count / total, 1)) for name, count in counter.most_common(top)]
    return {"samples": total, "rate_hz": RATE, "cpu_s_sampled": round(total / RATE, 1), "by_phase": [(name, share, round(100 * importing[name] / total, 1)) for name, share in rows(by_phase)],
            "by_area": rows(by_area), "by_function_self": rows(by_self), "collection_inclusive": rows(in_collection)}


def as_markdown(summary: dict, tenants: int) -> str:
    lines = [f"py-spy, {summary['samples']} on-CPU samples at {summary['rate_hz']} Hz over every process "
             f"(≈{summary['cpu_s_sampled']} CPU-s), no-drift run of the role at N={tenants}.", "",
             "| phase | share of CPU | of which importing modules |", "|---|---|---|"]
    lines += [f"| {name} | {share}% | {imports}% |" for name, share, imports in summary["by_phase"]]
    lines += ["", "| library (deepest known frame) | share |", "|---|---|"]
    lines += [f"| {name} | {share}% |" for name, share in summary["by_area"]]
    lines += ["", "| function (self time) | share |", "|---|---|"]
    lines += [f"| `{name}` | {share}% |" for name, share in summary["by_function_self"]]
    lines += ["", "| collection function (inclusive) | share |", "|---|---|"]
    lines += [f"| `{name}` | {share}% |" for name, share in summary["collection_inclusive"]]
    return "\n".join(lines)


def profile_no_drift(tool, sandbox, out_dir: str) -> dict:
    """Profile one more no-drift run of the (converged) role; the raw samples stay in ``out_dir``."""
    argv, env = tool.command(plan=False)
    raw = os.path.join(out_dir, f"profile-{tool.name}-{len(tool.tenants)}.txt")
    record(argv, env, tool.workdir, raw)
    summary = summarise(parse(raw))
    summary["tenants"] = len(tool.tenants)
    summary["summary_markdown"] = as_markdown(summary, len(tool.tenants))
    return summary
