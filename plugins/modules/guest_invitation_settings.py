#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: guest_invitation_settings
short_description: Manage who may invite guests and how external users sign in and up
version_added: 0.1.0
description:
  - Sets the external collaboration settings of an Entra tenant - guest invitation restrictions, guest user
    access, email-verified and self-service sign-up, and email one-time passcode for external users.
  - Only the options given are managed. A run reads and writes only the Graph objects holding them - the
    authorization policy (C(/policies/authorizationPolicy)), the email authentication method configuration
    (C(/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email)) and the authentication
    flows policy (C(/policies/authenticationFlowsPolicy)). A PATCH carries only the properties that change.
  - With O(strictness=at_least) a setting that is already stricter than asked is left alone and reported in
    RV(stricter_than_requested). The order of each setting, loosest first, is given with the option.
  - "Permissions (application): C(Policy.ReadWrite.Authorization) for O(allow_invites_from), O(guest_user_access),
    O(allow_email_verified_users_to_join) and O(allowed_to_sign_up_email_based_subscriptions);
    C(Policy.ReadWrite.AuthenticationMethod) for O(email_one_time_passcode); C(Policy.ReadWrite.AuthenticationFlows)
    for O(self_service_sign_up). In check mode C(Policy.Read.All) is enough."
  - Use M(tenantops.entra.guest_invitation_info) to read the current settings in this module's input shape.
options:
  allow_invites_from:
    description:
      - Who may invite guests (C(allowInvitesFrom)).
      - V(none) - nobody, admins included; V(admins_and_guest_inviters) - Global, User and Guest Inviter
        administrators; V(admins_guest_inviters_and_all_members) - those and all members;
        V(everyone) - everyone including guests (the default of a new tenant outside US Government).
      - "Strictness order, loosest first: V(everyone), V(admins_guest_inviters_and_all_members),
        V(admins_and_guest_inviters), V(none)."
    type: str
    choices: [everyone, admins_guest_inviters_and_all_members, admins_and_guest_inviters, none]
  guest_user_access:
    description:
      - What guests may see in the directory (C(guestUserRoleId)).
      - V(same_as_members) - the member role C(a0b1b346-4d3e-4e8b-98f8-753987be4970);
        V(limited) - Guest User C(10dae51f-b6af-4016-8d66-8c2a99b929b3), the default;
        V(restricted) - Restricted Guest User C(2af84b1e-32c8-42b7-82bc-daa82404023b), guests see only their own profile.
      - "Strictness order, loosest first: V(same_as_members), V(limited), V(restricted)."
    type: str
    choices: [same_as_members, limited, restricted]
  allow_email_verified_users_to_join:
    description:
      - Whether users may join the tenant by email verification (C(allowEmailVerifiedUsersToJoinOrganization)).
      - "Strictness: V(false) is stricter than V(true)."
      - Not in the US Gov clouds (their Graph has no C(authenticationFlowsPolicy)); refused there before any call.
    type: bool
  allowed_to_sign_up_email_based_subscriptions:
    description:
      - Whether users may sign up for email-based subscriptions (C(allowedToSignUpEmailBasedSubscriptions)).
      - "Strictness: V(false) is stricter than V(true)."
      - Not in the US Gov clouds (their Graph has no C(authenticationFlowsPolicy)); refused there before any call.
    type: bool
  email_one_time_passcode:
    description:
      - Whether external users may sign in with an email one-time passcode (C(allowExternalIdToUseEmailOtp)).
      - V(default) leaves it to Microsoft, which has it on for tenants since October 2021.
      - "Strictness order, loosest first: V(enabled), V(default), V(disabled)."
      - Not in the China cloud (its Graph has no C(authenticationMethodsPolicy)); refused there before any call.
    type: str
    choices: [default, enabled, disabled]
  self_service_sign_up:
    description:
      - Whether external users may sign up through user flows (C(selfServiceSignUp.isEnabled)).
      - "Strictness: V(false) is stricter than V(true)."
      - Not in the US Gov clouds (their Graph has no C(authenticationFlowsPolicy)); refused there before any call.
    type: bool
  strictness:
    description:
      - V(exact) sets every given option to its value.
      - V(at_least) treats each value as a minimum - a tenant already stricter is compliant and left alone.
        A value Graph holds that has no place in the order (for example C(unknownFutureValue)) is never
        taken as stricter.
    type: str
    choices: [exact, at_least]
    default: exact
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Only admins and Guest Inviters invite; guests see only their own profile
  tenantops.entra.guest_invitation_settings:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    allow_invites_from: admins_and_guest_inviters
    guest_user_access: restricted

- name: Baseline for every tenant, leaving stricter tenants as they are
  tenantops.entra.guest_invitation_settings:
    allow_invites_from: admins_guest_inviters_and_all_members
    guest_user_access: limited
    allow_email_verified_users_to_join: false
    email_one_time_passcode: enabled
    self_service_sign_up: false
    strictness: at_least
  register: baseline

- name: Read the reference tenant's settings
  tenantops.entra.guest_invitation_info:
  register: reference
  when: inventory_hostname == 'contoso'

- name: Give every tenant the reference tenant's invitation rules
  tenantops.entra.guest_invitation_settings:
    allow_invites_from: "{{ hostvars['contoso'].reference.settings.allow_invites_from }}"
    guest_user_access: "{{ hostvars['contoso'].reference.settings.guest_user_access }}"
"""

RETURN = r"""
settings:
  description: The managed settings after the run (predicted in check mode), in the input shape.
  returned: always
  type: dict
  sample: {"allow_invites_from": "admins_and_guest_inviters", "guest_user_access": "restricted"}
stricter_than_requested:
  description: With O(strictness=at_least), the settings left alone because the tenant is already stricter.
  returned: when O(strictness=at_least)
  type: list
  elements: dict
  sample: [{"setting": "allow_invites_from", "requested": "admins_and_guest_inviters", "current": "none"}]
changes:
  description: The writes that were (or in check mode would be) made, one PATCH per Graph object.
  returned: changed
  type: list
  elements: str
  sample: ["PATCH authorizationPolicy: allow_invites_from=admins_and_guest_inviters"]
applied:
  description: The writes that were made.
  returned: changed and not check mode
  type: list
  elements: str
not_applied:
  description: On a failure, the writes that were not made (nothing after the first failed one is sent).
  returned: failure
  type: list
  elements: str
diff:
  description: Before and after of the managed settings, in the input shape.
  returned: diff mode
  type: dict
  sample: {"before": {"allow_invites_from": "everyone"}, "after": {"allow_invites_from": "none"}}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import guest_invitation as UNIT

ARGUMENT_SPEC = argument_spec(
    allow_invites_from=dict(type="str", choices=["everyone", "admins_guest_inviters_and_all_members",
                                                 "admins_and_guest_inviters", "none"]),
    guest_user_access=dict(type="str", choices=["same_as_members", "limited", "restricted"]),
    allow_email_verified_users_to_join=dict(type="bool"),
    allowed_to_sign_up_email_based_subscriptions=dict(type="bool"),
    email_one_time_passcode=dict(type="str", choices=["default", "enabled", "disabled"]),
    self_service_sign_up=dict(type="bool"),
    strictness=dict(type="str", choices=["exact", "at_least"], default="exact"),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
