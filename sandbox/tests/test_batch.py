"""JSON $batch: payload rules socket-free, then per-item faults over the wire.

msgraph-core's BatchRequestContent needs the ``deprecated`` package, which this project does
not install, so the wire test posts the batch JSON itself."""
import pytest

from sandbox.core import Caller
from sandbox.dispatch import dispatch_internal
from sandbox.seed import build_world, parse_seed

HOME = "11111111-1111-4111-8111-111111111111"
APP = "aaaaaaaa-0000-4000-8000-000000000001"
AUTHZ = "/policies/authorizationPolicy"
READ_ONLY = frozenset({"Policy.Read.All"})
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def world():
    return build_world(parse_seed({"tenants": [{"name": "home", "id": HOME, "domains": ["home.example"]}]}))


def post_batch(world, requests, roles=frozenset({"Policy.Read.All", "Policy.ReadWrite.Authorization"})):
    return dispatch_internal("graph", "POST", "/v1.0/$batch", JSON, {"requests": requests},
                             Caller(HOME, APP, "https://graph.microsoft.com", roles), world.find_tenant(HOME), world,
                             "https://127.0.0.1:8443")


def by_id(response):
    return {item["id"]: item for item in response.body["responses"]}


def test_items_run_with_their_own_status(world):
    response = post_batch(world, [
        {"id": "1", "method": "GET", "url": AUTHZ},
        {"id": "2", "method": "PATCH", "url": AUTHZ, "body": {"blockMsolPowerShell": True}, "headers": JSON},
        {"id": "3", "method": "GET", "url": "policies/authorizationPolicy?$select=blockMsolPowerShell", "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": "/no/such/thing"},
    ])
    assert response.status == 200
    items = by_id(response)
    assert [items[i]["status"] for i in "1234"] == [200, 204, 200, 400]
    assert items["3"]["body"]["blockMsolPowerShell"] is True
    assert "body" not in items["2"]


def test_failed_dependency_gives_424_down_the_chain(world):
    items = by_id(post_batch(world, [
        {"id": "a", "method": "PATCH", "url": AUTHZ, "body": {"allowInvitesFrom": "nobody"}, "headers": JSON},
        {"id": "b", "method": "GET", "url": AUTHZ, "dependsOn": ["a"]},
        {"id": "c", "method": "GET", "url": AUTHZ, "dependsOn": ["B"]},
    ]))
    assert [items[i]["status"] for i in "abc"] == [400, 424, 424]
    assert items["b"]["body"]["error"]["code"] == "FailedDependency"


def test_permissions_are_checked_per_item(world):
    items = by_id(post_batch(world, [
        {"id": "r", "method": "GET", "url": AUTHZ},
        {"id": "w", "method": "PATCH", "url": AUTHZ, "body": {"blockMsolPowerShell": True}, "headers": JSON},
    ], roles=READ_ONLY))
    assert (items["r"]["status"], items["w"]["status"]) == (200, 403)
    assert items["w"]["body"]["error"]["code"] == "Authorization_RequestDenied"


@pytest.mark.parametrize("requests, words", [
    ([{"id": str(i), "method": "GET", "url": AUTHZ} for i in range(21)], "Too many requests"),
    ([{"id": "x", "method": "GET", "url": AUTHZ}, {"id": "X", "method": "GET", "url": AUTHZ}], "not unique"),
    ([{"method": "GET", "url": AUTHZ}], "'id'"),
    ([{"id": "1", "method": "PATCH", "url": AUTHZ, "body": {}}], "Content-Type"),
    ([{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0" + AUTHZ}], "relative URL"),
    ([{"id": "1", "method": "GET", "url": AUTHZ, "dependsOn": ["9"]}], "not in the batch"),
    ([{"id": "1", "method": "GET", "url": AUTHZ, "dependsOn": ["2"]},
      {"id": "2", "method": "GET", "url": AUTHZ, "dependsOn": ["1"]}], "circular"),
])
def test_malformed_batches_are_400(world, requests, words):
    response = post_batch(world, requests)
    assert response.status == 400 and words in response.body["error"]["message"]


def test_twenty_requests_are_allowed(world):
    response = post_batch(world, [{"id": str(i), "method": "GET", "url": AUTHZ} for i in range(20)])
    assert response.status == 200 and len(response.body["responses"]) == 20


def test_throttled_item_is_429_inside_a_200_batch(sandbox, http):
    from conftest import bearer
    sandbox.set_faults({"kind": "status", "status": 429, "retry_after": 3, "service": "graph",
                        "method": "PATCH", "path": "/v1.0/policies/authorizationPolicy"})
    response = http.post(sandbox.graph_url + "/v1.0/$batch", headers=bearer(sandbox), json={"requests": [
        {"id": "1", "method": "GET", "url": AUTHZ},
        {"id": "2", "method": "PATCH", "url": AUTHZ, "body": {"blockMsolPowerShell": True}, "headers": JSON},
    ]})
    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["responses"]}
    assert items["1"]["status"] == 200
    assert items["2"]["status"] == 429 and items["2"]["headers"]["Retry-After"] in ("3", 3)
