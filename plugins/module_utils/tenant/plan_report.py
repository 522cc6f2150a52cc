"""A fleet plan as a report: JSON for machines, Markdown for a pull-request comment, and an exit
status like ``terraform plan -detailed-exitcode`` (0 no drift, 2 drift, 1 error).

Built from each tenant's ``tenant_settings`` result in check mode (``settings_changed``) and, when
read, its audit log (``drift.py``) naming who last changed each drifted setting.
"""
from __future__ import annotations

from . import drift

NO_DRIFT, ERROR, DRIFT = 0, 1, 2
# GitHub refuses a comment over 65,536 characters; leave room for the CI's own header.
COMMENT_LIMIT = 60000


def tenant_entry(result, audit) -> dict:
    """One tenant's section of the report from its registered result (None: it did not run)."""
    if not isinstance(result, dict) or not result or result.get("skipped"):
        return {"status": "failed", "error": "no result: unreachable, skipped, or stopped before its task",
                "changes": []}
    if result.get("failed"):
        return {"status": "failed", "error": " ".join(str(result.get("msg") or "failed").split()), "changes": []}
    parts = result.get("parts") or {}
    changes = []
    for change in result.get("settings_changed") or []:
        changes.append({**change, **drift.attribute(change["setting"], parts, audit)})
    entry = {"status": "to_change" if changes or result.get("changed") else "unchanged",
             "tenant_id": result.get("tenant_id"), "changes": changes}
    if result.get("skipped_entries"):
        entry["notes"] = list(result["skipped_entries"])
    return entry


def build(results: dict, audits: dict | None = None) -> dict:
    """``results``: {tenant: registered result}; ``audits``: {tenant: drift.read() output}."""
    tenants = {name: tenant_entry(result, (audits or {}).get(name)) for name, result in results.items()}
    totals = {status: sum(1 for t in tenants.values() if t["status"] == status)
              for status in ("to_change", "unchanged", "failed")}
    totals["tenants"] = len(tenants)
    return {"totals": totals, "exit_status": exit_status(totals), "tenants": tenants}


def exit_status(totals: dict) -> int:
    if totals["failed"]:
        return ERROR
    return DRIFT if totals["to_change"] else NO_DRIFT


def _cell(value) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _who(change: dict) -> str:
    if change.get("changed_by"):
        return f"{_cell(change['changed_by'])} | {_cell(change['changed_at'])}"
    return f"{_cell(change.get('attribution', ''))} | "


def _details(name: str, entry: dict) -> str:
    if entry["status"] == "failed":
        return f"<details><summary><b>{name}</b>: failed</summary>\n\n```\n{entry['error']}\n```\n</details>\n"
    rows = "".join(f"| `{_cell(c['setting'])}` | {_cell(c['before'])} | {_cell(c['after'])} | {_who(c)} |\n"
                   for c in entry["changes"])
    count = len(entry["changes"])
    return (f"<details><summary><b>{name}</b>: {count} setting{'s' if count != 1 else ''} to change</summary>\n\n"
            f"| setting | before | after | last changed by | at |\n|---|---|---|---|---|\n{rows}\n</details>\n")


def markdown(report: dict, limit: int = COMMENT_LIMIT) -> str:
    """The summary table first (tenants to change or failed), unchanged tenants in one folded
    list, then each tenant's settings folded; cut at ``limit`` characters with a pointer to the JSON."""
    totals, tenants = report["totals"], report["tenants"]
    head = (f"### Entra plan: {totals['to_change']} to change, {totals['unchanged']} unchanged, "
            f"{totals['failed']} failed (of {totals['tenants']})\n\n")
    listed = {n: t for n, t in sorted(tenants.items()) if t["status"] != "unchanged"}
    if listed:
        head += "| tenant | status | settings |\n|---|---|---|\n"
        head += "".join(f"| {name} | {t['status'].replace('_', ' ')} | "
                        f"{len(t['changes']) if t['status'] != 'failed' else _cell(t['error'])[:120]} |\n"
                        for name, t in listed.items())
    unchanged = [n for n, t in sorted(tenants.items()) if t["status"] == "unchanged"]
    if unchanged:
        head += f"\n<details><summary>{len(unchanged)} unchanged</summary>\n\n{', '.join(unchanged)}\n</details>\n"
    body, cut = "\n", 0
    for name, entry in listed.items():
        section = _details(name, entry)
        if len(head) + len(body) + len(section) > limit:
            cut = len(listed) - list(listed).index(name)
            break
        body += section
    if cut:
        body += f"\n_{cut} more tenants left out to fit the comment; the JSON report has every tenant._\n"
    return head + body
