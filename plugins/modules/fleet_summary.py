#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_summary
short_description: Summarise a fleet run, one line per tenant
version_added: 0.2.0
description:
  - Reads the result each tenant registered (by default C(entra_result), which the role
    C(tenantops.entra.external_collaboration) registers) and prints one line per tenant - changed with its number of
    writes, unchanged, failed with the reason, or not run - then the totals.
  - Runs on the controller (an action plugin); it makes no call to Microsoft. Use it in a play on C(localhost) after
    the tenants' play, as C(playbooks/external_collaboration.yml) does. With job slicing each slice summarises its own
    tenants.
options:
  tenants:
    description: The inventory names of the tenants to summarise, usually C(groups['tenants']).
    type: list
    elements: str
    required: true
  result_var:
    description: The variable each tenant registered its result in.
    type: str
    default: entra_result
attributes:
  check_mode:
    description: Reads registered results only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Summarise the run, one line per tenant
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Per-tenant summary
      tenantops.entra.fleet_summary:
        tenants: "{{ groups['tenants'] }}"
"""

RETURN = r"""
tenants:
  description: Per tenant, C(status) (changed, unchanged, failed, not_run), C(writes) and C(reason).
  returned: always
  type: dict
  sample: {contoso: {status: changed, writes: 3}, fabrikam: {status: failed, reason: "tenant fabrikam: ..."}}
totals:
  description: How many tenants had each status.
  returned: always
  type: dict
  sample: {changed: 1, unchanged: 1, failed: 1, not_run: 0}
"""

ARGUMENT_SPEC = dict(
    tenants=dict(type="list", elements="str", required=True),
    result_var=dict(type="str", default="entra_result"),
)


def main():
    # Imported here: the action plugin imports this file for its spec, and needs nothing of entry.
    from ansible_collections.tenantops.entra.plugins.module_utils.entry import refuse_outside_controller
    refuse_outside_controller("fleet_summary", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
