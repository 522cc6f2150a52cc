"""Scale measurements for sandbox/README.md.  Loopback only, bounded, one client thread.

    python -m sandbox.bench.bench_sandbox [--requests 3000] [--tenants 1000]

1. seeding: 1,000 tenants x 5 partners x 200 guests (target < 10 s);
2. startup: ``python -m sandbox`` with the demo seed until the ready line (target < 1 s);
3. throughput: authenticated Graph GETs over one keep-alive HTTPS connection, the server
   pinned to one core (target >= 500 requests/s);
4. validation: full default-policy PATCH bodies checked against the CSDL extract per second.

Speeds are measured here, never asserted in the test suites (a loaded machine is not a bug).
"""
from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

import httpx

from sandbox.seed import build_world, parse_seed
from sandbox.testing import DEMO_SEED, REPO_ROOT, SandboxProcess


def measure_seeding(tenants: int) -> float:
    started = time.perf_counter()
    world = build_world(parse_seed({"generate": {"tenants": tenants, "partners_per_tenant": 5,
                                                 "guests_per_tenant": 200}}))
    elapsed = time.perf_counter() - started
    assert len(world.tenants) == tenants
    return elapsed


def measure_startup() -> float:
    with tempfile.TemporaryDirectory() as state_dir:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "sandbox", "--seed", DEMO_SEED, "--port", "0",
                                    "--state-dir", state_dir], cwd=REPO_ROOT, stdout=subprocess.PIPE)
        process.stdout.readline()
        elapsed = time.perf_counter() - started
        process.terminate()
        process.wait(timeout=10)
    return elapsed


def measure_throughput(requests: int) -> float:
    with SandboxProcess(DEMO_SEED) as sandbox:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(sandbox.process.pid, {min(os.sched_getaffinity(0))})
        tenant = sandbox.tenant("contoso")
        with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file)) as client:
            token = client.post(f"{sandbox.login_url}/{tenant['id']}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": tenant["client_id"],
                "client_secret": tenant["client_secret"], "scope": "https://graph.microsoft.com/.default"},
            ).json()["access_token"]
            url = sandbox.graph_url + "/v1.0/policies/authorizationPolicy"
            headers = {"Authorization": "Bearer " + token}
            client.get(url, headers=headers)
            started = time.perf_counter()
            for _ in range(requests):
                client.get(url, headers=headers).raise_for_status()
            return requests / (time.perf_counter() - started)


def measure_validation(bodies: int = 2000) -> float:
    from sandbox.schema import validate_body
    example = os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests", "examples",
                           "crossTenantAccessPolicy_default_PATCH_request_ex1_block_group.json")
    with open(example, encoding="utf-8") as handle:
        body = json.load(handle)
    started = time.perf_counter()
    for _ in range(bodies):
        validate_body("crossTenantAccessPolicyConfigurationDefault", body, mode="patch")
    return bodies / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--tenants", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps({
        "seed_seconds": round(measure_seeding(args.tenants), 2),
        "startup_seconds": round(measure_startup(), 3),
        "graph_get_per_second": round(measure_throughput(args.requests)),
        "default_bodies_validated_per_second": round(measure_validation()),
    }))


if __name__ == "__main__":
    main()
