"""What one tenant costs in a fleet run: the action-plugin path against the classic module path.

Both run the same unit (one token, one Graph read) for every tenant of a generated sandbox
fleet, in one ansible-playbook each, and the whole process tree's CPU time is measured.  The
figures are printed as ratios from the same run, never asserted as times (`make bench`).
"""
import os
import resource
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from conftest import BIN, REPO, install_collection  # noqa: E402
from sandbox.testing import SandboxProcess  # noqa: E402

TENANTS = int(os.environ.get("BENCH_TENANTS", "30"))
FORKS = 10


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_play(workdir, collections, sandbox, task, library=None):
    connection = {"tenant_id": "{{ tenant_id }}", "client_id": "{{ client_id }}", "client_secret": "{{ client_secret }}",
                  "login_endpoint": sandbox.login_url, "graph_endpoint": sandbox.graph_url, "ca_bundle": sandbox.ca_file}
    args = dict(connection)
    play = [{"name": "bench", "hosts": "all", "gather_facts": False, "connection": "local",
             "tasks": [{"name": "read policy", task: args}]}]
    path = os.path.join(workdir, f"{task}.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(play, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_FORKS=str(FORKS), ANSIBLE_HOME=os.path.join(workdir, "home"))
    if library:
        env["ANSIBLE_LIBRARY"] = library
    before = children_cpu()
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(workdir, "inventory.yml"),
                                path], env=env, capture_output=True, text=True)
    spent = children_cpu() - before
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert f"ok={1}" in completed.stdout and "changed=1" not in completed.stdout
    return spent


def test_action_plugin_against_module_cost(tmp_path):
    workdir = str(tmp_path)
    seed = tmp_path / "fleet.yml"
    seed.write_text(yaml.safe_dump({"generate": {"tenants": TENANTS, "partners_per_tenant": 0, "guests_per_tenant": 0},
                                    "tenants": []}))
    collections = install_collection(workdir)
    library = tmp_path / "library"
    library.mkdir()
    # The same module file, under a name with no action plugin: Ansible runs it as a module process.
    shutil.copy(os.path.join(REPO, "plugins", "modules", "cross_tenant_access_policy.py"),
                library / "policy_as_module.py")
    with SandboxProcess(str(seed)) as sandbox:
        hosts = {t["name"]: {"tenant_id": t["id"], "client_id": t["client_id"], "client_secret": t["client_secret"]}
                 for t in sandbox.ready["tenants"]}
        with open(os.path.join(workdir, "inventory.yml"), "w") as handle:
            yaml.safe_dump({"all": {"hosts": hosts}}, handle)
        action = run_play(workdir, collections, sandbox, "tenantops.entra.cross_tenant_access_policy")
        module = run_play(workdir, collections, sandbox, "policy_as_module", library=str(library))
        requests = sandbox.requests_log()["entries"]
    graph_reads = [e for e in requests if e["service"] == "graph"]
    assert len(graph_reads) == 2 * TENANTS
    print(f"\n{TENANTS} tenants, {FORKS} forks, one token + one Graph read each, whole ansible-playbook tree:")
    print(f"  action plugin : {action / TENANTS:.3f} CPU-s per tenant ({action:.1f} s)")
    print(f"  module        : {module / TENANTS:.3f} CPU-s per tenant ({module:.1f} s)")
    print(f"  module / action = {module / action:.2f}")
