#!/usr/bin/env python3
"""Extract the part of Microsoft Graph's v1.0 CSDL that the sandbox serves into compact JSON.

    python -m sandbox.schema_gen [CSDL_PATH] [OUT]

Defaults: ``../shared/reference/graph/csdl/v1.0-Prod.csdl`` (relative to the repository root)
and ``sandbox/data/graph_schema.json``.  The sandbox reads only the JSON at run time; this
script is the only way that file is made, so regenerate rather than hand-edit it.

The extract holds the root types below plus the closure of their structural property types
(complex and enum types), their base types, and the types derived from every included complex
type (so ``@odata.type`` may name a subtype).  Navigation properties are recorded by name and
type but not followed, except for the roots themselves.
"""
from __future__ import annotations

import hashlib
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSDL = REPO_ROOT / ".." / "shared" / "reference" / "graph" / "csdl" / "v1.0-Prod.csdl"
DEFAULT_OUT = REPO_ROOT / "sandbox" / "data" / "graph_schema.json"

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
MAIN_NAMESPACE = "microsoft.graph"

ROOT_TYPES = (
    "crossTenantAccessPolicy",
    "crossTenantAccessPolicyConfigurationDefault",
    "crossTenantAccessPolicyConfigurationPartner",
    "crossTenantIdentitySyncPolicyPartner",
    "authorizationPolicy",
    "defaultUserRolePermissions",
    "emailAuthenticationMethodConfiguration",
    "authenticationMethodTarget",
    "authenticationFlowsPolicy",
    "user",
    "group",
    "organization",
    "tenantInformation",
    "directoryAudit",
    "delegatedAdminCustomer",
    "multiTenantOrganizationMember",
)


class Csdl:
    """Index of every schema element by qualified name, with aliases resolved."""

    def __init__(self, root: ET.Element):
        self.elements: dict[str, ET.Element] = {}
        self.aliases: dict[str, str] = {}
        schemas = root.iter(EDM + "Schema")
        for schema in schemas:
            namespace = schema.attrib["Namespace"]
            if "Alias" in schema.attrib:
                self.aliases[schema.attrib["Alias"]] = namespace
            for element in schema:
                if element.tag in (EDM + "EntityType", EDM + "ComplexType", EDM + "EnumType"):
                    self.elements[f"{namespace}.{element.attrib['Name']}"] = element

    def qualify(self, name: str) -> str:
        prefix, _, rest = name.partition(".")
        if prefix in self.aliases:
            return f"{self.aliases[prefix]}.{rest}"
        return name

    def derived_types(self) -> dict[str, list[str]]:
        derived: dict[str, list[str]] = {}
        for qualified, element in self.elements.items():
            base = element.attrib.get("BaseType")
            if base:
                derived.setdefault(self.qualify(base), []).append(qualified)
        return derived


def short_name(qualified: str) -> str:
    """Types of the main namespace are named without it; others keep their namespace."""
    if qualified.startswith(MAIN_NAMESPACE + ".") and qualified.count(".") == 2:
        return qualified[len(MAIN_NAMESPACE) + 1:]
    return qualified


def split_type(type_attr: str) -> tuple[str, bool]:
    if type_attr.startswith("Collection(") and type_attr.endswith(")"):
        return type_attr[len("Collection("):-1], True
    return type_attr, False


def type_ref(csdl: Csdl, type_attr: str) -> tuple[str, bool, str | None]:
    """(name as stored, is collection, qualified name when it is a schema type)."""
    inner, collection = split_type(type_attr)
    if inner.startswith("Edm."):
        return inner, collection, None
    qualified = csdl.qualify(inner)
    return short_name(qualified), collection, qualified


def describe_structured(csdl: Csdl, element: ET.Element) -> tuple[dict, set[str]]:
    """The JSON form of an entity/complex type, and the schema types its properties use."""
    kind = "entity" if element.tag == EDM + "EntityType" else "complex"
    entry: dict = {"kind": kind}
    referenced: set[str] = set()
    if "BaseType" in element.attrib:
        base = csdl.qualify(element.attrib["BaseType"])
        entry["base"] = short_name(base)
        referenced.add(base)
    if element.attrib.get("Abstract") == "true":
        entry["abstract"] = True
    if element.attrib.get("OpenType") == "true":
        entry["open"] = True
    key = element.find(EDM + "Key")
    if key is not None:
        entry["key"] = [ref.attrib["Name"] for ref in key]
    properties, navigation = {}, {}
    for prop in element.findall(EDM + "Property"):
        name, collection, qualified = type_ref(csdl, prop.attrib["Type"])
        properties[prop.attrib["Name"]] = {
            "type": name,
            "collection": collection,
            "nullable": prop.attrib.get("Nullable", "true") != "false",
        }
        if qualified:
            referenced.add(qualified)
    for nav in element.findall(EDM + "NavigationProperty"):
        name, collection, _ = type_ref(csdl, nav.attrib["Type"])
        navigation[nav.attrib["Name"]] = {"type": name, "collection": collection,
                                          "containsTarget": nav.attrib.get("ContainsTarget") == "true"}
    entry["properties"] = dict(sorted(properties.items()))
    if navigation:
        entry["navigation"] = dict(sorted(navigation.items()))
    return entry, referenced


def describe_enum(element: ET.Element) -> dict:
    entry = {"members": [member.attrib["Name"] for member in element.findall(EDM + "Member")]}
    if element.attrib.get("IsFlags") == "true":
        entry["flags"] = True
    return entry


def extract(csdl: Csdl, roots: tuple[str, ...]) -> dict:
    derived = csdl.derived_types()
    types: dict[str, dict] = {}
    enums: dict[str, dict] = {}
    pending = [f"{MAIN_NAMESPACE}.{root}" for root in roots]
    seen: set[str] = set()
    while pending:
        qualified = pending.pop()
        if qualified in seen:
            continue
        seen.add(qualified)
        element = csdl.elements.get(qualified)
        if element is None:
            raise SystemExit(f"type {qualified} is not in the CSDL")
        if element.tag == EDM + "EnumType":
            enums[short_name(qualified)] = describe_enum(element)
            continue
        entry, referenced = describe_structured(csdl, element)
        types[short_name(qualified)] = entry
        pending.extend(referenced)
        if entry["kind"] == "complex":
            pending.extend(derived.get(qualified, ()))
    return {"types": dict(sorted(types.items())), "enums": dict(sorted(enums.items()))}


def main(argv: list[str]) -> int:
    csdl_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSDL
    out_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    raw = csdl_path.read_bytes()
    csdl = Csdl(ET.fromstring(raw))
    document = {
        "source": {"file": csdl_path.name, "sha256": hashlib.sha256(raw).hexdigest()},
        "roots": sorted(ROOT_TYPES),
        **extract(csdl, ROOT_TYPES),
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{out_path}: {len(document['types'])} types, {len(document['enums'])} enums")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
