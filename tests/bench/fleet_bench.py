"""Fleet benchmark: this collection's role against a hand-written uri playbook and an asyncio
msgraph-sdk script, on one sandbox, same seed, 50 ms per request (issue 9; docs/performance.md).

    python tests/bench/fleet_bench.py [--tenants 10 100 1000] [--uri-max 10] [--asyncio-max 0]
                              [--tools role,uri,asyncio]
                              [--guests 50] [--profile] [--out docs/performance]
                              [--large-tenant 10000] [--large-share 0.01]

Writes fleet.json, fleet.md and fleet.png to --out.  Prints one line per run as it goes.
Figures are compared as ratios within one run; nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from fleet import report  # noqa: E402
from fleet.baseline import GUESTS_PER_TENANT  # noqa: E402
from fleet.profile import profile_no_drift  # noqa: E402
from fleet.runner import bench  # noqa: E402
from fleet.tools import REPO  # noqa: E402


def progress(result: dict) -> None:
    if "tool" not in result:          # a run of the one large tenant
        print(f"large tenant {result['run']:<9} wall {result['wall_s']:7.1f} s  cpu {result['cpu_s']:6.2f} s  "
              f"requests {result['api_requests']} (expected {result['expected_requests']})  "
              f"Set-MailUser {result['set_mail_user']}  rc {result['returncode']}  "
              f"end state {'ok' if result['end_state_reached'] else 'MISSED'}", flush=True)
        return
    q = result["requests"]
    print(f"N={result['tenants']:<5} {result['tool']:<8} {result['run']:<12} cpu/tenant {result['cpu_per_tenant']:7.3f} s  "
          f"wall {result['wall_s']:7.1f} s  rss {result['max_rss_mb']:6.1f} MB  tokens {q['tokens']:g}  "
          f"discovery {q['discovery']:g}  api {q['api']:g}  rc {result['returncode']}  "
          f"end state {'ok' if result['end_state_reached'] else 'MISSED'}", flush=True)


def failures(result: dict) -> list:
    """A line for each run that failed or missed the end state."""
    lines = [f"FAILED: {r['tool']} {r['run']} N={r['tenants']}: rc {r['returncode']}, "
             f"{r['tenants_missing_end_state']} tenants miss the end state {r['end_state_sample']}\n"
             f"{r.get('output_tail', '')}"
             for r in result["results"] if r["returncode"] != 0 or not r["end_state_reached"]]
    lines += [f"FAILED: large tenant {r['run']}: rc {r['returncode']}, end state "
              f"{'reached' if r['end_state_reached'] else 'missed'}\n{r.get('output_tail', '')}"
              for r in (result["large_tenant"] or {}).get("runs", [])
              if r["returncode"] != 0 or not r["end_state_reached"]]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--uri-max", type=int, default=10, help="largest N for the uri playbook (it is dear)")
    parser.add_argument("--asyncio-max", type=int, default=0,
                        help="largest N for the asyncio script (0: every size; it is one process, one core)")
    parser.add_argument("--tools", default="role,uri,asyncio")
    parser.add_argument("--guests", type=int, default=GUESTS_PER_TENANT)
    parser.add_argument("--large-tenant", type=int, default=0, metavar="GUESTS",
                        help="also one tenant with this many guests, --large-share of them drifted (0: not run)")
    parser.add_argument("--large-share", type=float, default=0.01)
    parser.add_argument("--profile", action="store_true", help="py-spy one more no-drift run of the role (smallest N)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance"))
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--rewrite", action="store_true", help="only rewrite fleet.md and fleet.png from --out's fleet.json")
    args = parser.parse_args(argv)
    if args.rewrite:
        print("wrote " + ", ".join(report.rewrite(args.out).values()))
        return 0
    workdir = args.workdir or tempfile.mkdtemp(prefix="tenantops-bench-")
    os.makedirs(args.out, exist_ok=True)
    profile = (lambda tool, sandbox: profile_no_drift(tool, sandbox, workdir)) if args.profile else None
    result = bench(sorted(args.tenants), args.tools.split(","), args.uri_max, args.guests, workdir, progress, profile,
                   (args.large_tenant, args.large_share), args.asyncio_max)
    paths = report.write(result, args.out)
    print("wrote " + ", ".join(paths.values()))
    failed = failures(result)
    for line in failed:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
