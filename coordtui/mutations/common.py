"""What several areas' mutations share: loading a row or refusing, the clinic and its
zone, history rows, and the readers of common arguments (instants, days, whole
numbers, new keys), each refusing with the field at fault.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, SQLModel, col, select

from coordtui.domain.instants import instant
from coordtui.domain.slots import (
    MAX_MINUTES,
)
from coordtui.domain.status import (
    ACTIVE,
    Status,
)
from coordtui.domain.status import (
    StatusEvent as DomainEvent,
)
from coordtui.mutations.core import Context, MutationError
from coordtui.store.models import (
    Clinic,
    PatientEvent,
    StatusEvent,
)

# --------------------------------------------------------------- helpers

Row = TypeVar("Row", bound=SQLModel)


class Versioned(Protocol):
    """A row edited in place: its version and who changed it last."""

    version: int
    updated_at: datetime
    updated_by: str


def get_or_refuse(session: Session, model: type[Row], key: str, what: str) -> Row:
    row = session.get(model, key)
    if row is None:
        raise MutationError(f"{what} not found (it may have been removed on another workstation).")
    return row


def the_clinic(session: Session) -> Clinic:
    clinic = session.exec(select(Clinic)).first()
    if clinic is None:
        raise MutationError(
            "This store has no clinic yet; run `coordtui demo` or connect to a server."
        )
    return clinic


def status_history(session: Session, appointment_id: str) -> list[StatusEvent]:
    return list(
        session.exec(
            select(StatusEvent)
            .where(StatusEvent.appointment_id == appointment_id)
            .order_by(col(StatusEvent.at), col(StatusEvent.mutation_id), col(StatusEvent.id))
        )
    )


def domain_events(events: list[StatusEvent]) -> list[DomainEvent]:
    return [
        DomainEvent(
            e.id,
            Status(e.from_status),
            Status(e.to_status),
            int(e.at.timestamp() * 1000),
            e.corrects,
        )
        for e in events
    ]


def add_patient_event(
    session: Session,
    event_id: str,
    patient_id: str,
    kind: str,
    at: datetime,
    ctx: Context,
    **detail: Any,
) -> None:
    session.add(
        PatientEvent(
            id=event_id,
            patient_id=patient_id,
            kind=kind,
            at=at,
            actor=ctx.actor,
            detail=json.dumps(detail, sort_keys=True),
            mutation_id=ctx.mutation_id,
        )
    )


def reindex_patients(session: Session, *patient_ids: str) -> None:
    """Keep the lookup index in the same transaction as the patient rows."""
    if session.info.get("no_search_index"):  # the clinic server keeps no lookup index
        return
    from coordtui.store import search

    session.flush()
    raw = session.connection().connection.driver_connection
    assert raw is not None  # an open SQLite connection: we are inside its transaction
    for patient_id in patient_ids:
        search.index_patient(raw, patient_id)


def add_status_event(
    session: Session,
    ctx: Context,
    event_id: str,
    appointment_id: str,
    from_status: str,
    to_status: str,
    at: datetime,
    reason: str,
    corrects: str | None = None,
) -> None:
    """Append one row of an appointment's status history, stamped with this mutation."""
    session.add(
        StatusEvent(
            id=event_id,
            appointment_id=appointment_id,
            from_status=from_status,
            to_status=to_status,
            at=at,
            reason=reason,
            corrects=corrects,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )


def touch_row(row: Versioned, ctx: Context, at: datetime) -> None:
    row.version += 1
    row.updated_at = at
    row.updated_by = ctx.actor


ACTIVE_VALUES = tuple(sorted(s.value for s in ACTIVE))
MAX_SPAN = timedelta(minutes=MAX_MINUTES)  # longest appointment: bounds overlap queries
ALTERNATIVES = 4
MAX_ALLOWANCE = 10
OPEN_WAITLIST = ("open", "offered")


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    try:
        return ZoneInfo(clinic.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MutationError(f"The clinic's time zone {clinic.timezone!r} is unknown.") from None


def instant_arg(args: dict[str, Any], key: str, label: str | None = None) -> datetime:
    value = args.get(key)
    what = label or key
    if value in (None, ""):
        raise MutationError(f"A {what} time is required.", field=key)
    try:
        return instant(value)
    except (TypeError, ValueError):
        raise MutationError(f"{value!r} is not a valid {what} time.", field=key) from None


def day_arg(args: dict[str, Any], key: str, label: str) -> date:
    value = args.get(key)
    if value in (None, ""):
        raise MutationError(f"The {label} date is required.", field=key)
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise MutationError(f"{value!r} is not a date (use YYYY-MM-DD).", field=key) from None


def whole_number(value: Any, what: str, key: str) -> int:
    """An int from JSON args; floats, bools and text that is not digits are refused."""
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())
    ):
        raise MutationError(f"The {what} must be a whole number.", field=key)
    return int(value)


def new_key(
    session: Session, model: type[SQLModel], args: dict[str, Any], key: str, what: str
) -> str:
    value = str(args.get(key) or "")
    if not value:
        raise MutationError(f"Internal error: no id for the new {what}.")
    if session.get(model, value) is not None:
        raise MutationError(f"This {what} was already saved.")
    return value
