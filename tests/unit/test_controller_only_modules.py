"""The controller-only modules (they read other hosts' results) fail clearly when run as a classic module."""
import json
import os
import subprocess
import sys

import pytest

from collection_path import link_working_tree

MODULES = {"fleet_summary": "results", "plan_report": "results", "reciprocity_check": "variables"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_run_as_a_classic_module_it_refuses_with_its_name(name, tmp_path):
    root = link_working_tree()
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"tenants": ["contoso"]}}))
    module = os.path.join(root, "ansible_collections", "tenantops", "entra", "plugins", "modules", f"{name}.py")
    done = subprocess.run([sys.executable, module, str(args)], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=root))
    result = json.loads(done.stdout)
    assert result["failed"] is True
    assert result["msg"] == f"{name} reads other hosts' {MODULES[name]} and runs only as its action plugin"
