"""Environment fallbacks of the connection options: an empty variable is unset (AWX sets them all)."""
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.tenantops.entra.plugins.module_utils.entry import AUTH_ARGUMENT_SPEC, AUTH_MUTUALLY_EXCLUSIVE


def validate(args):
    return ArgumentSpecValidator(AUTH_ARGUMENT_SPEC, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE).validate(args)


@pytest.fixture
def awx_certificate_env(monkeypatch):
    for name, value in {"AZURE_TENANT_ID": "", "AZURE_TENANT": "contoso.onmicrosoft.com", "AZURE_CLIENT_ID": "app",
                        "AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "/run/cert.pem",
                        "TENANTOPS_ENTRA_CLOUD": ""}.items():
        monkeypatch.setenv(name, value)


def test_empty_variables_are_skipped(awx_certificate_env):
    result = validate({})
    assert not result.error_messages
    params = result.validated_parameters
    assert params["tenant_id"] == "contoso.onmicrosoft.com"  # AZURE_TENANT_ID is empty, AZURE_TENANT is not
    assert params["client_secret"] is None
    assert params["client_certificate_path"] == "/run/cert.pem"
    assert params["cloud"] == "public"


def test_task_options_win_over_the_environment(awx_certificate_env):
    params = validate({"tenant_id": "fabrikam.onmicrosoft.com"}).validated_parameters
    assert params["tenant_id"] == "fabrikam.onmicrosoft.com"
