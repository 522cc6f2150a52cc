"""Action plugin base: runs a module's resource unit inside the controller's worker process.

A module task costs ~0.65 CPU-s before it does anything (a new Python process, the module zip,
imports); an action runs in the already-forked worker for ~0.035 CPU-s, and what this file imports
at top level is imported once by the controller before the workers fork.  So every module of the
collection has an action plugin of the same name that validates the task's arguments against the
module's own argument spec and calls the same runner the module would.
"""
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.tenantops.entra.plugins.module_utils.entry import AUTH_MUTUALLY_EXCLUSIVE
from ansible_collections.tenantops.entra.plugins.module_utils.redact import no_log_values, scrub
from ansible_collections.tenantops.entra.plugins.module_utils.runner import run


class TenantAction(ActionBase):
    """Subclasses set ``module`` to the module object (for ARGUMENT_SPEC, UNIT and MODULE_KWARGS)."""

    module = None
    _requires_connection = False
    TRANSFERS_FILES = False

    def argument_spec(self) -> dict:
        return self.module.ARGUMENT_SPEC

    def execute(self, params: dict, task_vars: dict) -> dict:
        return run(self.module.UNIT, params, check_mode=bool(self._task.check_mode), diff_mode=bool(self._task.diff))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_kwargs = dict(getattr(self.module, "MODULE_KWARGS", {}))
        validator = ArgumentSpecValidator(
            self.argument_spec(),
            mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE + module_kwargs.pop("mutually_exclusive", []),
            **module_kwargs)
        validated = validator.validate(self._task.args)
        # The no_log values of the task, from the spec (also those that came from an env fallback).
        secrets = no_log_values(self.argument_spec(), {**self._task.args, **validated.validated_parameters})
        if validated.error_messages:
            raise AnsibleActionFail(scrub("; ".join(validated.error_messages), secrets))
        outcome = self.execute(validated.validated_parameters, task_vars or {})
        result.update(scrub(outcome, secrets))
        if validated._deprecations:       # deprecated options, as AnsibleModule would report them
            result["deprecations"] = [*result.get("deprecations", []), *validated._deprecations]
        return result
