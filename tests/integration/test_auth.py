"""Every way to sign in, end to end: ansible-playbook -> action plugin -> azure-identity -> sandbox.

A sandbox of its own is seeded with an extra tenant whose apps use a certificate, a federated
credential (workload identity) and a managed identity; the keys are made here, per run.
"""
import datetime
import json
import os
import sys
import time

import jwt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import run_playbook, start_sandbox
from sandbox.testing import DEMO_SEED

TENANT = "5b0c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b"
CERT_APP = "5b0c1d2e-0000-4000-8000-00000000000c"
FEDERATED_APP = "5b0c1d2e-0000-4000-8000-00000000000f"
MI_APP = "5b0c1d2e-0000-4000-8000-00000000000a"
READER_APP = "5b0c1d2e-0000-4000-8000-00000000000b"
READER_SECRET = "reader-NOT-A-REAL-SECRET"
ISSUER = "https://token.actions.githubusercontent.example"
SUBJECT = "repo:tenantops/fleet:ref:refs/heads/main"
READ = {"name": "read", "tenantops.entra.cross_tenant_access_policy": {}}
WRITE = {"name": "write", "tenantops.entra.cross_tenant_access_policy": {"allowed_cloud_endpoints": ["microsoftonline.us"]}}


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_for(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantops-automation")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def auth_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth")
    cert_key, issuer_key = new_key(), new_key()
    cert = certificate_for(cert_key)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = cert_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    (folder / "app-cert.pem").write_bytes(cert_pem)
    (folder / "app-key-and-cert.pem").write_bytes(key_pem + cert_pem)
    now = int(time.time())
    federated_token = jwt.encode({"iss": ISSUER, "sub": SUBJECT, "aud": "api://AzureADTokenExchange",
                                  "iat": now, "nbf": now, "exp": now + 3600}, issuer_key, algorithm="RS256")
    (folder / "federated-token").write_text(federated_token)
    with open(DEMO_SEED, encoding="utf-8") as handle:
        seed = yaml.safe_load(handle)
    seed["tenants"].append({
        "name": "auth", "id": TENANT, "display_name": "Auth test", "domains": ["authtest.onmicrosoft.com"],
        "apps": [
            {"client_id": CERT_APP, "display_name": "cert", "certificates": ["app-cert.pem"],
             "permissions": ["Policy.ReadWrite.CrossTenantAccess"]},
            {"client_id": FEDERATED_APP, "display_name": "federated", "permissions": ["Policy.Read.All"],
             "federated": [{"issuer": ISSUER, "subject": SUBJECT, "public_key_pem": issuer_key.public_key().public_bytes(
                 serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()}]},
            {"client_id": MI_APP, "display_name": "managed identity", "managed_identity": True,
             "permissions": ["Policy.Read.All"]},
            {"client_id": READER_APP, "display_name": "reader", "secrets": [READER_SECRET],
             "permissions": ["Policy.Read.All"]},
        ]})
    (folder / "seed.yml").write_text(yaml.safe_dump(seed))
    sandbox = start_sandbox(str(folder / "seed.yml"))
    yield sandbox, folder, key_pem.decode() + cert_pem.decode()
    sandbox.stop()


def endpoints(sandbox) -> dict:
    return {"login_endpoint": sandbox.login_url, "graph_endpoint": sandbox.graph_url,
            "exchange_endpoint": sandbox.exchange_url, "ca_bundle": sandbox.ca_file}


def play(auth_world, collections_path, tmp_path, connection, tasks=(READ,), **kwargs):
    sandbox = auth_world[0]
    sandbox.reset()
    workdir = tmp_path / f"run{len(os.listdir(tmp_path))}"
    workdir.mkdir()
    return run_playbook(sandbox, collections_path, list(tasks), connection=connection, workdir=str(workdir), **kwargs)


def test_certificate_from_a_file(auth_world, collections_path, tmp_path):
    sandbox, folder = auth_world[:2]
    connection = dict(endpoints(sandbox), tenant_id=TENANT, client_id=CERT_APP,
                      client_certificate_path=str(folder / "app-key-and-cert.pem"))
    run = play(auth_world, collections_path, tmp_path, connection, tasks=(WRITE,))
    assert run.rc == 0, run.stdout
    assert run.task("write")["changed"] is True
    assert sandbox.state(TENANT)["policies"]["crossTenantAccessPolicy"]["allowedCloudEndpoints"] == ["microsoftonline.us"]


def test_certificate_as_pem_text_is_never_shown(auth_world, collections_path, tmp_path):
    sandbox, pem = auth_world[0], auth_world[2]
    run = play(auth_world, collections_path, tmp_path,
               dict(endpoints(sandbox), tenant_id="authtest.onmicrosoft.com", client_id=CERT_APP,
                    client_certificate=pem), verbosity=4, diff=True)
    assert run.rc == 0, run.stdout
    private_key_line = pem.splitlines()[1]
    assert private_key_line not in run.stdout + run.stderr + str(run.results)


def test_workload_identity_federation(auth_world, collections_path, tmp_path):
    sandbox, folder = auth_world[:2]
    connection = dict(endpoints(sandbox), tenant_id=TENANT, client_id=FEDERATED_APP,
                      federated_token_file=str(folder / "federated-token"))
    run = play(auth_world, collections_path, tmp_path, connection)
    assert run.rc == 0, run.stdout
    token_requests = [e for e in sandbox.requests_log()["entries"] if e["service"] == "login" and e["method"] == "POST"]
    assert token_requests and all(e["status"] == 200 for e in token_requests)


def test_managed_identity(auth_world, collections_path, tmp_path):
    sandbox = auth_world[0]
    run = play(auth_world, collections_path, tmp_path,
               dict(endpoints(sandbox), tenant_id=TENANT, auth_method="managed_identity"),
               env={"IDENTITY_ENDPOINT": sandbox.msi_url, "IDENTITY_HEADER": sandbox.msi_secret})
    assert run.rc == 0, run.stdout + run.stderr


def test_awx_environment_names(auth_world, collections_path, tmp_path):
    """AWX's Azure credential injects AZURE_TENANT / AZURE_CLIENT_ID / AZURE_SECRET."""
    sandbox = auth_world[0]
    run = play(auth_world, collections_path, tmp_path, endpoints(sandbox),
               env={"AZURE_TENANT": TENANT, "AZURE_CLIENT_ID": READER_APP, "AZURE_SECRET": READER_SECRET})
    assert run.rc == 0, run.stdout


def test_wrong_secret_is_one_clear_line_without_the_secret(auth_world, collections_path, tmp_path):
    sandbox = auth_world[0]
    wrong = "wrong-secret-VALUE-1234"
    # As in real use the secret comes from a vars file (vault, AWX), not a literal in the play.
    # (ansible-playbook -vvvv itself echoes inline -e values, so they are not used here.)
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(f"app_secret: {wrong}\n")
    run = play(auth_world, collections_path, tmp_path,
               dict(endpoints(sandbox), tenant_id=TENANT, client_id=READER_APP, client_secret="{{ app_secret }}"),
               verbosity=4, extra_vars=f"@{secrets}")
    assert run.rc != 0
    message = run.task("read")["msg"]
    assert message.startswith(f"tenant {TENANT}: could not get a token") and "AADSTS7000215" in message
    assert wrong not in run.stdout + run.stderr + str(run.results)
    assert "errantly" not in run.stdout + run.stderr


def test_unknown_tenant(auth_world, collections_path, tmp_path):
    sandbox = auth_world[0]
    run = play(auth_world, collections_path, tmp_path,
               dict(endpoints(sandbox), tenant_id="nobody.onmicrosoft.com", client_id=READER_APP,
                    client_secret=READER_SECRET))
    assert run.rc != 0
    assert "nobody.onmicrosoft.com" in run.task("read")["msg"]


def test_missing_permission_names_it(auth_world, collections_path, tmp_path):
    sandbox = auth_world[0]
    run = play(auth_world, collections_path, tmp_path,
               dict(endpoints(sandbox), tenant_id=TENANT, client_id=READER_APP, client_secret=READER_SECRET),
               tasks=(WRITE,))
    assert run.rc != 0
    message = run.task("write")["msg"]
    assert "HTTP 403" in message and "Policy.ReadWrite.CrossTenantAccess" in message


FAKE_AZ = '''#!{python}
"""A stand-in for the Azure CLI: `az account get-access-token` answered by the sandbox's token
endpoint with the reader app's credentials (as if that identity had run `az login`)."""
import json, os, ssl, sys, time, urllib.parse, urllib.request
with open(os.environ["FAKE_AZ_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
resource = args[args.index("--resource") + 1]
tenant = args[args.index("--tenant") + 1] if "--tenant" in args else os.environ["FAKE_AZ_TENANT"]
form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": os.environ["FAKE_AZ_CLIENT"],
                               "client_secret": os.environ["FAKE_AZ_SECRET"], "scope": resource + "/.default"}}).encode()
context = ssl.create_default_context(cafile=os.environ["FAKE_AZ_CA"])
url = os.environ["FAKE_AZ_LOGIN"] + "/" + tenant + "/oauth2/v2.0/token"
with urllib.request.urlopen(urllib.request.Request(url, data=form), context=context) as response:
    token = json.load(response)
print(json.dumps({{"accessToken": token["access_token"], "expires_on": int(time.time()) + int(token["expires_in"]),
                  "tokenType": "Bearer", "tenant": tenant}}))
'''


def test_azure_cli(auth_world, collections_path, tmp_path):
    """auth_method azure_cli asks `az` for a token for the cloud's Graph resource and the task's tenant."""
    sandbox = auth_world[0]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_az = bin_dir / "az"
    fake_az.write_text(FAKE_AZ.format(python=sys.executable))
    fake_az.chmod(0o755)
    log = tmp_path / "az.log"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_AZ_LOG": str(log), "FAKE_AZ_TENANT": TENANT,
           "FAKE_AZ_CLIENT": READER_APP, "FAKE_AZ_SECRET": READER_SECRET, "FAKE_AZ_CA": sandbox.ca_file,
           "FAKE_AZ_LOGIN": sandbox.login_url}
    run = play(auth_world, collections_path, tmp_path, dict(endpoints(sandbox), tenant_id=TENANT, auth_method="azure_cli"),
               env=env)
    assert run.rc == 0, run.stdout + run.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls and calls[0][:2] == ["account", "get-access-token"]
    assert calls[0][calls[0].index("--resource") + 1] == "https://graph.microsoft.com"
    assert calls[0][calls[0].index("--tenant") + 1] == TENANT
