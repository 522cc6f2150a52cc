"""Export the cross-tenant access policy, default and partners in the modules' input shape.

Feeding ``policy``, ``default`` and each of ``partners`` back into the modules changes nothing:
only the fields the modules manage appear, canonicalised the same way the modules compare them.
"""
from __future__ import annotations

import asyncio

from ..plan import Plan
from . import cross_tenant_policy
from .cross_tenant_default import PATH as DEFAULT_PATH
from .cross_tenant_partner import ABSENT, PARTNERS, partner_from_graph
from .cross_tenant_settings import DEFAULT_BLOCKS, INHERIT, blocks_from_graph


def validate(params: dict, tenant_id: str) -> None:
    return None


async def read(session, params: dict) -> dict:
    graph = session.graph
    policy, default, partners = await asyncio.gather(
        graph.get(cross_tenant_policy.PATH),
        graph.get(DEFAULT_PATH),
        # One list call with the identity synchronization of every partner, not one call per partner.
        graph.list_all(PARTNERS, params={"$expand": "identitySynchronization"}))
    return {"policy": policy, "default": default, "partners": partners}


def partner_options(partner: dict) -> dict:
    """A partner as ``cross_tenant_access_partner`` takes it: inherited blocks listed in ``inherit``."""
    options = {"partner": partner["partner"]}
    inherit = [option for option, value in partner.items() if value == INHERIT]
    if inherit:
        options["inherit"] = inherit
    options.update({k: v for k, v in partner.items() if k not in ("partner", "identity_synchronization")
                    and v != INHERIT})
    sync = partner["identity_synchronization"]
    options["identity_synchronization"] = {"state": "absent"} if sync == ABSENT else sync
    return options


def export(current: dict, cloud: str | None = None) -> dict:
    """Only the settings ``cloud`` has: an export re-applied in the same cloud changes nothing."""
    partners = [partner_options(partner_from_graph(raw, raw.get("identitySynchronization"), cloud))
                for raw in current["partners"]]
    return {"policy": cross_tenant_policy.normalise(current["policy"], cloud),
            "default": blocks_from_graph(current["default"], DEFAULT_BLOCKS, cloud),
            "partners": sorted(partners, key=lambda partner: partner["partner"])}


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    return Plan({}, {}, result=export(current, params.get("cloud")))
