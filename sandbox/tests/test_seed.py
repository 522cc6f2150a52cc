"""Seed parsing, the bulk generator and the demo seed's fixed identities."""
from __future__ import annotations

import pytest
import yaml
from conftest import pem_public, self_signed
from cryptography.hazmat.primitives import serialization

from sandbox.seed import build_world, load_seed, parse_seed, ready_tenants
from sandbox.testing import DEMO_SEED

DEMO_IDS = {
    "contoso": ("272443cd-0b6f-49a5-b6ee-03f4ad31cdc9", "43b9d114-31a2-4dc0-9c17-28a877db2a86", "contoso.com"),
    "fabrikam": ("f81fb273-8b3f-495e-ba2d-6ca6f07f8baa", "36674a12-1da8-463d-975e-768b4c3a58ae", "fabrikam.com"),
    "northwind": ("7dc8c161-b920-4813-bc63-37dc0b3f76e5", "745ff4b2-a85c-4814-8146-6948fe612541",
                  "northwindtraders.com"),
}


def test_demo_seed_identities_and_grants():
    world = build_world(load_seed(DEMO_SEED))
    for name, (tenant_id, client_id, domain) in DEMO_IDS.items():
        tenant = world.find_tenant(domain)
        assert tenant.id == tenant_id and tenant.default_domain.endswith(".onmicrosoft.com")
        app = tenant.apps[client_id]
        assert app.secrets == [f"sandbox-{name}-NOT-A-REAL-SECRET"]
        assert {"Policy.ReadWrite.CrossTenantAccess", "Exchange.ManageAsApp", "AuditLog.Read.All"} <= app.roles
        assert app.exchange_role == "Exchange Recipient Administrator"
        guests = [u for u in tenant.users.values() if u["userType"] == "Guest"]
        assert len(guests) >= 10
        assert any(u["externalUserState"] == "PendingAcceptance" for u in guests)
        assert any("_exchange" not in u for u in guests)
        assert tenant.policies["authorizationPolicy"]["allowInvitesFrom"] == "everyone"
    assert world.find_tenant("fabrikam.com").groups["2c2d083e-1b64-4a26-8665-2c9136da5844"]["displayName"] == "Marketing"


def test_demo_guest_sharing_an_address_with_a_mail_contact_is_not_mail_enabled():
    tenant = build_world(load_seed(DEMO_SEED)).find_tenant("contoso.com")
    nestor = next(u for u in tenant.users.values() if u["mail"] == "nestor.wilke@fabrikam.com")
    assert "_exchange" not in nestor
    assert any(c["ExternalEmailAddress"].lower() == "smtp:nestor.wilke@fabrikam.com" for c in tenant.mail_contacts.values())


def test_certificates_load_from_paths_relative_to_the_seed(tmp_path):
    key, cert = self_signed("seeded")
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "app.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    seed_path = tmp_path / "seed.yml"
    seed_path.write_text(yaml.safe_dump({"tenants": [{
        "name": "one", "id": "11111111-2222-4333-8444-555555555555", "domains": ["one.example"],
        "apps": [{"client_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "certificates": ["certs/app.pem"],
                  "federated": [{"issuer": "https://issuer", "subject": "s", "public_key_pem": pem_public(key)}],
                  "managed_identity": True}]}]}))
    app = build_world(load_seed(str(seed_path))).find_tenant("one.example").apps["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"]
    assert app.certificates[0].startswith("-----BEGIN CERTIFICATE-----")
    assert app.federated[0]["subject"] == "s" and app.managed_identity


def test_a_tenant_without_id_is_rejected():
    with pytest.raises(ValueError, match="needs an id"):
        parse_seed({"tenants": [{"name": "x", "domains": ["x.example"]}]})


def test_generator_is_deterministic_and_links_partners():
    doc = {"generate": {"tenants": 20, "partners_per_tenant": 3, "guests_per_tenant": 15}}
    first, second = build_world(parse_seed(doc)), build_world(parse_seed(doc))
    assert len(first.tenants) == 20
    for tenant_id, tenant in first.tenants.items():
        assert len(tenant.partners) == 3 and set(tenant.partners) <= set(first.tenants)
        assert len(tenant.users) == 15
        assert sorted(tenant.users) == sorted(second.tenants[tenant_id].users)


def test_ready_tenants_shape():
    ready = ready_tenants(load_seed(DEMO_SEED))
    contoso = ready[0]
    assert (contoso["name"], contoso["id"], contoso["domain"]) == ("contoso", DEMO_IDS["contoso"][0],
                                                                   "contoso.onmicrosoft.com")
    assert contoso["client_secret"] == "sandbox-contoso-NOT-A-REAL-SECRET"
    assert contoso["apps"] == [{"client_id": contoso["client_id"], "client_secret": contoso["client_secret"],
                                "display_name": "tenantops-automation"}]


def test_generated_scale_world_has_the_requested_shape():
    # Its speed (1,000 tenants x 5 partners x 200 guests, target < 10 s) is measured by
    # sandbox/bench/bench_sandbox.py, not asserted here.
    world = build_world(parse_seed({"generate": {"tenants": 20, "partners_per_tenant": 5, "guests_per_tenant": 200}}))
    assert len(world.tenants) == 20
    assert all(len(t.partners) == 5 and len(t.users) == 200 for t in world.tenants.values())
