"""What the whole baseline role costs per tenant: the demo's group_vars (default settings and guest
invitation settings) applied to a generated fleet, then applied again (the steady state of a
scheduled GitOps run).  Printed, never asserted as a time (`make bench`)."""
import os
import resource
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from conftest import BIN, REPO, install_collection  # noqa: E402
from sandbox.testing import SandboxProcess  # noqa: E402

TENANTS = int(os.environ.get("BENCH_TENANTS", "30"))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_baseline_role_cost_per_tenant(tmp_path):
    seed = tmp_path / "fleet.yml"
    seed.write_text(yaml.safe_dump({"generate": {"tenants": TENANTS, "partners_per_tenant": 0, "guests_per_tenant": 20},
                                    "tenants": []}))
    collections = install_collection(str(tmp_path))
    inventory_dir = tmp_path / "inventory"
    with open(os.path.join(REPO, "examples", "demo", "group_vars", "tenants.yml")) as handle:
        baseline = yaml.safe_load(handle)
    # The demo's partner rule names the demo tenants; a generated fleet has none of them.
    baseline["entra_mail_user_visibility"] = {"default": "hidden"}
    (inventory_dir / "group_vars").mkdir(parents=True)
    (inventory_dir / "group_vars" / "tenants.yml").write_text(yaml.safe_dump(baseline))
    with SandboxProcess(str(seed)) as sandbox:
        hosts = {t["name"]: {"entra_tenant_id": t["id"], "entra_client_id": t["client_id"],
                             "entra_client_secret": t["client_secret"]} for t in sandbox.ready["tenants"]}
        (inventory_dir / "hosts.yml").write_text(yaml.safe_dump({"tenants": {"hosts": hosts}}))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_FORKS="10", ANSIBLE_HOME=str(tmp_path / "home"),
                   TENANTOPS_ENTRA_LOGIN_ENDPOINT=sandbox.login_url, TENANTOPS_ENTRA_GRAPH_ENDPOINT=sandbox.graph_url,
                   TENANTOPS_ENTRA_EXCHANGE_ENDPOINT=sandbox.exchange_url, TENANTOPS_ENTRA_CA_BUNDLE=sandbox.ca_file)
        command = [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory_dir),
                   os.path.join(REPO, "playbooks", "external_collaboration.yml")]
        spent = []
        for _ in range(2):
            before = children_cpu()
            run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            spent.append(children_cpu() - before)
            assert run.returncode == 0, [line for line in run.stdout.splitlines() if "fatal" in line][:3]
        log = sandbox.requests_log()["entries"]
    assert "changed=0" in run.stdout and "changed=1" not in run.stdout
    tokens = sum(1 for e in log if e["service"] == "login" and e["method"] == "POST")
    print(f"\nbaseline role (4 managed tasks), {TENANTS} tenants with 20 guests each, 10 forks:")
    print(f"  first apply : {spent[0] / TENANTS:.3f} CPU-s per tenant")
    print(f"  second apply: {spent[1] / TENANTS:.3f} CPU-s per tenant (no change)")
    print(f"  token requests per tenant per run: {tokens / TENANTS / 2:.1f}")
