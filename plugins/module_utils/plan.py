"""What a resource unit hands back: the before/after of the managed fields and the writes between them."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Landed:
    """How to tell whether a write that is not safe to repeat took effect: ``GET path`` answers
    200 with the ``expect`` fields.  Asked only when the answer to the write was lost."""
    path: str
    expect: dict = field(default_factory=dict)


@dataclass
class Change:
    """One write.  ``summary`` is what the user reads in ``applied`` / ``not_applied``.
    ``landed`` is given for a POST that must not simply be sent again (see transport.RetryRule);
    ``api`` is the Graph version the path is under ("beta" only for the settings v1.0 does not have)."""
    summary: str
    method: str
    path: str
    body: dict | None = None
    landed: Landed | None = None
    api: str = "v1.0"


@dataclass
class Plan:
    before: dict
    after: dict
    changes: list = field(default_factory=list)
    result: dict = field(default_factory=dict)      # extra return values
    warnings: list = field(default_factory=list)
    diff: dict | None = None                        # a unit's own diff, when before/after would be too large
