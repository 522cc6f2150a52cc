#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: mail_user_visibility_info
short_description: Read whether guests and external users appear in the global address list
version_added: 0.1.0
description:
  - Returns, for every guest and external member, its Exchange C(HiddenFromAddressListsEnabled) and its Entra
    C(showInAddressList), with counts, the users where the two disagree and the users that cannot be reconciled.
  - "Exchange's value is the one that counts. Entra's C(showInAddressList) is what Graph v1.0 returns, usually null:
    Microsoft's L(user reference,https://learn.microsoft.com/graph/api/resources/user) says not to use it through
    Microsoft Graph. A null is not compared."
  - RV(suggestion) is a selection in the input shape of M(tenantops.entra.mail_user_visibility) - the majority
    visibility as C(default) and the other users as a C(users) rule - that reproduces the current Exchange state,
    so applying it reports no change.
  - "Permissions (application): Graph C(User.Read.All); Exchange Online C(Exchange.ManageAsApp) plus an Entra role
    Exchange accepts for app-only access, such as Exchange Recipient Administrator or Global Reader."
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes.INFO
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Read the current address-list visibility of every guest
  tenantops.entra.mail_user_visibility_info:
  register: gal

- name: Report where Entra and Exchange disagree
  ansible.builtin.debug:
    msg: "{{ gal.counts.disagreements }} users disagree; {{ gal.counts.unreconcilable }} cannot be reconciled"

- name: Capture the current state as policy
  tenantops.entra.mail_user_visibility:
    default: "{{ gal.suggestion.default }}"
    rules: "{{ gal.suggestion.rules }}"
"""

RETURN = r"""
counts:
  description: Users considered, mail users, hidden, visible, disagreements and unreconcilable users.
  returned: always
  type: dict
  sample: {"users": 120, "mail_users": 118, "hidden": 100, "visible": 18, "disagreements": 3, "unreconcilable": 2}
users:
  description: Every guest and external member, both sides (C(hidden_from_address_lists) is null without a mail user,
    C(show_in_address_list) is null when Graph has no value).
  returned: always
  type: list
  elements: dict
  sample: [{"user": "4f1c...", "mail": "a@fabrikam.com", "user_type": "Guest", "hidden_from_address_lists": true,
            "show_in_address_list": false}]
disagreements:
  description: Users whose Entra C(showInAddressList) is not the inverse of Exchange's value.
  returned: always
  type: list
  elements: dict
unreconcilable:
  description: Users without an Exchange mail user, with the reason.
  returned: always
  type: list
  elements: dict
suggestion:
  description:
    - The current state as the input of M(tenantops.entra.mail_user_visibility), that is
      O(tenantops.entra.mail_user_visibility#module:default) and O(tenantops.entra.mail_user_visibility#module:rules).
  returned: always
  type: dict
  sample: {"default": "hidden", "rules": [{"visibility": "visible", "users": ["4f1c..."]}]}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources.mail_user_visibility import Info as UNIT

ARGUMENT_SPEC = argument_spec()


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
