"""The Ansible side of every module: the shared connection options and the module entry point.

Resource units under ``resources/`` know nothing of Ansible; this file and the action plugins
are the only places that translate between Ansible and them.
"""
from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.errors import AnsibleFallbackNotFound

from .runner import run
from .transport import IMPORT_ERROR


def env_fallback(*names):
    """The first of the environment variables that is set to a non-empty value.

    Unlike Ansible's own ``env_fallback``, an empty variable counts as unset: an AWX / Automation
    Platform credential type sets every variable it declares, with an empty value for an input
    left blank (a certificate credential still sets ``AZURE_CLIENT_SECRET=``)."""
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    raise AnsibleFallbackNotFound


AUTH_ARGUMENT_SPEC = dict(
    tenant_id=dict(type="str", required=True, no_log=False, fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", no_log=False, fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
    client_certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PATH"])),
    client_certificate=dict(type="str", no_log=True),
    client_certificate_password=dict(type="str", no_log=True,
                                     fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
    federated_token_file=dict(type="path", fallback=(env_fallback, ["AZURE_FEDERATED_TOKEN_FILE"])),
    auth_method=dict(type="str", default="auto",
                     choices=["auto", "client_secret", "certificate", "workload_identity", "managed_identity",
                              "azure_cli"]),
    cloud=dict(type="str", default="public", fallback=(env_fallback, ["TENANTOPS_ENTRA_CLOUD", "AZURE_CLOUD_ENVIRONMENT"])),
    login_endpoint=dict(type="str", fallback=(env_fallback, ["TENANTOPS_ENTRA_LOGIN_ENDPOINT"])),
    graph_endpoint=dict(type="str", fallback=(env_fallback, ["TENANTOPS_ENTRA_GRAPH_ENDPOINT"])),
    exchange_endpoint=dict(type="str", fallback=(env_fallback, ["TENANTOPS_ENTRA_EXCHANGE_ENDPOINT"])),
    ca_bundle=dict(type="path", fallback=(env_fallback, ["TENANTOPS_ENTRA_CA_BUNDLE"])),
    timeout=dict(type="float", default=60),
    max_retry_wait=dict(type="float", default=120),
)

AUTH_MUTUALLY_EXCLUSIVE = [["client_secret", "client_certificate_path", "client_certificate"],
                           ["client_secret", "federated_token_file"]]


def argument_spec(**options) -> dict:
    spec = dict(AUTH_ARGUMENT_SPEC)
    spec.update(options)
    return spec


def run_module(unit, spec: dict, **module_kwargs) -> None:
    """Entry point of every per-resource module: parse, run the unit, exit."""

    def runner(module):
        return run(unit, module.params, check_mode=module.check_mode, diff_mode=module._diff)
    _exit(_module(spec, module_kwargs), runner)


def run_tenant_module(spec: dict) -> None:
    """Entry point of ``tenant_settings``: the whole tenant in one run."""
    from .tenant.run import run as run_tenant

    def runner(module):
        return run_tenant(module.params, check_mode=module.check_mode, diff_mode=module._diff)
    _exit(_module(spec, {}), runner)


def refuse_outside_controller(name: str, spec: dict, reads: str = "results") -> None:
    """The ``main`` of a controller-only module (it reads other hosts' results or variables), run as a classic
    module by mistake: one clear failure."""
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    module.fail_json(msg=f"{name} reads other hosts' {reads} and runs only as its action plugin")


def _module(spec: dict, module_kwargs: dict) -> AnsibleModule:
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE + module_kwargs.pop("mutually_exclusive", []),
                           **module_kwargs)
    if IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("msgraph-core and azure-identity"), exception=IMPORT_ERROR)
    return module


def _exit(module: AnsibleModule, runner) -> None:
    result = runner(module)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
