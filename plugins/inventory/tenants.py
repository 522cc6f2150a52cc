# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin: one host per Microsoft Entra tenant, from a registry in Git, an MSP's GDAP
customers and a multitenant organization.  The logic is in module_utils/tenant_inventory.py."""
from __future__ import annotations

DOCUMENTATION = r"""
name: tenants
short_description: Microsoft Entra tenants as inventory hosts, from a registry, GDAP customers or a multitenant organization
version_added: 0.2.0
author:
  - tenantops.entra contributors (@tenantops)
description:
  - Builds one inventory host per Microsoft Entra tenant, sets C(entra_tenant_id) and the tenant's display name,
    and groups the hosts by ring, customer and source, ready for the C(tenantops.entra.external_collaboration)
    playbook (which targets the group C(tenants)).
  - "Tenants come from any mix of three sources, merged by tenant id: a YAML B(registry) kept in Git
    (O(registry)); the B(GDAP customers) of an MSP's partner tenant (O(gdap)), read with Microsoft Graph
    C(GET /tenantRelationships/delegatedAdminCustomers)
    (U(https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadmincustomers?view=graph-rest-1.0));
    and the members of the signed-in tenant's B(multitenant organization) (O(multi_tenant_organization)), read with
    C(GET /tenantRelationships/multiTenantOrganization/tenants)
    (U(https://learn.microsoft.com/graph/api/multitenantorganization-list-tenants?view=graph-rest-1.0))."
  - A tenant that the registry lists keeps the registry's host name, ring, customer, groups and variables;
    a discovered tenant is named after its display name (see O(hostnames)).
  - Host variables set for every host are C(entra_tenant_id), C(entra_tenant_display_name) and
    C(entra_tenant_sources) (a list of V(registry), V(gdap), V(multi_tenant_organization)); C(entra_ring) and
    C(entra_customer) when the registry gives them; C(entra_mto_role) and C(entra_mto_state) for multitenant
    organization members; then the registry entry's C(vars).
  - "Groups: O(group) (all tenants); C(ring_<ring>) and C(customer_<customer>) from the registry; the registry
    entry's C(groups); C(gdap_customers) and C(multi_tenant_organization) by source; and whatever O(compose),
    O(groups) and O(keyed_groups) build, as in Ansible's own inventory plugins."
  - The Graph sources sign in like the modules do, with the same options and environment variables (an AWX or
    Automation Platform credential of the collection's credential type works as is). The app needs the
    application permission C(DelegatedAdminRelationship.Read.All) in the partner tenant for O(gdap), and
    C(MultiTenantOrganization.Read.All) for O(multi_tenant_organization). Nothing is written.
  - The inventory source is a YAML file whose name ends in C(tenants.yml) or C(tenants.yaml)
    (for example C(fleet.tenants.yml)).
requirements:
  - msgraph-core (from msgraph-sdk) and azure-identity on the controller, for O(gdap) and O(multi_tenant_organization)
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; it marks the file as an inventory source for it.
    type: str
    required: true
    choices: [tenantops.entra.tenants]
  registry:
    description:
      - Path of a YAML tenant registry, relative to the inventory source file.
      - "Format: C(tenants:) a mapping of host name to C(tenant_id) (a GUID, required), C(display_name),
        C(ring), C(customer), C(groups) (a list of group names) and C(vars) (host variables)."
    type: path
  gdap:
    description:
      - Add the GDAP customers of the signed-in partner tenant (O(tenant_id)).
    type: bool
    default: false
  multi_tenant_organization:
    description: Add the members of the signed-in tenant's multitenant organization.
    type: bool
    default: false
  multi_tenant_organization_states:
    description: The member states to include (V(pending) members have not joined yet).
    type: list
    elements: str
    choices: [active, pending]
    default: [active]
  group:
    description: The group every tenant host is put in.
    type: str
    default: tenants
  hostnames:
    description:
      - How a discovered tenant (not in the registry) is named. V(display_name) is a lower-case slug of the display
        name (with the tenant id's first block appended when two tenants would share a name); V(tenant_id) is the
        tenant id.
    type: str
    choices: [display_name, tenant_id]
    default: display_name
  tenant_id:
    description:
      - The tenant to sign in to for O(gdap) and O(multi_tenant_organization) (the MSP's partner tenant), as a GUID
        or verified domain.
    type: str
    env:
      - name: AZURE_TENANT_ID
      - name: AZURE_TENANT
  client_id:
    description: Application (client) id of the app registration.
    type: str
    env:
      - name: AZURE_CLIENT_ID
  client_secret:
    description: Client secret of the app registration.
    type: str
    env:
      - name: AZURE_CLIENT_SECRET
      - name: AZURE_SECRET
  client_certificate_path:
    description: PEM file with the app's private key and certificate, instead of a secret.
    type: path
    env:
      - name: AZURE_CLIENT_CERTIFICATE_PATH
  client_certificate_password:
    description: Password of the private key in O(client_certificate_path).
    type: str
    env:
      - name: AZURE_CLIENT_CERTIFICATE_PASSWORD
  federated_token_file:
    description: File holding a federated token (workload identity).
    type: path
    env:
      - name: AZURE_FEDERATED_TOKEN_FILE
  auth_method:
    description: How to sign in; V(auto) picks from what is given, as the modules do.
    type: str
    choices: [auto, client_secret, certificate, workload_identity, managed_identity, azure_cli]
    default: auto
  cloud:
    description: The Microsoft cloud (V(public), V(usgov), V(usgov_dod), V(china)).
    type: str
    default: public
    env:
      - name: TENANTOPS_ENTRA_CLOUD
      - name: AZURE_CLOUD_ENVIRONMENT
  login_endpoint:
    description: Override of the cloud's login endpoint (an https URL).
    type: str
    env:
      - name: TENANTOPS_ENTRA_LOGIN_ENDPOINT
  graph_endpoint:
    description: Override of the cloud's Graph endpoint (an https URL).
    type: str
    env:
      - name: TENANTOPS_ENTRA_GRAPH_ENDPOINT
  ca_bundle:
    description: CA bundle to verify the endpoints with, instead of the system's.
    type: path
    env:
      - name: TENANTOPS_ENTRA_CA_BUNDLE
  timeout:
    description: Seconds to wait for one HTTP answer.
    type: float
    default: 60
"""

EXAMPLES = r"""
# fleet.tenants.yml — tenants from the registry in Git, grouped by ring and customer
plugin: tenantops.entra.tenants
registry: registry.yml

# registry.yml (next to it):
#   tenants:
#     contoso:
#       tenant_id: 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9
#       ring: 1
#       customer: contoso
#       vars:
#         entra_guest_invitation: {allow_invites_from: admins_and_guest_inviters}
#     fabrikam:
#       tenant_id: f81fb273-8b3f-495e-ba2d-6ca6f07f8baa
#       ring: 2
#       groups: [pilot]

---
# msp.tenants.yml — every GDAP customer of the MSP's partner tenant; the sign-in comes from the
# AZURE_* environment (an AWX credential of the collection's credential type).
plugin: tenantops.entra.tenants
gdap: true
registry: registry.yml   # optional: rings and overrides for the customers it lists
compose:
  entra_client_id: "'00000000-0000-0000-0000-000000000000'"   # the multi-tenant app, consented in each customer
keyed_groups:
  - key: entra_ring | default('unassigned')
    prefix: wave

---
# mto.tenants.yml — the active members of a multitenant organization, pending ones in a group of their own
plugin: tenantops.entra.tenants
multi_tenant_organization: true
multi_tenant_organization_states: [active, pending]
groups:
  not_joined_yet: entra_mto_state == 'pending'
"""

import asyncio
import os

import yaml

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.tenantops.entra.plugins.module_utils.errors import TenantOpsError
from ansible_collections.tenantops.entra.plugins.module_utils import tenant_inventory

CONNECTION_OPTIONS = ("tenant_id", "client_id", "client_secret", "client_certificate_path",
                      "client_certificate_password", "federated_token_file", "auth_method", "cloud",
                      "login_endpoint", "graph_endpoint", "ca_bundle", "timeout")


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "tenantops.entra.tenants"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("tenants.yml", "tenants.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            hosts = tenant_inventory.merge(self._registry_hosts(path), *self._graph_hosts())
        except TenantOpsError as exc:
            raise AnsibleParserError(f"{self.NAME} ({path}): {exc}") from None
        self._populate(tenant_inventory.name_hosts(hosts, self.get_option("hostnames")))

    def _registry_hosts(self, path):
        registry = self.get_option("registry")
        if not registry:
            return []
        registry = os.path.join(os.path.dirname(path), registry)
        try:
            with open(registry, encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as exc:
            raise AnsibleParserError(f"{self.NAME}: cannot read the registry {registry}: {exc}") from None
        return tenant_inventory.parse_registry(document, registry)

    def _graph_hosts(self):
        if not (self.get_option("gdap") or self.get_option("multi_tenant_organization")):
            return []
        # Imported here: a registry-only inventory needs neither msgraph-core nor azure-identity.
        from ansible_collections.tenantops.entra.plugins.module_utils.auth import ConnectionSettings
        from ansible_collections.tenantops.entra.plugins.module_utils.runner import Session
        # An empty environment variable counts as unset (AWX sets every variable of a credential type).
        params = {name: self.get_option(name) for name in CONNECTION_OPTIONS if self.get_option(name) not in ("", None)}
        settings = ConnectionSettings.from_params(params)
        return asyncio.run(self._read_graph(Session(settings, check_mode=True)))

    async def _read_graph(self, session):
        found = []
        try:
            if self.get_option("gdap"):
                found.append(await tenant_inventory.read_gdap_customers(session.graph))
            if self.get_option("multi_tenant_organization"):
                states = self.get_option("multi_tenant_organization_states")
                found.append(await tenant_inventory.read_multi_tenant_organization(session.graph, states))
        finally:
            await session.close()
        return found

    def _populate(self, hosts):
        group = self.inventory.add_group(self.get_option("group"))
        strict = self.get_option("strict")
        for tenant in hosts:
            name = self.inventory.add_host(tenant.name, group=group)
            for extra_group in tenant.built_in_groups():
                self.inventory.add_child(self.inventory.add_group(extra_group), name)
            variables = tenant.variables()
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
