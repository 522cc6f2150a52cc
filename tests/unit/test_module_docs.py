"""The modules' documentation is the user's manual: every EXAMPLES task must be accepted by the
module's own argument spec and pass the unit's input validation.  (That DOCUMENTATION, with its
fragments, matches the argument spec is ansible-test sanity's validate-modules check.)"""
import glob
import importlib
import os

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantops.entra.plugins.module_utils.entry import AUTH_MUTUALLY_EXCLUSIVE
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import model

MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "modules")
MODULE_NAMES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MODULES_DIR, "*.py"))
                      if not p.endswith("__init__.py"))


def load(name):
    return importlib.import_module(f"ansible_collections.tenantops.entra.plugins.modules.{name}")


def example_tasks(module, name):
    fqcn = f"tenantops.entra.{name}"
    for document in yaml.safe_load_all(module.EXAMPLES):
        for task in document or []:
            for block in (task.get("block"), task.get("tasks")):
                if block:
                    yield from (t for t in block if fqcn in t)
            if fqcn in task:
                yield task


def placeholder(option: dict):
    """A valid value of the option's type, for an example value that is a template."""
    if option.get("choices"):
        return option["choices"][0]
    return {"list": [], "dict": {}, "bool": False, "int": 0, "float": 0.0}.get(option.get("type"), "x")


def talks_to_microsoft(name) -> bool:
    return "tenant_id" in load(name).ARGUMENT_SPEC


def test_every_module_is_in_the_action_group():
    with open(os.path.join(MODULES_DIR, "..", "..", "meta", "runtime.yml")) as handle:
        group = yaml.safe_load(handle)["action_groups"]["graph"]
    assert sorted(group) == [name for name in MODULE_NAMES if talks_to_microsoft(name)]
    assert "fleet_summary" not in group


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_examples_are_valid_input(name):
    module = load(name)
    tasks = list(example_tasks(module, name))
    assert tasks, f"{name} has no example using tenantops.entra.{name}"
    kwargs = dict(getattr(module, "MODULE_KWARGS", {}))
    validator = ArgumentSpecValidator(module.ARGUMENT_SPEC,
                                      mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE + kwargs.pop("mutually_exclusive", []),
                                      **kwargs)
    for task in tasks:
        args = dict(task[f"tenantops.entra.{name}"] or {})
        templated = {key for key, value in args.items() if "{{" in str(value)}
        for key in templated - {"client_secret"}:
            args[key] = placeholder(module.ARGUMENT_SPEC[key])  # known only at run time
        if talks_to_microsoft(name):
            args.setdefault("tenant_id", "contoso.onmicrosoft.com")  # examples may rely on module_defaults
        result = validator.validate(args)
        assert not result.error_messages, (task.get("name"), result.error_messages)
        params = result.validated_parameters
        if templated - {"client_secret"} or not hasattr(module, "UNIT") and name != "tenant_settings":
            continue
        if name == "tenant_settings":
            context = model.TenantContext(params["tenant_name"], params["tenant_id"],
                                          inventory=params["inventory_tenants"])
            model.parse(context, params["layers"], params["relationships"])
        elif hasattr(module, "UNIT"):
            module.UNIT.validate(params, params["tenant_id"])
