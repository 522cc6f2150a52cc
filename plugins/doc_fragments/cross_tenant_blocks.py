# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    """The setting blocks shared by cross_tenant_access_default and cross_tenant_access_partner."""

    DOCUMENTATION = r"""
options:
  b2b_collaboration_inbound:
    description:
      - Which users from the other organization(s) may be invited as B2B guests, and to which of this tenant's
        applications (Graph C(b2bCollaborationInbound)).
      - "A dict with two required keys, each a dict of C(access_type) and C(targets):"
      - "C(users_and_groups): C(access_type) is V(allowed) or V(blocked) (the access given to the listed targets;
        everyone else gets the opposite). C(targets) is a non-empty list; each target is a dict
        C({target: <id or reserved value>, target_type: user|group}), or the bare string V(AllUsers).
        A user or group object id must be given in the dict form, because a bare GUID could be either."
      - "C(applications): C(access_type) is V(allowed) or V(blocked). C(targets) is a non-empty list of application
        (client) ids or the reserved values V(AllApplications), V(AllMicrosoftApps) and V(Office365), each as a bare string
        or as C({target: <value>, target_type: application})."
      - Targets compare as a set (order and duplicates do not matter); GUIDs compare without regard to case and are
        returned in lower case; reserved values and access types are accepted in any case.
      - "Graph refuses conflicting settings, and so does this module, before any call: blocking V(AllUsers) requires
        the applications to be blocked for V(AllApplications); allowing users or groups requires that the applications
        are not blocked for V(AllApplications)."
      - The block is replaced whole (as Graph does), so give both keys. Leave the option unset to not manage it.
      - On a partner, the string V(inherit) removes the partner's own value (Graph C(null)) so that the default applies.
    type: raw
  b2b_collaboration_outbound:
    description:
      - Which of this tenant's users and groups may be invited to the other organization(s), and to which of their
        applications (Graph C(b2bCollaborationOutbound)).
      - The same shape, rules and V(inherit) as O(b2b_collaboration_inbound).
    type: raw
  b2b_direct_connect_inbound:
    description:
      - Which users of the other organization(s) may use B2B direct connect (Teams shared channels) with this
        tenant's applications (Graph C(b2bDirectConnectInbound)). Blocked for everyone by default.
      - The same shape, rules and V(inherit) as O(b2b_collaboration_inbound).
    type: raw
  b2b_direct_connect_outbound:
    description:
      - Which of this tenant's users and groups may use B2B direct connect with the other organization(s)'
        applications (Graph C(b2bDirectConnectOutbound)).
      - The same shape, rules and V(inherit) as O(b2b_collaboration_inbound).
    type: raw
  tenant_restrictions:
    description:
      - Tenant restrictions v2 (Graph C(tenantRestrictions)) - which external accounts this tenant's users may sign in
        with on managed devices, and to which of the other organization's applications.
      - The same shape and V(inherit) as O(b2b_collaboration_inbound); the conflict rule does not apply.
        The C(devices) filter is not managed (Graph does not support it on the server side yet).
    type: raw
  inbound_trust:
    description:
      - Which claims of the other organization's Conditional Access this tenant accepts (Graph C(inboundTrust)).
      - "A dict of three required booleans: C(is_mfa_accepted) (trust MFA done in the user's home tenant),
        C(is_compliant_device_accepted) (trust compliant-device claims) and C(is_hybrid_azure_ad_joined_device_accepted)
        (trust hybrid Microsoft Entra joined-device claims)."
      - On a partner, V(inherit) removes the partner's own value so that the default applies.
    type: raw
"""
