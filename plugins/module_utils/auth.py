"""Connection settings and credentials: which azure-identity credential a task uses, and where.

``auth_method: auto`` picks from what is given, in this order: a client secret, a certificate,
a federated token file (workload identity: GitHub Actions, GitLab, Kubernetes), then managed
identity when the platform advertises one.  Azure CLI is used only when asked for.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from .clouds import Cloud, resolve_cloud
from .compare import is_guid
from .errors import InputError, first_line

try:  # at the top, so an action plugin imports it once before the workers fork (see transport.py)
    from azure import identity as azure_identity
except ImportError:  # require_libraries() reports it as one clear line
    azure_identity = None

# azure-identity logs a failed get_token as a warning; with no handler configured Python prints it
# to stderr, which Ansible flags as a worker writing "errantly" to stderr.  The task's error line
# already carries the cause.
logging.getLogger("azure").addHandler(logging.NullHandler())

AUTH_METHODS = ("auto", "client_secret", "certificate", "workload_identity", "managed_identity", "azure_cli")
# A DNS host name (RFC 1123) of at least two labels, the last not numeric: how a tenant's
# verified domain is written (https://learn.microsoft.com/en-us/entra/fundamentals/add-custom-domain).
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.I)


def check_tenant_id(value: str) -> None:
    if is_guid(value) or DOMAIN_RE.match(value):
        return
    hint = ""
    try:
        if not value.isascii():
            hint = f"; write an internationalized domain in its ASCII (punycode) form, {value.encode('idna').decode()}"
    except UnicodeError:
        pass
    raise InputError("tenant_id", "must be the tenant's id (a GUID) or one of its verified domain names "
                                  "(such as contoso.onmicrosoft.com)" + hint)


def check_client_id(value: str, method: str) -> None:
    """The application (client) id is a GUID.  Anything else is refused before login without
    echoing it: a client_id that is not a GUID is often the secret, swapped."""
    if not is_guid(value):
        raise InputError("client_id", f"must be the application (client) id, a GUID (auth_method {method}); "
                                      f"the value given ({len(value)} characters) is not shown, as it may be a "
                                      f"secret put in the wrong option")


@dataclass(frozen=True)
class ConnectionSettings:
    tenant_id: str
    client_id: str | None
    auth_method: str
    cloud: Cloud
    client_secret: str | None = None
    certificate_path: str | None = None
    certificate: str | None = None
    certificate_password: str | None = None
    federated_token_file: str | None = None
    login_endpoint: str | None = None
    graph_endpoint: str | None = None
    exchange_endpoint: str | None = None
    ca_bundle: str | None = None
    timeout: float = 60.0
    max_retry_wait: float = 120.0

    @property
    def login_url(self) -> str:
        return (self.login_endpoint or self.cloud.login).rstrip("/")

    @property
    def graph_url(self) -> str:
        return (self.graph_endpoint or self.cloud.graph).rstrip("/")

    @property
    def exchange_url(self) -> str:
        return (self.exchange_endpoint or self.cloud.exchange).rstrip("/")

    @classmethod
    def from_params(cls, params: dict) -> "ConnectionSettings":
        try:
            cloud = resolve_cloud(params.get("cloud"))
        except ValueError as exc:
            raise InputError("cloud", str(exc)) from None
        settings = cls(
            tenant_id=(params.get("tenant_id") or "").strip(),
            client_id=params.get("client_id"),
            auth_method=params.get("auth_method") or "auto",
            cloud=cloud,
            client_secret=params.get("client_secret"),
            certificate_path=params.get("client_certificate_path"),
            certificate=params.get("client_certificate"),
            certificate_password=params.get("client_certificate_password"),
            federated_token_file=params.get("federated_token_file"),
            login_endpoint=params.get("login_endpoint"),
            graph_endpoint=params.get("graph_endpoint"),
            exchange_endpoint=params.get("exchange_endpoint"),
            ca_bundle=params.get("ca_bundle"),
            timeout=float(params["timeout"] if params.get("timeout") is not None else 60),
            max_retry_wait=float(params["max_retry_wait"] if params.get("max_retry_wait") is not None else 120),
        )
        settings.check()
        return settings

    def chosen_method(self) -> str:
        if self.auth_method != "auto":
            return self.auth_method
        if self.client_secret:
            return "client_secret"
        if self.certificate_path or self.certificate:
            return "certificate"
        if self.federated_token_file:
            return "workload_identity"
        if os.environ.get("IDENTITY_ENDPOINT") or os.environ.get("MSI_ENDPOINT"):
            return "managed_identity"
        raise InputError("auth_method", "no credential given: set client_secret, client_certificate_path or "
                                        "client_certificate, federated_token_file, or auth_method "
                                        "managed_identity / azure_cli")

    def check(self) -> None:
        if not self.tenant_id:
            raise InputError("tenant_id", "is required (a tenant GUID or verified domain)")
        check_tenant_id(self.tenant_id)
        method = self.chosen_method()
        needs_client_id = {"client_secret", "certificate", "workload_identity"}
        if method in needs_client_id and not self.client_id:
            raise InputError("client_id", f"is required for auth_method {method}")
        if self.client_id:
            check_client_id(self.client_id, method)
        if method == "client_secret" and not self.client_secret:
            raise InputError("client_secret", "is required for auth_method client_secret")
        if method == "certificate" and not (self.certificate_path or self.certificate):
            raise InputError("client_certificate_path", "or client_certificate is required for auth_method certificate")
        if method == "workload_identity" and not self.federated_token_file:
            raise InputError("federated_token_file", "is required for auth_method workload_identity")
        for name, url in (("login_endpoint", self.login_endpoint), ("graph_endpoint", self.graph_endpoint),
                          ("exchange_endpoint", self.exchange_endpoint)):
            if url and not url.lower().startswith("https://"):
                raise InputError(name, "must be an https:// URL (TLS verification is never switched off)")
        if not self.timeout > 0:
            raise InputError("timeout", f"must be more than 0 seconds, got {self.timeout:g}")
        if not self.max_retry_wait >= 0:
            raise InputError("max_retry_wait", f"must be 0 seconds or more, got {self.max_retry_wait:g}")

    def check_files(self) -> None:
        """The files the chosen method reads are readable (refused before any request, naming the option)."""
        method = self.chosen_method()
        files = [("ca_bundle", self.ca_bundle)]
        if method == "certificate":
            files.append(("client_certificate_path", self.certificate_path))
        if method == "workload_identity":
            files.append(("federated_token_file", self.federated_token_file))
        for name, path in files:
            if path:
                check_readable(name, path)


def check_readable(option: str, path: str) -> None:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputError(option, f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def build_credential(settings: ConnectionSettings):
    """Return a synchronous azure-identity credential for the settings.  What the library refuses
    at construction (a certificate that does not load, a tenant id it does not accept) becomes an
    :class:`InputError` naming the option."""
    settings.check_files()
    try:
        return _credential(settings)
    except (ValueError, TypeError, OSError) as exc:
        raise InputError(_option_at_fault(settings, exc), f"{_certificate_hint(exc)}{first_line(exc)}") from None


def _option_at_fault(settings: ConnectionSettings, exc: Exception) -> str:
    method = settings.chosen_method()
    if method == "certificate":
        if "password" in str(exc).lower():
            return "client_certificate_password"
        return "client_certificate_path" if settings.certificate_path else "client_certificate"
    if method == "workload_identity" and isinstance(exc, OSError):
        return "federated_token_file"
    return "tenant_id" if "tenant" in str(exc).lower() else "auth_method"


def _certificate_hint(exc: Exception) -> str:
    text = str(exc)
    if "no BEGIN CERTIFICATE" in text:
        return "the PEM holds a private key but no certificate; give the key and its certificate in one PEM: "
    if "PKCS12" in text:
        return "neither a PEM with the private key and certificate nor a PKCS12 file: "
    return ""


def _credential(settings: ConnectionSettings):
    identity = azure_identity  # None without the library: require_libraries() has already said so

    common = {}
    if settings.ca_bundle:
        common["connection_verify"] = settings.ca_bundle
    authority = {}
    if settings.login_endpoint or settings.cloud.name != "public":
        authority["authority"] = settings.login_url
    if settings.login_endpoint:
        # MSAL's instance discovery only knows Microsoft's hosts; an overridden endpoint is trusted as given.
        authority["disable_instance_discovery"] = True

    method = settings.chosen_method()
    if method == "client_secret":
        return identity.ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret,
                                               **authority, **common)
    if method == "certificate":
        cert = {"certificate_path": settings.certificate_path} if settings.certificate_path else \
            {"certificate_data": settings.certificate.encode()}
        if settings.certificate_password:
            cert["password"] = settings.certificate_password
        return identity.CertificateCredential(settings.tenant_id, settings.client_id, **cert, **authority, **common)
    if method == "workload_identity":
        return identity.WorkloadIdentityCredential(tenant_id=settings.tenant_id, client_id=settings.client_id,
                                                   token_file_path=settings.federated_token_file,
                                                   **authority, **common)
    if method == "managed_identity":
        return identity.ManagedIdentityCredential(client_id=settings.client_id, **common)
    if method == "azure_cli":
        return identity.AzureCliCredential(tenant_id=settings.tenant_id)
    raise InputError("auth_method", f"unknown method {method!r}; choose one of {', '.join(AUTH_METHODS)}")
