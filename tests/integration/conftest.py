"""Integration harness: the sandbox with the demo seed, the collection built and installed as a
user would install it, and a fixture that runs real ``ansible-playbook`` against them.

    def test_something(sandbox, ansible):
        run = ansible([{"name": "set", "tenantops.entra.cross_tenant_access_policy": {...}}],
                      hosts="contoso", check=True, diff=True)
        assert run.task("set")["changed"]
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from sandbox.testing import DEMO_SEED, SandboxProcess  # noqa: E402

BIN = os.path.dirname(sys.executable)
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")


def install_collection(destination: str) -> str:
    """Build the collection tarball and install it, as ``ansible-galaxy`` users do."""
    build = os.path.join(destination, "build")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path", build,
                    "--force"], check=True, capture_output=True)
    tarball = glob.glob(os.path.join(build, "tenantops-entra-*.tar.gz"))[0]
    collections = os.path.join(destination, "collections")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", tarball, "-p", collections,
                    "--force"], check=True, capture_output=True)
    return collections


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory) -> str:
    return install_collection(str(tmp_path_factory.mktemp("collection")))


def start_sandbox(seed: str = DEMO_SEED) -> SandboxProcess:
    return SandboxProcess(seed)


@pytest.fixture(scope="session")
def demo_sandbox():
    sandbox = start_sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(demo_sandbox):
    """The demo-seed sandbox, back in its seed state before each test."""
    demo_sandbox.reset()
    return demo_sandbox


class PlaybookRun:
    def __init__(self, completed: subprocess.CompletedProcess, results: list):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    def task(self, name: str, host: str | None = None) -> dict:
        for entry in self.results:
            if entry["task"] == name and (host is None or entry["host"] == host):
                return entry["result"]
        raise KeyError(f"no result for task {name!r} (host {host}); ran: "
                       f"{[(e['host'], e['task']) for e in self.results]}\n{self.stdout[-3000:]}")


def inventory_for(sandbox) -> dict:
    hosts = {t["name"]: {"tenant_id": t["id"], "client_id": t["client_id"], "client_secret": t["client_secret"]}
             for t in sandbox.ready["tenants"]}
    return {"all": {"children": {"tenants": {"hosts": hosts}}}}


def connection_defaults(sandbox) -> dict:
    return {"tenant_id": "{{ tenant_id }}", "client_id": "{{ client_id }}", "client_secret": "{{ client_secret }}",
            "login_endpoint": sandbox.login_url, "graph_endpoint": sandbox.graph_url,
            "exchange_endpoint": sandbox.exchange_url, "ca_bundle": sandbox.ca_file}


def run_playbook(sandbox, collections: str, tasks, *, hosts="contoso", check=False, diff=False,
                 extra_vars=None, verbosity=0, env=None, workdir=None, connection=None, started=None) -> PlaybookRun:
    """``connection`` replaces the default connection options (the inventory host's app secret);
    ``started(process)`` is called once ansible-playbook runs (e.g. to signal it)."""
    workdir = workdir or tempfile.mkdtemp(prefix="tenantops-play-")
    if isinstance(tasks, str):
        tasks = yaml.safe_load(tasks)
    play = {"name": "tenantops.entra integration test", "hosts": hosts if isinstance(hosts, str) else ",".join(hosts),
            "gather_facts": False, "connection": "local",
            "module_defaults": {"group/tenantops.entra.graph": connection or connection_defaults(sandbox)},
            "tasks": tasks}
    playbook = os.path.join(workdir, "play.yml")
    inventory = os.path.join(workdir, "inventory.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    with open(inventory, "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory_for(sandbox), handle)
    command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if extra_vars:
        command += ["-e", extra_vars if isinstance(extra_vars, str) else json.dumps(extra_vars)]
    if verbosity:
        command.append("-" + "v" * verbosity)
    return run_ansible(command, collections, workdir, env, started)


def ansible_env(collections: str, workdir: str, results_file: str) -> dict:
    """The environment every test's ``ansible-*`` command runs in: the installed collection only,
    results logged per task to ``results_file``, state kept under ``workdir``."""
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                ANSIBLE_CALLBACKS_ENABLED="result_log", TENANTOPS_RESULT_LOG=results_file,
                ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"), ANSIBLE_HOME=os.path.join(workdir, "home"),
                ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="0")


def run_ansible(command: list, collections: str, workdir: str, env: dict | None = None,
                started=None) -> PlaybookRun:
    """Run an ``ansible-playbook`` command line in :func:`ansible_env` (plus ``env``)."""
    results_file = os.path.join(workdir, "results.jsonl")
    run_env = ansible_env(collections, workdir, results_file)
    run_env.update(env or {})
    with subprocess.Popen(command, cwd=workdir, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:  # the caller asserts on rc
        if started:
            started(process)
        stdout, stderr = process.communicate(timeout=600)
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    results = []
    if os.path.exists(results_file):
        with open(results_file, encoding="utf-8") as handle:
            results = [json.loads(line) for line in handle if line.strip()]
    return PlaybookRun(completed, results)


def player(sandbox, collections: str, tmp_path):
    """A function that runs tasks with ansible-playbook against ``sandbox``, each run in its own
    directory under ``tmp_path``; see :func:`run_playbook`."""
    runs = []

    def counted(tasks, **kwargs):
        runs.append(1)
        os.makedirs(str(tmp_path / f"run{len(runs)}"), exist_ok=True)
        return run_playbook(sandbox, collections, tasks, workdir=str(tmp_path / f"run{len(runs)}"), **kwargs)
    return counted


@pytest.fixture
def ansible(sandbox, collections_path, tmp_path):
    """Run tasks with ansible-playbook against the demo sandbox."""
    return player(sandbox, collections_path, tmp_path)


def sandbox_endpoints_env(sandbox) -> dict:
    """The sandbox's endpoints and CA as the collection's ``TENANTOPS_ENTRA_*`` environment variables."""
    return {"TENANTOPS_ENTRA_LOGIN_ENDPOINT": sandbox.login_url, "TENANTOPS_ENTRA_GRAPH_ENDPOINT": sandbox.graph_url,
            "TENANTOPS_ENTRA_EXCHANGE_ENDPOINT": sandbox.exchange_url, "TENANTOPS_ENTRA_CA_BUNDLE": sandbox.ca_file}
