"""The fleet benchmark at N = 5 (part of `make test`): it runs, its outputs are well formed, and
every tool reaches the baseline and then writes nothing.  No figure is asserted - timing is the
benchmark's job (`make bench`), not a test's."""
import json
import os

import fleet_bench
from fleet.report import PEERS, RUN_TITLES

TENANTS = 5
GUESTS = 6                     # fewer guests keep the uri playbook's Set-MailUser loop short
LARGE_GUESTS = 1200            # two /users pages and two Get-MailUser pages; 1% = 12 drifted
TOOLS = ("role", *PEERS)


def test_fleet_bench_at_five_tenants(tmp_path):
    out = tmp_path / "out"
    status = fleet_bench.main(["--tenants", str(TENANTS), "--uri-max", str(TENANTS), "--guests", str(GUESTS),
                               "--out", str(out), "--workdir", str(tmp_path / "work"),
                               "--large-tenant", str(LARGE_GUESTS)])
    assert status == 0
    report = json.loads((out / "fleet.json").read_text())
    runs = {(r["tool"], r["run"]): r for r in report["results"]}
    assert set(runs) == {(tool, run) for tool in TOOLS for run in RUN_TITLES}
    for (tool, run), result in runs.items():
        assert result["returncode"] == 0 and result["tenants"] == TENANTS, (tool, run)
        assert result["end_state_reached"], (tool, run, result["end_state_sample"])
        assert result["cpu_s"] > 0 and result["wall_s"] > 0 and result["max_rss_mb"] > 0, (tool, run)
        assert result["requests"]["tokens"] >= 1 and result["requests"]["by_endpoint"], (tool, run)
        if run != "first_apply":
            assert result["graph_writes"] == 0, (tool, run, result["requests"]["by_endpoint"])
            assert result["reports_no_change"] is not False, (tool, run)
    assert runs[("role", "first_apply")]["graph_writes"] > 0
    assert {(x["peer"], x["run"]) for x in report["ratios"]} == {(p, run) for p in PEERS for run in RUN_TITLES}
    large = {r["run"]: r for r in report["large_tenant"]["runs"]}
    assert all(r["returncode"] == 0 and r["end_state_reached"] for r in large.values()), large
    assert large["converge"]["set_mail_user"] > 0
    assert large["steady"]["set_mail_user"] == 0 and large["steady"]["api_requests"] == large["steady"]["expected_requests"]
    assert large["repair"]["flipped_before"] == LARGE_GUESTS // 100
    assert large["repair"]["set_mail_user"] == large["repair"]["flipped_before"]
    assert large["repair"]["api_requests"] == large["repair"]["expected_requests"]
    markdown = (out / "fleet.md").read_text()
    assert "## The role as a ratio to the peers" in markdown and "MISSED" not in markdown
    assert "## One tenant with many guests" in markdown
    assert (out / "fleet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(out / "fleet.png") > 10_000
