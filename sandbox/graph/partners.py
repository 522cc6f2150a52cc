"""Cross-tenant access partners and their identitySynchronization policies.

``tenant.partners`` holds each partner in Graph's shape (keyed by lower-case tenantId);
``tenant.identity_sync`` holds the identitySynchronization objects beside them.  A partner
property that is ``null`` inherits the default's value.  Choices where the docs are silent
(error codes for duplicates, unknown tenants, deleting with a sync policy) are in
sandbox/README.md, "Fidelity choices".
"""
from __future__ import annotations

import copy

from sandbox.core import GUID_RE, ApiError, Request, Response, Tenant, World, bad_request, not_found, route
from sandbox.graph import audit
from sandbox.graph.odata import (collection_body, compile_filter, context_url, entity_response_body, query_option,
                                 selected_properties, service_root)
from sandbox.graph.policies import (CTAP, READ_ALL, RW_CROSS_TENANT, check_conflicts, check_targets,
                                    cross_tenant_policy_parts)
from sandbox.schema import check_cross_tenant_policy_size, validate_body

PARTNER_TYPE = "crossTenantAccessPolicyConfigurationPartner"
SYNC_TYPE = "crossTenantIdentitySyncPolicyPartner"
PARTNERS = CTAP + "/partners"
ONE_PARTNER = PARTNERS + r"/(?P<tenant_id>[^/]+)"
SYNC = ONE_PARTNER + "/identitySynchronization"
# The Microsoft Accounts (consumer) tenant: a partner for tenant restrictions, with no per-user targeting
# ("User granularity isn't supported with Microsoft Accounts",
# https://learn.microsoft.com/en-us/entra/external-id/tenant-restrictions-v2).
MICROSOFT_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
READ = (READ_ALL, RW_CROSS_TENANT)
WRITE = (RW_CROSS_TENANT,)

# A new partner, before the POST body is laid over it: every setting null (= inherit).
EMPTY_PARTNER = {
    "tenantId": None,
    "inboundTrust": None,
    "isInMultiTenantOrganization": False,
    "isServiceProvider": False,
    "automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None},
    "b2bCollaborationInbound": None,
    "b2bCollaborationOutbound": None,
    "b2bDirectConnectOutbound": None,
    "b2bDirectConnectInbound": None,
    "tenantRestrictions": None,
    "m365CollaborationInbound": None,
    "m365CollaborationOutbound": None,
    "appServiceConnectInbound": None,
}
EMPTY_SYNC = {"tenantId": None, "displayName": None, "userSyncInbound": None}


def _settings(body: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in body.items() if not k.startswith("@")}


def new_partner(tenant_id: str, body: dict) -> dict:
    return {**copy.deepcopy(EMPTY_PARTNER), **_settings(body), "tenantId": tenant_id,
            "isInMultiTenantOrganization": False}


def effective_settings(tenant: Tenant, partner: dict) -> dict:
    """The partner as it applies: each null property inherits the default's value."""
    default = tenant.policies["default"]
    return {name: default.get(name) if value is None else value for name, value in partner.items()}


def check_partner(tenant: Tenant, partner: dict, partners_after: dict) -> None:
    effective = effective_settings(tenant, partner)
    check_conflicts(effective, "partner")
    if partner["tenantId"].lower() == MICROSOFT_ACCOUNTS_TENANT:
        targets = ((effective.get("tenantRestrictions") or {}).get("usersAndGroups") or {}).get("targets") or []
        if any(str(t.get("target")).lower() != "allusers" for t in targets):
            raise bad_request("Invalid value for property 'tenantRestrictions.usersAndGroups': Microsoft Accounts "
                              "do not support user granularity; use AllUsers.")
    check_cross_tenant_policy_size(cross_tenant_policy_parts(tenant, partners=partners_after))


def add_partner_seed(world: World, tenant: Tenant, partner_seed: dict) -> None:
    """Add a partner from seed JSON; ``tenantId`` may also be a seeded tenant's name or domain."""
    seed = dict(partner_seed)
    sync = seed.pop("identitySynchronization", None)
    known = world.find_tenant(str(seed.get("tenantId", "")))
    tenant_id = known.id if known else seed.get("tenantId")
    if not isinstance(tenant_id, str) or not GUID_RE.match(tenant_id):
        raise ValueError(f"partner tenantId {seed.get('tenantId')!r} is neither a GUID nor a seeded tenant")
    seed["tenantId"] = tenant_id
    validate_body(PARTNER_TYPE, seed, mode="post")
    check_targets(seed)
    partner = new_partner(tenant_id, seed)
    if "isServiceProvider" in seed:
        partner["isServiceProvider"] = seed["isServiceProvider"]
    check_conflicts(effective_settings(tenant, partner), "partner")
    tenant.partners[tenant_id.lower()] = partner
    if sync is not None:
        validate_body(SYNC_TYPE, sync, mode="put")
        tenant.identity_sync[tenant_id.lower()] = {**EMPTY_SYNC, **_settings(sync), "tenantId": tenant_id}


# ------------------------------------------------------------------------------------------
# Lookups
# ------------------------------------------------------------------------------------------

def _partner_key(req: Request) -> str:
    tenant_id = req.match["tenant_id"].strip("()'")
    if not GUID_RE.match(tenant_id):
        raise bad_request(f"Invalid object identifier '{tenant_id}'.")
    return tenant_id.lower()


def _resource_not_found(tenant_id: str) -> ApiError:
    return not_found(f"Resource '{tenant_id}' does not exist or one of its queried reference-property "
                     f"objects are not present.")


def _existing_partner(req: Request) -> tuple[str, dict]:
    key = _partner_key(req)
    partner = req.tenant.partners.get(key)
    if partner is None:
        raise _resource_not_found(key)
    return key, partner


def _existing_sync(req: Request) -> tuple[str, dict]:
    key, _ = _existing_partner(req)
    sync = req.tenant.identity_sync.get(key)
    if sync is None:
        raise _resource_not_found(key)
    return key, sync


def _audit_target(req: Request, tenant_id: str) -> dict:
    other = req.world.find_tenant(tenant_id)
    return {"id": tenant_id, "displayName": other.display_name if other else tenant_id, "type": "Policy"}


# ------------------------------------------------------------------------------------------
# Partners
# ------------------------------------------------------------------------------------------

@route("graph", "GET", PARTNERS, permissions=READ)
def list_partners(req: Request) -> Response:
    selected = selected_properties(req, PARTNER_TYPE)
    expand_sync = _expand_identity_sync(req)
    matches = compile_filter(query_option(req, "filter"), {"tenantId": "str"}, PARTNER_TYPE, frozenset({"eq"}))
    items = []
    for key, partner in list(req.tenant.partners.items()):
        if not matches(partner):
            continue
        item = dict(partner)
        if expand_sync:
            item["identitySynchronization"] = req.tenant.identity_sync.get(key)
        items.append(item)
    if selected is not None and expand_sync:
        selected = [*selected, "identitySynchronization"]
    return Response(200, collection_body(req, items, "policies/crossTenantAccessPolicy/partners", selected))


def _expand_identity_sync(req: Request) -> bool:
    raw = query_option(req, "expand")
    if raw is None:
        return False
    if raw.strip() != "identitySynchronization":
        raise bad_request(f"Parsing OData Select and Expand failed: Could not find a navigation property "
                          f"named '{raw.strip()}' to expand.")
    return True


@route("graph", "POST", PARTNERS, permissions=WRITE)
def create_partner(req: Request) -> Response:
    body = req.body if req.body is not None else {}
    validate_body(PARTNER_TYPE, body, mode="post")
    check_targets(body)
    tenant_id = body.get("tenantId")
    if not tenant_id:
        raise bad_request("Property 'tenantId' is required.")
    if not GUID_RE.match(tenant_id):
        raise bad_request(f"Invalid value for property 'tenantId': '{tenant_id}' is not a valid tenant id.")
    if tenant_id.lower() == req.tenant.id.lower():
        raise bad_request("A partner configuration cannot be created for the tenant itself.")
    if req.world.find_tenant(tenant_id) is None and tenant_id.lower() != MICROSOFT_ACCOUNTS_TENANT:
        raise bad_request(f"Tenant '{tenant_id}' was not found.")
    partner = new_partner(tenant_id, body)
    partner["isServiceProvider"] = bool(body.get("isServiceProvider", False))
    with req.world.lock:
        if tenant_id.lower() in req.tenant.partners:
            raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue",
                           "Another object with the same value for property tenantId already exists.")
        check_partner(req.tenant, partner, {**req.tenant.partners, tenant_id.lower(): partner})
        req.tenant.partners[tenant_id.lower()] = partner
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_ADD,
                 _audit_target(req, tenant_id), None, partner)
    location = f"{service_root(req)}/policies/crossTenantAccessPolicy/partners/{tenant_id}"
    body = {"@odata.context": context_url(req, "policies/crossTenantAccessPolicy/partners/$entity"), **partner}
    return Response(201, body, {"Location": location})


@route("graph", "GET", ONE_PARTNER, permissions=READ)
def get_partner(req: Request) -> Response:
    _, partner = _existing_partner(req)
    return Response(200, entity_response_body(req, partner, PARTNER_TYPE, "policies/crossTenantAccessPolicy/partners"))


@route("graph", "PATCH", ONE_PARTNER, permissions=WRITE)
def update_partner(req: Request) -> Response:
    body = req.body if req.body is not None else {}
    validate_body(PARTNER_TYPE, body, mode="patch")
    check_targets(body)
    with req.world.lock:
        key, old = _existing_partner(req)
        new = {**old, **_settings(body)}
        check_partner(req.tenant, new, {**req.tenant.partners, key: new})
        req.tenant.partners[key] = new
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_UPDATE,
                 _audit_target(req, old["tenantId"]), old, new)
    return Response(204)


@route("graph", "DELETE", ONE_PARTNER, permissions=WRITE)
def delete_partner(req: Request) -> Response:
    with req.world.lock:
        key, old = _existing_partner(req)
        if old.get("isServiceProvider"):
            # "If the organization is a cloud service provider for your organization (isServiceProvider ... is
            # true), you won't be able to remove the organization."
            # https://learn.microsoft.com/en-us/entra/external-id/cross-tenant-access-settings-b2b-collaboration
            raise bad_request("The partner configuration is a cloud service provider for this organization "
                              "(isServiceProvider is true) and cannot be removed.")
        if key in req.tenant.identity_sync:
            raise bad_request("The partner configuration includes a user synchronization policy; delete "
                              "its identitySynchronization before deleting the partner.")
        del req.tenant.partners[key]
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_PARTNER_DELETE,
                 _audit_target(req, old["tenantId"]), old, None)
    return Response(204)


# ------------------------------------------------------------------------------------------
# identitySynchronization
# ------------------------------------------------------------------------------------------

def _sync_context(req: Request, tenant_id: str) -> str:
    return f"policies/crossTenantAccessPolicy/partners('{tenant_id}')/identitySynchronization"


@route("graph", "GET", SYNC, permissions=READ)
def get_identity_sync(req: Request) -> Response:
    key, sync = _existing_sync(req)
    return Response(200, entity_response_body(req, sync, SYNC_TYPE, _sync_context(req, key)))


@route("graph", "PUT", SYNC, permissions=WRITE)
def put_identity_sync(req: Request) -> Response:
    body = req.body if req.body is not None else {}
    validate_body(SYNC_TYPE, body, mode="put")
    with req.world.lock:
        key, partner = _existing_partner(req)
        if "tenantId" in body and str(body["tenantId"]).lower() != key:
            raise bad_request("Property 'tenantId' does not match the partner in the request URL.")
        old = req.tenant.identity_sync.get(key)
        new = {**EMPTY_SYNC, **_settings(body), "tenantId": partner["tenantId"]}
        req.tenant.identity_sync[key] = new
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_IDENTITY_SYNC_UPDATE,
                 _audit_target(req, partner["tenantId"]), old, new)
    return Response(204)


@route("graph", "PATCH", SYNC, permissions=WRITE)
def patch_identity_sync(req: Request) -> Response:
    body = req.body if req.body is not None else {}
    validate_body(SYNC_TYPE, body, mode="patch")
    with req.world.lock:
        key, old = _existing_sync(req)
        new = {**old, **_settings(body)}
        req.tenant.identity_sync[key] = new
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_IDENTITY_SYNC_UPDATE,
                 _audit_target(req, old["tenantId"]), old, new)
    return Response(204)


@route("graph", "DELETE", SYNC, permissions=WRITE)
def delete_identity_sync(req: Request) -> Response:
    with req.world.lock:
        key, old = _existing_sync(req)
        del req.tenant.identity_sync[key]
    audit.record(req, audit.CATEGORY_CROSS_TENANT, audit.ACTIVITY_IDENTITY_SYNC_UPDATE,
                 _audit_target(req, old["tenantId"]), old, None)
    return Response(204)
