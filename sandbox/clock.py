"""The one timestamp helper: every time the sandbox writes into a body or a header comes from here."""
from __future__ import annotations

from datetime import datetime, timezone


def utc_timestamp(moment: datetime | None = None, *, timespec: str = "seconds", zone: str = "Z",
                  sep: str = "T") -> str:
    """``moment`` (default: now) in UTC as ISO 8601.  A naive ``moment`` is taken as UTC.

    Graph's DateTimeOffset values are ``2021-01-01T00:00:00Z`` (audit entries carry microseconds:
    ``timespec="microseconds"``); its error ``innerError.date`` has no zone (``zone=""``); the login
    service's AADSTS texts write ``2021-01-01 00:00:00Z`` (``sep=" "``).
    """
    if moment is None:
        moment = datetime.now(timezone.utc).replace(tzinfo=None)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(sep, timespec) + zone      # isoformat is much cheaper than strftime
