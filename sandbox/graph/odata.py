"""OData pieces Graph handlers share: ``@odata.context``, ``$select``, the one ``$filter`` parser,
and the one pager (``$top``, opaque ``$skiptoken`` in ``@odata.nextLink``).

Query options are read with or without the ``$`` prefix, as Graph v1.0 accepts both.
"""
from __future__ import annotations

import base64
import json
import operator
import re
from datetime import datetime
from urllib.parse import quote, urlencode

from sandbox.core import ApiError, Request, bad_request
from sandbox.schema import TYPES

GRAPH_PREFIX = "/graph"
API_VERSION = "v1.0"
BETA_VERSION = "beta"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999


def service_root(req: Request) -> str:
    """``https://host:port/graph/v1.0`` — where the real service has ``https://graph.microsoft.com/v1.0``
    (``/beta`` for a request to the beta endpoint)."""
    version = BETA_VERSION if req.path.lower().startswith(f"/{BETA_VERSION}/") else API_VERSION
    return f"{req.base_url.rstrip('/')}{GRAPH_PREFIX}/{version}"


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
# $filter: clauses joined by "and"; each "prop op literal" or "startswith(prop,'text')"
# ------------------------------------------------------------------------------------------

_FILTER_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")
_COMPARISONS = {"eq": operator.eq, "ne": operator.ne, "ge": operator.ge, "gt": operator.gt, "le": operator.le,
                "lt": operator.lt}
ALL_OPERATORS = frozenset([*_COMPARISONS, "startswith"])


def compile_filter(text: str | None, fields: dict, resource: str, operators: frozenset = ALL_OPERATORS):
    """Compile a ``$filter`` into a predicate over dicts.

    ``fields`` maps each filterable property to its kind: "str" (compared case-insensitively, as
    the directory does), "datetime" or "bool".  ``operators`` are the ones the resource supports;
    any other clause is 400 ``Request_UnsupportedQuery``.
    """
    if not text:
        return lambda item: True
    tokens = _tokenize(text)
    clauses, position = [], 0
    while True:
        clause, position = _parse_clause(tokens, position, fields, resource, operators)
        clauses.append(clause)
        if position == len(tokens):
            return lambda item: all(clause(item) for clause in clauses)
        if tokens[position].lower() != "and":
            raise bad_request("Invalid filter clause")
        position += 1


def _tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _FILTER_TOKEN.match(text, position)
        if not match:
            raise bad_request("Invalid filter clause")
        tokens.append(match.group(match.lastgroup))
        position = match.end()
    return tokens


def _parse_clause(tokens: list, at: int, fields: dict, resource: str, operators: frozenset):
    window = tokens[at:at + 6]
    if window and window[0].lower() == "startswith":
        if len(window) < 6 or window[1] != "(" or window[3] != "," or window[5] != ")":
            raise bad_request("Invalid filter clause")
        name = _field(window[2], fields, resource)
        _require_operator("startswith", operators, name, resource)
        prefix = _literal(window[4], "str")
        return (lambda item: (item.get(name) or "").lower().startswith(prefix)), at + 6
    if len(window) < 3 or window[1].lower() not in _COMPARISONS:
        raise bad_request("Invalid filter clause")
    name = _field(window[0], fields, resource)
    _require_operator(window[1].lower(), operators, name, resource)
    kind, compare = fields[name], _COMPARISONS[window[1].lower()]
    expected = _literal(window[2], kind)
    equality = compare in (operator.eq, operator.ne)

    def clause(item):
        actual = _comparable(item.get(name), kind)
        if actual is None or expected is None:
            return compare(actual, expected) if equality else False
        return compare(actual, expected)
    return clause, at + 3


def _unsupported(name: str, resource: str) -> ApiError:
    return ApiError(400, "Request_UnsupportedQuery",
                    f"Unsupported or invalid query filter clause specified for property '{name}' of resource '{resource}'.")


def _field(name: str, fields: dict, resource: str) -> str:
    for known in fields:
        if known.lower() == name.lower():
            return known
    raise _unsupported(name, resource)


def _require_operator(op: str, operators: frozenset, name: str, resource: str) -> None:
    if op not in operators:
        raise _unsupported(name, resource)


def _literal(token: str, kind: str):
    if token.startswith("'"):
        return _comparable(token[1:-1].replace("''", "'"), kind)
    lowered = token.lower()
    if lowered == "null":
        return None
    if kind == "bool" and lowered in ("true", "false"):
        return lowered == "true"
    if kind == "datetime":
        return _comparable(token, kind)
    raise bad_request(f"Invalid filter clause: unexpected literal {token}")


def _comparable(value, kind: str):
    if value is None:
        return None
    if kind == "str":
        return str(value).lower()
    if kind == "datetime":
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"Invalid filter clause: '{value}' is not a valid DateTimeOffset") from None
    return value


# ------------------------------------------------------------------------------------------
# Paging: $top, and an opaque $skiptoken in @odata.nextLink
# ------------------------------------------------------------------------------------------

def encode_token(state: dict) -> str:
    """An opaque paging token carrying ``state`` (the real service's tokens are opaque too)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str, error: ApiError) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise error from None


def page_size(req: Request, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    raw = query_option(req, "top")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise bad_request(f"Invalid page size specified: '{raw}'. Must be between 1 and {maximum} inclusive.")
    return int(raw)


def page_offset(req: Request) -> int:
    if query_option(req, "skip") is not None:
        raise bad_request("'$skip' is not supported by the service.")
    token = req.query.get("$skiptoken")
    return int(decode_token(token, bad_request("Invalid $skiptoken")).get("offset", 0)) if token else 0


def collection_body(req: Request, items: list, fragment: str, selected: list[str] | None = None, *,
                    countable: bool = False, default_size: int = DEFAULT_PAGE_SIZE,
                    max_size: int = MAX_PAGE_SIZE) -> dict:
    """One page of ``items`` (``$select`` applied): ``{"@odata.context", "@odata.count"?, "value",
    "@odata.nextLink"?}``; the next link is the same query with a new ``$skiptoken``."""
    top, offset = page_size(req, default_size, max_size), page_offset(req)
    body = {"@odata.context": context_url(req, select_context(fragment, selected))}
    if countable and (query_option(req, "count") or "").lower() == "true" and not offset:
        body["@odata.count"] = len(items)
    body["value"] = [project(item, selected) for item in items[offset:offset + top]]
    if offset + top < len(items):
        query = {k: v for k, v in req.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = encode_token({"offset": offset + top})
        body["@odata.nextLink"] = f"{req.base_url.rstrip('/')}{GRAPH_PREFIX}{quote(req.path)}?{urlencode(query, safe='$,')}"
    return body
