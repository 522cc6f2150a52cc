"""JSON batching: ``POST /v1.0/$batch`` (https://learn.microsoft.com/graph/json-batching).

Each item runs through the framework's internal dispatch as the batch's caller and tenant, so
permissions, faults and throttling apply per item: a throttled item answers 429 inside a 200
batch.  Items run in the order given, except that an item waits for the items it depends on.
"""
from __future__ import annotations

from sandbox.core import ApiError, Request, Response, bad_request, route
from sandbox.dispatch import dispatch_internal, render_error

MAX_REQUESTS = 20
API_VERSION_PREFIX = "/v1.0"


@route("graph", "POST", r"/v1\.0/\$batch")
def batch(req: Request) -> Response:
    items = _parse(req.body)
    by_id = {item["id"].lower(): item for item in items}
    results: dict[str, dict] = {}
    for item in items:
        _run(req, item, by_id, results, pending=set())
    return Response(200, {"responses": [results[item["id"].lower()] for item in items]})


def _parse(body) -> list[dict]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise bad_request("Invalid batch payload format.")
    items = body["requests"]
    if len(items) > MAX_REQUESTS:
        raise bad_request(f"Too many requests in the batch: {len(items)}. The limit is {MAX_REQUESTS}.")
    seen = set()
    for item in items:
        _check_item(item)
        key = item["id"].lower()
        if key in seen:
            raise bad_request(f"Batch request id '{item['id']}' is not unique (ids are not case-sensitive).")
        seen.add(key)
    for item in items:
        for dependency in item.get("dependsOn") or []:
            if not isinstance(dependency, str) or dependency.lower() not in seen:
                raise bad_request(f"Request id '{item['id']}' depends on '{dependency}', which is not in the batch.")
    return items


def _check_item(item) -> None:
    if not isinstance(item, dict):
        raise bad_request("Invalid batch payload format.")
    if not isinstance(item.get("id"), str) or not item["id"]:
        raise bad_request("Batch request is missing the required property 'id'.")
    for name in ("method", "url"):
        if not isinstance(item.get(name), str) or not item[name]:
            raise bad_request(f"Batch request id '{item['id']}' is missing the required property '{name}'.")
    if "://" in item["url"] or item["url"].lstrip("/").lower().startswith("$batch"):
        raise bad_request(f"Batch request id '{item['id']}' must have a relative URL other than $batch.")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict) or not isinstance(item.get("dependsOn", []), list):
        raise bad_request(f"Batch request id '{item['id']}' has an invalid 'headers' or 'dependsOn'.")
    if "body" in item and not any(k.lower() == "content-type" for k in headers):
        raise bad_request(f"Write request id : {item['id']} does not contain Content-Type header or body.")


def _run(req: Request, item: dict, by_id: dict, results: dict, pending: set) -> dict:
    key = item["id"].lower()
    if key in results:
        return results[key]
    if key in pending:
        raise bad_request(f"Batch request id '{item['id']}' has a circular dependsOn.")
    pending.add(key)
    failed = next((dep for dep in item.get("dependsOn") or []
                   if _run(req, by_id[dep.lower()], by_id, results, pending)["status"] >= 400), None)
    if failed is not None:
        results[key] = _failed_dependency(req, item, failed)
    else:
        results[key] = _dispatch(req, item)
    pending.discard(key)
    return results[key]


def _dispatch(req: Request, item: dict) -> dict:
    url = "/" + item["url"].lstrip("/")
    response = dispatch_internal("graph", item["method"], API_VERSION_PREFIX + url, item.get("headers") or {},
                                 item.get("body"), req.caller, req.tenant, req.world, req.base_url)
    return _item(item["id"], response)


def _failed_dependency(req: Request, item: dict, failed: str) -> dict:
    err = ApiError(424, "FailedDependency", f"The request depends on request '{failed}', which failed.")
    return _item(item["id"], render_error(req, err))


def _item(item_id: str, response: Response) -> dict:
    result = {"id": item_id, "status": response.status, "headers": dict(response.headers)}
    if response.body is not None:
        result["body"] = response.body
    return result
