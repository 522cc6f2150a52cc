"""The inventory plugin's pure logic: registry validation, merging sources by tenant id, host names."""
import pytest

from ansible_collections.tenantops.entra.plugins.module_utils.errors import InputError
from ansible_collections.tenantops.entra.plugins.module_utils.tenant_inventory import (TenantHost, merge, name_hosts,
                                                                                       parse_registry)

CONTOSO = "272443cd-0b6f-49a5-b6ee-03f4ad31cdc9"
FABRIKAM = "f81fb273-8b3f-495e-ba2d-6ca6f07f8baa"


@pytest.mark.parametrize("document,path,message", [
    ({}, "reg.yml: tenants", "needs a 'tenants' mapping"),
    ({"tenants": {"contoso": "x"}}, "reg.yml: tenants.contoso", "must be a mapping"),
    ({"tenants": {"contoso": {"tenant_id": "contoso.com"}}}, "reg.yml: tenants.contoso.tenant_id", "GUID"),
    ({"tenants": {"contoso": {"tenant_id": CONTOSO, "rign": 1}}}, "reg.yml: tenants.contoso.rign", "unknown key"),
    ({"tenants": {"contoso": {"tenant_id": CONTOSO, "groups": "pilot"}}}, "reg.yml: tenants.contoso.groups", "list"),
    ({"tenants": {"contoso": {"tenant_id": CONTOSO}, "other": {"tenant_id": CONTOSO.upper()}}},
     "reg.yml: tenants.other.tenant_id", "already tenant contoso"),
])
def test_registry_errors_name_the_key(document, path, message):
    with pytest.raises(InputError) as caught:
        parse_registry(document, "reg.yml")
    assert caught.value.field == path and message in caught.value.message


def test_registry_entry_as_host_variables_and_groups():
    [host] = parse_registry({"tenants": {"contoso": {"tenant_id": CONTOSO.upper(), "ring": 1, "customer": "Contoso Group",
                                                     "groups": ["Pilot-EU"], "vars": {"entra_tenant": {}}}}}, "r")
    assert host.variables() == {"entra_tenant_id": CONTOSO, "entra_tenant_display_name": "contoso",
                                "entra_tenant_sources": ["registry"], "entra_ring": "1",
                                "entra_customer": "Contoso Group", "entra_tenant": {}}
    assert host.built_in_groups() == ["ring_1", "customer_contoso_group", "pilot_eu"]


def test_merge_keeps_the_first_source_and_adds_up_sources():
    registry = [TenantHost(CONTOSO, "Contoso", name="cont", ring="0", sources=["registry"])]
    gdap = [TenantHost(CONTOSO, "Contoso Ltd", sources=["gdap"]), TenantHost(FABRIKAM, "Fabrikam", sources=["gdap"])]
    mto = [TenantHost(FABRIKAM, "Fabrikam", sources=["multi_tenant_organization"], mto_role="member",
                      mto_state="active")]
    merged = merge(registry, gdap, mto)
    assert [(h.name, h.display_name, h.sources) for h in merged] == [
        ("cont", "Contoso", ["registry", "gdap"]), (None, "Fabrikam", ["gdap", "multi_tenant_organization"])]
    assert merged[1].mto_role == "member"
    assert merged[1].built_in_groups() == ["gdap_customers", "multi_tenant_organization"]


def test_discovered_names_follow_the_display_name_and_never_clash():
    hosts = [TenantHost(CONTOSO, "Contoso", name="contoso"), TenantHost(FABRIKAM, "Contoso"),
             TenantHost("0b5e7a10-1111-4111-8111-111111111111", "Tailspin Toys, Inc.")]
    assert [h.name for h in name_hosts(hosts, "display_name")] == ["contoso", "contoso_f81fb273", "tailspin_toys_inc"]
    assert name_hosts([TenantHost(FABRIKAM, "Fabrikam")], "tenant_id")[0].name == FABRIKAM
