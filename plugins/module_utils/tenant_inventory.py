"""Where the tenants come from, for the ``tenantops.entra.tenants`` inventory plugin (Ansible-free).

Three sources, merged by tenant id:

* a **registry**: a YAML file kept in Git, one entry per tenant with its ring, customer, extra groups
  and host variables;
* an MSP's **GDAP customers**, ``GET /tenantRelationships/delegatedAdminCustomers``
  (https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadmincustomers?view=graph-rest-1.0,
  application permission DelegatedAdminRelationship.Read.All);
* the members of the signed-in tenant's **multitenant organization**,
  ``GET /tenantRelationships/multiTenantOrganization/tenants``
  (https://learn.microsoft.com/graph/api/multitenantorganization-list-tenants?view=graph-rest-1.0,
  MultiTenantOrganization.Read.All).

A tenant found in several sources is one host; the registry names it and its entries win.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .compare import is_guid
from .errors import InputError

GDAP_PAGE = 300  # the documented maximum of $top
SOURCES = ("registry", "gdap", "multi_tenant_organization")
REGISTRY_KEYS = {"tenant_id", "display_name", "ring", "customer", "groups", "vars"}
GROUP_NAME = re.compile(r"[^A-Za-z0-9_]+")


@dataclass
class TenantHost:
    tenant_id: str
    display_name: str
    name: str | None = None                      # the registry's host name; None for a discovered tenant
    ring: str | None = None
    customer: str | None = None
    groups: list = field(default_factory=list)
    host_vars: dict = field(default_factory=dict)
    sources: list = field(default_factory=list)
    mto_role: str | None = None
    mto_state: str | None = None

    def variables(self) -> dict:
        """The host variables the plugin sets (the registry's ``vars`` come on top)."""
        out = {"entra_tenant_id": self.tenant_id, "entra_tenant_display_name": self.display_name,
               "entra_tenant_sources": list(self.sources)}
        for name, value in (("entra_ring", self.ring), ("entra_customer", self.customer),
                            ("entra_mto_role", self.mto_role), ("entra_mto_state", self.mto_state)):
            if value is not None:
                out[name] = value
        out.update(self.host_vars)
        return out

    def built_in_groups(self) -> list:
        groups = [safe_group_name("ring_" + self.ring)] if self.ring is not None else []
        if self.customer is not None:
            groups.append(safe_group_name("customer_" + self.customer))
        if "gdap" in self.sources:
            groups.append("gdap_customers")
        if "multi_tenant_organization" in self.sources:
            groups.append("multi_tenant_organization")
        return groups + [safe_group_name(g) for g in self.groups]


def safe_group_name(name: str) -> str:
    return GROUP_NAME.sub("_", name).strip("_").lower() or "_"


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------

def parse_registry(document, source: str) -> list:
    """The registry's ``tenants`` mapping as hosts; any error names the file and the key's path."""
    if not isinstance(document, dict) or not isinstance(document.get("tenants"), dict):
        raise InputError(f"{source}: tenants", "the registry needs a 'tenants' mapping of host name to tenant")
    hosts, seen = [], {}
    for name, entry in document["tenants"].items():
        path = f"{source}: tenants.{name}"
        if not isinstance(entry, dict):
            raise InputError(path, "must be a mapping with at least tenant_id")
        unknown = sorted(set(entry) - REGISTRY_KEYS)
        if unknown:
            raise InputError(f"{path}.{unknown[0]}", f"unknown key; use {', '.join(sorted(REGISTRY_KEYS))}")
        tenant_id = entry.get("tenant_id")
        if not is_guid(tenant_id):
            raise InputError(f"{path}.tenant_id", f"must be the tenant's GUID, got {tenant_id!r}")
        if tenant_id.lower() in seen:
            raise InputError(f"{path}.tenant_id", f"{tenant_id} is already tenant {seen[tenant_id.lower()]}")
        seen[tenant_id.lower()] = name
        groups = entry.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InputError(f"{path}.groups", "must be a list of group names")
        if not isinstance(entry.get("vars") or {}, dict):
            raise InputError(f"{path}.vars", "must be a mapping of host variables")
        hosts.append(TenantHost(
            tenant_id=tenant_id.lower(), display_name=str(entry.get("display_name") or name), name=str(name),
            ring=_optional_text(entry.get("ring")), customer=_optional_text(entry.get("customer")),
            groups=list(groups), host_vars=dict(entry.get("vars") or {}), sources=["registry"]))
    return hosts


def _optional_text(value) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Graph
# ---------------------------------------------------------------------------------------------

async def read_gdap_customers(graph) -> list:
    customers = await graph.list_all("/tenantRelationships/delegatedAdminCustomers",
                                     {"$select": "tenantId,displayName", "$top": str(GDAP_PAGE)})
    return [TenantHost(tenant_id=c["tenantId"].lower(), display_name=c.get("displayName") or c["tenantId"],
                       sources=["gdap"]) for c in customers]


async def read_multi_tenant_organization(graph, states: list) -> list:
    members = await graph.list_all("/tenantRelationships/multiTenantOrganization/tenants",
                                   {"$select": "tenantId,displayName,role,state"})
    return [TenantHost(tenant_id=m["tenantId"].lower(), display_name=m.get("displayName") or m["tenantId"],
                       sources=["multi_tenant_organization"], mto_role=m.get("role"), mto_state=m.get("state"))
            for m in members if m.get("state") in states]


# ---------------------------------------------------------------------------------------------
# merge and naming
# ---------------------------------------------------------------------------------------------

def merge(*sources: list) -> list:
    """One host per tenant id, in order of first appearance; earlier sources win, sources add up."""
    by_id: dict = {}
    for hosts in sources:
        for host in hosts:
            known = by_id.get(host.tenant_id)
            if known is None:
                by_id[host.tenant_id] = host
                continue
            known.sources += [s for s in host.sources if s not in known.sources]
            known.mto_role = known.mto_role or host.mto_role
            known.mto_state = known.mto_state or host.mto_state
    return list(by_id.values())


def name_hosts(hosts: list, naming: str) -> list:
    """Give discovered tenants a host name: a slug of the display name (``naming: display_name``),
    with the tenant id's first block added on a clash, or the tenant id itself."""
    taken = {h.name for h in hosts if h.name}
    for host in hosts:
        if host.name:
            continue
        name = host.tenant_id if naming == "tenant_id" else safe_group_name(host.display_name)
        if name in taken:
            name = f"{name}_{host.tenant_id.split('-', maxsplit=1)[0]}"
        host.name = name
        taken.add(name)
    return hosts
