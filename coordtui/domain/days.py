"""Clinic-local days and instants: the clinic's IANA zone is applied only here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

DB_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def day_bounds_utc(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """UTC instants of local midnight to the next (23 or 25 hours around DST)."""
    nxt = day + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local(moment: datetime, zone: tzinfo) -> datetime:
    """An instant as clinic wall-clock time (naive input is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def local_today(now_utc: datetime, zone: tzinfo) -> date:
    return local(now_utc, zone).date()


def db_text(moment: datetime) -> str:
    """An instant in the store's SQLite text form (UTC, no offset), for range queries."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(DB_FORMAT)


def parse_db(value: str | None) -> datetime | None:
    """Store text (UTC without offset) to an aware UTC datetime."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC instant from a datetime or store text (naive means UTC), or None."""
    if not value:
        return None
    if isinstance(value, str):
        return parse_db(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_day(day: date) -> str:
    """Unambiguous in every locale: 'Fri 27 Nov 2026'."""
    return day.strftime("%a %d %b %Y")


def format_dob(dob: date | None, today: date) -> str:
    """'1980-03-14 (46y)'; babies in months."""
    if dob is None:
        return ""
    years = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    if years < 2:
        months = (today.year - dob.year) * 12 + today.month - dob.month - (today.day < dob.day)
        return f"{dob.isoformat()} ({max(months, 0)}mo)"
    return f"{dob.isoformat()} ({years}y)"
