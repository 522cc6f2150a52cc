"""Normalisation and comparison shared by resource units.

Units compare a *canonical* form of the input shape: GUIDs in lower case, enum values spelled
as Graph spells them, set-like lists sorted and without duplicates.  Two settings that mean the
same thing then compare equal with ``==``, so nothing shows as drift that is not drift.
"""
from __future__ import annotations

import json
import re

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def canonical_id(value: str) -> str:
    """A GUID in lower case; any other string unchanged."""
    return value.lower() if is_guid(value) else value


def canonical_choice(value, choices) -> str | None:
    """``value`` spelled as in ``choices`` when it matches one case-insensitively, else None."""
    if not isinstance(value, str):
        return None
    by_lower = {choice.lower(): choice for choice in choices}
    return by_lower.get(value.strip().lower())


def as_set(items, key=None) -> list:
    """A list compared as a set: duplicates dropped, sorted (by ``key`` for dicts)."""
    unique = {json.dumps(item, sort_keys=True): item for item in items}
    return sorted(unique.values(), key=key or (lambda item: json.dumps(item, sort_keys=True)))


def changed_keys(before: dict, after: dict) -> list:
    """Top-level keys of ``after`` whose value differs from ``before`` (in ``after``'s order)."""
    return [key for key, value in after.items() if before.get(key) != value]
