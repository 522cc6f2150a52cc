# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.utils.display import Display

from ansible_collections.tenantops.entra.plugins.modules.fleet_summary import ARGUMENT_SPEC
from ansible_collections.tenantops.entra.plugins.plugin_utils.fleet_action import FleetAction, registered

display = Display()
STATUSES = ("changed", "unchanged", "failed", "not_run")


def tenant_status(result) -> dict:
    """One tenant's line of the summary, from the result it registered (None: it did not run)."""
    if not isinstance(result, dict) or not result:
        return {"status": "not_run", "reason": "no result: unreachable, skipped, or stopped before its task"}
    if result.get("failed"):
        reason = str(result.get("msg") or "failed").splitlines()
        return {"status": "failed", "writes": len(result.get("applied") or []),
                "reason": " ".join(line.strip() for line in reason[:4])}
    writes = len(result.get("changes") or [])
    return {"status": "changed" if result.get("changed") else "unchanged", "writes": writes}


def line(name: str, entry: dict) -> str:
    if entry["status"] == "changed":
        return f"{name}: changed ({entry['writes']} write{'s' if entry['writes'] != 1 else ''})"
    if entry["status"] in ("failed", "not_run"):
        return f"{name}: {entry['status'].replace('_', ' ')}: {entry['reason']}"
    return f"{name}: unchanged"


class ActionModule(FleetAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def summarise(self, params: dict, hostvars) -> dict:
        tenants = {name: tenant_status(registered(hostvars, name, params["result_var"])) for name in params["tenants"]}
        totals = {status: sum(1 for e in tenants.values() if e["status"] == status) for status in STATUSES}
        for name, entry in tenants.items():
            display.display(line(name, entry))
        display.display(", ".join(f"{count} {status.replace('_', ' ')}" for status, count in totals.items()))
        return {"changed": False, "tenants": tenants, "totals": totals}
