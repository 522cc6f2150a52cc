# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole tenant in the controller's worker: validated by the collection's own model (every
error at once, with its key path), the relationships' tenants looked up in the inventory, and a
line per changed setting at normal verbosity."""
from __future__ import annotations

from ansible.utils.display import Display

from ansible_collections.tenantops.entra.plugins.module_utils.tenant import report
from ansible_collections.tenantops.entra.plugins.module_utils.tenant.run import run
from ansible_collections.tenantops.entra.plugins.modules import tenant_settings as module
from ansible_collections.tenantops.entra.plugins.plugin_utils.tenant_action import TenantAction

display = Display()


def loose_spec() -> dict:
    """The module's spec with the layers and relationships left to the model, which names each
    error by its key path (Ansible's validator would say "found in layers -> settings")."""
    spec = dict(module.ARGUMENT_SPEC)
    spec["layers"] = dict(type="list", elements="dict", default=[],
                          options=dict(name=dict(type="str", required=True), settings=dict(type="raw")))
    spec["relationships"] = dict(type="list", elements="raw", default=[])
    return spec


def relationship_tenants(relationships: list, hostvars, me: str) -> dict:
    """{name: tenant id} for the tenants named by relationships ("" for those that are not this
    tenant's partner: only their presence in the inventory is checked)."""
    names, partners = set(), set()
    for relationship in relationships or []:
        members = [m.get("tenant") for m in (relationship or {}).get("members") or [] if isinstance(m, dict)]
        names.update(members)
        if me in members:
            partners.update(members)
    found = {}
    for name in names:
        if isinstance(name, str) and name in hostvars:
            found[name] = str(hostvars[name].get("entra_tenant_id") or "") if name in partners else ""
    return found


class ActionModule(TenantAction):
    module = module

    def argument_spec(self) -> dict:
        return loose_spec()

    def execute(self, params: dict, task_vars: dict) -> dict:
        if params.get("inventory_tenants") is None and params.get("relationships"):
            me = params.get("tenant_name") or task_vars.get("inventory_hostname")
            params["inventory_tenants"] = relationship_tenants(params["relationships"], task_vars.get("hostvars", {}),
                                                               me)
        check_mode = bool(self._task.check_mode)
        result = run(params, check_mode=check_mode, diff_mode=bool(self._task.diff))
        for line in report.lines(result.get("tenant", "?"), result, check_mode):
            display.display(line)
        return result
