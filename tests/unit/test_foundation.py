"""Pure logic of the client layer: clouds, credential choice, error lines, the retry budget."""
import httpx
import pytest

from ansible_collections.tenantops.entra.plugins.module_utils import auth, clouds, errors, transport
from ansible_collections.tenantops.entra.plugins.module_utils.graph import error_from_response, odata_key

TENANT = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
CLIENT = "43b9d114-31a2-4dc0-9c17-28a877db2a86"


def settings(**params):
    params.setdefault("tenant_id", TENANT)
    return auth.ConnectionSettings.from_params(params)


@pytest.mark.parametrize("name, graph, exchange", [
    (None, "https://graph.microsoft.com", "https://outlook.office365.com"),
    ("usgov", "https://graph.microsoft.us", "https://outlook.office365.us"),
    ("usgov_dod", "https://dod-graph.microsoft.us", "https://webmail.apps.mil"),
    ("china", "https://microsoftgraph.chinacloudapi.cn", "https://partner.outlook.cn"),
    ("AzureUSGovernment", "https://graph.microsoft.us", "https://outlook.office365.us"),
])
def test_clouds_select_hosts_and_scopes(name, graph, exchange):
    cloud = clouds.resolve_cloud(name)
    assert (cloud.graph, cloud.exchange) == (graph, exchange)
    assert cloud.graph_scope == graph + "/.default"


def test_unknown_cloud_names_the_field():
    with pytest.raises(errors.InputError) as err:
        settings(cloud="mars", client_id=CLIENT, client_secret="s")
    assert err.value.field == "cloud"


def test_endpoint_overrides_win_over_the_cloud():
    s = settings(client_id=CLIENT, client_secret="s", graph_endpoint="https://127.0.0.1:1/graph/")
    assert s.graph_url == "https://127.0.0.1:1/graph"
    assert s.login_url == "https://login.microsoftonline.com"


@pytest.mark.parametrize("params, method", [
    ({"client_id": CLIENT, "client_secret": "s"}, "client_secret"),
    ({"client_id": CLIENT, "client_certificate_path": "/c.pem"}, "certificate"),
    ({"client_id": CLIENT, "client_certificate": "PEM"}, "certificate"),
    ({"client_id": CLIENT, "federated_token_file": "/t"}, "workload_identity"),
    ({"auth_method": "azure_cli"}, "azure_cli"),
])
def test_auto_picks_from_what_is_given(params, method, monkeypatch):
    monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)
    monkeypatch.delenv("MSI_ENDPOINT", raising=False)
    assert settings(**params).chosen_method() == method


def test_auto_uses_managed_identity_when_the_platform_offers_one(monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://169.254.1.1/msi")
    assert settings().chosen_method() == "managed_identity"


def test_no_credential_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)
    monkeypatch.delenv("MSI_ENDPOINT", raising=False)
    with pytest.raises(errors.InputError) as err:
        settings(client_id=CLIENT)
    assert err.value.field == "auth_method" and "no credential" in err.value.message


@pytest.mark.parametrize("params, field", [
    ({"client_secret": "s"}, "client_id"),
    ({"auth_method": "certificate", "client_id": CLIENT}, "client_certificate_path"),
    ({"client_id": CLIENT, "client_secret": "s", "graph_endpoint": "http://127.0.0.1:1"}, "graph_endpoint"),
    ({"tenant_id": " ", "client_id": CLIENT, "client_secret": "s"}, "tenant_id"),
])
def test_incomplete_settings_name_the_field(params, field):
    with pytest.raises(errors.InputError) as err:
        settings(**params)
    assert err.value.field == field


def test_403_names_the_permission_the_call_needs():
    err = errors.GraphError("PATCH", "/policies/crossTenantAccessPolicy/default", 403, "Authorization_RequestDenied",
                            "Insufficient privileges to complete the operation.", "rid-1")
    line = str(err)
    assert "HTTP 403 Authorization_RequestDenied" in line
    assert "Policy.ReadWrite.CrossTenantAccess" in line and "rid-1" in line
    read = errors.GraphError("GET", "/policies/authorizationPolicy", 403, "Authorization_RequestDenied", "x")
    assert "Policy.Read.All" in str(read)
    exchange = errors.ExchangeError("POST", "InvokeCommand Set-MailUser", 403)
    assert "Exchange.ManageAsApp" in str(exchange)


def test_exchange_reason_comes_from_details():
    body = {"error": {"code": "NotFound", "message": "Error executing cmdlet", "details": [
        {"code": "Client", "target": "", "message": "Ex6F9304|Microsoft.Exchange...ManagementObjectNotFoundException|"
                                                    "The operation couldn't be performed because object 'x' couldn't be found"}]}}
    response = httpx.Response(404, json=body, headers={"request-id": "r"})
    err = error_from_response(errors.ExchangeError, "POST", "InvokeCommand Set-MailUser", response)
    assert "couldn't be found" in str(err) and "Error executing cmdlet" not in str(err)


def test_error_body_of_nul_bytes_is_not_shown():
    response = httpx.Response(403, content=b"\0\0\0\0")
    err = error_from_response(errors.ExchangeError, "POST", "InvokeCommand Get-Nothing", response)
    assert err.status == 403 and "\0" not in str(err)


def test_retry_after_is_reported_for_429():
    response = httpx.Response(429, json={"error": {"code": "TooManyRequests", "message": "Please retry"}},
                              headers={"Retry-After": "30"})
    err = error_from_response(errors.GraphError, "GET", "/users", response)
    assert err.retry_after == 30 and "Retry-After 30 s" in str(err)


def test_retry_budget_stops_when_spent():
    budget = transport.RetryBudget(5)
    assert budget.take(3) and budget.take(2)
    assert not budget.take(0.5)
    assert budget.waited == 5 and budget.retries == 2


def test_bounded_retry_handler_charges_only_retryable_answers():
    budget = transport.RetryBudget(10)
    handler = transport.BoundedRetryHandler(budget)
    ok = httpx.Response(200)
    assert handler.get_delay_time(0, ok) < transport.RetryHandlerOption.MAX_DELAY
    assert budget.retries == 0
    throttled = httpx.Response(429, headers={"Retry-After": "4"})
    assert handler.get_delay_time(0, throttled) == 4
    assert handler.get_delay_time(1, throttled) == 4
    # 8 of 10 seconds spent: a third wait of 4 would exceed the budget, so kiota is told not to retry.
    assert handler.get_delay_time(2, throttled) == transport.RetryHandlerOption.MAX_DELAY
    assert budget.waited == 8


def test_odata_key_quotes_and_encodes():
    assert odata_key("o'brien.com") == "o%27%27brien.com"
