"""Named mutations: every write coordtui makes.

A mutation is ``fn(session, args, ctx) -> result``.  Locally ``run_local``
appends it to the outbox and runs it in the same SQLite transaction, so the
data and the record of the change commit together or not at all.  The clinic
server will run the very same function on the same args, so every id and
instant a mutation writes comes in ``args`` (made by the caller), never from
the clock or a random source inside the function.

Refusals raise ``MutationError`` with a user-facing message (and the field
it concerns, if any); they never carry patient data, so they can be logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from coordtui.domain.patient import validate_patient
from coordtui.domain.status import (
    LABELS,
    Status,
    TransitionError,
    check_transition,
    undo_target,
)
from coordtui.domain.status import (
    StatusEvent as DomainEvent,
)
from coordtui.store.models import (
    Appointment,
    Clinic,
    Outbox,
    Patient,
    PatientEvent,
    Provider,
    StatusEvent,
)


class MutationError(ValueError):
    """A business refusal; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


@dataclass(frozen=True)
class Context:
    actor: str
    mutation_id: int
    client_time: datetime


Mutation = Callable[[Session, dict[str, Any], Context], dict[str, Any]]
MUTATIONS: dict[str, Mutation] = {}


def mutation(fn: Mutation) -> Mutation:
    MUTATIONS[fn.__name__] = fn
    return fn


def utcnow() -> datetime:
    return datetime.now(UTC)


def instant(value: str | datetime) -> datetime:
    """Args carry instants as ISO text with an offset; naive text is taken as UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def run_local(
    engine: Engine, name: str, args: dict[str, Any], actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Run one mutation and append it to the outbox, in one transaction."""
    if name not in MUTATIONS:
        raise MutationError(f"Unknown action {name!r}.")
    client_time = now or utcnow()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        entry = Outbox(
            name=name, args=json.dumps(args, sort_keys=True), client_time=client_time, actor=actor
        )
        session.add(entry)
        session.flush()
        ctx = Context(actor=actor, mutation_id=entry.mutation_id or 0, client_time=client_time)
        result = MUTATIONS[name](session, args, ctx)
    return {**result, "mutation_id": ctx.mutation_id}


# --------------------------------------------------------------- helpers


def _get(session: Session, model, key: str, what: str):
    row = session.get(model, key)
    if row is None:
        raise MutationError(f"{what} not found (it may have been removed on another workstation).")
    return row


def _clinic(session: Session) -> Clinic:
    clinic = session.exec(select(Clinic)).first()
    if clinic is None:
        raise MutationError(
            "This store has no clinic yet; run `coordtui demo` or connect to a server."
        )
    return clinic


def _history(session: Session, appointment_id: str) -> list[StatusEvent]:
    return list(
        session.exec(
            select(StatusEvent)
            .where(StatusEvent.appointment_id == appointment_id)
            .order_by(StatusEvent.at, StatusEvent.mutation_id, StatusEvent.id)
        )
    )


def _domain(events: list[StatusEvent]) -> list[DomainEvent]:
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


def _patient_event(
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


def _reindex(session: Session, *patient_ids: str) -> None:
    """Keep the lookup index in the same transaction as the patient rows."""
    from coordtui.store import search

    session.flush()
    raw = session.connection().connection.driver_connection
    for patient_id in patient_ids:
        search.index_patient(raw, patient_id)


def _touch(row, ctx: Context, at: datetime) -> None:
    row.version += 1
    row.updated_at = at
    row.updated_by = ctx.actor


# ------------------------------------------------------------- mutations


@mutation
def register_patient(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Create a patient; ``args`` holds ``patient_id``, ``record_number``, ``at`` and fields."""
    clinic = _clinic(session)
    at = instant(args["at"])
    fields = {k: v for k, v in args.get("fields", {}).items()}
    checked = validate_patient(fields, at.date(), clinic.phone_region)
    if not checked.ok:
        raise MutationError("Please correct the highlighted fields.", errors=checked.errors)
    record_number = str(args.get("record_number") or "").strip()
    if not record_number:
        raise MutationError("A record number is required.", field="record_number")
    taken = session.exec(select(Patient.id).where(Patient.record_number == record_number)).first()
    if taken:
        raise MutationError("This record number is already in use.", field="record_number")
    values = {k: v for k, v in checked.values.items() if k != "record_number"}
    patient = Patient(
        id=args["patient_id"],
        clinic_id=clinic.id,
        record_number=record_number,
        created_at=at,
        updated_at=at,
        updated_by=ctx.actor,
        **values,
    )
    session.add(patient)
    overridden = [str(x) for x in args.get("duplicates_overridden", [])]
    _patient_event(
        session,
        args.get("event_id") or f"{patient.id}:registered",
        patient.id,
        "registered",
        at,
        ctx,
        duplicates_overridden=overridden,
    )
    _reindex(session, patient.id)
    return {"patient_id": patient.id}


@mutation
def update_patient(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Apply field changes made against ``base_version``; a stale edit is refused."""
    clinic = _clinic(session)
    patient = _get(session, Patient, args["patient_id"], "Patient")
    at = instant(args["at"])
    base = args.get("base_version")
    if base is not None and int(base) != patient.version:
        raise MutationError(
            "This patient was changed elsewhere since you opened it; reopen to see the changes."
        )
    checked = validate_patient(
        dict(args.get("changes", {})), at.date(), clinic.phone_region, partial=True
    )
    if not checked.ok:
        raise MutationError("Please correct the highlighted fields.", errors=checked.errors)
    if "record_number" in checked.values:
        clash = session.exec(
            select(Patient.id).where(
                Patient.record_number == checked.values["record_number"], Patient.id != patient.id
            )
        ).first()
        if clash:
            raise MutationError("This record number is already in use.", field="record_number")
    changed = sorted(k for k, v in checked.values.items() if getattr(patient, k) != v)
    for name in changed:
        setattr(patient, name, checked.values[name])
    if not changed:
        return {"patient_id": patient.id, "version": patient.version, "changed": []}
    _touch(patient, ctx, at)
    _patient_event(
        session,
        args.get("event_id") or f"{patient.id}:v{patient.version}",
        patient.id,
        "updated",
        at,
        ctx,
        fields=changed,
    )
    _reindex(session, patient.id)
    return {"patient_id": patient.id, "version": patient.version, "changed": changed}


@mutation
def merge_patients(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Fold a duplicate record into the surviving one: a deliberate, recorded act.

    Appointments move to the survivor; the absorbed record stays as a pointer
    (``merged_into``) so anything that still refers to it can be followed.
    """
    survivor = _get(session, Patient, args["survivor_id"], "Patient")
    absorbed = _get(session, Patient, args["absorbed_id"], "Patient")
    if survivor.id == absorbed.id:
        raise MutationError("A record cannot be merged into itself.")
    if survivor.merged_into or absorbed.merged_into:
        raise MutationError("One of these records was already merged; reopen the surviving one.")
    at = instant(args["at"])
    moved = list(session.exec(select(Appointment).where(Appointment.patient_id == absorbed.id)))
    for appointment in moved:
        appointment.patient_id = survivor.id
        _touch(appointment, ctx, at)
    absorbed.merged_into = survivor.id
    _touch(absorbed, ctx, at)
    _touch(survivor, ctx, at)
    _patient_event(
        session,
        args["event_ids"][0],
        survivor.id,
        "merged_in",
        at,
        ctx,
        other=absorbed.id,
        other_record=absorbed.record_number,
        appointments_moved=len(moved),
    )
    _patient_event(
        session,
        args["event_ids"][1],
        absorbed.id,
        "merged_away",
        at,
        ctx,
        other=survivor.id,
        other_record=survivor.record_number,
        appointments_moved=len(moved),
    )
    _reindex(session, survivor.id, absorbed.id)
    return {"patient_id": survivor.id, "appointments_moved": len(moved)}


@mutation
def add_walk_in(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A patient with no booking joins today's queue as arrived, now."""
    clinic = _clinic(session)
    patient = _get(session, Patient, args["patient_id"], "Patient")
    if patient.merged_into:
        raise MutationError("This record was merged into another; choose the surviving record.")
    provider = _get(session, Provider, args["provider_id"], "Provider")
    at = instant(args["at"])
    minutes = int(args.get("minutes", 15))
    if not 5 <= minutes <= 240:
        raise MutationError("Duration must be between 5 and 240 minutes.", field="minutes")
    priority = args.get("priority", "routine")
    if priority not in ("routine", "urgent"):
        raise MutationError("Priority must be routine or urgent.", field="priority")
    appointment = Appointment(
        id=args["appointment_id"],
        clinic_id=clinic.id,
        patient_id=patient.id,
        provider_id=provider.id,
        start_utc=at,
        end_utc=at + timedelta(minutes=minutes),
        type=str(args.get("type") or "Walk-in"),
        reason=str(args.get("reason") or ""),
        kind="walk_in",
        priority=priority,
        status=Status.ARRIVED,
        status_since=at,
        arrived_at=at,
        created_at=at,
        created_by=ctx.actor,
        updated_at=at,
        updated_by=ctx.actor,
    )
    session.add(appointment)
    session.add(
        StatusEvent(
            id=args["event_id"],
            appointment_id=appointment.id,
            from_status=Status.BOOKED,
            to_status=Status.ARRIVED,
            at=at,
            reason="walk-in",
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    return {"appointment_id": appointment.id}


@mutation
def set_status(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Move an appointment along the state machine (cancel needs a reason)."""
    appointment = _get(session, Appointment, args["appointment_id"], "Appointment")
    current = Status(appointment.status)
    try:
        target = Status(args["to_status"])
    except ValueError:
        raise MutationError(f"Unknown status {args.get('to_status')!r}.") from None
    reason = str(args.get("reason") or "").strip()
    try:
        check_transition(current, target, reason)
    except TransitionError as exc:
        raise MutationError(str(exc), field="reason" if "reason" in str(exc) else None) from None
    at = instant(args["at"])
    session.add(
        StatusEvent(
            id=args["event_id"],
            appointment_id=appointment.id,
            from_status=current,
            to_status=target,
            at=at,
            reason=reason,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    appointment.status = target
    appointment.status_since = at
    if target == Status.ARRIVED:
        appointment.arrived_at = at
    if target in (Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED):
        appointment.finished_at = at
    if target in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
        appointment.cancel_reason = reason
    _touch(appointment, ctx, at)
    return {"appointment_id": appointment.id, "status": target.value, "from": current.value}


@mutation
def undo_status(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Revert the latest status change by a recorded correction (never a delete)."""
    appointment = _get(session, Appointment, args["appointment_id"], "Appointment")
    events = _history(session, appointment.id)
    target = undo_target(_domain(events))
    if target is None or (appointment.kind == "walk_in" and target.from_status == Status.BOOKED):
        raise MutationError("Nothing to undo for this appointment.")
    if target.to_status != Status(appointment.status):
        raise MutationError("The status changed elsewhere; nothing was undone.")
    at = instant(args["at"])
    restored = target.from_status
    session.add(
        StatusEvent(
            id=args["event_id"],
            appointment_id=appointment.id,
            from_status=appointment.status,
            to_status=restored,
            at=at,
            reason=f"undo {LABELS[target.to_status].lower()}",
            corrects=target.id,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    # When did the restored status begin?  At the effective event that led into it.
    reverted = {e.corrects for e in events if e.corrects} | {target.id}
    effective = [e for e in events if e.corrects is None and e.id not in reverted]
    previous = effective[-1] if effective else None
    appointment.status = restored
    appointment.status_since = previous.at if previous else None
    arrival = next((e for e in effective if e.to_status == Status.ARRIVED), None)
    appointment.arrived_at = arrival.at if arrival else None
    if restored not in (Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED):
        appointment.finished_at = None
    if restored not in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
        appointment.cancel_reason = ""
    _touch(appointment, ctx, at)
    return {"appointment_id": appointment.id, "status": restored.value, "undid": target.id}
