"""The three tools under measurement, each able to apply the baseline and to plan it.

* ``role``: this collection, installed as a user installs it, ``playbooks/external_collaboration.yml``
  with the baseline in group_vars;
* ``uri``: the peer playbook ``peers/uri_playbook.yml`` (ansible.builtin.uri only);
* ``asyncio``: the peer script ``peers/asyncio_msgraph.py`` (msgraph-sdk's typed models).

Both playbooks run with the same forks; the script with the same number of tenants at a time.
"""
from __future__ import annotations

import json
import os
import re
import sys

import yaml

from .baseline import PEER_BASELINE, role_vars

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(BENCH))
BIN = os.path.dirname(sys.executable)
PEERS = os.path.join(BENCH, "peers")
FORKS = int(os.environ.get("BENCH_FORKS", "10"))  # the playbooks' forks, the script's tenants at a time
PLAYBOOK = os.path.join(REPO, "playbooks", "external_collaboration.yml")
ROLE_DEFAULTS = os.path.join(REPO, "roles", "external_collaboration", "defaults", "main.yml")


def role_is_layered() -> bool:
    """Whether the role takes layers (``entra_baseline``, tenant_settings) or the 0.1 variables."""
    with open(ROLE_DEFAULTS, encoding="utf-8") as handle:
        return "entra_baseline" in (yaml.safe_load(handle) or {})


def ansible_env(workdir: str, collections: str | None = None) -> dict:
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_FORKS=str(FORKS),
               ANSIBLE_HOME=os.path.join(workdir, "home"), ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = collections
    return env


def write_yaml(path: str, data) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)


class Tool:
    name = ""
    label = ""

    def __init__(self, workdir: str, sandbox, tenants: list):
        self.workdir = os.path.join(workdir, self.name)
        os.makedirs(self.workdir, exist_ok=True)
        self.sandbox = sandbox
        self.tenants = tenants

    def command(self, plan: bool) -> tuple:
        """(argv, env) of one run; ``plan`` is a check-mode run with diff."""
        raise NotImplementedError

    def changed_nothing(self, output: str) -> bool | None:
        """Whether the tool itself reports no change (None when it does not say)."""
        return None


class Role(Tool):
    name, label = "role", "this collection's role"

    def __init__(self, workdir, sandbox, tenants, collections: str):
        super().__init__(workdir, sandbox, tenants)
        self.collections = collections
        inventory = os.path.join(self.workdir, "inventory")
        self.layered = role_is_layered()
        write_yaml(os.path.join(inventory, "group_vars", "tenants.yml"), role_vars(self.layered))
        write_yaml(os.path.join(inventory, "hosts.yml"), {"tenants": {"hosts": {
            t["name"]: {"entra_tenant_id": t["id"], "entra_client_id": t["client_id"],
                        "entra_client_secret": t["client_secret"]} for t in tenants}}})
        self.inventory = inventory

    def command(self, plan):
        env = ansible_env(self.workdir, self.collections)
        env.update(TENANTOPS_ENTRA_LOGIN_ENDPOINT=self.sandbox.login_url, TENANTOPS_ENTRA_GRAPH_ENDPOINT=self.sandbox.graph_url,
                   TENANTOPS_ENTRA_EXCHANGE_ENDPOINT=self.sandbox.exchange_url, TENANTOPS_ENTRA_CA_BUNDLE=self.sandbox.ca_file)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, PLAYBOOK]
        return argv + (["--check", "--diff"] if plan else []), env

    def changed_nothing(self, output):
        recap = output.rpartition("PLAY RECAP")[2]
        return "changed=" in recap and not re.search(r"changed=[1-9]", recap)


class Uri(Tool):
    name, label = "uri", "hand-written ansible.builtin.uri playbook"

    def __init__(self, workdir, sandbox, tenants):
        super().__init__(workdir, sandbox, tenants)
        inventory = os.path.join(self.workdir, "inventory")
        write_yaml(os.path.join(inventory, "group_vars", "tenants.yml"), {
            "login_url": sandbox.login_url, "graph_url": sandbox.graph_url, "exchange_url": sandbox.exchange_url,
            "ca_file": sandbox.ca_file, "baseline": PEER_BASELINE})
        write_yaml(os.path.join(inventory, "hosts.yml"), {"tenants": {"hosts": {
            t["name"]: {"tenant_id": t["id"], "client_id": t["client_id"], "client_secret": t["client_secret"]}
            for t in tenants}}})
        self.inventory = inventory

    def command(self, plan):
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, os.path.join(PEERS, "uri_playbook.yml")]
        return argv + (["--check", "--diff"] if plan else []), ansible_env(self.workdir)


class Script(Tool):
    name, label = "asyncio", "asyncio script, msgraph-sdk typed models"

    def __init__(self, workdir, sandbox, tenants):
        super().__init__(workdir, sandbox, tenants)
        self.config = os.path.join(self.workdir, "config.json")
        with open(self.config, "w", encoding="utf-8") as handle:
            json.dump({"login_url": sandbox.login_url, "graph_url": sandbox.graph_url,
                       "exchange_url": sandbox.exchange_url, "ca_file": sandbox.ca_file, "concurrency": FORKS,
                       "baseline": PEER_BASELINE,
                       "tenants": [{k: t[k] for k in ("id", "client_id", "client_secret")} for t in tenants]},
                      handle)

    def command(self, plan):
        argv = [sys.executable, os.path.join(PEERS, "asyncio_msgraph.py"), self.config]
        return argv + (["--check"] if plan else []), dict(os.environ)

    def changed_nothing(self, output):
        try:
            return json.loads(output.strip().splitlines()[-1])["writes"] == 0
        except (ValueError, IndexError, KeyError):
            return None


TOOLS = {tool.name: tool for tool in (Role, Uri, Script)}
