#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cross_tenant_access_partner
short_description: Manage an Entra tenant's cross-tenant access settings for one partner organization
version_added: 0.1.0
description:
  - Creates, updates or removes the organization-specific cross-tenant access settings for one partner
    (C(/policies/crossTenantAccessPolicy/partners/{tenantId})) and its identity synchronization (cross-tenant sync).
  - Only the options given are managed. A block listed in O(inherit) is removed from the partner (Graph C(null)),
    so the default settings apply to it. Settings compare in their meaning (targets as sets, GUIDs without regard to
    case; fields Graph fills in such as C(isServiceProvider) are ignored), so a second run reports no change.
  - A new partner is created with a POST of the given settings only; an existing one is updated with a PATCH of the
    settings that differ, each whole.
  - O(state=absent) removes the partner's identity synchronization first and then the partner, the order Graph requires.
  - "Permissions: application permissions C(Policy.ReadWrite.CrossTenantAccess) and, to resolve the partner,
    C(CrossTenantInformation.ReadBasic.All) (C(Policy.Read.All) instead of the first is enough in check mode)."
options:
  partner:
    description:
      - The partner organization, by tenant id (GUID) or by one of its verified domains.
      - A domain is resolved with C(findTenantInformationByDomainName); a tenant id is checked to exist with
        C(findTenantInformationByTenantId) (not with O(state=absent), so a partner of a deleted tenant can be removed).
      - It may not be the managed tenant itself.
      - The Microsoft Accounts (consumer) tenant C(9188040d-6c67-4c5b-b112-36a304b66dad) is accepted without a lookup,
        for tenant restrictions; its O(tenant_restrictions) may only target V(AllUsers) (Microsoft Accounts have no
        per-user tenant restrictions).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the partner with the given settings.
      - V(absent) removes it (identity synchronization first); no setting option may be given with it.
      - A partner that is a cloud service provider for the tenant (Graph C(isServiceProvider)) cannot be removed
        (U(https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-settings-b2b-collaboration));
        V(absent) then fails after reading it, before any write, also in check mode.
      - Removal is permanent in Graph v1.0 (soft-deleted partners and their restore exist only in the beta API).
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
  - tenantops.entra.cross_tenant_blocks
  - tenantops.entra.cross_tenant_blocks.PARTNER
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Allow B2B direct connect with Fabrikam for all their users and applications
  tenantops.entra.cross_tenant_access_partner:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    partner: fabrikam.com
    b2b_direct_connect_inbound:
      users_and_groups: {access_type: allowed, targets: [AllUsers]}
      applications: {access_type: allowed, targets: [AllApplications]}
    b2b_direct_connect_outbound:
      users_and_groups: {access_type: allowed, targets: [AllUsers]}
      applications: {access_type: allowed, targets: [AllApplications]}

- name: Let only Contoso's Marketing group use B2B direct connect with us; inherit the rest from the default
  tenantops.entra.cross_tenant_access_partner:
    tenant_id: fabrikam.onmicrosoft.com
    partner: 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9
    b2b_direct_connect_inbound:
      users_and_groups:
        access_type: allowed
        targets:
          - {target: 2c2d083e-1b64-4a26-8665-2c9136da5844, target_type: group}
      applications: {access_type: allowed, targets: [Office365]}
    inherit: [inbound_trust]

- name: Accept users synchronized in from Northwind, trusting its MFA, without a consent prompt
  tenantops.entra.cross_tenant_access_partner:
    tenant_id: contoso.onmicrosoft.com
    partner: northwindtraders.com
    inbound_trust:
      is_mfa_accepted: true
      is_compliant_device_accepted: false
      is_hybrid_azure_ad_joined_device_accepted: false
    automatic_user_consent_settings: {inbound_allowed: true, outbound_allowed: false}
    identity_synchronization: {user_sync_inbound: true, display_name: Northwind}

- name: Remove the partner (and its identity synchronization)
  tenantops.entra.cross_tenant_access_partner:
    tenant_id: contoso.onmicrosoft.com
    partner: northwindtraders.com
    state: absent
"""

RETURN = r"""
partner_tenant_id:
  description: The partner's tenant id (lower case), also when it was given as a domain.
  returned: success
  type: str
  sample: f81fb273-8b3f-495e-ba2d-6ca6f07f8baa
changes:
  description: The writes that were (or in check mode would be) made, in order.
  returned: changed
  type: list
  elements: str
  sample: ["POST partners: create f81fb273-8b3f-495e-ba2d-6ca6f07f8baa with b2bDirectConnectInbound",
           "PUT partners/f81fb273-8b3f-495e-ba2d-6ca6f07f8baa/identitySynchronization"]
applied:
  description: The writes that were made; on a failure part-way, also C(not_applied) with those that were not.
  returned: changed and not check mode, or failure part-way
  type: list
  elements: str
diff:
  description: Before and after of the managed settings, in this module's option shape (C({}) for no partner).
  returned: diff mode
  type: dict
  sample:
    before: {}
    after: {partner: f81fb273-8b3f-495e-ba2d-6ca6f07f8baa, inbound_trust: inherit}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import cross_tenant_partner as UNIT
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import spec

ARGUMENT_SPEC = argument_spec(
    partner=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    **spec.argspec({**spec.shared_block_options(), **spec.partner_only_options()}),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
