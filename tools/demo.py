#!/usr/bin/env python3
"""`make demo`: the collection's main job against the local sandbox, no tenant needed.

Starts the sandbox with the demo seed, installs the collection as a user would, applies
playbooks/external_collaboration.yml to the three demo tenants with --diff, then applies it again
to show that nothing changes the second time.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from sandbox.testing import DEMO_SEED, SandboxProcess  # noqa: E402

BIN = os.path.dirname(sys.executable)


def install_collection(workdir: str) -> str:
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path", workdir,
                    "--force"], check=True, stdout=subprocess.DEVNULL)
    tarball = glob.glob(os.path.join(workdir, "tenantops-entra-*.tar.gz"))[0]
    collections = os.path.join(workdir, "collections")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", tarball, "-p", collections,
                    "--force"], check=True, stdout=subprocess.DEVNULL)
    return collections


def playbook(sandbox, collections: str, *extra: str) -> str:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="0",
               # Where the sandbox listens; against real tenants these are simply not set.
               TENANTOPS_ENTRA_LOGIN_ENDPOINT=sandbox.login_url, TENANTOPS_ENTRA_GRAPH_ENDPOINT=sandbox.graph_url,
               TENANTOPS_ENTRA_EXCHANGE_ENDPOINT=sandbox.exchange_url, TENANTOPS_ENTRA_CA_BUNDLE=sandbox.ca_file)
    command = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "examples", "demo", "inventory.yml"),
               os.path.join(REPO, "playbooks", "external_collaboration.yml"), *extra]
    completed = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    print(completed.stdout, end="")
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        raise SystemExit(f"ansible-playbook failed (exit {completed.returncode})")
    return completed.stdout


def changed_counts(output: str) -> dict:
    return {host: int(changed) for host, changed in re.findall(r"^(\w+)\s*:\s*ok=\d+\s+changed=(\d+)", output, re.M)}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tenantops-demo-") as workdir:
        print("== Installing the collection and starting the sandbox (sandbox/seeds/demo.yml)")
        collections = install_collection(workdir)
        with SandboxProcess(DEMO_SEED) as sandbox:
            print(f"   sandbox ready: Graph at {sandbox.graph_url}, tenants "
                  + ", ".join(t["name"] for t in sandbox.ready["tenants"]))
            print("\n== First run: apply the inventory, showing what changes (--diff)")
            first = changed_counts(playbook(sandbox, collections, "--diff"))
            print("\n== Second run: the same inventory again; nothing should change")
            second = changed_counts(playbook(sandbox, collections))
            writes = [e for e in sandbox.requests_log()["entries"] if e["method"] != "GET" and e["service"] == "graph"]
        print(f"\n== Summary: changes per tenant, first run {first}; second run {second}; "
              f"{len(writes)} Graph writes in all")
        if any(second.values()):
            print("The second run changed something: that is a bug, please report it.", file=sys.stderr)
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
