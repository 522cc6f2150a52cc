"""Request-body validation against Microsoft Graph's v1.0 schema (the CSDL extract).

``data/graph_schema.json`` is made by ``sandbox/schema_gen.py`` from Microsoft's CSDL.
Lookup tables are built once at import, so a validation is a walk over the body only.
Errors are ``ApiError(400, "Request_BadRequest", ...)``; the unknown-property message is the
one real tenants give (see sandbox/README.md, "Fidelity choices").
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sandbox.core import GUID_RE, ApiError, bad_request

SCHEMA_PATH = Path(__file__).with_name("data") / "graph_schema.json"
ODATA_TYPE = "@odata.type"
MODES = ("patch", "post", "put")

# Properties a PATCH may not set, beyond every type's key and directoryObject.deletedDateTime.
# Sources: the docs' "updatable properties" lists and the resource pages' "Read-only" notes.
READ_ONLY_ON_PATCH = {
    "crossTenantAccessPolicyConfigurationDefault": {"isServiceDefault", "automaticUserConsentSettings"},
    "crossTenantAccessPolicyConfigurationPartner": {"isInMultiTenantOrganization", "isServiceProvider"},
    "authenticationFlowsPolicy": {"displayName", "description"},
}
ALWAYS_READ_ONLY = {"deletedDateTime"}
# Navigation properties a write body may carry inline (Graph accepts these; others are refused).
INLINE_NAVIGATION = {"emailAuthenticationMethodConfiguration": {"includeTargets"}}
# The evolvable-enum sentinel marks values the service added later; clients may not send it.
ENUM_SENTINEL = "unknownFutureValue"
EXTENSION_PROPERTY = re.compile(r"^extension_[0-9a-f]{32}_\w+$", re.I)

_INTEGER_TYPES = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte"}
_NUMBER_TYPES = {"Edm.Double", "Edm.Single", "Edm.Decimal"}
_STRING_TYPES = {"Edm.String", "Edm.Duration", "Edm.TimeOfDay", "Edm.Stream"}


@dataclass
class StructuredType:
    name: str
    kind: str
    base: str | None
    abstract: bool
    open: bool
    key: tuple
    properties: dict                       # name -> {"type", "collection", "nullable"}, base types included
    navigation: dict                       # name -> {"type", "collection"}, base types included
    subtypes: set = field(default_factory=set)   # this type and every type derived from it
    lower_names: dict = field(default_factory=dict)  # lower-case name -> declared name


def _load() -> tuple[dict, dict]:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    raw_types, enums = document["types"], document["enums"]

    def chain(name):
        while name:
            yield name
            name = raw_types[name].get("base")

    types = {}
    for name, raw in raw_types.items():
        properties, navigation, key = {}, {}, ()
        for ancestor in reversed(list(chain(name))):
            properties.update(raw_types[ancestor]["properties"])
            navigation.update(raw_types[ancestor].get("navigation", {}))
            key = tuple(raw_types[ancestor].get("key", key))
        types[name] = StructuredType(name, raw["kind"], raw.get("base"), raw.get("abstract", False),
                                     any(raw_types[a].get("open") for a in chain(name)), key,
                                     properties, navigation)
        types[name].lower_names = {n.lower(): n for n in [*properties, *navigation]}
    for name in raw_types:
        for ancestor in chain(name):
            types[ancestor].subtypes.add(name)
    return types, {name: tuple(e["members"]) for name, e in enums.items()}


TYPES, ENUMS = _load()


def validate_body(type_name: str, body, *, mode: str) -> None:
    """Check a write body against ``type_name``; raise ``ApiError(400)`` on the first fault."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.")
    stype = _resolve_odata_type(TYPES[type_name], body)
    refused = _read_only(stype) if mode == "patch" else set()
    _validate_object(stype, body, refused, path="")


def _read_only(stype: StructuredType) -> set:
    names = set(stype.key) | ALWAYS_READ_ONLY
    for name, extra in READ_ONLY_ON_PATCH.items():
        if stype.name in TYPES[name].subtypes:
            names |= extra
    return names


def _resolve_odata_type(declared: StructuredType, body: dict) -> StructuredType:
    """The type the body is: the declared one, or the subtype its ``@odata.type`` names."""
    sent = body.get(ODATA_TYPE)
    if sent is None:
        return declared
    name = sent[1:] if isinstance(sent, str) and sent.startswith("#") else sent
    if isinstance(name, str) and name.startswith("microsoft.graph.") and name.count(".") == 2:
        name = name[len("microsoft.graph."):]
    if name not in declared.subtypes:
        raise bad_request(f"Invalid @odata.type '{sent}': expected microsoft.graph.{declared.name} "
                          f"or a type derived from it.")
    if TYPES[name].abstract:
        raise bad_request(f"Invalid @odata.type '{sent}': microsoft.graph.{name} is abstract.")
    return TYPES[name]


def _validate_object(stype: StructuredType, body: dict, refused: set, path: str) -> None:
    for sent_name, value in body.items():
        if sent_name.startswith("@"):
            continue                    # instance annotations; @odata.type was resolved above
        if "@" in sent_name:
            _check_annotation(stype, sent_name)
            continue
        where = f"{path}{sent_name}"
        if sent_name in stype.properties:
            if sent_name in refused:
                raise bad_request(f"Property '{sent_name}' is read-only and cannot be set.")
            _validate_value(stype.properties[sent_name], value, where)
        elif sent_name in INLINE_NAVIGATION.get(stype.name, ()):
            _validate_value({**stype.navigation[sent_name], "nullable": False}, value, where)
        elif stype.open and EXTENSION_PROPERTY.match(sent_name):
            continue
        else:
            # Covers wrong case too: Graph's property names are case-sensitive.
            raise bad_request(f"Invalid property '{sent_name}'.")


def _check_annotation(stype: StructuredType, sent_name: str) -> None:
    prop, _, term = sent_name.partition("@")
    if term == "odata.bind" and prop in stype.navigation:
        return
    raise bad_request(f"Invalid property '{sent_name}'.")


def _validate_value(prop: dict, value, where: str) -> None:
    type_name, nullable = prop["type"], prop["nullable"]
    expected = f"Collection({type_name})" if prop["collection"] else type_name
    if value is None:
        if not nullable:
            raise bad_request(f"Invalid value for property '{where}': null is not allowed for "
                              f"non-nullable {expected}.")
        return
    if prop["collection"]:
        if not isinstance(value, list):
            raise _type_error(where, expected, value)
        for index, item in enumerate(value):
            if item is None:
                raise bad_request(f"Invalid value for property '{where}[{index}]': null is not "
                                  f"allowed in {expected}.")
            _validate_single(type_name, item, f"{where}[{index}]")
    else:
        _validate_single(type_name, value, where)


def _validate_single(type_name: str, value, where: str) -> None:
    if type_name in TYPES:
        if not isinstance(value, dict):
            raise _type_error(where, type_name, value)
        stype = _resolve_odata_type(TYPES[type_name], value)
        _validate_object(stype, value, set(), path=f"{where}.")
    elif type_name in ENUMS:
        _validate_enum(type_name, value, where)
    elif not _primitive_ok(type_name, value):
        raise _type_error(where, type_name, value)


def _validate_enum(type_name: str, value, where: str) -> None:
    allowed = [m for m in ENUMS[type_name] if m != ENUM_SENTINEL]
    if isinstance(value, str) and value in allowed:
        return
    raise bad_request(f"Invalid value {json.dumps(value)} for property '{where}': expected "
                      f"microsoft.graph.{type_name} ({', '.join(allowed)}).")


def _primitive_ok(type_name: str, value) -> bool:
    if type_name == "Edm.Boolean":
        return isinstance(value, bool)
    if type_name in _INTEGER_TYPES:
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name in _NUMBER_TYPES:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if not isinstance(value, str):
        return False
    if type_name == "Edm.Guid":
        return bool(GUID_RE.match(value))
    if type_name == "Edm.DateTimeOffset":
        return _parses(datetime.fromisoformat, value)
    if type_name == "Edm.Date":
        return _parses(date.fromisoformat, value)
    if type_name == "Edm.Binary":
        return _parses(lambda v: base64.b64decode(v, validate=True), value)
    return type_name in _STRING_TYPES or type_name.startswith("Edm.")


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
        return True
    except (ValueError, binascii.Error):
        return False


def _type_error(where: str, expected: str, value) -> ApiError:
    return bad_request(f"Invalid value for property '{where}': expected {_edm_label(expected)}, "
                       f"got {json.dumps(value)[:60]}.")


def _edm_label(type_name: str) -> str:
    return type_name if type_name.startswith(("Edm.", "Collection(")) else f"microsoft.graph.{type_name}"


# ------------------------------------------------------------------------------------------
# The crossTenantAccessPolicy size limit (https://learn.microsoft.com/graph/api/crosstenantaccesspolicy-update: 25 KB;
# PATCH answers 400 beyond it)
# ------------------------------------------------------------------------------------------

CROSS_TENANT_POLICY_LIMIT_BYTES = 25 * 1024


def stored_size(value) -> int:
    """Bytes the policy takes, counting only properties that are set (null = inherited)."""
    return len(json.dumps(_without_nulls(value), separators=(",", ":")).encode("utf-8"))


def check_cross_tenant_policy_size(parts: list) -> None:
    """``parts`` is the whole policy as it would be after the write (root, default, partners)."""
    if sum(stored_size(part) for part in parts) > CROSS_TENANT_POLICY_LIMIT_BYTES:
        raise bad_request("The crossTenantAccessPolicy object size would exceed the 25KB limit.")


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
