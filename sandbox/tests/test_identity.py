"""The login service through the real azure-identity credentials, and every AADSTS error."""
from __future__ import annotations

import time

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (CertificateCredential, ClientAssertionCredential, ClientSecretCredential,
                            ManagedIdentityCredential, WorkloadIdentityCredential)
from conftest import (CERT_APP, EXCHANGE_SCOPE, FEDERATED_APP, FEDERATED_ISSUER, FEDERATED_SUBJECT, GRAPH_SCOPE,
                      MI_APP, TESTING_TENANT, pem_key, secret_credential)
from cryptography.hazmat.primitives import serialization

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
CONTOSO_APP = "43b9d114-31a2-4dc0-9c17-28a877db2a86"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def verify_with_jwks(http, sandbox, token: str) -> dict:
    keys = http.get(f"{sandbox.login_url}/{CONTOSO}/discovery/v2.0/keys").json()
    key = jwt.PyJWK(keys["keys"][0])
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")


def test_client_secret_token_carries_the_contract_claims(sandbox, http):
    token = secret_credential(sandbox).get_token(GRAPH_SCOPE)
    claims = verify_with_jwks(http, sandbox, token.token)
    assert claims["tid"] == CONTOSO and claims["appid"] == CONTOSO_APP == claims["azp"]
    assert claims["iss"] == f"https://sts.windows.net/{CONTOSO}/"
    assert "Policy.ReadWrite.CrossTenantAccess" in claims["roles"]
    assert "Exchange.ManageAsApp" not in claims["roles"]
    assert 3500 < token.expires_on - time.time() <= 3600


def test_exchange_token_carries_only_the_exchange_role(sandbox):
    claims = claims_of(secret_credential(sandbox).get_token(EXCHANGE_SCOPE).token)
    assert claims["aud"] == "https://outlook.office365.com" and claims["roles"] == ["Exchange.ManageAsApp"]


def test_tenant_by_verified_domain_and_http_basic(sandbox, http):
    tenant = sandbox.tenant("fabrikam")
    response = http.post(f"{sandbox.login_url}/fabrikam.com/oauth2/v2.0/token",
                         auth=(tenant["client_id"], tenant["client_secret"]),
                         data={"grant_type": "client_credentials", "scope": GRAPH_SCOPE})
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["tid"] == tenant["id"]


def test_openid_configuration_names_the_endpoints_msal_needs(sandbox, http):
    doc = http.get(f"{sandbox.login_url}/contoso.com/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"{sandbox.login_url}/contoso.com/oauth2/v2.0/token"
    assert doc["authorization_endpoint"].startswith(sandbox.login_url)
    assert doc["issuer"] == f"{sandbox.login_url}/{CONTOSO}/v2.0"


def test_discovery_for_an_unknown_tenant_is_invalid_tenant(sandbox, http):
    response = http.get(f"{sandbox.login_url}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400 and response.json()["error_codes"] == [90002]


def test_certificate_credential(sandbox, client_keys):
    cert_key, cert, _, _ = client_keys
    pem = pem_key(cert_key) + cert.public_bytes(serialization.Encoding.PEM)
    credential = CertificateCredential(TESTING_TENANT, CERT_APP, certificate_data=pem, authority=sandbox.login_url,
                                       disable_instance_discovery=True, connection_verify=sandbox.ca_file)
    assert claims_of(credential.get_token(GRAPH_SCOPE).token)["appid"] == CERT_APP


def test_certificate_credential_with_an_unregistered_certificate_fails(sandbox, client_keys):
    from conftest import self_signed
    key, cert = self_signed("not-registered")
    credential = CertificateCredential(TESTING_TENANT, CERT_APP,
                                       certificate_data=pem_key(key) + cert.public_bytes(serialization.Encoding.PEM),
                                       authority=sandbox.login_url, disable_instance_discovery=True,
                                       connection_verify=sandbox.ca_file)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        credential.get_token(GRAPH_SCOPE)


def federated_assertion(key, *, issuer=FEDERATED_ISSUER, subject=FEDERATED_SUBJECT, lifetime=600,
                        audience="api://AzureADTokenExchange") -> str:
    now = int(time.time())
    return jwt.encode({"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now - 5,
                       "exp": now + lifetime}, pem_key(key), algorithm="RS256")


def assertion_credential(sandbox, assertion: str) -> ClientAssertionCredential:
    return ClientAssertionCredential(TESTING_TENANT, FEDERATED_APP, lambda: assertion, authority=sandbox.login_url,
                                     disable_instance_discovery=True, connection_verify=sandbox.ca_file)


def test_workload_identity_federation(sandbox, client_keys, tmp_path):
    token_file = tmp_path / "federated-token"
    token_file.write_text(federated_assertion(client_keys[2]))
    credential = WorkloadIdentityCredential(tenant_id=TESTING_TENANT, client_id=FEDERATED_APP,
                                            token_file_path=str(token_file), authority=sandbox.login_url,
                                            disable_instance_discovery=True, connection_verify=sandbox.ca_file)
    assert claims_of(credential.get_token(GRAPH_SCOPE).token)["appid"] == FEDERATED_APP


@pytest.mark.parametrize("change, code", [
    ({"issuer": "https://elsewhere.example"}, "AADSTS70021"),
    ({"subject": "repo:someone/else:ref:refs/heads/main"}, "AADSTS700213"),
    ({"lifetime": -60}, "AADSTS700024"),
    ({"audience": "api://SomethingElse"}, "AADSTS700212"),
])
def test_federated_assertion_mismatches(sandbox, client_keys, change, code):
    with pytest.raises(ClientAuthenticationError, match=code):
        assertion_credential(sandbox, federated_assertion(client_keys[2], **change)).get_token(GRAPH_SCOPE)


def test_federated_assertion_signed_by_another_key(sandbox, client_keys):
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        assertion_credential(sandbox, federated_assertion(client_keys[3])).get_token(GRAPH_SCOPE)


def test_managed_identity_app_service(sandbox, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", sandbox.msi_url)
    monkeypatch.setenv("IDENTITY_HEADER", sandbox.msi_secret)
    credential = ManagedIdentityCredential(connection_verify=sandbox.ca_file)
    claims = claims_of(credential.get_token(GRAPH_SCOPE).token)
    assert claims["appid"] == MI_APP and claims["tid"] == TESTING_TENANT


def test_managed_identity_requires_the_identity_header(sandbox, http):
    response = http.get(sandbox.msi_url, params={"resource": "https://graph.microsoft.com",
                                                 "api-version": "2019-08-01"},
                        headers={"X-IDENTITY-HEADER": "wrong"})
    assert response.status_code == 401


def token_request(sandbox, http, tenant=CONTOSO, **fields):
    form = {"grant_type": "client_credentials", "client_id": CONTOSO_APP, "scope": GRAPH_SCOPE,
            "client_secret": "sandbox-contoso-NOT-A-REAL-SECRET"}
    form.update(fields)
    return http.post(f"{sandbox.login_url}/{tenant}/oauth2/v2.0/token",
                     data={k: v for k, v in form.items() if v is not None})


@pytest.mark.parametrize("tenant, fields, status, error, code", [
    ("unknown.example", {}, 400, "invalid_tenant", 90002),
    (CONTOSO, {"client_id": "00000000-1111-4222-8333-444444444444"}, 400, "unauthorized_client", 700016),
    (CONTOSO, {"client_secret": "wrong"}, 401, "invalid_client", 7000215),
    (CONTOSO, {"client_secret": None}, 400, "invalid_client", 7000218),
    (CONTOSO, {"scope": None}, 400, "invalid_request", 900144),
    (CONTOSO, {"scope": "https://foo.microsoft.com/.default"}, 400, "invalid_scope", 70011),
    (CONTOSO, {"scope": "https://graph.microsoft.com/.default https://outlook.office365.com/.default"},
     400, "invalid_scope", 70011),
])
def test_token_errors_have_the_wire_shape(sandbox, http, tenant, fields, status, error, code):
    response = token_request(sandbox, http, tenant, **fields)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)


def test_wrong_secret_surfaces_through_azure_identity(sandbox):
    tenant = sandbox.tenant("contoso")
    credential = ClientSecretCredential(tenant["id"], tenant["client_id"], "wrong", authority=sandbox.login_url,
                                        disable_instance_discovery=True, connection_verify=sandbox.ca_file)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(GRAPH_SCOPE)
