"""Base of the actions that read what the tenants of a run registered (fleet_summary, plan_report,
reciprocity_check): they run once on the controller, make no call to Microsoft and need no connection."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase


class FleetAction(ActionBase):
    """Subclasses set ``ARGUMENT_SPEC`` and implement :meth:`summarise`."""

    ARGUMENT_SPEC: dict = {}
    _requires_connection = False
    TRANSFERS_FILES = False

    def summarise(self, params: dict, hostvars) -> dict:
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail("; ".join(validated.error_messages))
        result.update(self.summarise(validated.validated_parameters, (task_vars or {}).get("hostvars", {})))
        return result


def registered(hostvars, name: str, var: str):
    """What the tenant ``name`` registered in ``var`` (None when it is not in the inventory or did not run)."""
    return hostvars[name].get(var) if name in hostvars else None
