"""Graph **beta** ``/policies/b2bManagementPolicies``: the B2B management policy, whose ``definition``
holds the invitation domain allow or deny list (the only API left for it).

Shape (https://learn.microsoft.com/graph/api/resources/b2bmanagementpolicy?view=graph-rest-beta):
``{id, deletedDateTime, displayName, description, definition: [<JSON string>], isOrganizationDefault}``;
the JSON string is ``{"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy":
{"AllowedDomains": [...], "BlockedDomains": [...]}, ...}}`` (the ``New-AzureADPolicy`` examples that
earlier versions of https://learn.microsoft.com/entra/external-id/allow-deny-list carried).  Rules from that page: an allow list or a
deny list, not both; one policy per organization; the whole policy at most 25,000 characters.
State: ``tenant.policies["b2bManagementPolicies"]`` ({id: policy}).  The choices where the docs are
silent are in sandbox/README.md, "Fidelity choices".
"""
from __future__ import annotations

import copy
import json
import re
import uuid

from sandbox.core import ApiError, Request, Response, Tenant, bad_request, not_found, route
from sandbox.graph import audit, odata

READ = ("Policy.Read.B2BManagementPolicy", "Policy.ReadWrite.B2BManagementPolicy")
WRITE = ("Policy.ReadWrite.B2BManagementPolicy",)
COLLECTION = r"/beta/policies/b2bManagementPolicies"
ITEM = COLLECTION + r"/(?P<policy_id>[^/]+)"
ODATA_TYPE = "#microsoft.graph.b2bManagementPolicy"
CONTEXT = "policies/b2bManagementPolicies"
KEY = "b2bManagementPolicies"
WRITABLE = {"definition", "description", "displayName", "isOrganizationDefault", "deletedDateTime"}
REQUIRED_ON_CREATE = ("definition", "description", "displayName")
MAX_POLICY_CHARACTERS = 25_000
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)
_NAMESPACE = uuid.UUID("9b7e1c52-3d0a-4f6e-8a41-b2b0b2b0b2b0")


def policies_of(tenant: Tenant) -> dict:
    return tenant.policies.setdefault(KEY, {})


def load_seed(tenant: Tenant, seeds: list) -> None:
    """Seed key ``b2b_management_policies``: Graph-shaped policies; ``definition`` may be given as an
    object (it is stored as its compact JSON string)."""
    store = policies_of(tenant)
    store.clear()
    for position, seed in enumerate(seeds or []):
        policy = {"id": seed.get("id") or str(uuid.uuid5(_NAMESPACE, f"{tenant.id}/{position}")),
                  "deletedDateTime": None, "displayName": seed.get("displayName", "B2BManagementPolicy"),
                  "description": seed.get("description", "B2BManagementPolicy"),
                  "definition": [d if isinstance(d, str) else json.dumps(d, separators=(",", ":"))
                                 for d in seed.get("definition", [{"B2BManagementPolicy": {}}])],
                  "isOrganizationDefault": bool(seed.get("isOrganizationDefault", True))}
        store[policy["id"].lower()] = policy


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

def parse_definition(text) -> dict:
    """One definition string as an object.  The reference's own examples write it with single quotes
    (``{'B2BManagementPolicy':{'Version':1}}``), so that form is read too."""
    if not isinstance(text, str):
        raise bad_request("Invalid value for property 'definition': each item must be a string.")
    for candidate in (text, text.replace("'", '"')):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise bad_request("Invalid value for property 'definition': the policy definition is not valid JSON.")


def check_definition(definition) -> None:
    if not isinstance(definition, list) or len(definition) != 1:
        raise bad_request("Invalid value for property 'definition': expected a collection with one JSON string.")
    policy = parse_definition(definition[0]).get("B2BManagementPolicy")
    if not isinstance(policy, dict):
        raise bad_request("Invalid policy definition: the 'B2BManagementPolicy' object is required.")
    domains = policy.get("InvitationsAllowedAndBlockedDomainsPolicy")
    if domains is None:
        return
    if not isinstance(domains, dict):
        raise bad_request("Invalid policy definition: 'InvitationsAllowedAndBlockedDomainsPolicy' must be an object.")
    lists = {}
    for name in ("AllowedDomains", "BlockedDomains"):
        values = domains.get(name) or []
        if not isinstance(values, list) or not all(isinstance(v, str) and DOMAIN.match(v) for v in values):
            raise bad_request(f"Invalid policy definition: '{name}' must be a list of domain names.")
        lists[name] = values
    if lists["AllowedDomains"] and lists["BlockedDomains"]:
        raise bad_request("Invalid policy definition: set either AllowedDomains or BlockedDomains, not both.")


def check_size(policy: dict) -> None:
    size = sum(len(d) for d in policy["definition"])
    if size > MAX_POLICY_CHARACTERS:
        raise bad_request(f"The policy definition is {size} characters; the limit is {MAX_POLICY_CHARACTERS}.")


def check_body(body, *, creating: bool) -> dict:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    odata_type = body.get("@odata.type")
    if odata_type is not None and odata_type.lstrip("#") != ODATA_TYPE.lstrip("#"):
        raise bad_request(f"Invalid value for '@odata.type': '{odata_type}'.")
    changes = {}
    for name, value in body.items():
        if name.startswith("@"):
            continue
        if name not in WRITABLE:
            raise bad_request(f"Invalid property '{name}'.")
        changes[name] = value
    if creating:
        missing = [name for name in REQUIRED_ON_CREATE if changes.get(name) in (None, "", [])]
        if missing:
            raise bad_request(f"Required property '{missing[0]}' is missing.")
    for name in ("displayName", "description"):
        if name in changes and not (isinstance(changes[name], str) and changes[name].strip()):
            raise bad_request(f"Invalid value for property '{name}'.")
    if "isOrganizationDefault" in changes:
        changes["isOrganizationDefault"] = _boolean(changes["isOrganizationDefault"])
    if changes.get("deletedDateTime") is not None:
        raise bad_request("Invalid value for property 'deletedDateTime': it is set by the service.")
    if "definition" in changes:
        check_definition(changes["definition"])
    return copy.deepcopy(changes)


def _boolean(value) -> bool:
    # The reference's update example sends "true" as a string; both forms are read.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_request("Invalid value for property 'isOrganizationDefault': expected Edm.Boolean.")


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------

def _view(policy: dict) -> dict:
    return {"@odata.type": ODATA_TYPE, **policy}


def _find(req: Request) -> dict:
    policy = policies_of(req.tenant).get(req.match["policy_id"].lower())
    if policy is None:
        raise not_found(f"Resource '{req.match['policy_id']}' does not exist or one of its queried "
                        "reference-property objects are not present.")
    return policy


def _target(policy: dict) -> dict:
    return {"id": policy["id"], "displayName": policy["displayName"], "type": "Policy"}


@route("graph", "GET", COLLECTION, READ)
def list_policies(req: Request) -> Response:
    items = [_view(p) for p in list(policies_of(req.tenant).values())]
    return Response(200, {"@odata.context": odata.context_url(req, CONTEXT), "value": items})


@route("graph", "POST", COLLECTION, WRITE)
def create_policy(req: Request) -> Response:
    changes = check_body(req.body, creating=True)
    with req.world.lock:
        store = policies_of(req.tenant)
        if store:
            raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue",
                           "Only one B2BManagementPolicy is allowed per organization; update or delete the existing one.")
        policy = {"id": str(uuid.uuid4()), "deletedDateTime": None, "isOrganizationDefault": False, **changes}
        check_size(policy)
        store[policy["id"]] = policy
    audit.record(req, audit.CATEGORY_POLICY, audit.ACTIVITY_POLICY_ADD, _target(policy), None, policy)
    return Response(201, {"@odata.context": odata.context_url(req, CONTEXT + "/$entity"), **_view(policy)})


@route("graph", "GET", ITEM, READ)
def get_policy(req: Request) -> Response:
    return Response(200, {"@odata.context": odata.context_url(req, CONTEXT + "/$entity"), **_view(_find(req))})


@route("graph", "PATCH", ITEM, WRITE)
def update_policy(req: Request) -> Response:
    changes = check_body(req.body, creating=False)
    with req.world.lock:
        old = _find(req)
        new = {**old, **changes}
        check_size(new)
        policies_of(req.tenant)[new["id"].lower()] = new
    audit.record(req, audit.CATEGORY_POLICY, audit.ACTIVITY_POLICY_UPDATE, _target(new), old, new)
    return Response(200, {"@odata.context": odata.context_url(req, CONTEXT + "/$entity"), **_view(new)})


@route("graph", "DELETE", ITEM, WRITE)
def delete_policy(req: Request) -> Response:
    with req.world.lock:
        old = _find(req)
        del policies_of(req.tenant)[old["id"].lower()]
    audit.record(req, audit.CATEGORY_POLICY, audit.ACTIVITY_POLICY_DELETE, _target(old), old, None)
    return Response(204)
