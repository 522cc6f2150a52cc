"""A test harness for every suite in the repository: run the sandbox and drive its control API.

``SandboxProcess`` starts ``python -m sandbox`` as a subprocess (what the collection's
integration tests use); ``InProcessSandbox`` serves from a thread in this process (fast, for
the sandbox's own tests).  Both expose the ready info and the same helpers::

    with SandboxProcess("sandbox/seeds/demo.yml") as sandbox:
        contoso = sandbox.tenant("contoso")
        sandbox.set_faults({"kind": "status", "status": 503, "count": 1})
        ...
        assert sandbox.requests_log()["per_endpoint"]["PATCH /v1.0/policies/authorizationPolicy"] == 1
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_SEED = os.path.join(REPO_ROOT, "sandbox", "seeds", "demo.yml")
START_TIMEOUT = 60


class SandboxError(RuntimeError):
    pass


class SandboxClient:
    """The helpers shared by both variants; ``self.ready`` is the ready JSON."""

    ready: dict

    def __getattr__(self, name):
        # login_url, graph_url, exchange_url, control_url, ca_file, msi_url, msi_secret
        ready = self.__dict__.get("ready") or {}
        if name in ready:
            return ready[name]
        raise AttributeError(name)

    @property
    def tenants(self) -> dict:
        return {t["name"]: t for t in self.ready["tenants"]}

    def tenant(self, name: str) -> dict:
        return self.tenants[name]

    def _ssl_context(self) -> ssl.SSLContext:
        if not hasattr(self, "_context"):
            self._context = ssl.create_default_context(cafile=self.ready["ca_file"])
        return self._context

    def control(self, method: str, path: str, body=None):
        """Call the control API; returns the decoded JSON (raises SandboxError on a 4xx/5xx)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.ready["control_url"] + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self._ssl_context(), timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise SandboxError(f"{method} {path}: {err.code} {err.read().decode(errors='replace')}") from None
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self.control("POST", "/reset")

    def requests_log(self, since: int = 0) -> dict:
        return self.control("GET", f"/requests?since={since}")

    def set_faults(self, *faults: dict) -> list:
        return self.control("POST", "/faults", {"faults": list(faults)})["faults"]

    def faults(self) -> list:
        return self.control("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def settings(self, **changes) -> dict:
        return self.control("POST", "/settings", changes)

    def state(self, tenant: str | None = None) -> dict:
        """The world dump; with a tenant (name, id or domain) just that tenant's state."""
        if tenant is None:
            return self.control("GET", "/state")
        tenant_id = self.tenants[tenant]["id"] if tenant in self.tenants else tenant
        tenants = self.control("GET", f"/state?tenant={tenant_id}")["tenants"]
        return next(iter(tenants.values()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        raise NotImplementedError


class SandboxProcess(SandboxClient):
    """``python -m sandbox`` in a subprocess, stopped with SIGTERM."""

    def __init__(self, seed: str = DEMO_SEED, *, port: int = 0, state_dir: str | None = None,
                 python: str = sys.executable, timeout: float = START_TIMEOUT):
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="tenantops-sandbox-")
        ready_file = os.path.join(self.state_dir, "ready.json")
        if os.path.exists(ready_file):
            os.unlink(ready_file)
        self._log = open(os.path.join(self.state_dir, "sandbox.log"), "wb")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(
            [python, "-m", "sandbox", "--seed", os.path.abspath(seed), "--port", str(port),
             "--ready-file", ready_file, "--state-dir", self.state_dir],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._log)
        self.ready = self._wait_ready(ready_file, timeout)

    def _wait_ready(self, ready_file: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(ready_file):
                with open(ready_file, encoding="utf-8") as f:
                    return json.load(f)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(os.path.join(self.state_dir, "sandbox.log"), encoding="utf-8", errors="replace") as f:
            raise SandboxError(f"the sandbox did not become ready:\n{f.read()[-4000:]}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


class InProcessSandbox(SandboxClient):
    """The server in a thread of this process; ``self.world`` and ``self.runtime`` are live objects."""

    def __init__(self, seed: str = DEMO_SEED, *, state_dir: str | None = None):
        from .server import create_sandbox, ready_info, start_in_thread
        self.server = create_sandbox(seed, state_dir=state_dir)
        self.runtime = self.server.runtime
        self.world = self.runtime.world
        self._thread = start_in_thread(self.server)
        self.ready = ready_info(self.server)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
