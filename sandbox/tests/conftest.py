"""Shared fixtures: one in-process sandbox per session, reset before each test that uses it.

The session seed is the demo seed plus a "testing" tenant whose apps cover what the demo
does not: a certificate, a federated credential, a managed identity and an app with no
permissions.
"""
from __future__ import annotations

import asyncio
import datetime
import ssl

import httpx
import pytest
import yaml
from azure.identity import ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sandbox.testing import DEMO_SEED, InProcessSandbox

TESTING_TENANT = "0c3b5f7e-9d21-4a6c-8e4f-2b7a1d9c3e50"
CERT_APP = "c3e4a1b2-0000-4c5d-8e9f-000000000001"
FEDERATED_APP = "c3e4a1b2-0000-4c5d-8e9f-000000000002"
MI_APP = "c3e4a1b2-0000-4c5d-8e9f-000000000003"
POWERLESS_APP = "c3e4a1b2-0000-4c5d-8e9f-000000000004"
POWERLESS_SECRET = "powerless-NOT-A-REAL-SECRET"
FEDERATED_ISSUER = "https://token.actions.example.test"
FEDERATED_SUBJECT = "repo:tenantops/entra:ref:refs/heads/main"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


def self_signed(common_name: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert


def pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="session")
def client_keys():
    """(certificate key, certificate, federated issuer key, an unregistered key)."""
    cert_key, cert = self_signed("tenantops-cert-app")
    federated_key, _ = self_signed("federated-issuer")
    stranger_key, _ = self_signed("stranger")
    return cert_key, cert, federated_key, stranger_key


@pytest.fixture(scope="session")
def seed_file(tmp_path_factory, client_keys):
    cert_key, cert, federated_key, _ = client_keys
    directory = tmp_path_factory.mktemp("seed")
    (directory / "app-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with open(DEMO_SEED, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    doc["tenants"].append({
        "name": "testing", "id": TESTING_TENANT, "display_name": "Testing",
        "domains": ["testing.onmicrosoft.com", "testing.example"],
        "apps": [
            {"client_id": CERT_APP, "display_name": "cert-app", "certificates": ["app-cert.pem"],
             "permissions": ["Policy.Read.All"]},
            {"client_id": FEDERATED_APP, "display_name": "federated-app", "permissions": ["Policy.Read.All"],
             "federated": [{"issuer": FEDERATED_ISSUER, "subject": FEDERATED_SUBJECT,
                            "public_key_pem": pem_public(federated_key)}]},
            {"client_id": MI_APP, "display_name": "managed-identity", "managed_identity": True,
             "permissions": ["Policy.Read.All", "Exchange.ManageAsApp"]},
            {"client_id": POWERLESS_APP, "display_name": "powerless", "secrets": [POWERLESS_SECRET]},
        ],
    })
    path = directory / "seed.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def session_sandbox(seed_file, tmp_path_factory):
    sandbox = InProcessSandbox(seed_file, state_dir=str(tmp_path_factory.mktemp("state")))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(session_sandbox):
    session_sandbox.reset()
    return session_sandbox


@pytest.fixture
def http(sandbox):
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file), timeout=30) as client:
        yield client


def secret_credential(sandbox, name: str = "contoso", **kwargs) -> ClientSecretCredential:
    tenant = sandbox.tenant(name)
    return ClientSecretCredential(tenant["id"], tenant["client_id"], tenant["client_secret"],
                                  authority=sandbox.login_url, disable_instance_discovery=True,
                                  connection_verify=sandbox.ca_file, **kwargs)


def bearer(sandbox, name: str = "contoso", scope: str = GRAPH_SCOPE) -> dict:
    return {"Authorization": "Bearer " + secret_credential(sandbox, name).get_token(scope).token}


def run(coroutine):
    return asyncio.run(coroutine)


def graph_client_for(sandbox, name: str = "contoso", credential=None):
    """A typed msgraph-sdk client for one sandbox tenant: base URL and CA pointed at the sandbox.
    Use it inside one ``asyncio.run`` (its connection pool belongs to that event loop)."""
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    auth = AzureIdentityAuthenticationProvider(credential or secret_credential(sandbox, name), scopes=[GRAPH_SCOPE])
    http_client = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=sandbox.ca_file)))
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = sandbox.graph_url + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture
def graph_client(sandbox):
    return graph_client_for(sandbox)
