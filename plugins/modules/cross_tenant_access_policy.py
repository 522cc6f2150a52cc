#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cross_tenant_access_policy
short_description: Manage the cross-tenant access policy of an Entra tenant (allowed cloud endpoints)
version_added: 0.1.0
description:
  - Sets which Microsoft clouds the tenant may collaborate with (Microsoft cloud settings), the only
    writable setting of the policy root C(/policies/crossTenantAccessPolicy).
  - The default settings and the per-organization settings are managed by
    M(tenantops.entra.cross_tenant_access_default) and M(tenantops.entra.cross_tenant_access_partner).
  - "Permissions: application permission C(Policy.ReadWrite.CrossTenantAccess) (C(Policy.Read.All) is enough in check mode)."
options:
  allowed_cloud_endpoints:
    description:
      - The other Microsoft clouds this tenant may collaborate with, compared as a set.
        An empty list allows none. Leave unset to not manage the setting.
      - Public cloud only (the US Gov and China Graph have no C(allowedCloudEndpoints)); refused elsewhere before any call.
    type: list
    elements: str
    choices: [microsoftonline.com, microsoftonline.us, partner.microsoftonline.cn]
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Allow B2B collaboration with US Government tenants
  tenantops.entra.cross_tenant_access_policy:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    allowed_cloud_endpoints:
      - microsoftonline.us
"""

RETURN = r"""
changes:
  description: The writes that were (or in check mode would be) made.
  returned: changed
  type: list
  elements: str
  sample: ["PATCH crossTenantAccessPolicy: allowedCloudEndpoints"]
diff:
  description: Before and after of the managed setting, in the module's input shape.
  returned: diff mode
  type: dict
  sample: {"before": {"allowed_cloud_endpoints": []}, "after": {"allowed_cloud_endpoints": ["microsoftonline.us"]}}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import cross_tenant_policy as UNIT

ARGUMENT_SPEC = argument_spec(
    allowed_cloud_endpoints=dict(type="list", elements="str",
                                 choices=["microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn"]),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
