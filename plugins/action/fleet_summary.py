# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.tenantops.entra.plugins.modules.fleet_summary import ARGUMENT_SPEC

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


class ActionModule(ActionBase):
    _requires_connection = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail("; ".join(validated.error_messages))
        params = validated.validated_parameters
        hostvars = (task_vars or {}).get("hostvars", {})
        tenants = {name: tenant_status(hostvars[name].get(params["result_var"]) if name in hostvars else None)
                   for name in params["tenants"]}
        totals = {status: sum(1 for e in tenants.values() if e["status"] == status) for status in STATUSES}
        for name, entry in tenants.items():
            display.display(line(name, entry))
        display.display(", ".join(f"{count} {status.replace('_', ' ')}" for status, count in totals.items()))
        result.update(changed=False, tenants=tenants, totals=totals)
        return result
