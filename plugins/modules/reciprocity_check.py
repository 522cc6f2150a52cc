#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: reciprocity_check
short_description: Check that the fleet's cross-tenant settings are mutual, in the inventory and in the live tenants
version_added: 0.2.0
description:
  - For every two tenants of the fleet of which one has a partner entry for the other, checks both sides twice - as
    the inventory will leave them (each tenant's merged layers and C(entra_relationships) over its live settings) and
    as they are live (from M(tenantops.entra.tenant_export), registered as O(export_var)).
  - "B2B direct connect works only when both sides allow it
    (U(https://learn.microsoft.com/entra/external-id/b2b-direct-connect-overview)): A allowing inbound from B needs
    B allowing outbound to A, and the other way round."
  - Inbound trust is declared once for both sides of a relationship, so both sides' partner-specific
    C(inbound_trust) must be the same.
  - "Cross-tenant synchronization
    (U(https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure)):
    a target with C(identity_synchronization.user_sync_inbound) from a source needs
    C(automatic_user_consent_settings.inbound_allowed) on the target and C(outbound_allowed) on the source."
  - Each mismatch is reported by C(side) (V(inventory) or V(live)), C(pair), C(setting) and a sentence; the task
    fails when there is one (O(fail_on_mismatch)).
  - Runs on the controller (an action plugin); it makes no call to Microsoft. The playbook C(tenantops.entra.verify)
    uses it.
options:
  tenants:
    description: The inventory names of the tenants, usually C(groups['tenants']).
    type: list
    elements: str
    required: true
  export_var:
    description: The variable each tenant registered its M(tenantops.entra.tenant_export) result in.
    type: str
    default: entra_export
  relationships:
    description: The fleet's relationships (C(entra_relationships), see docs/inventory.md).
    type: list
    elements: dict
    default: []
  fail_on_mismatch:
    description: Fail the task when a mismatch is found.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reads registered results and inventory variables only.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Check reciprocity
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Both sides of every relationship agree
      tenantops.entra.reciprocity_check:
        tenants: "{{ groups['tenants'] }}"
        relationships: "{{ entra_relationships | default([]) }}"
"""

RETURN = r"""
mismatches:
  description: Every mismatch, with C(side), C(pair), C(setting) and C(message).
  returned: always
  type: list
  elements: dict
  sample:
    - side: live
      pair: fabrikam -> contoso
      setting: b2b_direct_connect
      message: contoso allows inbound B2B direct connect from fabrikam, but fabrikam does not allow outbound to contoso
notes:
  description: Tenants or partners left out of the check, with why (not read, a name that does not resolve).
  returned: always
  type: list
  elements: str
"""

ARGUMENT_SPEC = dict(
    tenants=dict(type="list", elements="str", required=True),
    export_var=dict(type="str", default="entra_export"),
    relationships=dict(type="list", elements="dict", default=[]),
    fail_on_mismatch=dict(type="bool", default=True),
)


def main():
    # Imported here: the action plugin imports this file for its spec, and needs nothing of entry.
    from ansible_collections.tenantops.entra.plugins.module_utils.entry import refuse_outside_controller
    refuse_outside_controller("reciprocity_check", ARGUMENT_SPEC, reads="variables")


if __name__ == "__main__":
    main()
