#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: guest_invitation_domains
short_description: Manage the domains B2B guest invitations may (or may not) be sent to
version_added: 0.2.0
description:
  - Sets the tenant's invitation domain allow list or deny list - the External collaboration settings'
    "Collaboration restrictions" (L(Allow or block B2B collaboration with organizations,https://learn.microsoft.com/entra/external-id/allow-deny-list)).
  - B(This module uses a Microsoft Graph beta API.) The list exists only in the C(definition) of the tenant's
    L(b2bManagementPolicy,https://learn.microsoft.com/graph/api/resources/b2bmanagementpolicy?view=graph-rest-beta),
    read and written under C(https://graph.microsoft.com/beta/policies/b2bManagementPolicies); Microsoft says beta
    APIs "are subject to change" and their use in production "is not supported". v1.0 has no API for it. Every
    other module of the collection uses v1.0 only.
  - "The definition is one JSON string, C({\"B2BManagementPolicy\": {\"InvitationsAllowedAndBlockedDomainsPolicy\":
    {\"AllowedDomains\": [...], \"BlockedDomains\": [...]}, ...}}). Only the two lists are changed; the definition's other
    settings (for example automatic redemption) are sent back as they were. Without a policy, one is created
    (C(POST), display name C(B2BManagementPolicy), organization default); otherwise the organization default policy
    is updated (C(PATCH), with its display name and description unchanged)."
  - "Microsoft's rules, checked before any call (the error names the option): an allow list or a deny list, never
    both; the whole policy at most 25,000 characters; one policy per organization. Domains are compared case-insensitively
    and kept sorted and unique."
  - The list applies when an invitation is sent or redeemed, not to guests who already redeemed.
  - "API availability: the beta pages list the global service only (not US Government or China)."
  - "Permissions (application): C(Policy.ReadWrite.B2BManagementPolicy); C(Policy.Read.B2BManagementPolicy) is
    enough in check mode. C(Policy.Read.All) does not cover this API."
options:
  blocked_domains:
    description:
      - The deny list - invitations to these domains are refused, any other domain may be invited.
      - Plain domain names, for example V(gmail.com).
      - Mutually exclusive with O(allowed_domains).
    type: list
    elements: str
  allowed_domains:
    description:
      - The allow list - invitations may be sent only to these domains (the most restrictive setting).
      - Mutually exclusive with O(blocked_domains).
    type: list
    elements: str
  state:
    description:
      - V(present) - the list given in O(blocked_domains) or O(allowed_domains).
      - V(absent) - no list, invitations may be sent to any domain (the setting of a new tenant). The policy itself
        and its other settings are kept.
    type: str
    choices: [present, absent]
    default: present
  strictness:
    description:
      - V(exact) makes the list exactly the one given.
      - V(at_least) treats the list as a minimum. A deny list may hold more domains than required - missing ones are
        added, the others kept. An allow list may hold fewer - domains that are not in O(allowed_domains) are removed,
        missing ones are not added. An allow list is left alone for O(blocked_domains) when it allows none of them
        (those domains are not invitable already); a deny list never satisfies O(allowed_domains). With
        O(state=absent) any list is stricter and is left alone. What makes the tenant stricter is reported in
        RV(stricter_than_requested).
    type: str
    choices: [exact, at_least]
    default: exact
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
notes:
  - The portal discards the other list when switching between an allow list and a deny list; so does this module.
  - Microsoft's errors for a refused definition are not documented; the sandbox's are listed in its README.
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Refuse invitations to personal mail domains (uses Graph beta)
  tenantops.entra.guest_invitation_domains:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    blocked_domains: [gmail.com, outlook.com, hotmail.com, yahoo.com]
    strictness: at_least          # a tenant that blocks more is compliant

- name: Invite only partner organizations
  tenantops.entra.guest_invitation_domains:
    allowed_domains: [fabrikam.com, northwindtraders.com]

- name: Allow invitations to any domain again
  tenantops.entra.guest_invitation_domains:
    state: absent
  check_mode: true
  register: would
"""

RETURN = r"""
settings:
  description: The list after the run (predicted in check mode), in the input shape.
  returned: always
  type: dict
  sample: {"state": "present", "blocked_domains": ["gmail.com", "outlook.com"]}
stricter_than_requested:
  description: With O(strictness=at_least), the domains that make the tenant stricter than asked and are kept -
    extra blocked domains, or the allow list's domains.
  returned: when O(strictness=at_least)
  type: list
  elements: str
  sample: ["yahoo.com"]
changes:
  description: The write that was (or in check mode would be) made.
  returned: changed
  type: list
  elements: str
  sample: ["PATCH b2bManagementPolicies/f596ef0d-42f9-0359-1aaa-12d02b38802a (beta): blocked_domains=gmail.com,outlook.com"]
applied:
  description: The writes that were made.
  returned: changed and not check mode
  type: list
  elements: str
not_applied:
  description: On a failure, the writes that were not made.
  returned: failure
  type: list
  elements: str
diff:
  description: Before and after of the list, in the input shape.
  returned: diff mode
  type: dict
  sample: {"before": {"state": "absent"}, "after": {"state": "present", "blocked_domains": ["gmail.com"]}}
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import guest_invitation_domains as UNIT

ARGUMENT_SPEC = argument_spec(
    blocked_domains=dict(type="list", elements="str"),
    allowed_domains=dict(type="list", elements="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    strictness=dict(type="str", choices=["exact", "at_least"], default="exact"),
)
MODULE_KWARGS = dict(mutually_exclusive=[["blocked_domains", "allowed_domains"]])


def main():
    run_module(UNIT, ARGUMENT_SPEC, **MODULE_KWARGS)


if __name__ == "__main__":
    main()
