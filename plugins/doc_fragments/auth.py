# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - The tenant to manage, as its GUID or one of its verified domains. Anything else is refused before any
        request; an internationalized domain is given in its ASCII (punycode, C(xn--)) form.
      - Falls back to the environment variables E(AZURE_TENANT_ID), then E(AZURE_TENANT) (the name AWX's
        built-in Azure credential injects).
    type: str
    required: true
  client_id:
    description:
      - Application (client) id of the app registration the collection authenticates as, a GUID. A value that
        is not a GUID is refused before login, and not shown (it is often the secret, put in the wrong option).
      - Required for O(auth_method=client_secret), O(auth_method=certificate) and O(auth_method=workload_identity);
        optional for a user-assigned managed identity.
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - Client secret of the app. Never shown in output, diffs or results.
      - Falls back to E(AZURE_CLIENT_SECRET), then E(AZURE_SECRET) (AWX).
    type: str
  client_certificate_path:
    description:
      - Path to a PEM or PKCS12 file with the app's certificate and private key.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH).
    type: path
  client_certificate:
    description:
      - The certificate and private key as PEM text, for example from a vault lookup. Never shown in output.
    type: str
  client_certificate_password:
    description:
      - Password of the certificate's private key, if it has one. Never shown in output.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PASSWORD).
    type: str
  federated_token_file:
    description:
      - Workload identity federation. A file holding a token from an identity provider that the app trusts
        through a federated credential (GitHub Actions, GitLab CI, Kubernetes service accounts).
      - Falls back to E(AZURE_FEDERATED_TOKEN_FILE).
    type: path
  auth_method:
    description:
      - How to get a token.
      - V(auto) picks from what is given, in this order O(client_secret), a certificate, O(federated_token_file),
        then a managed identity when the platform advertises one (E(IDENTITY_ENDPOINT) or E(MSI_ENDPOINT)).
      - V(managed_identity) uses the identity of the Azure resource the controller runs on.
      - V(azure_cli) uses the account signed in with C(az login) on the controller.
    type: str
    default: auto
    choices: [auto, client_secret, certificate, workload_identity, managed_identity, azure_cli]
  cloud:
    description:
      - The national cloud, which selects the login, Graph and Exchange hosts.
      - V(public) (also GCC), V(usgov) (GCC High), V(usgov_dod) (DoD), V(china) (21Vianet).
        The names AWX and the Azure CLI use (V(AzureCloud), V(AzureUSGovernment), V(AzureChinaCloud)) are accepted.
      - Falls back to E(TENANTOPS_ENTRA_CLOUD), then E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    default: public
  login_endpoint:
    description:
      - Overrides the login host of the cloud (an https URL), for a proxy or the collection's sandbox.
      - Falls back to E(TENANTOPS_ENTRA_LOGIN_ENDPOINT).
    type: str
  graph_endpoint:
    description:
      - Overrides the Graph host of the cloud (an https URL without C(/v1.0)).
      - Falls back to E(TENANTOPS_ENTRA_GRAPH_ENDPOINT).
    type: str
  exchange_endpoint:
    description:
      - Overrides the Exchange Online host of the cloud (an https URL).
      - Falls back to E(TENANTOPS_ENTRA_EXCHANGE_ENDPOINT).
    type: str
  ca_bundle:
    description:
      - A PEM file of certificate authorities to trust for all three endpoints (a TLS-inspecting proxy, the
        sandbox). TLS verification is never switched off.
      - Falls back to E(TENANTOPS_ENTRA_CA_BUNDLE).
    type: path
  timeout:
    description:
      - Seconds to wait for one HTTP response; more than 0.
    type: float
    default: 60
  max_retry_wait:
    description:
      - Total seconds the task may spend waiting before retries of throttled (429) or unavailable (503, 504)
        answers, honouring C(Retry-After). When it is used up the task fails with the throttling error rather
        than waiting longer, so a run never hangs. V(0) or more; V(0) means no waiting at all.
      - Dropped connections are also retried within it, for requests that are safe to repeat; a partner
        creation is sent again only after a read shows the first attempt did not take effect.
    type: float
    default: 120
notes:
  - Runs on the controller as an action plugin; no connection to the inventory host is made, so
    each inventory host can stand for one tenant.
  - Requires the Python libraries C(msgraph-core) (from C(msgraph-sdk)) and C(azure-identity) on the controller.
"""
