#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_settings
short_description: Apply a tenant's whole external-collaboration desired state in one task
version_added: 0.2.0
description:
  - Takes every layer of one tenant's desired state (fleet baseline, group layers, the tenant's own) and the fleet's
    relationships, merges them by documented rules, checks the result whole, reads what it needs and applies it - the
    cross-tenant access policy and default, partners with identity synchronization (optionally authoritative), guest
    invitation settings and guests' address-list visibility.
  - "Nothing is written to a tenant whose input has any error: every error is reported at once, each naming the
    tenant and the key's path (C(partners[fabrikam.com].b2b_direct_connect_inbound.users_and_groups))."
  - One sign-in per run (at most one token per audience); the reads of all parts leave as one or two Graph
    C($batch) requests and one Exchange C(Get-MailUser).
  - Writes go in a safe order - policy, default, partners created or changed (a partner before its identity
    synchronization), partners removed (synchronization first), guest invitation, guest visibility - and stop at the
    first failure, reporting what was and was not applied.
  - A partner naming the tenant itself (a fleet-wide baseline listing every tenant) is skipped with a note.
  - "At normal verbosity each changed setting is shown as one line
    (C(contoso: partners[fabrikam.com].inbound_trust.is_mfa_accepted: false → true)); in diff mode each changed object
    is one hunk headed by the tenant and the object; in check mode the settings left alone because the tenant is
    stricter, and the skipped entries, are shown too."
  - The per-resource modules (M(tenantops.entra.cross_tenant_access_partner) and the others) share the same units and
    rules; they remain for standalone use.
  - "Permissions (application): C(Policy.ReadWrite.CrossTenantAccess), C(CrossTenantInformation.ReadBasic.All),
    C(Policy.ReadWrite.Authorization), C(Policy.ReadWrite.AuthenticationMethod), C(Policy.ReadWrite.AuthenticationFlows),
    C(User.Read.All), C(Policy.ReadWrite.B2BManagementPolicy) for the invitation domain list (Graph beta), and for
    guest visibility Exchange C(Exchange.ManageAsApp) with an Exchange role such as Mail Recipients; only those of the
    parts given are needed (read permissions instead of the writes in check mode)."
notes:
  - Run as its action plugin (the normal case, by its name), it runs in the controller's worker and fills
    O(inventory_tenants) from the inventory; the task keyword C(environment) does not reach it (the controller's
    environment is used for the fallbacks), and C(async) is refused. Run as a module file, structural input errors
    are worded by Ansible's argument validation instead of one line per key path.
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
  - tenantops.entra.tenant_settings
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: One tenant from a baseline and its own layer, with a relationship to Fabrikam
  tenantops.entra.tenant_settings:
    tenant_id: 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9
    tenant_name: contoso
    client_id: 43b9d114-31a2-4dc0-9c17-28a877db2a86
    client_secret: "{{ vault_contoso_secret }}"
    layers:
      - name: baseline
        settings:
          cross_tenant_default:
            inbound_trust: {is_mfa_accepted: true, is_compliant_device_accepted: false,
                            is_hybrid_azure_ad_joined_device_accepted: false}
          guest_invitation: {allow_invites_from: admins_and_guest_inviters, strictness: at_least}
      - name: contoso
        settings:
          partners:
            - partner: northwind.onmicrosoft.com
              inherit: [inbound_trust]
              b2b_collaboration_inbound:
                users_and_groups: {access_type: allowed, targets: [AllUsers]}
                applications: {access_type: allowed, targets: [AllApplications]}
          partner_management: {authoritative: true, protected: [northwind.onmicrosoft.com], max_deletions: 2}
    relationships:
      - members: [{tenant: contoso}, {tenant: fabrikam}]
        b2b_direct_connect: true
    inventory_tenants: {contoso: 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9, fabrikam: fabrikam.onmicrosoft.com}
  register: entra_result
"""

RETURN = r"""
tenant:
  description: The tenant's name (O(tenant_name), else O(tenant_id)).
  returned: always
  type: str
tenant_id:
  description: The tenant's GUID (from its token).
  returned: success
  type: str
changes:
  description: The writes that were (or in check mode would be) made, in order.
  returned: success
  type: list
  elements: str
settings_changed:
  description: Each changed setting with its value before and after, rendered short.
  returned: success
  type: list
  elements: dict
  sample: [{setting: "partners[fabrikam.com].b2b_direct_connect_inbound.users_and_groups", before: blocked AllUsers,
            after: allowed AllUsers}]
stricter_than_requested:
  description: Settings left alone because the tenant is already stricter (O(layers[].settings.guest_invitation.strictness=at_least)).
  returned: success
  type: list
  elements: dict
skipped_entries:
  description: Entries left out, with why (a partner that is the tenant itself).
  returned: success
  type: list
  elements: str
parts:
  description: Per managed object (C(allowed_cloud_endpoints), C(cross_tenant_default), C(partners[<name>]), C(guest_invitation),
    C(guest_visibility)) whether it changes, its writes and the extra values its unit returns.
  returned: success
  type: dict
applied:
  description: The writes that were made.
  returned: not check mode
  type: list
  elements: str
not_applied:
  description: The writes that were not made after a failure; a rerun converges.
  returned: not check mode
  type: list
  elements: str
errors:
  description: Every input error, as C(path) and C(message).
  returned: invalid input
  type: list
  elements: dict
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_tenant_module
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import spec

ARGUMENT_SPEC = argument_spec(
    tenant_name=dict(type="str"),
    layers=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        settings=dict(type="dict", options=spec.argspec(spec.layer_options())),
    )),
    relationships=dict(type="list", elements="dict", default=[], options=spec.argspec(spec.relationship_options())),
    inventory_tenants=dict(type="dict"),
)


def main():
    run_tenant_module(ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
