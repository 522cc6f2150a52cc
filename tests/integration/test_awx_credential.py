"""The AWX / Automation Platform credential type, injected the way AWX injects it, runs the playbook.

``render_injectors`` follows AWX's ``CredentialType.inject_credential``
(awx/main/models/credential/__init__.py): a Jinja sandbox over the credential's non-empty inputs
(booleans default to false) and ``tower.filename``; every ``file`` template is written to a 0600
temporary file (``template.<name>`` becomes ``tower.filename.<name>``); every ``env`` template is set,
empty or not; ``extra_vars`` become a YAML file passed as ``-e @file``.
"""
from __future__ import annotations

import os
import stat
import tempfile
from types import SimpleNamespace

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import BIN, REPO, run_ansible, sandbox_endpoints_env, start_sandbox
from sandbox.testing import DEMO_SEED
from test_auth import certificate_for, new_key
from cryptography.hazmat.primitives import serialization

CREDENTIAL_TYPE = os.path.join(REPO, "extensions", "awx", "credential_types", "entra_app.yml")
MULTI_TENANT_APP = "9d6c3b1a-7e52-4f08-a3d1-2b4c6e8f0a17"
MULTI_TENANT_SECRET = "multi-tenant-app-NOT-A-REAL-SECRET"
CERTIFICATE_APP = "9d6c3b1a-7e52-4f08-a3d1-2b4c6e8f0a18"
PERMISSIONS = ["Policy.Read.All", "Policy.ReadWrite.Authorization", "Policy.ReadWrite.AuthenticationMethod",
               "Policy.ReadWrite.AuthenticationFlows"]


def render_injectors(credential_type: dict, inputs: dict, private_data_dir: str) -> tuple[dict, list]:
    """Return (environment, extra ansible-playbook arguments) as AWX would build them."""
    fields = credential_type["inputs"]["fields"]
    namespace = {name: value for name, value in inputs.items() if isinstance(value, bool) or len(value)}
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    tower = SimpleNamespace()
    namespace["tower"] = tower
    jinja = ImmutableSandboxedEnvironment()
    injectors = credential_type["injectors"]
    os.makedirs(os.path.join(private_data_dir, "env"), exist_ok=True)
    for label, template in injectors.get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(handle, "w") as out:
            out.write(jinja.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = SimpleNamespace()
            setattr(tower.filename, label.split(".")[1], path)
    env = {name: jinja.from_string(template).render(**namespace) for name, template in injectors.get("env", {}).items()}
    args = []
    if injectors.get("extra_vars"):
        def render(node):
            if isinstance(node, dict):
                return {render(k): render(v) for k, v in node.items()}
            if isinstance(node, list):
                return [render(item) for item in node]
            return jinja.from_string(node).render(**namespace)
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(handle, "w") as out:
            yaml.safe_dump(render(injectors["extra_vars"]), out)
        args += ["-e", "@" + path]
    return env, args


def load_credential_type() -> dict:
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def awx_world(tmp_path_factory):
    """The demo world, with one multi-tenant app consented in Contoso and Fabrikam (the same client id
    and secret in both) and a certificate app in Northwind."""
    folder = tmp_path_factory.mktemp("awx")
    key = new_key()
    cert_pem = certificate_for(key).public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    with open(DEMO_SEED, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    for tenant in seed["tenants"]:
        if tenant["name"] in ("contoso", "fabrikam"):
            tenant["apps"].append({"client_id": MULTI_TENANT_APP, "display_name": "tenantops multi-tenant",
                                   "secrets": [MULTI_TENANT_SECRET], "permissions": PERMISSIONS})
        else:
            tenant["apps"].append({"client_id": CERTIFICATE_APP, "display_name": "tenantops certificate",
                                   "certificates": [cert_pem], "permissions": PERMISSIONS})
    (folder / "seed.yml").write_text(yaml.safe_dump(seed))
    sandbox = start_sandbox(str(folder / "seed.yml"))
    yield sandbox, key_pem + cert_pem
    sandbox.stop()


BASELINE = {"entra_baseline": {"guest_invitation": {"allow_invites_from": "admins_and_guest_inviters",
                                                    "strictness": "exact"}}}


def run_job(sandbox, collections_path, workdir, inventory: dict, credential_inputs: dict):
    """What an AWX job does: inject the credential, run the collection's playbook on the inventory."""
    env, args = render_injectors(load_credential_type(), credential_inputs, str(workdir / "private"))
    env.update(sandbox_endpoints_env(sandbox))  # in AWX: the job template's extra environment
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(workdir / "inventory.yml"),
               "tenantops.entra.external_collaboration", "-v", *args]
    return run_ansible(command, collections_path, str(workdir), env), env


def invites_from(sandbox, tenant: str) -> str:
    return sandbox.state(tenant)["policies"]["authorizationPolicy"]["allowInvitesFrom"]


def apps_seen(sandbox, since: int) -> dict:
    return {(e["tenant"], e["app"]) for e in sandbox.requests_log(since)["entries"] if e["service"] == "graph"}


def test_credential_type_shape():
    credential_type = load_credential_type()
    ids = [f["id"] for f in credential_type["inputs"]["fields"]]
    assert ids == ["client_id", "tenant_id", "client_secret", "certificate", "certificate_password", "cloud"]
    secret = {f["id"] for f in credential_type["inputs"]["fields"] if f.get("secret")}
    assert secret == {"client_secret", "certificate", "certificate_password"}
    assert "extra_vars" not in credential_type["injectors"], "extra vars would outrank each host's entra_tenant_id"


def test_multi_tenant_app_secret_with_tenant_per_host(awx_world, collections_path, tmp_path):
    sandbox = awx_world[0]
    sandbox.reset()
    hosts = {name: {"entra_tenant_id": sandbox.tenant(name)["id"]} for name in ("contoso", "fabrikam")}
    inventory = {"tenants": {"hosts": hosts, "vars": BASELINE}}
    run, env = run_job(sandbox, collections_path, tmp_path, inventory,
                       {"client_id": MULTI_TENANT_APP, "client_secret": MULTI_TENANT_SECRET})
    assert env["AZURE_TENANT_ID"] == "" and env["AZURE_CLIENT_CERTIFICATE_PATH"] == ""  # set, but empty
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert {invites_from(sandbox, name) for name in hosts} == {"adminsAndGuestInviters"}
    seen = apps_seen(sandbox, 0)
    assert {app for tenant, app in seen} == {MULTI_TENANT_APP}
    assert {tenant for tenant, app in seen} == {h["entra_tenant_id"] for h in hosts.values()}
    assert MULTI_TENANT_SECRET not in run.stdout + run.stderr


def test_single_tenant_certificate_credential(awx_world, collections_path, tmp_path):
    sandbox, pem = awx_world
    sandbox.reset()
    northwind = sandbox.tenant("northwind")["id"]
    inventory = {"tenants": {"hosts": {"northwind": {}}, "vars": BASELINE}}
    run, env = run_job(sandbox, collections_path, tmp_path, inventory,
                       {"client_id": CERTIFICATE_APP, "tenant_id": northwind, "certificate": pem, "cloud": "public"})
    certificate_file = env["AZURE_CLIENT_CERTIFICATE_PATH"]
    assert stat.S_IMODE(os.stat(certificate_file).st_mode) == 0o600
    assert open(certificate_file, encoding="ascii").read() == pem
    assert env["AZURE_CLIENT_SECRET"] == ""
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert invites_from(sandbox, "northwind") == "adminsAndGuestInviters"
    assert apps_seen(sandbox, 0) == {(northwind, CERTIFICATE_APP)}
    assert "PRIVATE KEY" not in run.stdout + run.stderr


def test_blank_credential_fails_before_any_call(awx_world, collections_path, tmp_path):
    sandbox = awx_world[0]
    sandbox.reset()
    inventory = {"tenants": {"hosts": {"contoso": {"entra_tenant_id": sandbox.tenant("contoso")["id"]}},
                             "vars": BASELINE}}
    run = run_job(sandbox, collections_path, tmp_path, inventory, {"client_id": MULTI_TENANT_APP})[0]
    assert run.rc != 0
    assert "no credential given" in run.stdout
    assert apps_seen(sandbox, 0) == set()
