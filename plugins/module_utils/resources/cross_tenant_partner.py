"""One partner's cross-tenant access settings and its identity synchronization
(https://learn.microsoft.com/en-us/graph/api/resources/crosstenantaccesspolicyconfigurationpartner,
https://learn.microsoft.com/en-us/graph/api/resources/crosstenantidentitysyncpolicypartner).

The partner is named by tenant GUID or verified domain; the read resolves it to a tenant id.
A block not given is not managed; a block given as ``inherit`` is sent as ``null``.
``state: absent`` deletes identity synchronization first, then the partner (Graph refuses the
other order).
"""
from __future__ import annotations

import re

from ..compare import changed_keys, is_guid
from ..errors import InputError
from ..graph import odata_key
from ..plan import Change, Landed, Plan
from .cross_tenant_settings import (INHERIT, MICROSOFT_ACCOUNTS_TENANT, MICROSOFT_ACCOUNTS_TENANT_RESTRICTIONS,
                                    PARTNER_BLOCKS, blocks_from_graph, blocks_to_graph, canonical_blocks)

PARTNERS = "/policies/crossTenantAccessPolicy/partners"
BY_TENANT_ID = "/tenantRelationships/findTenantInformationByTenantId(tenantId='{}')"
BY_DOMAIN = "/tenantRelationships/findTenantInformationByDomainName(domainName='{}')"
ABSENT = "absent"
STATES = ("present", "absent")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
SYNC_KEYS = ("state", "user_sync_inbound", "display_name")


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------

def validate(params: dict, tenant_id: str) -> None:
    partner = partner_name(params)
    if is_guid(partner) and is_guid(tenant_id) and partner.lower() == tenant_id.lower():
        raise InputError("partner", f"{partner} is the tenant itself; a tenant cannot be its own partner")
    wanted = _wanted_blocks(params)
    if is_guid(partner):
        check_partner_blocks(partner.lower(), wanted)
    canonical_identity_sync(params.get("identity_synchronization"))


def check_partner_blocks(partner_id: str, wanted: dict) -> None:
    """Rules that depend on who the partner is (once its tenant id is known)."""
    restrictions = wanted.get("tenant_restrictions")
    if partner_id == MICROSOFT_ACCOUNTS_TENANT and isinstance(restrictions, dict):
        MICROSOFT_ACCOUNTS_TENANT_RESTRICTIONS.check_everyone_only(restrictions, "tenant_restrictions")


def partner_name(params: dict) -> str:
    partner = (params.get("partner") or "").strip()
    if not (is_guid(partner) or DOMAIN_RE.match(partner)):
        raise InputError("partner", f"{partner!r} is neither a tenant id (GUID) nor a domain name")
    return partner


def _state(params: dict) -> str:
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state", f"{state!r} is not one of {', '.join(STATES)}")
    return state


def _wanted_blocks(params: dict) -> dict:
    wanted = canonical_blocks(params, PARTNER_BLOCKS, allow_inherit=True)
    if _state(params) == "absent":
        given = [*wanted, *(["identity_synchronization"] if _given(params.get("identity_synchronization")) else [])]
        if given:
            raise InputError(given[0], "not allowed with state=absent (the whole partner is removed)")
    return wanted


def _given(value) -> bool:
    return bool({k: v for k, v in value.items() if v is not None}) if isinstance(value, dict) else bool(value)


def canonical_identity_sync(value, path: str = "identity_synchronization"):
    """``absent``, None (not managed) or ``{user_sync_inbound, display_name?}``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == ABSENT:
        return ABSENT
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
        if value.get("state") == ABSENT:
            if set(value) - {"state"}:
                raise InputError(f"{path}.{sorted(set(value) - {'state'})[0]}", "not allowed with state=absent")
            return ABSENT
        value.pop("state", None)
    if not isinstance(value, dict):
        raise InputError(path, f"must be a dict with user_sync_inbound (and display_name) or 'absent', not {value!r}")
    unknown = sorted(set(value) - set(SYNC_KEYS))
    if unknown:
        raise InputError(f"{path}.{unknown[0]}", f"unknown key; the keys are {', '.join(SYNC_KEYS)}")
    if not isinstance(value.get("user_sync_inbound"), bool):
        raise InputError(f"{path}.user_sync_inbound", "required, true or false")
    sync = {"user_sync_inbound": value["user_sync_inbound"]}
    if value.get("display_name") is not None:
        if not isinstance(value["display_name"], str):
            raise InputError(f"{path}.display_name", "must be a string")
        sync["display_name"] = value["display_name"]
    return sync


# ---------------------------------------------------------------------------------------------
# Graph <-> input shape
# ---------------------------------------------------------------------------------------------

def identity_sync_from_graph(raw: dict | None):
    if raw is None:
        return ABSENT
    sync = {"user_sync_inbound": bool((raw.get("userSyncInbound") or {}).get("isSyncAllowed"))}
    if raw.get("displayName") is not None:
        sync["display_name"] = raw["displayName"]
    return sync


def identity_sync_to_graph(sync: dict) -> dict:
    body = {"userSyncInbound": {"isSyncAllowed": sync["user_sync_inbound"]}}
    if "display_name" in sync:
        body["displayName"] = sync["display_name"]
    return body


def partner_from_graph(raw: dict, sync_raw: dict | None, cloud: str | None = None) -> dict:
    """A partner as the module's options: every block ``cloud`` has (``null`` -> ``inherit``) and its sync."""
    return {"partner": raw["tenantId"].lower(), **blocks_from_graph(raw, PARTNER_BLOCKS, cloud),
            "identity_synchronization": identity_sync_from_graph(sync_raw)}


# ---------------------------------------------------------------------------------------------
# Read
# ---------------------------------------------------------------------------------------------

async def _tenant_id_of(graph, name: str, *, check_exists: bool) -> str:
    if is_guid(name) and not check_exists:
        return name.lower()
    template = BY_TENANT_ID if is_guid(name) else BY_DOMAIN
    info = await graph.get_or_none(template.format(odata_key(name)))
    if info is None:
        what = "tenant with the id" if is_guid(name) else "tenant with the verified domain"
        raise InputError("partner", f"no {what} {name!r} exists")
    return info["tenantId"].lower()


async def read(session, params: dict) -> dict:
    graph, state = session.graph, _state(params)
    # A partner being removed may belong to a tenant that no longer exists: only resolve it.
    # The Microsoft Accounts tenant is a documented partner for tenant restrictions, not a directory to look up.
    name = partner_name(params)
    partner_id = await _tenant_id_of(graph, name, check_exists=state == "present"
                                     and name.lower() != MICROSOFT_ACCOUNTS_TENANT)
    own = session.settings.tenant_id
    own_id = own.lower() if is_guid(own) else await _tenant_id_of(graph, own, check_exists=True)
    path = f"{PARTNERS}/{partner_id}"
    partner = await graph.get_or_none(path)
    sync = None
    if partner is not None and (state == "absent" or params.get("identity_synchronization") is not None):
        sync = await graph.get_or_none(path + "/identitySynchronization")
    return {"partner_id": partner_id, "own_id": own_id, "partner": partner, "identity_synchronization": sync}


# ---------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------

def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    partner_id = current["partner_id"]
    if partner_id == current["own_id"]:
        raise InputError("partner", f"{params.get('partner')!r} is the tenant itself ({partner_id}); "
                                    f"a tenant cannot be its own partner")
    if _state(params) == "absent":
        return _plan_absent(current, params.get("cloud"))
    return _plan_present(current, params)


def check_removable(partner: dict, path: str = "state") -> None:
    """"If the organization is a cloud service provider for your organization (the isServiceProvider property
    ... is true), you won't be able to remove the organization."
    https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-settings-b2b-collaboration"""
    if partner.get("isServiceProvider"):
        raise InputError(path, f"absent is not possible: partner {partner['tenantId'].lower()} is a cloud service "
                               f"provider for this tenant (isServiceProvider), and Entra does not remove those")


def _plan_absent(current: dict, cloud: str | None) -> Plan:
    partner_id, existing = current["partner_id"], current["partner"]
    result = {"partner_tenant_id": partner_id}
    if existing is None:
        return Plan({}, {}, result=result)
    check_removable(existing)
    path = f"{PARTNERS}/{partner_id}"
    changes = []
    if current["identity_synchronization"] is not None:
        changes.append(Change(f"DELETE partners/{partner_id}/identitySynchronization", "DELETE",
                              path + "/identitySynchronization"))
    changes.append(Change(f"DELETE partners/{partner_id}", "DELETE", path))
    return Plan(partner_from_graph(existing, current["identity_synchronization"], cloud), {}, changes, result=result)


def _plan_present(current: dict, params: dict) -> Plan:
    partner_id, existing = current["partner_id"], current["partner"]
    path = f"{PARTNERS}/{partner_id}"
    wanted = _wanted_blocks(params)
    check_partner_blocks(partner_id, wanted)
    wanted_sync = canonical_identity_sync(params.get("identity_synchronization"))
    current_sync = identity_sync_from_graph(current["identity_synchronization"])

    if existing is None:
        before = {}
        created = {option: value for option, value in wanted.items() if value != INHERIT}
        settings = blocks_to_graph(created, PARTNER_BLOCKS)
        summary = f"POST partners: create {partner_id}" + (f" with {', '.join(settings)}" if settings else "")
        # A lost answer to this POST is settled by reading the partner before posting again.
        changes = [Change(summary, "POST", PARTNERS, {"tenantId": partner_id, **settings}, landed=Landed(path))]
    else:
        current_blocks = blocks_from_graph(existing, PARTNER_BLOCKS, params.get("cloud"))
        before = {"partner": partner_id, **{option: current_blocks[option] for option in wanted}}
        changed = changed_keys(current_blocks, wanted)
        changes = []
        if changed:
            body = blocks_to_graph({option: wanted[option] for option in changed}, PARTNER_BLOCKS)
            changes.append(Change(f"PATCH partners/{partner_id}: {', '.join(body)}", "PATCH", path, body))
    after = {"partner": partner_id, **wanted}

    if wanted_sync is not None:
        after_sync = wanted_sync if wanted_sync == ABSENT else {**_dict_or_empty(current_sync), **wanted_sync}
        if existing is not None:
            before["identity_synchronization"] = current_sync
        after["identity_synchronization"] = after_sync
        changes.extend(_sync_changes(partner_id, current_sync, after_sync))
    consent = wanted.get("automatic_user_consent_settings",
                         blocks_from_graph(existing or {}, PARTNER_BLOCKS)["automatic_user_consent_settings"])
    return Plan(before, after, changes, result={"partner_tenant_id": partner_id},
                warnings=_sync_prerequisites(after.get("identity_synchronization"), consent))


def _sync_prerequisites(sync, consent) -> list:
    """Cross-tenant synchronization needs automatic redemption "checked in both the source tenant (outbound) and
    target tenant (inbound)"; Graph accepts the policy without it, so this is a warning, not a refusal.
    https://learn.microsoft.com/en-us/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure"""
    if not isinstance(sync, dict) or not sync["user_sync_inbound"]:
        return []
    if isinstance(consent, dict) and consent["inbound_allowed"]:
        return []
    return ["identity_synchronization: users can only be synchronized in when automatic redemption is on: set "
            "automatic_user_consent_settings.inbound_allowed to true here, and outbound_allowed on the source "
            "tenant's partner entry for this tenant"]


def _dict_or_empty(value) -> dict:
    return value if isinstance(value, dict) else {}


def _sync_changes(partner_id: str, before, after) -> list:
    if before == after:
        return []
    path = f"{PARTNERS}/{partner_id}/identitySynchronization"
    if after == ABSENT:
        return [Change(f"DELETE partners/{partner_id}/identitySynchronization", "DELETE", path)]
    return [Change(f"PUT partners/{partner_id}/identitySynchronization", "PUT", path, identity_sync_to_graph(after))]
