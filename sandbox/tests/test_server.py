"""The HTTPS server: routing errors, authentication, permissions, headers, error isolation,
internal dispatch, the Graph SDK end to end, and the subprocess lifecycle."""
from __future__ import annotations

import time

import pytest
from conftest import (EXCHANGE_SCOPE, GRAPH_SCOPE, POWERLESS_APP, POWERLESS_SECRET, TESTING_TENANT, bearer,
                      graph_client_for, run)

from sandbox.core import Caller, route
from sandbox.dispatch import GRAPH_CONTENT_TYPE, dispatch_internal
from sandbox.testing import SandboxProcess

AUTHZ = "/v1.0/policies/authorizationPolicy"


@route("graph", "GET", r"/v1\.0/sandboxTests/boom")
def exploding_handler(req):
    raise RuntimeError("a handler bug")


def raw_token(sandbox, http, name="contoso", scope=GRAPH_SCOPE) -> str:
    tenant = sandbox.tenant(name)
    response = http.post(f"{sandbox.login_url}/{tenant['id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": tenant["client_id"],
        "client_secret": tenant["client_secret"], "scope": scope})
    return response.json()["access_token"]


def graph_error(response) -> tuple:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def test_graph_response_headers(sandbox, http):
    response = http.get(sandbox.graph_url + AUTHZ, headers={**bearer(sandbox), "client-request-id": "my-id-1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPH_CONTENT_TYPE
    assert response.headers["client-request-id"] == "my-id-1"
    assert response.headers["request-id"] and "ServerInfo" in response.headers["x-ms-ags-diagnostic"]
    assert "max-age" in response.headers["strict-transport-security"]


def test_a_request_cut_off_before_its_body_is_never_dispatched(sandbox, http):
    # A client killed between the headers and the body (SIGTERM mid-apply) must leave no write behind:
    # a server dispatches a request only once its Content-Length has arrived. Here, a PUT of an
    # identity sync policy would otherwise have been taken as an empty body and created one.
    import socket
    import ssl
    from urllib.parse import urlsplit
    partner = sandbox.tenant("fabrikam")["id"]
    created = http.post(sandbox.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners",
                        json={"tenantId": partner}, headers=bearer(sandbox))
    assert created.status_code == 201
    path = f"/v1.0/policies/crossTenantAccessPolicy/partners/{partner}/identitySynchronization"
    url = urlsplit(sandbox.graph_url)
    head = (f"PUT {url.path}{path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: {bearer(sandbox)['Authorization']}\r\nContent-Type: application/json\r\n"
            "Content-Length: 60\r\n\r\n").encode()
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    with socket.create_connection((url.hostname, url.port)) as raw:
        with context.wrap_socket(raw, server_hostname=url.hostname) as tls:
            tls.sendall(head)             # the headers went out; the body never will
    time.sleep(0.3)
    state = sandbox.state("contoso")
    assert state["identity_sync"] == {}
    assert not [a for a in state["audit"] if "identity sync" in a["activityDisplayName"]]
    puts = [e for e in sandbox.requests_log()["entries"] if e["path"] == path]
    assert [(e["method"], e["status"]) for e in puts] == [("PUT", 0)]      # unanswered, like a dropped connection


def test_unknown_segment_is_a_graph_400(sandbox, http):
    response = http.get(sandbox.graph_url + "/v1.0/policies/noSuchPolicy", headers=bearer(sandbox))
    assert graph_error(response) == (400, "Request_BadRequest", "Resource not found for the segment 'noSuchPolicy'.")
    inner = response.json()["error"]["innerError"]
    assert inner["request-id"] == response.headers["request-id"] and inner["date"]


def test_wrong_method_on_a_known_path_is_405(sandbox, http):
    response = http.delete(sandbox.graph_url + AUTHZ, headers=bearer(sandbox))
    assert graph_error(response)[:2] == (405, "Request_BadRequest")


def test_invalid_json_is_400(sandbox, http):
    response = http.patch(sandbox.graph_url + AUTHZ, content=b'{"allowInvitesFrom": ',
                          headers={**bearer(sandbox), "Content-Type": "application/json"})
    assert graph_error(response)[:2] == (400, "BadRequest")


@pytest.mark.parametrize("authorization, message", [
    (None, "Access token is empty."),
    ("Bearer", "Access token is empty."),
    ("Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl", "Access token validation failure. Invalid signature."),
])
def test_missing_or_bad_tokens_are_401(sandbox, http, authorization, message):
    headers = {"Authorization": authorization} if authorization else {}
    response = http.get(sandbox.graph_url + AUTHZ, headers=headers)
    assert graph_error(response) == (401, "InvalidAuthenticationToken", message)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(sandbox, http):
    sandbox.settings(token_lifetime=1)
    token = raw_token(sandbox, http)
    time.sleep(1.2)
    response = http.get(sandbox.graph_url + AUTHZ, headers={"Authorization": "Bearer " + token})
    assert graph_error(response) == (401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")


def test_exchange_token_is_rejected_by_graph(sandbox, http):
    token = raw_token(sandbox, http, scope=EXCHANGE_SCOPE)
    response = http.get(sandbox.graph_url + AUTHZ, headers={"Authorization": "Bearer " + token})
    assert graph_error(response)[:2] == (401, "InvalidAuthenticationToken")


def test_missing_permission_is_403(sandbox, http):
    response = http.post(f"{sandbox.login_url}/{TESTING_TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": POWERLESS_APP, "client_secret": POWERLESS_SECRET,
        "scope": GRAPH_SCOPE})
    headers = {"Authorization": "Bearer " + response.json()["access_token"]}
    response = http.get(sandbox.graph_url + AUTHZ, headers=headers)
    assert graph_error(response) == (403, "Authorization_RequestDenied",
                                     "Insufficient privileges to complete the operation.")


def invoke_command(sandbox, http, token: str, tenant_id: str):
    return http.post(f"{sandbox.exchange_url}/adminapi/beta/{tenant_id}/InvokeCommand",
                     json={"CmdletInput": {"CmdletName": "Get-MailUser", "Parameters": {}}},
                     headers={"Authorization": "Bearer " + token})


def test_exchange_path_tenant_must_be_the_token_tenant(sandbox, http):
    token = raw_token(sandbox, http, scope=EXCHANGE_SCOPE)
    assert invoke_command(sandbox, http, token, sandbox.tenant("contoso")["id"]).status_code == 200
    response = invoke_command(sandbox, http, token, sandbox.tenant("fabrikam")["id"])
    assert response.status_code == 401
    assert response.json()["error"]["details"][0]["code"] == "Client"


def test_graph_token_is_rejected_by_exchange(sandbox, http):
    token = raw_token(sandbox, http)
    assert invoke_command(sandbox, http, token, sandbox.tenant("contoso")["id"]).status_code == 401


def test_handler_exception_is_a_500_and_the_server_survives(sandbox, http):
    response = http.get(sandbox.graph_url + "/v1.0/sandboxTests/boom", headers=bearer(sandbox))
    assert graph_error(response)[:2] == (500, "generalException")
    assert http.get(sandbox.graph_url + AUTHZ, headers=bearer(sandbox)).status_code == 200


def test_dispatch_internal_runs_a_sub_request_as_the_caller(sandbox):
    tenant = sandbox.world.find_tenant("contoso.com")
    reader = Caller(tenant.id, "app", "https://graph.microsoft.com", frozenset({"Policy.Read.All"}))
    response = dispatch_internal("graph", "GET", AUTHZ + "?$select=allowInvitesFrom", {}, None, reader, tenant,
                                 sandbox.world, sandbox.login_url)
    assert response.status == 200 and response.body["allowInvitesFrom"] == "everyone"
    nobody = Caller(tenant.id, "app", "https://graph.microsoft.com", frozenset())
    denied = dispatch_internal("graph", "GET", AUTHZ, {}, None, nobody, tenant, sandbox.world, sandbox.login_url)
    assert denied.status == 403 and denied.body["error"]["code"] == "Authorization_RequestDenied"
    assert sandbox.requests_log()["entries"][-1]["batch"] is True


def test_graph_sdk_end_to_end(sandbox):
    async def read():
        return await graph_client_for(sandbox).policies.authorization_policy.get()
    policy = run(read())
    assert policy.allow_invites_from.value == "everyone"


def test_subprocess_lifecycle(seed_file, tmp_path):
    started = time.monotonic()
    sandbox = SandboxProcess(seed_file, state_dir=str(tmp_path))
    try:
        assert time.monotonic() - started < 10
        ready = sandbox.ready
        assert set(ready) >= {"login_url", "graph_url", "exchange_url", "control_url", "ca_file", "msi_url",
                              "msi_secret", "tenants"}
        assert ready["graph_url"] == ready["login_url"] + "/graph"
        contoso = sandbox.tenant("contoso")
        assert contoso["domain"] == "contoso.onmicrosoft.com" and contoso["apps"][0]["client_id"] == contoso["client_id"]
        assert sandbox.state("contoso")["id"] == contoso["id"]
    finally:
        assert sandbox.stop() == 0


def test_certificates_pass_strict_x509_verification(sandbox):
    """Python 3.13's default TLS context sets VERIFY_X509_STRICT (RFC 5280 checks such as the Authority
    Key Identifier); the sandbox's certificates must pass it on every Python."""
    import ssl
    import urllib.error
    import urllib.request
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    with pytest.raises(urllib.error.HTTPError) as answered:  # no token: a 401, but over a verified connection
        urllib.request.urlopen(sandbox.graph_url + "/v1.0/organization", context=context)
    assert answered.value.code == 401
