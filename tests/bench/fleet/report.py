"""The benchmark's outputs: ``fleet.json`` (every figure), ``fleet.md`` (tables, ratios to the
peers, targets, the role's request breakdown) and ``fleet.png`` (CPU and wall against N)."""
from __future__ import annotations

import json
import os

PEERS = ("asyncio", "uri")
RUN_TITLES = {"first_apply": "first apply", "no_drift": "no-drift apply", "plan": "plan (--check --diff)"}


def find(results: list, tool: str, run: str, tenants: int | None = None) -> dict | None:
    """The result of ``tool``/``run`` at ``tenants``; without an exact size, the largest below it."""
    matching = [r for r in results if r["tool"] == tool and r["run"] == run and (tenants is None or r["tenants"] <= tenants)]
    return max(matching, key=lambda r: r["tenants"]) if matching else None


def ratio(value: float, reference: float) -> float | None:
    return round(value / reference, 2) if reference else None


def add_ratios(report: dict) -> None:
    """Each of the role's figures over each peer's, same run, same N (or the peer's largest N below
    it: the uri playbook is too dear to run at every size; per-tenant figures only, then)."""
    ratios = []
    for role in (r for r in report["results"] if r["tool"] == "role"):
        for peer_name in PEERS:
            peer = find(report["results"], peer_name, role["run"], role["tenants"])
            if not peer:
                continue
            same_size = peer["tenants"] == role["tenants"]
            ratios.append({
                "tenants": role["tenants"], "run": role["run"], "peer": peer_name, "peer_tenants": peer["tenants"],
                "cpu_per_tenant": ratio(role["cpu_per_tenant"], peer["cpu_per_tenant"]),
                "wall": ratio(role["wall_s"], peer["wall_s"]) if same_size else None,
                "max_rss": ratio(role["max_rss_mb"], peer["max_rss_mb"]),
                "api_requests": ratio(role["requests"]["api"], peer["requests"]["api"]),
                "tokens": ratio(role["requests"]["tokens"], peer["requests"]["tokens"]),
            })
    report["ratios"] = ratios


def targets(report: dict) -> list:
    """Issue 9's targets against the largest size measured: (target, measured, met)."""
    results, rows = report["results"], []
    largest = max(report["sizes"])

    def role(run, size=largest):
        return find(results, "role", run, size)
    no_drift, first = role("no_drift"), role("first_apply")
    script_nd, script_first = find(results, "asyncio", "no_drift", largest), find(results, "asyncio", "first_apply", largest)
    uri_nd = find(results, "uri", "no_drift", largest)
    if no_drift and script_nd:
        value = no_drift["cpu_per_tenant"] / script_nd["cpu_per_tenant"]
        rows.append(("no-drift CPU per tenant ≤ 1.25× the asyncio script's", f"{value:.2f}×", value <= 1.25))
    if no_drift and uri_nd:
        value = uri_nd["cpu_per_tenant"] / no_drift["cpu_per_tenant"]
        rows.append(("no-drift CPU per tenant ≥ 15× less than the uri playbook's", f"{value:.1f}× less", value >= 15))
    if first and script_first:
        value = first["cpu_per_tenant"] / script_first["cpu_per_tenant"]
        rows.append(("first apply CPU per tenant ≤ 1.5× the asyncio script's", f"{value:.2f}×", value <= 1.5))
    if no_drift:
        tokens, discovery = no_drift["requests"]["tokens"], no_drift["requests"]["discovery"]
        rows.append(("tokens per tenant per run ≤ 2, OIDC discovery ≤ 1", f"{tokens:g} tokens, {discovery:g} discovery",
                     tokens <= 2 and discovery <= 1))
        api = no_drift["requests"]["api"]
        rows.append(("Graph + Exchange requests per tenant, no drift ≤ 4", f"{api:g}", api <= 4))
        if no_drift["tenants"] >= 1000:
            rows.append(("1,000 tenants no-drift wall ≤ 5 min", f"{no_drift['wall_s'] / 60:.1f} min",
                         no_drift["wall_s"] <= 300))
        else:
            projected = no_drift["wall_s"] / no_drift["tenants"] * 1000
            rows.append(("1,000 tenants no-drift wall ≤ 5 min",
                         f"not run; {projected / 60:.1f} min projected from N={no_drift['tenants']}", None))
    # The span is 30 to 1,000 tenants: below 30 the start-up of ansible-playbook (a fixed ~3
    # CPU-s) dominates the cost per tenant, so the span starts at the smallest size of 30 or more.
    span_start = min([size for size in report["sizes"] if size >= 30] or report["sizes"])
    smallest = find(results, "role", "no_drift", span_start)
    if smallest and no_drift and smallest["tenants"] != no_drift["tenants"]:
        growth = no_drift["cpu_per_tenant"] / smallest["cpu_per_tenant"] - 1
        rows.append((f"cost per tenant flat from N={smallest['tenants']} to N={no_drift['tenants']} (within 10%)",
                     f"{growth:+.0%}", abs(growth) <= 0.10))
        memory = (no_drift["max_rss_mb"] - smallest["max_rss_mb"]) / (no_drift["tenants"] - smallest["tenants"])
        rows.append(("controller peak memory bounded (a few MB at most per tenant)",
                     f"{smallest['max_rss_mb']:.0f} → {no_drift['max_rss_mb']:.0f} MB ({memory * 1000:.0f} kB per tenant)",
                     memory < 1))
    repair = large_run(report, "repair")
    if repair:
        guests = report["large_tenant"]["guests"]
        share = report["large_tenant"]["differing_share"]
        rows.append((f"one tenant with {guests:,} guests, {share:.0%} differing: ≤ 60 s, requests ≈ pages read + "
                     "users changed",
                     f"{repair['wall_s']:.1f} s, {repair['api_requests']} requests for {repair['expected_requests']} "
                     f"({repair['set_mail_user']} Set-MailUser for {repair['flipped_before']} drifted)",
                     repair["wall_s"] <= 60 and repair["api_requests"] <= repair["expected_requests"]))
    return rows


def large_run(report: dict, name: str) -> dict | None:
    runs = (report.get("large_tenant") or {}).get("runs") or []
    return next((r for r in runs if r["run"] == name), None)


def large_tenant_markdown(large: dict) -> list:
    lines = ["## One tenant with many guests", "",
             f"{large['guests']:,} guests, the fleet baseline, {large['latency_ms']} ms per request. **converge**: every "
             "guest starts hidden, so the partners' guests are written; **steady**: nothing differs; **repair**: after "
             f"{large['differing_share']:.0%} of the guests were flipped through Exchange's API. Expected requests: "
             "the `$batch` of the tenant's reads, the further `/users` pages (999 a page) and the `Get-MailUser` "
             "pages (1,000 a page), plus one `Set-MailUser` per drifted guest.", "",
             "| run | wall s | CPU-s | peak RSS MB | Graph + Exchange requests | expected | Set-MailUser | end state |",
             "|---|---|---|---|---|---|---|---|"]
    for r in large["runs"]:
        lines.append(f"| {r['run']} | {r['wall_s']:g} | {r['cpu_s']:g} | {r['max_rss_mb']:g} | {r['api_requests']} "
                     f"| {_cell(r['expected_requests'])} | {r['set_mail_user']} "
                     f"| {'reached' if r['end_state_reached'] else 'MISSED'} |")
    return lines + [""]


def _cell(value) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def markdown(report: dict) -> str:
    lines = [f"# Fleet benchmark ({report['started']})", "",
             f"{report['latency_ms']} ms injected per request, {report['forks']} forks (the script: as many tenants at a "
             f"time), {report['guests_per_tenant']} guests per tenant, {report['cpus']} CPUs shared with other work "
             f"(load average at start {report['load_at_start'][0]:.1f}). CPU is user+system of the whole process tree; "
             "peak RSS is the controller's own high-water mark (VmHWM). Figures are per tenant unless marked. "
             "Ratios within one run are what counts; absolute times move with the machine's load.", ""]
    header = ("| N | tool | run | CPU-s per tenant | CPU-s | wall s | sandbox CPU-s | peak RSS MB | tree RSS MB "
              "| tokens | OIDC discovery | Graph | Exchange | `$batch` items | end state |")
    lines += ["## Every run", "", "Requests are per tenant; CPU-s, wall and the sandbox's CPU (the server answering, "
              "on the same machine) are for the whole run.", "", header, "|" + "---|" * (header.count(" | ") + 1)]
    for r in report["results"]:
        q = r["requests"]
        lines.append(f"| {r['tenants']} | {r['tool']} | {RUN_TITLES[r['run']]} | {r['cpu_per_tenant']:.3f} | {r['cpu_s']:g} | {r['wall_s']:g} "
                     f"| {r.get('sandbox_cpu_s', '–')} | {r['max_rss_mb']:g} | {r['tree_rss_mb']:g} | {q['tokens']:g} | {q['discovery']:g} | {q['graph']:g} "
                     f"| {q['exchange']:g} | {q['batch_items']:g} | {'reached' if r['end_state_reached'] else 'MISSED'} |")
    lines += ["", "## The role as a ratio to the peers (role ÷ peer)", "",
              "| N | run | peer | CPU per tenant | wall | peak RSS | Graph + Exchange requests | tokens |",
              "|---|---|---|---|---|---|---|---|"]
    for x in report["ratios"]:
        peer = x["peer"] + ("" if x["peer_tenants"] == x["tenants"] else f" (N={x['peer_tenants']})")
        lines.append(f"| {x['tenants']} | {RUN_TITLES[x['run']]} | {peer} | {_cell(x['cpu_per_tenant'])} | {_cell(x['wall'])} "
                     f"| {_cell(x['max_rss'])} | {_cell(x['api_requests'])} | {_cell(x['tokens'])} |")
    lines += ["", "## Issue 9's targets (largest N measured)", "", "| target | measured | met |", "|---|---|---|"]
    for target, measured, met in targets(report):
        lines.append(f"| {target} | {measured} | {'yes' if met else 'no' if met is False else '–'} |")
    lines += ["", "## Where the role's requests go (per tenant, largest N)", ""]
    for run in ("first_apply", "no_drift"):
        role = find(report["results"], "role", run, max(report["sizes"]))
        if role:
            lines += [f"{RUN_TITLES[run]}:", "", "| endpoint | per tenant |", "|---|---|"]
            lines += [f"| `{endpoint}` | {count:g} |" for endpoint, count in role["requests"]["by_endpoint"].items()]
            lines.append("")
    if report.get("large_tenant"):
        lines += large_tenant_markdown(report["large_tenant"])
    if report.get("profile"):
        lines += ["## Profile of the role's no-drift run", "", report["profile"]["summary_markdown"], ""]
    return "\n".join(lines) + "\n"


def chart(report: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (cpu_axis, wall_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for tool in ("role", "asyncio", "uri"):
        for run, style in (("no_drift", "-o"), ("first_apply", "--s")):
            points = sorted((r["tenants"], r["cpu_s"], r["wall_s"]) for r in report["results"]
                            if r["tool"] == tool and r["run"] == run)
            if not points:
                continue
            sizes = [p[0] for p in points]
            label = f"{tool}, {RUN_TITLES[run]}"
            cpu_axis.plot(sizes, [p[1] for p in points], style, label=label)
            wall_axis.plot(sizes, [p[2] for p in points], style, label=label)
    for axis, title in ((cpu_axis, "CPU seconds, whole process tree"), (wall_axis, "wall seconds")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("tenants (N)")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    cpu_axis.legend(fontsize=7)
    figure.suptitle(f"tenantops.entra fleet benchmark, {report['latency_ms']} ms latency, {report['started']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def rewrite(out_dir: str) -> dict:
    """fleet.md and fleet.png again from fleet.json (after a change to this file)."""
    with open(os.path.join(out_dir, "fleet.json"), encoding="utf-8") as handle:
        return write(json.load(handle), out_dir)


def write(report: dict, out_dir: str) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    add_ratios(report)
    paths = {kind: os.path.join(out_dir, f"fleet.{kind}") for kind in ("json", "md", "png")}
    with open(paths["json"], "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1, sort_keys=True)
    with open(paths["md"], "w", encoding="utf-8") as handle:
        handle.write(markdown(report))
    chart(report, paths["png"])
    return paths
