"""The invitation domain allow or deny list: to which domains B2B invitations may be sent.

Microsoft Graph has it only in **beta**, as the ``definition`` of the tenant's B2B management policy
(https://learn.microsoft.com/graph/api/resources/b2bmanagementpolicy?view=graph-rest-beta): one JSON
string ``{"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": {"AllowedDomains": [...],
"BlockedDomains": [...]}, ...}}``.  Rules (https://learn.microsoft.com/entra/external-id/allow-deny-list):
an allow list or a deny list, never both; one policy per organization; the whole policy at most 25,000
characters.  Other keys of the definition (auto-redemption, preview opt-ins) are kept as they are.

Input shape (also what :func:`export` returns): ``{"state": "present", "blocked_domains": [...]}``,
``{"state": "present", "allowed_domains": [...]}`` or ``{"state": "absent"}`` (invitations to any domain).
"""
from __future__ import annotations

import json
import re

from ..clouds import resolve_cloud
from ..errors import InputError, TenantOpsError
from ..plan import Change, Plan

PATH = "/policies/b2bManagementPolicies"
API = "beta"
POLICY_KEY = "B2BManagementPolicy"
DOMAINS_KEY = "InvitationsAllowedAndBlockedDomainsPolicy"
MAX_POLICY_CHARACTERS = 25_000
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)
NEW_POLICY = {"displayName": "B2BManagementPolicy", "description": "B2B management policy (tenantops.entra)",
              "isOrganizationDefault": True}
LISTS = {"allowed_domains": "AllowedDomains", "blocked_domains": "BlockedDomains"}
ABSENT = {"state": "absent"}


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------

def wanted_of(params: dict) -> dict:
    """The requested state in the canonical input shape (domains lower case, sorted, unique)."""
    state = params.get("state") or "present"
    given = [option for option in LISTS if params.get(option) is not None]
    if state == "absent":
        if given:
            raise InputError(given[0], "must not be given with state: absent (absent allows every domain)")
        return dict(ABSENT)
    if len(given) != 1:
        raise InputError("allowed_domains" if not given else given[1],
                         "give exactly one of allowed_domains, blocked_domains (Microsoft allows one list, not both)")
    option = given[0]
    domains = params[option]
    if not domains:
        raise InputError(option, "give at least one domain; to allow invitations to every domain use state: absent")
    for position, domain in enumerate(domains):
        if not isinstance(domain, str) or not DOMAIN.match(domain.strip()):
            raise InputError(f"{option}[{position}]", f"{domain!r} is not a domain name")
    return {"state": "present", option: sorted({d.strip().lower() for d in domains})}


def validate(params: dict, tenant_id: str) -> None:
    if resolve_cloud(params.get("cloud")).name != "public":
        raise InputError("cloud", "the b2bManagementPolicies beta API is available in the global service only "
                                  "(https://learn.microsoft.com/graph/api/policyroot-post-b2bmanagementpolicies?view=graph-rest-beta)")
    wanted = wanted_of(params)
    if params.get("strictness") not in (None, "exact", "at_least"):
        raise InputError("strictness", f"{params['strictness']!r} is not one of exact, at_least")
    option = next((o for o in LISTS if o in wanted), None)
    if option:
        size = len(definition_text({}, wanted))
        if size > MAX_POLICY_CHARACTERS:
            raise InputError(option, f"the policy would be {size} characters; Microsoft's limit is "
                                     f"{MAX_POLICY_CHARACTERS} (https://learn.microsoft.com/entra/external-id/allow-deny-list)")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

async def read(session, params: dict) -> dict:
    listed = await session.graph.beta.get(PATH)
    return {"policy": organization_policy(listed.get("value") or [])}


def organization_policy(policies: list) -> dict | None:
    """The organization default (the one that applies), else the first (Microsoft allows one)."""
    return next((p for p in policies if _is_true(p.get("isOrganizationDefault"))), policies[0] if policies else None)


def _is_true(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")   # the docs' examples send "true"


def parse_definition(policy: dict | None) -> dict:
    """The policy's definition as an object; ``{}`` without a policy."""
    if not policy or not policy.get("definition"):
        return {}
    text = policy["definition"][0]
    for candidate in (text, text.replace("'", '"')):       # the reference's examples use single quotes
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise TenantOpsError(f"the B2B management policy {policy.get('id')} has a definition that is not JSON; "
                         "fix or delete it in the Entra admin center first")


def export(current: dict) -> dict:
    """The current list in the module's input shape; feeding it back reports no change."""
    domains = (parse_definition(current.get("policy")).get(POLICY_KEY) or {}).get(DOMAINS_KEY) or {}
    for option, key in LISTS.items():
        values = domains.get(key) or []
        if values:
            return {"state": "present", option: sorted({v.lower() for v in values})}
    return dict(ABSENT)


# --------------------------------------------------------------------------------------------
# Planning (pure)
# --------------------------------------------------------------------------------------------

def at_least(before: dict, wanted: dict) -> tuple:
    """What to set when the tenant may be stricter than asked, and what was left stricter.

    A deny list may hold more domains than required: missing ones are added, extra ones kept.  An
    allow list may hold fewer: domains outside the wanted list are removed, missing ones not added.
    An allow list is stricter than a deny list whose domains it does not allow; a deny list is never
    stricter than an allow list.
    """
    if "blocked_domains" in wanted:
        required = set(wanted["blocked_domains"])
        if "blocked_domains" in before:
            kept = sorted(set(before["blocked_domains"]) - required)
            return {"state": "present", "blocked_domains": sorted(required | set(before["blocked_domains"]))}, kept
        if "allowed_domains" in before:
            remaining = sorted(set(before["allowed_domains"]) - required)
            if remaining:
                return {"state": "present", "allowed_domains": remaining}, remaining
        return wanted, []
    if "allowed_domains" in wanted and "allowed_domains" in before:
        kept = sorted(set(before["allowed_domains"]) & set(wanted["allowed_domains"]))
        if kept:
            return {"state": "present", "allowed_domains": kept}, sorted(set(wanted["allowed_domains"]) - set(kept))
    if wanted == ABSENT and before != ABSENT:
        return before, sorted(before.get("allowed_domains") or before.get("blocked_domains") or [])
    return wanted, []


def definition_text(definition: dict, state: dict) -> str:
    """The definition with the domain lists of ``state``, every other key kept, as compact JSON."""
    policy = dict(definition.get(POLICY_KEY) or {})
    policy[DOMAINS_KEY] = {"AllowedDomains": state.get("allowed_domains", []),
                           "BlockedDomains": state.get("blocked_domains", [])}
    return json.dumps({**definition, POLICY_KEY: policy}, separators=(",", ":"))


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    wanted = wanted_of(params)
    before = export(current)
    stricter: list = []
    after = wanted
    if params.get("strictness") == "at_least":
        after, stricter = at_least(before, wanted)
    result = {"settings": after}
    if params.get("strictness") == "at_least":
        result["stricter_than_requested"] = stricter
    if after == before:
        return Plan(before, after, result=result)
    policy = current.get("policy")
    text = definition_text(parse_definition(policy), after)
    if len(text) > MAX_POLICY_CHARACTERS:
        option = next(o for o in LISTS if o in after)
        raise InputError(option, f"with the policy's other settings the definition would be {len(text)} characters; "
                                 f"Microsoft's limit is {MAX_POLICY_CHARACTERS}")
    return Plan(before, after, [change_for(policy, text, after)], result)


def change_for(policy: dict | None, text: str, after: dict) -> Change:
    what = describe(after)
    if policy is None:
        return Change(f"POST b2bManagementPolicies (beta): {what}", "POST", PATH,
                      {**NEW_POLICY, "definition": [text]}, api=API)
    # The update page marks displayName and description required: send them unchanged.
    body = {"definition": [text], "displayName": policy.get("displayName") or NEW_POLICY["displayName"],
            "description": policy.get("description") or NEW_POLICY["description"]}
    return Change(f"PATCH b2bManagementPolicies/{policy['id']} (beta): {what}", "PATCH", f"{PATH}/{policy['id']}",
                  body, api=API)


def describe(state: dict) -> str:
    for option in LISTS:
        if option in state:
            return f"{option}={','.join(state[option])}"
    return "no domain list (invitations to any domain)"
