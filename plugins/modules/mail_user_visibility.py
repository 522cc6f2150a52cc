#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: mail_user_visibility
short_description: Reconcile whether guests and external users appear in the global address list
version_added: 0.1.0
description:
  - Decides, per external user, whether it is shown in the tenant's global address list, and sets it in
    Exchange Online, the supported place for it.
  - "Exchange side, the one thing this module writes: C(HiddenFromAddressListsEnabled) of the user's mail user, read
    with C(Get-MailUser) (all pages) and written with C(Set-MailUser -Identity <Guid> -HiddenFromAddressListsEnabled)
    only for users whose value differs, at most O(concurrency) at a time. The mail user's GUID is one of the identity
    forms the L(Set-MailUser reference,https://learn.microsoft.com/powershell/module/exchange/set-mailuser) documents
    (the Entra object id is not one of them)."
  - "Entra side, read only: C(showInAddressList) of the same users (the inverse). Microsoft's
    L(user reference,https://learn.microsoft.com/graph/api/resources/user) says not to use it through Microsoft Graph
    and the
    L(known issue,https://learn.microsoft.com/graph/known-issues#showinaddresslist-property-is-out-of-sync-with-microsoft-exchange)
    says it may not show what Exchange shows; Graph v1.0 usually answers null for it. Where Graph gives a value that
    disagrees with Exchange, the user is reported in RV(disagreements); nothing is written through Graph."
  - "Users brought in by
    L(cross-tenant synchronization,https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-overview)
    get their address-list visibility from the synchronization's attribute mapping in the B(source) tenant:
    C(showInAddressList) is not set by default, and Microsoft's guide
    (L(Step 9,https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure#step-9-review-attribute-mappings))
    says to set its mapping type to Constant with the value True for synchronized users to appear in the target's
    global address list. Manage those users there (for example with the source tenant's synchronization job schema),
    not with this module: a sync cycle can write the mapped value again. Leave them out of O(rules) and O(default), for
    example with a first rule per source tenant whose O(rules[].visibility) matches the mapping."
  - "The users considered are Graph users with C(userType eq 'Guest') and external members
    (C(userType eq 'Member') created by invitation)."
  - "Selection: O(rules) are tried in order and the first that matches a user decides; a user no rule matches gets
    O(default); without O(default) such a user is not managed. A rule matches when every criterion it gives matches;
    within one criterion any listed value is enough."
  - Users that cannot be reconciled - a Graph user with no Exchange mail user (not mail-enabled yet, or an external
    member invited directly), or one whose address a mail contact holds - are listed in RV(unreconcilable) with the
    reason, and are not failures. C(Get-MailContact) is read only when such a user is selected.
  - A failed write of one user does not stop the others (a 401 or 403 does - every other call would fail the same
    way); the task then fails and lists RV(failed_users), RV(applied) and RV(not_applied). Running it again retries
    only what still differs.
  - "Permissions (application): Graph C(User.Read.All) (reads only),
    C(CrossTenantInformation.ReadBasic.All) when a rule uses O(rules[].partner_tenants); Exchange Online
    C(Exchange.ManageAsApp) with admin consent, plus the Entra role Exchange Recipient Administrator (or Exchange
    Administrator) on the app's service principal. A 403 names the permission that is missing."
options:
  default:
    description:
      - The visibility of users no rule matches. Unset - such users are not managed.
      - Exchange creates external users hidden.
    type: str
    choices: [visible, hidden]
  rules:
    description:
      - Ordered rules; the first matching rule decides a user's visibility.
    type: list
    elements: dict
    default: []
    suboptions:
      visibility:
        description: The visibility of the users the rule matches.
        type: str
        required: true
        choices: [visible, hidden]
      domains:
        description:
          - Domains of the user's mail address (from C(mail), else from the C(#EXT#) user principal name),
            compared case-insensitively. V(*.example.com) matches the subdomains of example.com, not example.com itself.
        type: list
        elements: str
      partner_tenants:
        description:
          - Tenants the user comes from, as tenant GUIDs or domains. Each guest's mail domain is resolved once per run
            with C(findTenantInformationByDomainName), as is each domain given here, and the tenant ids are compared.
            A domain no Entra tenant owns (gmail.com) matches no partner.
        type: list
        elements: str
      user_types:
        description:
          - V(guest) - C(userType) Guest; V(external_member) - C(userType) Member, created by invitation.
        type: list
        elements: str
        choices: [guest, external_member]
      users:
        description: Users by mail address or object id, case-insensitively.
        type: list
        elements: str
  align_entra:
    description:
      - B(Deprecated since 0.2.0, removed in 1.0.0; accepted and ignored.) It used to write Entra's
        C(showInAddressList) through Microsoft Graph, which Microsoft says not to do. Setting it now only gives a
        deprecation warning; nothing is written through Graph. Remove it from your tasks.
    type: bool
  concurrency:
    description:
      - How many C(Set-MailUser) calls run at once (1 to 20). Throttled calls wait for C(Retry-After) within the
        task's O(max_retry_wait), which all calls share.
    type: int
    default: 8
extends_documentation_fragment:
  - tenantops.entra.auth
  - tenantops.entra.attributes
notes:
  - Check mode lists in RV(exchange_changes) who would change. Diff mode shows the counts of
    hidden and visible users and the first 20 users that change by name, not one entry per user of a large tenant.
  - Exchange applies writes with a delay (seconds to minutes); a run started right after another may still read
    the old values and repeat some writes, which is harmless.
  - Microsoft documents no mapping between C(showInAddressList) and C(HiddenFromAddressListsEnabled); the report
    treats them as inverse, as Microsoft's multi-tenant guidance does.
author:
  - tenantops.entra maintainers (@tenantops)
"""

EXAMPLES = r"""
- name: Show partner guests in the address list, hide everyone else
  tenantops.entra.mail_user_visibility:
    tenant_id: contoso.onmicrosoft.com
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
    default: hidden
    rules:
      - visibility: visible
        partner_tenants: [fabrikam.com, 7dc8c161-b920-4813-bc63-37dc0b3f76e5]
      - visibility: visible
        user_types: [external_member]

- name: Hide one contractor's domain, leave every other guest as it is
  tenantops.entra.mail_user_visibility:
    rules:
      - visibility: hidden
        domains: [contractor.example, "*.contractor.example"]
  check_mode: true
  register: would
"""

RETURN = r"""
counts:
  description: Users considered, mail users, hidden and visible (before the run), disagreements, unreconcilable,
    unmanaged users, and how many are (or would be) hidden and shown.
  returned: always
  type: dict
  sample: {"users": 10000, "mail_users": 9990, "hidden": 9900, "visible": 90, "disagreements": 0,
           "unreconcilable": 10, "unmanaged": 0, "to_hide": 90, "to_show": 10}
exchange_changes:
  description: The users whose Exchange visibility changes (or would in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"user": "4f1c...", "mail": "alex.brown@fabrikam.com", "hidden": false}]
disagreements:
  description: Users whose Entra C(showInAddressList), where Graph gives one, is not the inverse of Exchange's
    value, before the run. Reported only; the module does not change Entra.
  returned: always
  type: list
  elements: dict
  sample: [{"user": "4f1c...", "mail": "a@fabrikam.com", "hidden_from_address_lists": true, "show_in_address_list": true}]
unreconcilable:
  description: Selected users that cannot be reconciled, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"user": "9a0b...", "mail": "b@fabrikam.com", "reason": "a mail contact holds this address, so Exchange
            cannot mail-enable the user"}]
changes:
  description: The groups of writes made (or that would be).
  returned: changed
  type: list
  elements: str
  sample: ["Set-MailUser -HiddenFromAddressListsEnabled $false on 12 users"]
applied:
  description: The groups of writes made; a group with failures says how many of its users were done.
  returned: changed and not check mode
  type: list
  elements: str
not_applied:
  description: One line per user whose write failed.
  returned: failure
  type: list
  elements: str
failed_users:
  description: The users whose write failed (or was not sent after a permission failure), with the one-line reason.
  returned: failure
  type: list
  elements: dict
  sample: [{"user": "9a0b...", "mail": "b@fabrikam.com", "reason": "Exchange POST InvokeCommand Set-MailUser failed:
            HTTP 404 NotFound: ..."}]
"""

from ansible_collections.tenantops.entra.plugins.module_utils.entry import argument_spec, run_module
from ansible_collections.tenantops.entra.plugins.module_utils.resources import mail_user_visibility as UNIT

ARGUMENT_SPEC = argument_spec(
    default=dict(type="str", choices=["visible", "hidden"]),
    rules=dict(type="list", elements="dict", default=[], options=dict(
        visibility=dict(type="str", required=True, choices=["visible", "hidden"]),
        domains=dict(type="list", elements="str"),
        partner_tenants=dict(type="list", elements="str"),
        user_types=dict(type="list", elements="str", choices=["guest", "external_member"]),
        users=dict(type="list", elements="str"),
    )),
    align_entra=dict(type="bool", removed_in_version="1.0.0", removed_from_collection="tenantops.entra"),
    concurrency=dict(type="int", default=8),
)


def main():
    run_module(UNIT, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
