"""The CSDL extract and the body validator (no server needed)."""
import importlib
import json
import subprocess
import xml.etree.ElementTree as ET
import sys
from pathlib import Path

import pytest

from sandbox.core import ApiError
from sandbox.schema import (CROSS_TENANT_POLICY_LIMIT_BYTES, ENUMS, SCHEMA_PATH, TYPES,
                            check_cross_tenant_policy_size, validate_body)

DEFAULT = "crossTenantAccessPolicyConfigurationDefault"
PARTNER = "crossTenantAccessPolicyConfigurationPartner"
REPO = Path(__file__).resolve().parents[2]


def rejected(type_name, body, mode="patch") -> str:
    with pytest.raises(ApiError) as caught:
        validate_body(type_name, body, mode=mode)
    assert caught.value.status == 400
    assert caught.value.code == "Request_BadRequest"
    return caught.value.message


def test_extract_has_the_served_types_with_inherited_properties():
    assert {"id", "displayName", "allowedCloudEndpoints"} <= set(TYPES["crossTenantAccessPolicy"].properties)
    assert TYPES[PARTNER].key == ("tenantId",)
    assert "identitySynchronization" in TYPES[PARTNER].navigation
    assert ENUMS["b2bIdentityProvidersType"][:2] == ("azureActiveDirectory", "externalFederation")
    assert "crossTenantAccessPolicyTenantRestrictions" in TYPES["crossTenantAccessPolicyB2BSetting"].subtypes
    for needed in ("user", "group", "organization", "tenantInformation", "directoryAudit"):
        assert needed in TYPES


MINI_CSDL = """<?xml version="1.0"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>
<Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <EnumType Name="color"><Member Name="red" Value="0"/><Member Name="blue" Value="1"/></EnumType>
  <EnumType Name="unused"><Member Name="x" Value="0"/></EnumType>
  <EntityType Name="entity" Abstract="true"><Key><PropertyRef Name="id"/></Key>
    <Property Name="id" Type="Edm.String" Nullable="false"/></EntityType>
  <EntityType Name="widget" BaseType="graph.entity">
    <Property Name="shade" Type="graph.color"/>
    <Property Name="parts" Type="Collection(graph.part)" Nullable="false"/>
    <NavigationProperty Name="owner" Type="graph.owner" ContainsTarget="true"/></EntityType>
  <EntityType Name="owner" BaseType="graph.entity"/>
  <ComplexType Name="part"><Property Name="size" Type="Edm.Int32"/></ComplexType>
  <ComplexType Name="bigPart" BaseType="graph.part"><Property Name="weight" Type="Edm.Double"/></ComplexType>
</Schema></edmx:DataServices></edmx:Edmx>"""


def load_generator():
    return importlib.import_module("sandbox.schema_gen")


def test_generator_takes_the_closure_of_property_and_base_types():
    gen = load_generator()
    csdl = gen.Csdl(ET.fromstring(MINI_CSDL))
    extract = gen.extract(csdl, ("widget",))
    assert list(extract["types"]) == ["bigPart", "entity", "part", "widget"]  # sorted; owner only by name
    assert list(extract["enums"]) == ["color"]
    assert extract["types"]["widget"]["properties"]["parts"] == {"type": "part", "collection": True, "nullable": False}
    assert extract["types"]["widget"]["navigation"]["owner"]["type"] == "owner"
    assert extract["types"]["entity"]["abstract"] is True
    assert gen.extract(csdl, ("widget",)) == extract


def test_generator_refuses_a_csdl_without_a_root(tmp_path):
    (tmp_path / "mini.csdl").write_text(MINI_CSDL)
    run = subprocess.run([sys.executable, "-m", "sandbox.schema_gen", str(tmp_path / "mini.csdl"),
                          str(tmp_path / "out.json")], capture_output=True, text=True, cwd=REPO)
    assert run.returncode != 0 and "is not in the CSDL" in run.stderr
    assert not (tmp_path / "out.json").exists()


def test_committed_extract_was_made_for_the_generator_roots():
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed["roots"] == sorted(load_generator().ROOT_TYPES)
    assert committed["source"]["file"] == "v1.0-Prod.csdl"


def test_documented_default_body_is_valid():
    body = json.loads((Path(__file__).parent / "examples" / "crossTenantAccessPolicy_default_GET_response.json").read_text())
    for read_only in ("isServiceDefault", "automaticUserConsentSettings"):
        body.pop(read_only)
    validate_body(DEFAULT, body, mode="patch")


@pytest.mark.parametrize("name", ["B2BCollaborationInbound", "b2BDirectConnectInbound", "noSuchProperty"])
def test_unknown_or_wrongly_cased_property_is_invalid(name):
    assert rejected(DEFAULT, {name: None}) == f"Invalid property '{name}'."


def test_unknown_nested_property_is_invalid():
    body = {"inboundTrust": {"isMFAAccepted": True}}
    assert rejected(DEFAULT, body) == "Invalid property 'isMFAAccepted'."


def test_wrong_json_type_names_property_and_type():
    message = rejected(DEFAULT, {"inboundTrust": {"isMfaAccepted": "true"}})
    assert "inboundTrust.isMfaAccepted" in message and "Edm.Boolean" in message


def test_collection_must_be_a_list():
    message = rejected("crossTenantAccessPolicy", {"allowedCloudEndpoints": "microsoftonline.us"})
    assert "allowedCloudEndpoints" in message and "Collection(Edm.String)" in message


@pytest.mark.parametrize("value", [" blocked", "Blocked", "unknownFutureValue", 2])
def test_bad_enum_member(value):
    body = {"b2bCollaborationInbound": {"usersAndGroups": {"accessType": value, "targets": []}}}
    message = rejected(DEFAULT, body)
    assert "accessType" in message and "crossTenantAccessPolicyTargetConfigurationAccessType" in message


def test_malformed_guid():
    message = rejected("authorizationPolicy", {"guestUserRoleId": "10dae51f-nope"})
    assert "guestUserRoleId" in message and "Edm.Guid" in message
    validate_body("authorizationPolicy", {"guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b"}, mode="patch")


def test_null_for_non_nullable():
    message = rejected("authorizationPolicy", {"allowedToUseSSPR": None})
    assert "allowedToUseSSPR" in message and "null" in message
    validate_body("authorizationPolicy", {"blockMsolPowerShell": None}, mode="patch")


def test_nested_collection_items_are_validated():
    body = {"b2bCollaborationInbound": {"applications": {"accessType": "allowed",
                                                         "targets": [{"target": "x", "targetType": "app"}]}}}
    assert "targets[0].targetType" in rejected(DEFAULT, body)


@pytest.mark.parametrize("type_name, prop", [
    (DEFAULT, "isServiceDefault"), (DEFAULT, "id"), (DEFAULT, "automaticUserConsentSettings"),
    (PARTNER, "tenantId"), (PARTNER, "isInMultiTenantOrganization"), (PARTNER, "isServiceProvider"),
    ("authenticationFlowsPolicy", "description"), ("authorizationPolicy", "id"),
])
def test_read_only_properties_are_refused_on_patch(type_name, prop):
    value = {"tenantId": "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a", "automaticUserConsentSettings": {}}.get(prop, True)
    if prop in ("id", "description"):
        value = "x"
    assert prop in rejected(type_name, {prop: value})


def test_key_is_accepted_on_post():
    validate_body(PARTNER, {"tenantId": "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a", "isServiceProvider": True},
                  mode="post")


def test_odata_type_names_the_type_or_a_subtype():
    validate_body("crossTenantAccessPolicy",
                  {"@odata.type": "#microsoft.graph.crossTenantAccessPolicy", "allowedCloudEndpoints": []}, mode="patch")
    validate_body(DEFAULT, {"invitationRedemptionIdentityProviderConfiguration": {
        "@odata.type": "#microsoft.graph.defaultInvitationRedemptionIdentityProviderConfiguration",
        "fallbackIdentityProvider": "emailOneTimePasscode"}}, mode="patch")
    assert "@odata.type" in rejected("crossTenantAccessPolicy", {"@odata.type": "#microsoft.graph.user"})
    assert "abstract" in rejected("authenticationMethodConfiguration",
                                  {"@odata.type": "#microsoft.graph.authenticationMethodConfiguration"})


def test_inline_include_targets_on_email_configuration():
    validate_body("emailAuthenticationMethodConfiguration", {"includeTargets": [
        {"id": "all_users", "targetType": "group", "isRegistrationRequired": False}]}, mode="patch")
    assert "Invalid property 'includeTargets'" not in rejected(
        "emailAuthenticationMethodConfiguration", {"includeTargets": [{"targetType": "everyone"}]})


def test_size_limit():
    small = {"tenantId": "x" * 100}
    check_cross_tenant_policy_size([small])
    big = [{"tenantId": "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a", "pad": "x" * 1000} for _ in range(30)]
    with pytest.raises(ApiError) as caught:
        check_cross_tenant_policy_size(big)
    assert caught.value.status == 400 and "25KB" in caught.value.message
    # nulls are inheritance, not stored settings: they do not count
    check_cross_tenant_policy_size([{"a": None, "pad": "x" * (CROSS_TENANT_POLICY_LIMIT_BYTES - 20)}])
