"""Instants: one home for "now", reading ISO text and UTC conversions.

Everything stored or sent is a UTC instant; zones matter only for days and
for display (coordtui.domain.days).  SQLite hands datetimes back naive, and
those are UTC; arguments carry ISO text with an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def instant(value: str | datetime) -> datetime:
    """ISO text (or a datetime) as an aware UTC instant; naive is taken as UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return utc(dt)


def utc(moment: datetime) -> datetime:
    """An aware UTC instant; a naive one (as SQLite returns them) is UTC already."""
    if moment.tzinfo is UTC:
        return moment  # the usual case, on hot paths (a FHIR export of every patient)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO text of the UTC instant, with its +00:00 offset."""
    return utc(moment).isoformat()


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with 'Z', as FHIR instants and dateTimes want."""
    return iso(moment).replace("+00:00", "Z")
