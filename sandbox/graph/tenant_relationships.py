"""Tenant relationships a partner or an organization reads to find its tenants.

* ``GET /tenantRelationships/delegatedAdminCustomers`` — an MSP's GDAP customers
  (https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadmincustomers?view=graph-rest-1.0):
  DelegatedAdminRelationship.Read.All or .ReadWrite.All; ``$select``, ``$filter``, ``$top`` (at most 300)
  and paging; each item carries ``@odata.type``, ``@odata.etag``, ``id`` (the customer's tenant id,
  as in the documented example), ``tenantId`` and ``displayName``.
* ``GET /tenantRelationships/multiTenantOrganization/tenants`` — the members of the caller's
  multitenant organization
  (https://learn.microsoft.com/graph/api/multitenantorganization-list-tenants?view=graph-rest-1.0):
  MultiTenantOrganization.Read.All or .ReadWrite.All; ``$select`` and ``$filter``; active and pending
  members, with ``role`` (owner / member) and ``state``.

Seed keys (sandbox/README.md, "Tenant relationship seed keys"): ``delegated_admin_customers`` and
``multi_tenant_organization`` on a tenant entry.
"""
from __future__ import annotations

import hashlib

from sandbox.core import Request, Response, Tenant, World, route
from sandbox.graph.odata import (collection_body, compile_filter, context_url, query_option, selected_properties,
                                 service_root)

GDAP_READ = ("DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All")
MTO_READ = ("MultiTenantOrganization.Read.All", "MultiTenantOrganization.ReadWrite.All")
GDAP_MAX_PAGE = 300
CUSTOMER_TYPE = "delegatedAdminCustomer"
MEMBER_TYPE = "multiTenantOrganizationMember"
MEMBER_STATES = ("pending", "active", "removed")
MEMBER_ROLES = ("owner", "member")


@route("graph", "GET", r"/v1\.0/tenantRelationships/delegatedAdminCustomers", permissions=GDAP_READ)
def list_delegated_admin_customers(req: Request) -> Response:
    selected = selected_properties(req, CUSTOMER_TYPE)
    wanted = compile_filter(query_option(req, "filter"), {"id": "str", "tenantId": "str", "displayName": "str"},
                            CUSTOMER_TYPE, frozenset({"eq"}))
    customers = [c for c in req.tenant.delegated_admin_customers if wanted(c)]
    body = collection_body(req, customers, "delegatedAdminCustomers", selected, default_size=GDAP_MAX_PAGE,
                           max_size=GDAP_MAX_PAGE)
    # The documented example's context sits under tenantRelationships/, not the service root.
    body["@odata.context"] = f"{service_root(req)}/tenantRelationships/$metadata#delegatedAdminCustomers"
    return Response(200, body)


@route("graph", "GET", r"/v1\.0/tenantRelationships/multiTenantOrganization/tenants", permissions=MTO_READ)
def list_multi_tenant_organization_members(req: Request) -> Response:
    selected = selected_properties(req, MEMBER_TYPE)
    wanted = compile_filter(query_option(req, "filter"), {"tenantId": "str", "displayName": "str", "role": "str",
                                                          "state": "str"}, MEMBER_TYPE, frozenset({"eq"}))
    members = [m for m in req.tenant.multi_tenant_organization if m["state"] != "removed" and wanted(m)]
    body = collection_body(req, members, "tenantRelationships/multiTenantOrganization/tenants", selected)
    body["@odata.context"] = context_url(req, "tenantRelationships/multiTenantOrganization/tenants")
    return Response(200, body)


# ---------------------------------------------------------------------------------------------
# seed
# ---------------------------------------------------------------------------------------------

def load_relationships(world: World, tenant: Tenant, entry: dict, names: dict) -> None:
    """Fill the tenant's GDAP customers and multitenant organization from its seed entry;
    ``names`` maps the seed's tenant names to ids."""
    customers = entry.get("delegated_admin_customers") or []
    if customers == "all":
        customers = [t.id for t in world.tenants.values() if t.id != tenant.id]
    tenant.delegated_admin_customers = [delegated_admin_customer(*_identify(world, names, c, tenant.id))
                                        for c in customers]
    tenant.multi_tenant_organization = [_member(world, names, m, tenant.id)
                                        for m in entry.get("multi_tenant_organization") or []]


def _identify(world: World, names: dict, ref, owner: str) -> tuple[str, str]:
    """A seed reference (a seeded tenant's name, id or domain, or ``{tenant_id, display_name?}``) as
    (tenant id, display name)."""
    if isinstance(ref, dict):
        if not ref.get("tenant_id"):
            raise ValueError(f"seed tenant {owner}: a relationship entry needs tenant_id")
        tenant_id = str(ref["tenant_id"])
        known = world.find_tenant(tenant_id)
        return tenant_id, ref.get("display_name") or (known.display_name if known else tenant_id)
    known = world.find_tenant(names.get(ref, str(ref)))
    if known is None:
        raise ValueError(f"seed tenant {owner}: unknown tenant {ref!r} in a relationship (name a seeded tenant by "
                         f"name, id or domain, or give {{tenant_id, display_name}})")
    return known.id, known.display_name


def delegated_admin_customer(tenant_id: str, display_name: str) -> dict:
    etag = hashlib.sha256(tenant_id.encode()).hexdigest()[:32]
    return {"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "@odata.etag": f'W/"{etag}"',
            "id": tenant_id, "tenantId": tenant_id, "displayName": display_name}


def _member(world: World, names: dict, ref, owner: str) -> dict:
    tenant_id, display_name = _identify(world, names, ref, owner)
    spec = ref if isinstance(ref, dict) else {}
    role = spec.get("role", "owner" if tenant_id == owner else "member")
    state = spec.get("state", "active")
    if role not in MEMBER_ROLES or state not in MEMBER_STATES:
        raise ValueError(f"seed tenant {owner}: multitenant organization member role must be one of "
                          f"{MEMBER_ROLES} and state one of {MEMBER_STATES}")
    return {"tenantId": tenant_id, "displayName": display_name, "addedDateTime": "2024-01-01T00:00:00Z",
            "joinedDateTime": None if state == "pending" else "2024-01-02T00:00:00Z",
            "addedByTenantId": owner, "role": role, "state": state, "transitionDetails": None}
