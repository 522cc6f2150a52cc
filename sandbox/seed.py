"""YAML seed → World.  The format is described in sandbox/README.md ("Seed format")."""
from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass, field

import yaml

from .core import App, Tenant, World

DEFAULT_SETTINGS = {"token_lifetime": 3600, "exchange_write_delay": 0.0}
DEFAULT_PERMISSIONS = (
    "Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess", "Policy.ReadWrite.Authorization",
    "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.AuthenticationFlows", "User.ReadWrite.All",
    "Group.Read.All", "Organization.Read.All", "CrossTenantInformation.ReadBasic.All", "AuditLog.Read.All",
    "Exchange.ManageAsApp")
DEFAULT_EXCHANGE_ROLE = "Exchange Recipient Administrator"
GENERATED_NAMESPACE = uuid.UUID("6f1d3c52-2a0e-4b8e-9d55-1f6b0c0e7a11")


@dataclass
class Seed:
    """A parsed seed: the tenant entries (bulk-generated ones included), settings and faults."""
    tenants: list
    settings: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    source: str = ""

    def names(self) -> list:
        return [t["name"] for t in self.tenants]


def load_seed(path: str) -> Seed:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    return parse_seed(doc, base_dir=os.path.dirname(os.path.abspath(path)), source=path)


def parse_seed(doc: dict, base_dir: str = ".", source: str = "") -> Seed:
    tenants = [_resolve_files(dict(t), base_dir) for t in doc.get("tenants") or []]
    if doc.get("generate"):
        tenants.extend(generate_tenants(doc["generate"]))
    for index, entry in enumerate(tenants):
        entry.setdefault("name", f"tenant{index + 1}")
        if not entry.get("id") or not entry.get("domains"):
            raise ValueError(f"seed tenant {entry['name']!r} needs an id and at least one domain")
    return Seed(tenants, {**DEFAULT_SETTINGS, **(doc.get("settings") or {})}, list(doc.get("faults") or []), source)


def _resolve_files(entry: dict, base_dir: str) -> dict:
    """Certificates and federated keys may be given inline (PEM) or as paths relative to the seed."""
    def pem(value: str) -> str:
        if "-----BEGIN" in value:
            return value
        with open(os.path.join(base_dir, value), encoding="ascii") as f:
            return f.read()
    apps = []
    for app in entry.get("apps") or []:
        app = dict(app)
        app["certificates"] = [pem(c) for c in app.get("certificates") or []]
        app["federated"] = [dict(f, public_key_pem=pem(f["public_key_pem"])) for f in app.get("federated") or []]
        apps.append(app)
    entry["apps"] = apps
    return entry


def generate_tenants(spec: dict) -> list:
    """Bulk tenants for scale runs: each trusts the next ``partners_per_tenant`` tenants as partners
    and has ``guests_per_tenant`` guests from their domains."""
    count = int(spec.get("tenants", 0))
    prefix = spec.get("prefix", "gen")
    partners = min(int(spec.get("partners_per_tenant", 0)), max(count - 1, 0))
    ids = [str(uuid.uuid5(GENERATED_NAMESPACE, f"{prefix}-tenant-{i}")) for i in range(count)]
    names = [f"{prefix}{i:04d}" for i in range(count)]
    tenants = []
    for i in range(count):
        neighbours = [(i + k) % count for k in range(1, partners + 1)]
        tenants.append({
            "name": names[i], "id": ids[i], "display_name": f"Generated {names[i]}",
            "domains": [f"{names[i]}.onmicrosoft.com", f"{names[i]}.example"],
            "apps": [{"client_id": str(uuid.uuid5(GENERATED_NAMESPACE, f"{prefix}-app-{i}")),
                      "display_name": "tenantops-automation",
                      "secrets": [spec.get("secret", "sandbox-generated-NOT-A-REAL-SECRET")],
                      "permissions": list(spec.get("permissions") or DEFAULT_PERMISSIONS),
                      "exchange_role": spec.get("exchange_role", DEFAULT_EXCHANGE_ROLE)}],
            "partners": [{"tenantId": ids[n]} for n in neighbours],
            "guests": {"count": int(spec.get("guests_per_tenant", 0)),
                       "domains": [f"{names[n]}.example" for n in neighbours] or ["gmail.com"]},
        })
    return tenants


def build_world(seed: Seed) -> World:
    world = World()
    populate(world, seed)
    return world


def populate(world: World, seed: Seed) -> None:
    """Replace the world's tenants and settings with the seed's (the world object is kept, so a
    running server can be reset in place)."""
    from .graph import b2b_management, directory, partners, policies, tenant_relationships
    world.tenants.clear()
    world.domain_index.clear()
    world.settings.clear()
    world.settings.update(seed.settings)
    for entry in seed.tenants:
        tenant = Tenant(id=entry["id"], display_name=entry.get("display_name", entry["name"]),
                        domains=list(entry["domains"]))
        tenant.apps = {a["client_id"].lower(): make_app(a) for a in entry.get("apps") or []}
        tenant.policies = policies.fresh_policies(tenant.id)
        world.add_tenant(tenant)
    names = {entry["name"]: entry["id"] for entry in seed.tenants}
    for entry in seed.tenants:
        tenant = world.find_tenant(entry["id"])
        if entry.get("policies"):
            policies.apply_policy_seed(tenant, entry["policies"])
        for partner in entry.get("partners") or []:
            partners.add_partner_seed(world, tenant, partner)
        directory.load_directory(tenant, entry, random.Random(tenant.id))
        if entry.get("b2b_management_policies"):
            b2b_management.load_seed(tenant, entry["b2b_management_policies"])
        tenant_relationships.load_relationships(world, tenant, entry, names)


def make_app(entry: dict) -> App:
    return App(client_id=entry["client_id"], display_name=entry.get("display_name", entry["client_id"]),
               secrets=list(entry.get("secrets") or []), certificates=list(entry.get("certificates") or []),
               federated=list(entry.get("federated") or []), roles=frozenset(entry.get("permissions") or ()),
               exchange_role=entry.get("exchange_role"), managed_identity=bool(entry.get("managed_identity")))


def ready_tenants(seed: Seed) -> list:
    """The ``tenants`` list of the ready JSON."""
    out = []
    for entry in seed.tenants:
        apps = [{"client_id": a["client_id"], "client_secret": (a.get("secrets") or [None])[0],
                 "display_name": a.get("display_name", a["client_id"])} for a in entry.get("apps") or []]
        first = apps[0] if apps else {"client_id": None, "client_secret": None}
        out.append({"name": entry["name"], "id": entry["id"], "domain": entry["domains"][0],
                    "display_name": entry.get("display_name", entry["name"]),
                    "client_id": first["client_id"], "client_secret": first["client_secret"], "apps": apps})
    return out
