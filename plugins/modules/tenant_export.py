#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tenant_export
short_description: Read a live Entra tenant as one layer of the inventory schema, with its audit log
version_added: 0.2.0
description:
  - Reads the cross-tenant access policy, the default settings, every partner with its identity synchronization, the
    guest invitation settings and the invitation domain list (Graph beta; left out when the app may not read it),
    and returns them as C(entra_tenant) - exactly the layer schema of
    M(tenantops.entra.tenant_settings) and the role C(tenantops.entra.external_collaboration) (see docs/inventory.md).
  - "Written to C(host_vars/<tenant>.yml) as C({entra_tenant: ...}), planning that tenant right after changes
    nothing: every block Graph returns is given, partners by tenant id, blocks Graph stores as C(null) listed under
    C(inherit); a default block Graph returns as C(null) is left out (unmanaged). Guests' address-list visibility is
    not exported (it is per user, not a setting)."
  - With O(audit_days), also reads the tenant's directory audit log (categories C(CrossTenantAccessSettings) and
    C(Policy)) for drift attribution in the plan report; without C(AuditLog.Read.All) it returns
    C(audit.readable=false) and the reason instead of failing.
  - This is the export the playbooks C(tenantops.entra.export), C(tenantops.entra.apply) (backups) and
    C(tenantops.entra.verify) use; see docs/gitops.md.
  - "Permissions (application): C(Policy.Read.All); C(Policy.Read.B2BManagementPolicy) for the invitation domain
    list; C(Organization.Read.All) for O(settings) (the verified domains,
    left empty without it); C(AuditLog.Read.All) for O(audit_days)."
options:
  settings:
    description: Read the settings (C(entra_tenant), C(domains)). V(false) reads only the audit log.
    type: bool
    default: true
  audit_days:
    description:
      - Read the directory audit entries of the last this many days; V(0) does not read the log.
      - "Entra keeps audit logs 7 days (Free) or 30 days (P1/P2):
        U(https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-data-retention)."
    type: int
    default: 0
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes.INFO
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Read the tenant as an inventory layer
  tenantops.entra.tenant_export:
    tenant_id: 272443cd-0b6f-49a5-b6ee-03f4ad31cdc9
    client_id: 43b9d114-31a2-4dc0-9c17-28a877db2a86
    client_secret: "{{ vault_contoso_secret }}"
  register: entra_export

- name: Write it where the inventory reads the tenant's own layer
  ansible.builtin.copy:
    content: "{{ {'entra_tenant': entra_export.entra_tenant} | to_nice_yaml(indent=2) }}"
    dest: "inventory/host_vars/contoso.yml"
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
tenant_id:
  description: The tenant's GUID (from its token).
  returned: success
  type: str
entra_tenant:
  description: The live settings as one layer (C(allowed_cloud_endpoints), C(cross_tenant_default), C(partners),
    C(guest_invitation)).
  returned: O(settings=true)
  type: dict
  sample:
    allowed_cloud_endpoints: []
    cross_tenant_default:
      inbound_trust: {is_mfa_accepted: true, is_compliant_device_accepted: false,
                      is_hybrid_azure_ad_joined_device_accepted: false}
    partners:
      - partner: f81fb273-8b3f-495e-ba2d-6ca6f07f8baa
        inherit: [b2b_collaboration_outbound]
        b2b_direct_connect_inbound:
          users_and_groups: {access_type: allowed, targets: [{target: AllUsers, target_type: user}]}
          applications: {access_type: allowed, targets: [{target: AllApplications, target_type: application}]}
    guest_invitation: {allow_invites_from: everyone, strictness: exact}
domains:
  description: The tenant's verified domains, lower case (empty without C(Organization.Read.All)).
  returned: O(settings=true)
  type: list
  elements: str
audit:
  description: C(readable), and either C(entries) (newest first; C(time), C(activity), C(category), C(actor),
    C(target_ids), C(target_names), C(properties)) and C(days), or C(reason).
  returned: O(audit_days) > 0
  type: dict
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.tenant import live as UNIT

ARGUMENT_SPEC = argument_spec(
    settings=dict(type="bool", default=True),
    audit_days=dict(type="int", default=0),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
