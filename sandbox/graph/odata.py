"""OData pieces Graph handlers share: ``@odata.context``, ``$select``, ``$filter`` (eq),
``$top``/``$skip`` paging with ``@odata.nextLink``.

Query options are read with or without the ``$`` prefix, as Graph v1.0 accepts both.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from sandbox.core import ApiError, Request, bad_request
from sandbox.schema import TYPES

GRAPH_PREFIX = "/graph"
API_VERSION = "v1.0"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999


def service_root(req: Request) -> str:
    """``https://host:port/graph/v1.0`` — where the real service has ``https://graph.microsoft.com/v1.0``."""
    return f"{req.base_url.rstrip('/')}{GRAPH_PREFIX}/{API_VERSION}"


def context_url(req: Request, fragment: str) -> str:
    """``@odata.context`` for ``fragment``, e.g. ``policies/authorizationPolicy/$entity``."""
    return f"{service_root(req)}/$metadata#{fragment}"


def query_option(req: Request, name: str) -> str | None:
    """The value of ``$name`` (or ``name``) from the query string, or None."""
    value = req.query.get(f"${name}")
    return value if value is not None else req.query.get(name)


# ------------------------------------------------------------------------------------------
# $select
# ------------------------------------------------------------------------------------------

def selected_properties(req: Request, type_name: str) -> list[str] | None:
    """The ``$select`` list, checked against the type; None when there is no ``$select``."""
    raw = query_option(req, "select")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    stype = TYPES[type_name]
    for name in names:
        if name not in stype.properties and name not in stype.navigation:
            raise bad_request(f"Could not find a property named '{name}' on type "
                              f"'microsoft.graph.{type_name}'.")
    return names


def project(obj: dict, selected: list[str] | None) -> dict:
    """Keep only the selected properties (annotations such as ``@odata.type`` stay)."""
    if selected is None:
        return obj
    return {k: v for k, v in obj.items() if k.startswith("@") or k in selected}


def select_context(fragment: str, selected: list[str] | None) -> str:
    """``policies/x/partners`` + [a, b] -> ``policies/x/partners(a,b)`` as Graph writes it."""
    return f"{fragment}({','.join(selected)})" if selected else fragment


def entity_response_body(req: Request, obj: dict, type_name: str, fragment: str) -> dict:
    """A single entity for GET: ``$select`` applied, ``@odata.context`` first."""
    selected = selected_properties(req, type_name)
    context = context_url(req, select_context(fragment, selected) + "/$entity")
    return {"@odata.context": context, **project(obj, selected)}


# ------------------------------------------------------------------------------------------
# $filter (the small subset the sandbox serves: "<prop> eq '<value>'" joined by "and")
# ------------------------------------------------------------------------------------------

_EQ_CLAUSE = re.compile(r"^\s*(?P<prop>[A-Za-z_][\w/]*)\s+eq\s+(?:'(?P<str>(?:[^']|'')*)'|(?P<lit>true|false|null|[\w.-]+))\s*$",
                        re.I)


def parse_eq_filter(req: Request, filterable: set[str]) -> dict | None:
    """``$filter`` as ``{prop: value}``; None without one.  Unsupported clauses give 400."""
    raw = query_option(req, "filter")
    if raw is None:
        return None
    conditions = {}
    for clause in re.split(r"\s+and\s+", raw.strip(), flags=re.I):
        match = _EQ_CLAUSE.match(clause)
        if not match or match.group("prop") not in filterable:
            raise ApiError(400, "Request_UnsupportedQuery",
                           f"Unsupported or invalid query filter clause specified: '{clause.strip()}'.")
        if match.group("str") is not None:
            value = match.group("str").replace("''", "'")
        else:
            value = {"true": True, "false": False, "null": None}.get(match.group("lit").lower(), match.group("lit"))
        conditions[match.group("prop")] = value
    return conditions


def matches(obj: dict, conditions: dict | None, *, case_insensitive: set[str] = frozenset()) -> bool:
    if not conditions:
        return True
    for prop, wanted in conditions.items():
        actual = obj.get(prop)
        if prop in case_insensitive and isinstance(actual, str) and isinstance(wanted, str):
            if actual.lower() != wanted.lower():
                return False
        elif actual != wanted:
            return False
    return True


# ------------------------------------------------------------------------------------------
# Paging
# ------------------------------------------------------------------------------------------

def _non_negative_int(req: Request, name: str, default: int | None) -> int | None:
    raw = query_option(req, name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request(f"Invalid value '{raw}' for query option '${name}'.")
    return int(raw)


def page(req: Request, items: list, *, default_size: int = DEFAULT_PAGE_SIZE,
         max_size: int = MAX_PAGE_SIZE) -> tuple[list, str | None]:
    """Slice ``items`` by ``$skip``/``$top``; return the page and the ``@odata.nextLink`` (or None)."""
    top = _non_negative_int(req, "top", default_size)
    if top < 1 or top > max_size:
        raise bad_request(f"Invalid page size specified: '{top}'. Must be between 1 and {max_size} inclusive.")
    skip = _non_negative_int(req, "skip", 0)
    chunk = items[skip:skip + top]
    if skip + top >= len(items):
        return chunk, None
    return chunk, next_link(req, skip + top, top)


def next_link(req: Request, skip: int, top: int) -> str:
    """The full URL of the next page: the same query with ``$top`` and ``$skip`` moved on."""
    query = {k: v for k, v in req.query.items() if k.lstrip("$") not in ("top", "skip")}
    query.update({"$top": str(top), "$skip": str(skip)})
    return f"{req.base_url.rstrip('/')}{GRAPH_PREFIX}{quote(req.path)}?{urlencode(query, safe='$,')}"


def collection_body(req: Request, items: list, fragment: str, selected: list[str] | None = None) -> dict:
    """``{"@odata.context", "value", "@odata.nextLink"?}`` for a paged, projected collection."""
    chunk, link = page(req, items)
    body = {"@odata.context": context_url(req, select_context(fragment, selected)),
            "value": [project(item, selected) for item in chunk]}
    if link:
        body["@odata.nextLink"] = link
    return body
