# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes the plan report on the controller from the tenants' registered results."""
from __future__ import annotations

import json
import os

from ansible.utils.display import Display

from ansible_collections.tenantops.entra.plugins.module_utils.tenant import plan_report
from ansible_collections.tenantops.entra.plugins.modules.plan_report import ARGUMENT_SPEC
from ansible_collections.tenantops.entra.plugins.plugin_utils.fleet_action import FleetAction, registered

display = Display()


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


class ActionModule(FleetAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def summarise(self, params: dict, hostvars) -> dict:
        results = {name: registered(hostvars, name, params["result_var"]) for name in params["tenants"]}
        audits = {name: (registered(hostvars, name, params["audit_var"]) or {}).get("audit")
                  for name in params["tenants"]}
        report = plan_report.build(results, audits)
        directory = params["output_dir"]
        os.makedirs(directory, exist_ok=True)
        files = {"json": os.path.join(directory, "plan.json"), "markdown": os.path.join(directory, "plan.md"),
                 "exit_status": os.path.join(directory, "exit_status")}
        _write(files["json"], json.dumps(report, indent=2, sort_keys=True) + "\n")
        _write(files["markdown"], plan_report.markdown(report))
        _write(files["exit_status"], f"{report['exit_status']}\n")
        totals = report["totals"]
        display.display(f"plan: {totals['to_change']} to change, {totals['unchanged']} unchanged, "
                        f"{totals['failed']} failed; exit status {report['exit_status']}; report in {directory}")
        return {"changed": False, "totals": totals, "exit_status": report["exit_status"], "files": files}
