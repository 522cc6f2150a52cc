#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cross_tenant_access_default
short_description: Manage the default cross-tenant access settings of an Entra tenant
version_added: 0.1.0
description:
  - Sets the default cross-tenant access settings (C(/policies/crossTenantAccessPolicy/default)) that apply to every
    organization without settings of its own - B2B collaboration and B2B direct connect inbound and outbound,
    inbound trust, tenant restrictions and the identity providers guests redeem invitations with.
  - Only the options given are managed. Each is compared with what Graph returns in its meaning (targets as sets,
    GUIDs without regard to case; fields Graph fills in itself are ignored), so a second run reports no change.
    A PATCH carries only the settings that differ, each whole.
  - O(state=reset) restores the system default with C(resetToSystemDefault); nothing is sent when the default is
    already the system default.
  - Per-organization settings are managed by M(tenantops.entra.cross_tenant_access_partner); the current settings can
    be exported in this module's shape with M(tenantops.entra.cross_tenant_access_info).
  - "Permissions: application permission C(Policy.ReadWrite.CrossTenantAccess) (C(Policy.Read.All) is enough in check mode)."
options:
  state:
    description:
      - V(present) applies the given settings.
      - V(reset) restores every setting to the system default; no setting option may be given with it.
    type: str
    default: present
    choices: [present, reset]
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
  - tenantops.entra.cross_tenant_blocks
  - tenantops.entra.cross_tenant_blocks.DEFAULT
notes:
  - The default's C(automaticUserConsentSettings) is always false and read-only, so it is not an option here;
    set it per partner.
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Block B2B direct connect by default, trust partners' MFA, prefer email one-time passcodes as the fallback
  tenantops.entra.cross_tenant_access_default:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    b2b_direct_connect_inbound:
      users_and_groups: {access_type: blocked, targets: [AllUsers]}
      applications: {access_type: blocked, targets: [AllApplications]}
    b2b_direct_connect_outbound:
      users_and_groups: {access_type: blocked, targets: [AllUsers]}
      applications: {access_type: blocked, targets: [AllApplications]}
    inbound_trust:
      is_mfa_accepted: true
      is_compliant_device_accepted: false
      is_hybrid_azure_ad_joined_device_accepted: false
    invitation_redemption_identity_provider_configuration:
      primary_identity_provider_precedence_order: [azureActiveDirectory, externalFederation, socialIdentityProviders]
      fallback_identity_provider: emailOneTimePasscode

- name: Let only one group be invited out, to any application
  tenantops.entra.cross_tenant_access_default:
    tenant_id: contoso.onmicrosoft.com
    b2b_collaboration_outbound:
      users_and_groups:
        access_type: allowed
        targets:
          - {target: 0f3c5c1e-8a6d-4a55-b0f2-7a8d9c4b2e11, target_type: group}
      applications: {access_type: allowed, targets: [AllApplications]}

- name: Allow Microsoft 365 collaboration with every organization, in and out (public cloud only)
  tenantops.entra.cross_tenant_access_default:
    tenant_id: contoso.onmicrosoft.com
    m365_collaboration_inbound:
      users: {access_type: allowed, targets: [AllUsers]}
    m365_collaboration_outbound:
      users_and_groups: {access_type: allowed, targets: [AllUsers]}

- name: Restore the system default
  tenantops.entra.cross_tenant_access_default:
    tenant_id: contoso.onmicrosoft.com
    state: reset
"""

RETURN = r"""
changes:
  description: The writes that were (or in check mode would be) made.
  returned: changed
  type: list
  elements: str
  sample: ["PATCH default: b2bDirectConnectInbound, inboundTrust"]
applied:
  description: The writes that were made; on a failure part-way, also C(not_applied) with those that were not.
  returned: changed and not check mode, or failure part-way
  type: list
  elements: str
is_service_default:
  description: Whether the default is (or in check mode would be) the system default after the task.
  returned: success
  type: bool
  sample: false
diff:
  description: Before and after of the managed settings, in this module's option shape.
  returned: diff mode
  type: dict
  sample:
    before: {inbound_trust: {is_mfa_accepted: false, is_compliant_device_accepted: false,
                             is_hybrid_azure_ad_joined_device_accepted: false}}
    after: {inbound_trust: {is_mfa_accepted: true, is_compliant_device_accepted: false,
                            is_hybrid_azure_ad_joined_device_accepted: false}}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import cross_tenant_default as UNIT
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import spec

ARGUMENT_SPEC = argument_spec(
    state=dict(type="str", default="present", choices=["present", "reset"]),
    **spec.argspec({**spec.shared_block_options(), **spec.default_only_options()}),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
