#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: plan_report
short_description: Write a fleet plan as JSON and as Markdown for a pull-request comment, with its exit status
version_added: 0.2.0
description:
  - Reads the result each tenant registered from M(tenantops.entra.tenant_settings) in check mode (by default
    C(entra_result)) and, when read, its audit log from M(tenantops.entra.tenant_export) (by default
    C(entra_export)), and writes three files to O(output_dir)
  - C(plan.json) - per tenant its status (C(to_change), C(unchanged), C(failed)) and per setting C(before),
    C(after) and who last changed it and when (C(changed_by), C(changed_at), C(activity)), or why that is not known
    (C(attribution)); and the totals.
  - C(plan.md) - Markdown for a pull-request comment readable for hundreds of tenants - the totals, a table of the
    tenants to change or failed, the unchanged ones folded in one line, then each tenant's settings folded in
    C(<details>); cut to fit a GitHub comment, with a pointer to the JSON.
  - C(exit_status) - V(0) no drift, V(2) drift, V(1) a tenant failed, like C(terraform plan -detailed-exitcode).
    ansible-playbook cannot choose its own exit code; the wrapper C(extensions/gitops/entra-plan) of the collection
    runs the plan playbook and exits with this status (docs/gitops.md).
  - Runs on the controller (an action plugin); it makes no call to Microsoft. The playbook C(tenantops.entra.plan)
    uses it.
options:
  tenants:
    description: The inventory names of the tenants in the plan, usually C(groups['tenants']).
    type: list
    elements: str
    required: true
  result_var:
    description: The variable each tenant registered its check-mode result in.
    type: str
    default: entra_result
  audit_var:
    description: The variable each tenant registered its M(tenantops.entra.tenant_export) audit read in (missing or
      skipped - no attribution).
    type: str
    default: entra_export
  output_dir:
    description: The directory the three files are written to (created if missing), relative to the directory
      ansible-playbook runs in.
    type: path
    default: plan
attributes:
  check_mode:
    description: Writes the report files in check mode too (they are the point of a plan).
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Write the plan report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Plan report in plan/
      tenantops.entra.plan_report:
        tenants: "{{ groups['tenants'] }}"
        output_dir: plan
"""

RETURN = r"""
totals:
  description: How many tenants are to change, unchanged or failed, and how many in all.
  returned: always
  type: dict
  sample: {to_change: 2, unchanged: 297, failed: 1, tenants: 300}
exit_status:
  description: V(0) no drift, V(2) drift, V(1) error.
  returned: always
  type: int
files:
  description: The paths written (C(json), C(markdown), C(exit_status)).
  returned: always
  type: dict
"""

ARGUMENT_SPEC = dict(
    tenants=dict(type="list", elements="str", required=True),
    result_var=dict(type="str", default="entra_result"),
    audit_var=dict(type="str", default="entra_export"),
    output_dir=dict(type="path", default="plan"),
)


def main():
    # Imported here: the action plugin imports this file for its spec, and needs nothing of entry.
    from ansible_collections.tenantops.entra.plugins.module_utils.entry import refuse_outside_controller
    refuse_outside_controller("plan_report", ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
