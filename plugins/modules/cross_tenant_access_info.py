#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cross_tenant_access_info
short_description: Export an Entra tenant's cross-tenant access settings in the shape the modules accept
version_added: 0.1.0
description:
  - Reads the cross-tenant access policy (allowed cloud endpoints), the default settings and every partner with its
    identity synchronization (one list call with C($expand=identitySynchronization)).
  - Returns them exactly as M(tenantops.entra.cross_tenant_access_policy),
    M(tenantops.entra.cross_tenant_access_default) and M(tenantops.entra.cross_tenant_access_partner) accept them,
    so an export applied back reports no change. Only the settings the modules manage appear; fields Graph fills
    in (C(isServiceDefault), C(isServiceProvider), C(@odata.*)) do not.
  - "Permissions: application permission C(Policy.Read.All)."
options: {}
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes.INFO
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Export the settings
  tenantops.entra.cross_tenant_access_info:
    tenant_id: contoso.onmicrosoft.com
  register: cross_tenant

- name: For the inventory, read the tenant as a layer instead (the same blocks; inherit and absent as the layer says them)
  tenantops.entra.tenant_export:
    tenant_id: contoso.onmicrosoft.com
  register: contoso_layer

- name: Save it as the tenant's own layer (host_vars/<tenant>.yml, see docs/inventory.md and playbooks/export.yml)
  ansible.builtin.copy:
    content: "{{ {'entra_tenant': contoso_layer.entra_tenant} | to_nice_yaml(indent=2) }}"
    dest: "host_vars/contoso.yml"
    mode: "0644"

- name: Re-apply an export (reports no change when nothing drifted)
  tenantops.entra.cross_tenant_access_partner:
    tenant_id: contoso.onmicrosoft.com
    partner: "{{ item.partner }}"
    inherit: "{{ item.inherit | default(omit) }}"
    b2b_collaboration_inbound: "{{ item.b2b_collaboration_inbound | default(omit) }}"
    b2b_collaboration_outbound: "{{ item.b2b_collaboration_outbound | default(omit) }}"
    b2b_direct_connect_inbound: "{{ item.b2b_direct_connect_inbound | default(omit) }}"
    b2b_direct_connect_outbound: "{{ item.b2b_direct_connect_outbound | default(omit) }}"
    tenant_restrictions: "{{ item.tenant_restrictions | default(omit) }}"
    inbound_trust: "{{ item.inbound_trust | default(omit) }}"
    automatic_user_consent_settings: "{{ item.automatic_user_consent_settings | default(omit) }}"
    identity_synchronization: "{{ item.identity_synchronization }}"
  loop: "{{ cross_tenant.partners }}"
"""

RETURN = r"""
policy:
  description: The options of M(tenantops.entra.cross_tenant_access_policy).
  returned: success
  type: dict
  sample: {allowed_cloud_endpoints: []}
default:
  description: The options of M(tenantops.entra.cross_tenant_access_default), every setting given.
  returned: success
  type: dict
  sample:
    b2b_direct_connect_inbound:
      users_and_groups: {access_type: blocked, targets: [{target: AllUsers, target_type: user}]}
      applications: {access_type: blocked, targets: [{target: AllApplications, target_type: application}]}
    inbound_trust: {is_mfa_accepted: false, is_compliant_device_accepted: false,
                    is_hybrid_azure_ad_joined_device_accepted: false}
    invitation_redemption_identity_provider_configuration:
      primary_identity_provider_precedence_order: [externalFederation, azureActiveDirectory, socialIdentityProviders]
      fallback_identity_provider: defaultConfiguredIdp
partners:
  description:
    - One dict of M(tenantops.entra.cross_tenant_access_partner) options per partner, sorted by tenant id.
      Settings the partner inherits from the default are V(inherit); no identity synchronization is V(absent).
  returned: success
  type: list
  elements: dict
  sample:
    - partner: f81fb273-8b3f-495e-ba2d-6ca6f07f8baa
      b2b_collaboration_inbound: inherit
      inbound_trust: {is_mfa_accepted: true, is_compliant_device_accepted: false,
                      is_hybrid_azure_ad_joined_device_accepted: false}
      automatic_user_consent_settings: inherit
      identity_synchronization: {user_sync_inbound: true, display_name: Fabrikam}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import cross_tenant_info as UNIT

ARGUMENT_SPEC = argument_spec()


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
