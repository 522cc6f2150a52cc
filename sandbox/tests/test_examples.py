"""Microsoft's documented examples (verbatim copies in ./examples) against the sandbox.

Responses: every key of the example is in the sandbox's answer (recursively) with the same JSON
type, and ``@odata.context``/``@odata.type`` agree after the host.  Keys the example lacks are
allowed only where listed in EXTRA_KEYS (the docs mark those examples shortened or old; see
sandbox/README.md, "Fidelity choices").  Requests: each documented PATCH/POST/PUT body is
accepted with the documented status.
"""
import json
from pathlib import Path

import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.seed import build_world, parse_seed

EXAMPLES = Path(__file__).parent / "examples"
HOME = "11111111-1111-4111-8111-111111111111"
PARTNER_IDS = ("3d0f5dec-5d3d-455c-8016-e2af1ae4d31a", "9c5d131d-b1c3-4fc4-9e3f-c6557947d551",
               "123f4846-ba00-4fd7-ba43-dac1f8f63013")
ROLES = frozenset({"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess", "Policy.ReadWrite.Authorization",
                   "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.AuthenticationFlows"})
CTAP = "/v1.0/policies/crossTenantAccessPolicy"
PARTNERS = CTAP + "/partners"
EMAIL = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email"
PARTNER_EXTRAS = {"@odata.context", "isServiceProvider"}
LISTED_PARTNER_EXTRAS = {"isInMultiTenantOrganization", "isServiceProvider", "tenantRestrictions",
                         "m365CollaborationInbound", "m365CollaborationOutbound", "appServiceConnectInbound"}
EXTRA_KEYS = {
    "crossTenantAccessPolicy_GET_response.json": {"@odata.context", "id"},
    "crossTenantAccessPolicy_default_GET_response.json": {"@odata.context"},
    "authorizationPolicy_GET_response.json": {
        "guestUserRoleId", "allowUserConsentForRiskyApps", "defaultUserRolePermissions.allowedToCreateTenants",
        "defaultUserRolePermissions.allowedToReadBitlockerKeysForOwnedDevice"},
    "emailAuthMethodConfig_GET_response.json": {"excludeTargets"},
    "authenticationFlowsPolicy_GET_response.json": set(),
    "identitySynchronization_GET_response.json": {"@odata.context"},
    "partner_GET_response.json": PARTNER_EXTRAS,
    "partners_POST_response_201.json": PARTNER_EXTRAS | LISTED_PARTNER_EXTRAS | {"automaticUserConsentSettings"},
    "partners_LIST_response.json": {"@odata.context"} | {f"value[].{k}" for k in LISTED_PARTNER_EXTRAS},
    "partners_LIST_expand_identitySynchronization_response.json": {"@odata.context"},
    "batch_response.json": set(),
}


def example(name):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def world():
    tenants = [{"name": f"t{i}", "id": tid, "domains": [f"t{i}.example"]} for i, tid in enumerate((HOME, *PARTNER_IDS))]
    return build_world(parse_seed({"tenants": tenants}))


def call(world, method, url, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return dispatch_internal("graph", method, url, headers, body, Caller(HOME, "app", "https://graph.microsoft.com", ROLES),
                             world.find_tenant(HOME), world, "https://127.0.0.1:8443")


def shape_faults(documented, served, extras, path=""):
    """Where ``served`` does not have the documented shape, as readable strings."""
    if type(documented) is not type(served) and documented is not None and served is not None:
        return [f"{path or '<root>'}: documented {type(documented).__name__}, served {type(served).__name__}"]
    if isinstance(documented, dict):
        faults = [f"{path}{k}: missing" for k in documented if k not in served]
        faults += [f"{path}{k}: not in the example" for k in served if k not in documented and f"{path}{k}" not in extras]
        for key in documented.keys() & served.keys():
            if key in ("@odata.context", "@odata.type"):
                if documented[key].split("$metadata#")[-1] != served[key].split("$metadata#")[-1]:
                    faults.append(f"{path}{key}: documented {documented[key]!r}, served {served[key]!r}")
            else:
                faults += shape_faults(documented[key], served[key], extras, f"{path}{key}.")
        return faults
    if isinstance(documented, list) and documented and served:
        return shape_faults(documented[0], served[0], extras, path.rstrip(".") + "[].")
    if (documented is None) != (served is None):
        return [f"{path.rstrip('.')}: documented {documented!r}, served {served!r}"]
    return []


def setup_partner_get(world):
    documented = example("partner_GET_response.json")
    settings = {k: documented[k] for k in ("b2bDirectConnectInbound", "tenantRestrictions")}
    assert call(world, "POST", PARTNERS, {"tenantId": documented["tenantId"], **settings}).status == 201
    return call(world, "GET", f"{PARTNERS}/{documented['tenantId']}").body


def setup_partner_list(world):
    documented = example("partners_LIST_response.json")["value"][0]
    call(world, "POST", PARTNERS, {"tenantId": documented["tenantId"],
                                   "b2bDirectConnectInbound": documented["b2bDirectConnectInbound"]})
    return call(world, "GET", PARTNERS).body


def setup_partner_list_expand(world):
    tenant_id = example("partners_LIST_expand_identitySynchronization_response.json")["value"][0]["tenantId"]
    call(world, "POST", PARTNERS, {"tenantId": tenant_id})
    call(world, "PUT", f"{PARTNERS}/{tenant_id}/identitySynchronization", example("identitySynchronization_PUT_request.json"))
    return call(world, "GET", PARTNERS + "?$select=tenantId&$expand=identitySynchronization").body


def setup_identity_sync(world):
    tenant_id = example("identitySynchronization_GET_response.json")["tenantId"]
    call(world, "POST", PARTNERS, {"tenantId": tenant_id})
    call(world, "PUT", f"{PARTNERS}/{tenant_id}/identitySynchronization", example("identitySynchronization_PUT_request.json"))
    return call(world, "GET", f"{PARTNERS}/{tenant_id}/identitySynchronization").body


def setup_batch(world):
    response = call(world, "POST", "/v1.0/$batch", example("batch_request.json"))
    assert response.status == 200
    return response.body


RESPONSES = {
    # The docs wrap this singleton in {"value": {...}} (a "truncated" block); Graph and the SDK
    # treat it as a plain entity, so the object inside is what is compared.
    "crossTenantAccessPolicy_GET_response.json": (lambda w: call(w, "GET", CTAP).body, lambda doc: doc["value"]),
    "crossTenantAccessPolicy_default_GET_response.json": (lambda w: call(w, "GET", CTAP + "/default").body, None),
    "authorizationPolicy_GET_response.json": (lambda w: call(w, "GET", "/v1.0/policies/authorizationPolicy").body, None),
    "emailAuthMethodConfig_GET_response.json": (lambda w: call(w, "GET", EMAIL).body, None),
    "authenticationFlowsPolicy_GET_response.json": (
        lambda w: call(w, "GET", "/v1.0/policies/authenticationFlowsPolicy").body, None),
    "identitySynchronization_GET_response.json": (setup_identity_sync, None),
    "partner_GET_response.json": (setup_partner_get, None),
    "partners_POST_response_201.json": (lambda w: call(w, "POST", PARTNERS, example("partners_POST_request.json")).body, None),
    "partners_LIST_response.json": (setup_partner_list, None),
    "partners_LIST_expand_identitySynchronization_response.json": (setup_partner_list_expand, None),
    # Shape only at the item level: the example's items come from endpoints the sandbox lacks.
    "batch_response.json": (setup_batch, None),
}


def batch_items_shape(batch: dict) -> dict:
    """Item level only: the example's items come from endpoints the sandbox lacks, and each item's
    headers are whatever that endpoint sends (the example's items differ among themselves)."""
    return {"responses": [{"id": item["id"], "status": item["status"], "headers": {}} for item in batch["responses"]]}


# Copies other parts of the sandbox test (login, throttling), not Graph policy responses.
NOT_GRAPH_POLICY = {"throttling_429_response_body.json", "token_response_error_400.json", "token_response_success.json"}


def test_every_copied_response_example_is_checked():
    copied = {p.name for p in EXAMPLES.glob("*_response*.json")} - NOT_GRAPH_POLICY
    assert copied == set(RESPONSES)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_has_the_documented_shape(world, name):
    produce, unwrap = RESPONSES[name]
    documented = example(name)
    documented = unwrap(documented) if unwrap else documented
    served = produce(world)
    if name == "batch_response.json":
        documented, served = batch_items_shape(documented), batch_items_shape(served)
    assert shape_faults(documented, served, EXTRA_KEYS[name]) == []


REQUESTS = {
    "crossTenantAccessPolicy_PATCH_request.json": ("PATCH", CTAP, 204),
    "crossTenantAccessPolicy_default_PATCH_request_ex1_block_group.json": ("PATCH", CTAP + "/default", 204),
    "crossTenantAccessPolicy_default_PATCH_request_ex2_idpconfig.json": ("PATCH", CTAP + "/default", 204),
    "crossTenantAccessPolicy_default_PATCH_request_ex3_noMsa.json": ("PATCH", CTAP + "/default", 204),
    "crossTenantAccessPolicy_default_PATCH_request_ex4_m365collab.json": ("PATCH", CTAP + "/default", 204),
    "authorizationPolicy_PATCH_request_ex1.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "authorizationPolicy_PATCH_request_ex2_blockMsolPowerShell.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "authorizationPolicy_PATCH_request_ex3_allowedToCreateApps.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "authorizationPolicy_PATCH_request_ex4_allowedToUseSSPR.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "authorizationPolicy_PATCH_request_ex5_disable_user_consent.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "authorizationPolicy_PATCH_request_ex6_user_consent_low.json": ("PATCH", "/v1.0/policies/authorizationPolicy", 204),
    "emailAuthMethodConfig_PATCH_request.json": ("PATCH", EMAIL, 204),
    "authenticationFlowsPolicy_PATCH_request.json": ("PATCH", "/v1.0/policies/authenticationFlowsPolicy", 204),
    "partners_POST_request.json": ("POST", PARTNERS, 201),
    "partner_PATCH_request_ex1_inboundTrust.json": ("PATCH", f"{PARTNERS}/{PARTNER_IDS[0]}", 204),
    "partner_PATCH_request_ex2_automaticUserConsent.json": ("PATCH", f"{PARTNERS}/{PARTNER_IDS[0]}", 204),
    "partner_PATCH_request_ex3_tenantRestrictions.json": ("PATCH", f"{PARTNERS}/{PARTNER_IDS[0]}", 204),
    "partner_PATCH_request_ex4_m365collab.json": ("PATCH", f"{PARTNERS}/{PARTNER_IDS[0]}", 204),
    "identitySynchronization_PUT_request.json": ("PUT", f"{PARTNERS}/{PARTNER_IDS[0]}/identitySynchronization", 204),
    "identitySynchronization_PATCH_request.json": ("PATCH", f"{PARTNERS}/{PARTNER_IDS[0]}/identitySynchronization", 204),
}


def test_every_copied_request_example_is_checked():
    copied = {p.name for p in EXAMPLES.glob("*_request*.json")} - {"batch_request.json"}
    assert copied == set(REQUESTS)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_documented_request_is_accepted(world, name):
    method, url, status = REQUESTS[name]
    if url.startswith(f"{PARTNERS}/"):
        assert call(world, "POST", PARTNERS, {"tenantId": PARTNER_IDS[0]}).status == 201
    if name == "identitySynchronization_PATCH_request.json":
        assert call(world, "PUT", url, {}).status == 204
    response = call(world, method, url, example(name))
    assert response.status == status, response.body
