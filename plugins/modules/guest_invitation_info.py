#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: guest_invitation_info
short_description: Read who may invite guests and how external users sign in and up
version_added: 0.1.0
description:
  - Returns the external collaboration settings that M(tenantops.entra.guest_invitation_settings) manages, in
    exactly that module's input shape, so that feeding RV(settings) back to it reports no change.
  - Reads the authorization policy, the email authentication method configuration and the authentication flows policy.
  - A value the settings module cannot set (for example C(unknownFutureValue), or a guest role id other than the
    three documented ones) is left out of RV(settings) with a warning.
  - "Permissions (application): C(Policy.Read.All)."
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes.INFO
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Read the guest invitation settings of every tenant
  tenantops.entra.guest_invitation_info:
  register: guests

- name: Show them
  ansible.builtin.debug:
    var: guests.settings

- name: The same values as the guest_invitation section of a tenant's layer (as tenantops.entra.tenant_export gives it)
  ansible.builtin.copy:
    content: "{{ {'entra_tenant': {'guest_invitation': guests.settings | combine({'strictness': 'exact'})}} | to_nice_yaml }}"
    dest: host_vars/contoso.yml
    mode: "0644"
"""

RETURN = r"""
settings:
  description: The current settings, in the input shape of M(tenantops.entra.guest_invitation_settings).
  returned: always
  type: dict
  sample:
    allow_invites_from: everyone
    guest_user_access: limited
    allow_email_verified_users_to_join: true
    allowed_to_sign_up_email_based_subscriptions: true
    email_one_time_passcode: default
    self_service_sign_up: false
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources.guest_invitation import Info as UNIT

ARGUMENT_SPEC = argument_spec()


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
