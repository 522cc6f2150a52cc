# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reciprocity of the fleet, inventory and live, from the tenants' exports and inventory layers."""
from __future__ import annotations

import re

from ansible.utils.display import Display

from ansible_collections.tenantops.entra.plugins.module_utils.compare import is_guid
from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.resources.cross_tenant_settings import (
    DEFAULT_BLOCKS, INHERIT, canonical_blocks)
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import model, reciprocity
from ansible_collections.tenantops.entra.plugins.modules.reciprocity_check import ARGUMENT_SPEC
from ansible_collections.tenantops.entra.plugins.plugin_utils.fleet_action import FleetAction, registered

display = Display()
GROUP_LAYER = re.compile(r"^entra_group_.+$")


def inventory_layers(host_vars) -> list:
    """The tenant's layers in the role's order: baseline, entra_group_* by name, the tenant's own."""
    names = ["entra_baseline", *sorted(k for k in host_vars if GROUP_LAYER.match(k)), "entra_tenant"]
    return [{"name": name, "settings": host_vars.get(name) or {}} for name in names]


def live_side(export: dict) -> dict:
    layer = export.get("entra_tenant") or {}
    partners = {}
    for entry in layer.get("partners") or []:
        blocks = {k: v for k, v in entry.items() if k not in ("partner", "inherit")}
        blocks.update({option: INHERIT for option in entry.get("inherit") or []})
        partners[entry["partner"].lower()] = blocks
    return {"id": export["tenant_id"].lower(), "default": layer.get("cross_tenant_default") or {},
            "partners": partners}


def inventory_side(name: str, host_vars, live: dict, fleet: tuple, relationships: list, notes: list) -> dict:
    """``fleet``: ({inventory name: tenant id}, {inventory name, domain or id: tenant id})."""
    inventory_ids, ids = fleet
    context = model.TenantContext(name=name, tenant_id=live["id"], inventory=dict(inventory_ids))
    state = model.parse(context, inventory_layers(host_vars), relationships)
    default = None
    if state.default:
        default = canonical_blocks({k: v for k, v in state.default.items() if k != "state"}, DEFAULT_BLOCKS,
                                   allow_inherit=False)
    partners = {}
    for key, params in state.partners.items():
        partner_id = key if is_guid(key) else ids.get(key)
        if partner_id is None:
            notes.append(f"{name}: partners[{key}] is not a tenant of the fleet; not checked")
            continue
        partners[partner_id.lower()] = params
    return reciprocity.overlay(live, default, partners)


class ActionModule(FleetAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def summarise(self, params: dict, hostvars) -> dict:
        notes, live, domains = [], {}, {}
        for name in params["tenants"]:
            export = registered(hostvars, name, params["export_var"])
            if not isinstance(export, dict) or export.get("failed") or not export.get("entra_tenant"):
                notes.append(f"{name}: its live settings were not read; not checked")
                continue
            live[name] = live_side(export)
            domains[name] = export.get("domains") or []
        ids = {name: side["id"] for name, side in live.items()}
        by_name = dict(ids)
        by_name.update({domain: live[name]["id"] for name, names in domains.items() for domain in names})
        inventory = {}
        for name, side in live.items():
            try:
                inventory[name] = inventory_side(name, hostvars[name], side, (ids, by_name), params["relationships"],
                                                 notes)
            except InputError as exc:
                notes.append(f"{name}: the inventory does not validate ({exc}); run the plan playbook")
        mismatches = [{"side": "inventory", **m} for m in reciprocity.check(inventory)]
        mismatches += [{"side": "live", **m} for m in reciprocity.check(live)]
        for note in notes:
            display.display(note)
        for mismatch in mismatches:
            display.display(f"{mismatch['side']}: {mismatch['pair']}: {mismatch['setting']}: {mismatch['message']}")
        result = {"changed": False, "mismatches": mismatches, "notes": notes}
        if mismatches and params["fail_on_mismatch"]:
            result.update(failed=True, msg=f"{len(mismatches)} reciprocity mismatch"
                                           f"{'es' if len(mismatches) != 1 else ''} (see mismatches)")
        return result
