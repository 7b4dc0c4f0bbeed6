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
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from coordtui.domain import calls
from coordtui.domain import schedule as sched
from coordtui.domain.coverage import MAX_COPAY_CENTS, copay_errors
from coordtui.domain.days import day_bounds_utc, format_day, local
from coordtui.domain.patient import MAX_LEN as PATIENT_TEXT_MAX
from coordtui.domain.patient import validate_patient
from coordtui.domain.slots import (
    DEFAULT_HORIZON_DAYS,
    DEFAULT_TYPES,
    MAX_MINUTES,
    Booked,
    BookingRequest,
    Decision,
    Kind,
    Modality,
    check_booking,
    covers,
    nearest_alternatives,
    retaken,
)
from coordtui.domain.slots import AppointmentType as DomainType
from coordtui.domain.status import (
    ACTIVE,
    LABELS,
    Status,
    TransitionError,
    check_transition,
    undo_target,
)
from coordtui.domain.status import (
    StatusEvent as DomainEvent,
)
from coordtui.ids import is_uuid
from coordtui.replication.protocol import CLIENT_ID
from coordtui.store.booking_reads import domain_exceptions, domain_type
from coordtui.store.models import (
    Appointment,
    AppointmentBooking,
    AppointmentType,
    Callback,
    CallNote,
    Clinic,
    CopayPayment,
    CoverageCheck,
    HandOff,
    Meta,
    Outbox,
    Patient,
    PatientEvent,
    Provider,
    ProviderBooking,
    Recall,
    ScheduleException,
    StatusEvent,
    WaitlistEntry,
)


class MutationError(ValueError):
    """A business refusal; ``field`` names the form field at fault, if any.

    Booking refusals also carry ``alternatives`` (free slots nearest to the
    one refused, ``{provider_id, start, end}`` with ISO UTC instants) and, for
    a series, ``occurrences`` (one ``{index, day, start, ok, reasons,
    alternatives}`` per date), so the screen can offer a way forward.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        errors: dict | None = None,
        *,
        alternatives: list[dict] | None = None,
        occurrences: list[dict] | None = None,
    ):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})
        self.alternatives = list(alternatives or [])
        self.occurrences = list(occurrences or [])


LOCAL_ORIGIN = "local"  # what a workstation's own runs write as their origin


@dataclass(frozen=True)
class Context:
    """Who runs a mutation.  ``origin`` is written on the patient events it makes
    (the clinic server's client id, or LOCAL_ORIGIN on the workstation); ``own``
    names the origins whose edits this one was made on top of: a desk always
    sees its own earlier edits, so they never clash with its later ones."""

    actor: str
    mutation_id: int
    client_time: datetime
    origin: str = ""
    own: frozenset[str] = frozenset()


def local_context(session: Session, actor: str, mutation_id: int, client_time: datetime) -> Context:
    """The context of a run on this workstation (first run or the sync rebase)."""
    client_id = session.exec(select(Meta.value).where(Meta.key == CLIENT_ID)).first()
    own = {LOCAL_ORIGIN, client_id} if client_id else {LOCAL_ORIGIN}
    return Context(actor, mutation_id, client_time, LOCAL_ORIGIN, frozenset(own))


Mutation = Callable[[Session, dict[str, Any], Context], dict[str, Any]]
MUTATIONS: dict[str, Mutation] = {}


# Arguments that name a row: always a UUID (coordtui.ids.new_id), checked before any
# mutation runs, on the desk and on the server, wherever they sit in the arguments.
ID_ARGS = frozenset(
    {
        "absorbed_id", "appointment_id", "call_id", "callback_id", "check_id", "entry_id",
        "event_id", "exception_id", "hand_off_id", "new_appointment_id", "patient_id",
        "payment_id", "provider_id", "recall_id", "series_id", "survivor_id",
    }
)  # fmt: skip
ID_LIST_ARGS = frozenset({"appointment_ids", "event_ids"})


def check_ids(value: Any, depth: int = 0) -> None:
    """MutationError unless every id argument (ID_ARGS, ID_LIST_ARGS) is a UUID."""
    if depth > 6:
        raise MutationError("These arguments are nested too deeply.")
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if key in ID_ARGS and item is not None and not is_uuid(item):
            raise MutationError(f"{key} is not a valid id.", field=str(key))
        if key in ID_LIST_ARGS and isinstance(item, list):
            if not all(is_uuid(i) for i in item):
                raise MutationError(f"{key} holds an invalid id.", field=str(key))
        elif isinstance(item, (dict, list)):
            check_ids(item, depth + 1)


def mutation(fn: Mutation) -> Mutation:
    """Register ``fn`` under its name; whoever runs it by name gets its ids checked."""

    def checked(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
        if not isinstance(args, dict):
            raise MutationError("A change's arguments are a JSON object.")
        check_ids(args)
        return fn(session, args, ctx)

    checked.__name__ = checked.__qualname__ = fn.__name__
    checked.__doc__ = fn.__doc__
    MUTATIONS[fn.__name__] = checked
    return fn


def utcnow() -> datetime:
    return datetime.now(UTC)


def instant(value: str | datetime) -> datetime:
    """Args carry instants as ISO text with an offset; naive text is taken as UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def record_undo(session: Session, mutation_id: int) -> None:
    """Pre-images for the sync rebase (coordtui.sync.local); imported late, it needs us."""
    from coordtui.sync.local import record_undo as keep

    keep(session, mutation_id)


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
        ctx = local_context(session, actor, entry.mutation_id or 0, client_time)
        record_undo(session, ctx.mutation_id)
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
    if session.info.get("no_search_index"):  # the clinic server keeps no lookup index
        return
    from coordtui.store import search

    session.flush()
    raw = session.connection().connection.driver_connection
    for patient_id in patient_ids:
        search.index_patient(raw, patient_id)


def _status_event(
    session: Session,
    ctx: Context,
    event_id: str,
    appointment_id: str,
    from_status,
    to_status,
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


def _fields_changed_since(
    session: Session, patient: Patient, base: int, own: frozenset[str]
) -> set[str] | None:
    """Fields others changed on ``patient`` after version ``base``; None when that
    cannot be told.

    Each ``updated`` event records the version it made, its field names and its
    origin, so versions ``base+1 .. current`` should each have one.  If any is
    missing (an event written before versions were recorded, a merge, a base
    this record never had), what changed is unknown and the caller treats it as
    a clash.  Versions made by an ``own`` origin count as seen: the same desk's
    earlier (maybe still unsynced) edits.  Event times are no substitute: they
    are the editing workstation's clock, and offline edits reach the server in
    any order.
    """
    if base > patient.version:
        return None
    wanted = set(range(base + 1, patient.version + 1))
    found: dict[int, set[str]] = {}
    details = session.exec(
        select(PatientEvent.detail).where(
            PatientEvent.patient_id == patient.id, PatientEvent.kind == "updated"
        )
    )
    for raw in details:
        detail = json.loads(raw or "{}")
        version = detail.get("version")
        if isinstance(version, int) and version in wanted:
            fields = found.setdefault(version, set())
            if detail.get("origin") not in own:
                fields.update(str(f) for f in detail.get("fields") or [])
    if set(found) != wanted:
        return None
    return set().union(*found.values())


@mutation
def update_patient(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Apply field changes made against ``base_version``.

    ``base_version`` is the version of the server's state the edit was made on
    (PatientRecord.base_version: without this desk's unsynced edits), so that it
    means the same on the server as here.  A stale edit (the record moved on
    since) still applies when none of the fields it changes were changed in
    between by others: disjoint edits merge.  If they overlap, or what changed in between is unknown, it is
    refused naming the fields (never their values), and after sync the refusal
    is a conflict for a person to settle.
    """
    clinic = _clinic(session)
    patient = _get(session, Patient, args["patient_id"], "Patient")
    at = instant(args["at"])
    base = args.get("base_version")
    base = None if base is None else int(base)
    checked = validate_patient(
        dict(args.get("changes", {})), at.date(), clinic.phone_region, partial=True
    )
    if not checked.ok:
        raise MutationError("Please correct the highlighted fields.", errors=checked.errors)
    changed = sorted(k for k, v in checked.values.items() if getattr(patient, k) != v)
    if not changed:
        return {"patient_id": patient.id, "version": patient.version, "changed": []}
    if base is not None and base != patient.version:
        since = _fields_changed_since(session, patient, base, ctx.own)
        if since is None:
            raise MutationError(
                "This patient was changed elsewhere since you opened it; reopen to see the changes."
            )
        clash = sorted(since.intersection(changed))
        if clash:
            raise MutationError(
                f"Fields changed elsewhere since you opened this record: {', '.join(clash)}. "
                "Reopen it to see the current values, then edit again.",
                errors={name: "Changed elsewhere since you opened this record." for name in clash},
            )
    if "record_number" in changed:
        taken = session.exec(
            select(Patient.id).where(
                Patient.record_number == checked.values["record_number"], Patient.id != patient.id
            )
        ).first()
        if taken:
            raise MutationError("This record number is already in use.", field="record_number")
    for name in changed:
        setattr(patient, name, checked.values[name])
    _touch(patient, ctx, at)
    extra = {} if base is None else {"base": base}
    if ctx.origin:
        extra["origin"] = ctx.origin
    _patient_event(
        session,
        args.get("event_id") or f"{patient.id}:v{patient.version}",
        patient.id,
        "updated",
        at,
        ctx,
        fields=changed,
        version=patient.version,
        **extra,
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
    _status_event(
        session, ctx, args["event_id"], appointment.id, Status.BOOKED, Status.ARRIVED, at, "walk-in"
    )
    return {"appointment_id": appointment.id}


@mutation
def set_status(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Move an appointment along the state machine (cancel needs a reason)."""
    appointment = _get(session, Appointment, args["appointment_id"], "Appointment")
    try:
        target = Status(args["to_status"])
    except ValueError:
        raise MutationError(f"Unknown status {args.get('to_status')!r}.") from None
    reason = str(args.get("reason") or "").strip()
    current = _check_move(appointment, target, reason)
    _move(session, ctx, args, appointment, target, reason)
    return {"appointment_id": appointment.id, "status": target.value, "from": current.value}


def _check_move(appointment: Appointment, target: Status, reason: str) -> Status:
    """The appointment's status now, if the state machine lets it go to ``target``."""
    current = Status(appointment.status)
    try:
        check_transition(current, target, reason)
    except TransitionError as exc:
        raise MutationError(str(exc), field="reason" if "reason" in str(exc) else None) from None
    return current


def _move(
    session: Session,
    ctx: Context,
    args: dict[str, Any],
    appointment: Appointment,
    target: Status,
    reason: str,
) -> None:
    """Record a checked status change (``args``: event_id, at) and apply it to the row."""
    current = Status(appointment.status)
    at = instant(args["at"])
    _status_event(session, ctx, args["event_id"], appointment.id, current, target, at, reason)
    appointment.status = target
    appointment.status_since = at
    if target == Status.ARRIVED:
        appointment.arrived_at = at
    if target in (Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED):
        appointment.finished_at = at
    if target in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
        appointment.cancel_reason = reason
    _touch(appointment, ctx, at)


@mutation
def check_in(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Arrival with the coverage step: arrived and, if given, coverage verified and a copay
    collected, all in one transaction.

    The arrival dialog's Enter (or Ctrl+T: verified and arrived) is one user action,
    so it is one mutation: it applies whole or not at all, here and on the server,
    never an arrival whose copay record was lost or a copay for a visit that never
    started.  A new name, not new arguments to ``set_status``, whose meaning stays
    as it was.  If the server refuses it (the patient was checked in at another desk
    first), the conflict lists the copay too: nothing collected is dropped unseen.

    The check stores the payer, member id and copay the desk saw (``coverage``), not
    what the patient row holds when this runs, so what was shown is what is stored,
    and an edit of the record synced in between never refuses the arrival.

    ``args``: appointment_id, event_id, at; ``coverage`` (optional): {check_id, payer,
    member_id, copay_cents}; ``copay`` (optional): {payment_id, amount_cents, method}.
    """
    appointment = _get(session, Appointment, str(args.get("appointment_id") or ""), "Appointment")
    coverage, copay = _part(args, "coverage"), _part(args, "copay")
    errors: dict[str, str] = {}
    if coverage is not None:
        errors.update(_coverage_errors(coverage))
    if copay is not None:
        errors.update(copay_errors(copay.get("amount_cents"), copay.get("method")))
    if errors:
        first = next(iter(errors))
        raise MutationError(errors[first], field=first, errors=errors)
    current = _check_move(appointment, Status.ARRIVED, "")
    at = _instant_arg(args, "at")
    result: dict[str, Any] = {"appointment_id": appointment.id, "status": Status.ARRIVED.value}
    result["from"] = current.value
    if coverage is not None:
        result["check_id"] = _new_key(session, CoverageCheck, coverage, "check_id", "check")
        session.add(
            CoverageCheck(
                id=result["check_id"],
                patient_id=appointment.patient_id,
                appointment_id=appointment.id,
                payer=str(coverage["payer"]).strip(),
                member_id=str(coverage.get("member_id") or "").strip(),
                copay_cents=int(coverage.get("copay_cents") or 0),
                at=at,
                actor=ctx.actor,
            )
        )
    if copay is not None:
        result["payment_id"] = _new_key(session, CopayPayment, copay, "payment_id", "copay")
        session.add(
            CopayPayment(
                id=result["payment_id"],
                appointment_id=appointment.id,
                patient_id=appointment.patient_id,
                amount_cents=copay["amount_cents"],
                method=copay["method"],
                at=at,
                actor=ctx.actor,
            )
        )
    _move(session, ctx, args, appointment, Status.ARRIVED, "")
    return result


def _part(args: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MutationError(f"Internal error: {key} must be an object.")
    return value


def _coverage_errors(coverage: dict[str, Any]) -> dict[str, str]:
    """Field -> message for the coverage a desk says it verified."""
    errors: dict[str, str] = {}
    payer = coverage.get("payer")
    if not isinstance(payer, str) or not payer.strip():
        errors["payer"] = (
            "No coverage on file to verify: add it on the patient card (e), "
            "or check in without verifying."
        )
    elif len(payer) > PATIENT_TEXT_MAX:
        errors["payer"] = f"Payer: at most {PATIENT_TEXT_MAX} characters."
    member_id = coverage.get("member_id") or ""
    if not isinstance(member_id, str) or len(member_id) > PATIENT_TEXT_MAX:
        errors["member_id"] = f"Member id: text of at most {PATIENT_TEXT_MAX} characters."
    cents = coverage.get("copay_cents") or 0
    if isinstance(cents, bool) or not isinstance(cents, int) or not 0 <= cents <= MAX_COPAY_CENTS:
        errors["copay_cents"] = (
            f"Copay due must be a whole number of cents, 0 to {MAX_COPAY_CENTS}."
        )
    return errors


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
    if restored in ACTIVE and Status(appointment.status) not in ACTIVE:
        undone = next(e for e in events if e.id == target.id)
        _refuse_if_retaken(session, appointment, _utc(undone.at))
    _status_event(
        session,
        ctx,
        args["event_id"],
        appointment.id,
        appointment.status,
        restored,
        at,
        f"undo {LABELS[target.to_status].lower()}",
        corrects=target.id,
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


def _refuse_if_retaken(session: Session, appointment: Appointment, cancelled_at: datetime) -> None:
    """Undoing a cancel or no-show gives the time back only if nobody took it since.

    "Since" means since ``cancelled_at``: an overlapping appointment counts
    against the undo only if it took its time later (booked, moved there, or
    itself brought back by an undo); overlaps that were there already (an
    overbooking allowance, a walk-in seen in the slot) do not block it beyond
    what the rules allowed then (coordtui.domain.slots.retaken).  Instants
    are the desks' clocks, the only order offline desks share.
    """
    if appointment.kind != "scheduled":
        return
    start, end = _utc(appointment.start_utc), _utc(appointment.end_utc)
    others = [
        b
        for b in _booked(session, start, end, provider_id=appointment.provider_id)
        if b.id != appointment.id
    ]
    if not others:
        return
    took = _took_time(session, [b.id for b in others])
    earlier = [(b.start, b.end) for b in others if took[b.id] < cancelled_at]
    later = [(b.start, b.end) for b in others if took[b.id] >= cancelled_at]
    if retaken((start, end), earlier, later, _allowance(session, appointment.provider_id)):
        raise MutationError(
            "That time has been booked again since; book the patient a new time instead."
        )


def _took_time(session: Session, ids: list[str]) -> dict[str, datetime]:
    """When each active appointment last took its time: made, or brought back from an
    inactive status (an undone cancel or no-show)."""
    took = {
        i: _utc(at)
        for i, at in session.exec(
            select(Appointment.id, Appointment.created_at).where(Appointment.id.in_(ids))
        )
    }
    back = session.exec(
        select(StatusEvent.appointment_id, func.max(StatusEvent.at))
        .where(
            StatusEvent.appointment_id.in_(ids),
            StatusEvent.from_status.not_in(_ACTIVE),
            StatusEvent.to_status.in_(_ACTIVE),
        )
        .group_by(StatusEvent.appointment_id)
    )
    for i, at in back:
        took[i] = max(took[i], _utc(at))
    return took


# --------------------------------------------------------------- booking
#
# The rules are coordtui.domain's (check_booking, nearest_alternatives); these
# mutations only load what the rules need, inside the write transaction that
# run_local opened with BEGIN IMMEDIATE: two desks booking the same slot are
# serialised on the write lock, and the second one sees the first one's row.

_ACTIVE = tuple(sorted(s.value for s in ACTIVE))
_MAX_SPAN = timedelta(minutes=MAX_MINUTES)  # longest appointment: bounds overlap queries
_ALTERNATIVES = 4
_MAX_ALLOWANCE = 10
_OPEN_WAITLIST = ("open", "offered")


def _utc(moment: datetime) -> datetime:
    """ORM datetimes come back naive from SQLite; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat()


def _zone(clinic: Clinic) -> ZoneInfo:
    try:
        return ZoneInfo(clinic.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MutationError(f"The clinic's time zone {clinic.timezone!r} is unknown.") from None


def _instant_arg(args: dict[str, Any], key: str, label: str | None = None) -> datetime:
    value = args.get(key)
    what = label or key
    if value in (None, ""):
        raise MutationError(f"A {what} time is required.", field=key)
    try:
        return instant(value)
    except (TypeError, ValueError):
        raise MutationError(f"{value!r} is not a valid {what} time.", field=key) from None


def _day_arg(args: dict[str, Any], key: str, label: str) -> date:
    value = args.get(key)
    if value in (None, ""):
        raise MutationError(f"The {label} date is required.", field=key)
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise MutationError(f"{value!r} is not a date (use YYYY-MM-DD).", field=key) from None


def _whole(value: Any, what: str, key: str) -> int:
    """An int from JSON args; floats, bools and text that is not digits are refused."""
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())
    ):
        raise MutationError(f"The {what} must be a whole number.", field=key)
    return int(value)


def _new_key(session: Session, model, args: dict[str, Any], key: str, what: str) -> str:
    value = str(args.get(key) or "")
    if not value:
        raise MutationError(f"Internal error: no id for the new {what}.")
    if session.get(model, value) is not None:
        raise MutationError(f"This {what} was already saved.")
    return value


def _booking_provider(session: Session, provider_id: Any) -> Provider:
    if not provider_id:
        raise MutationError("Choose a provider.", field="provider_id")
    provider = session.get(Provider, str(provider_id))
    if provider is None:
        raise MutationError(
            "Unknown provider (it may have been removed on another workstation).",
            field="provider_id",
        )
    if not provider.active:
        raise MutationError(f"{provider.short_name} no longer takes bookings.", field="provider_id")
    return provider


def _booking_patient(session: Session, patient_id: Any) -> Patient:
    patient = _get(session, Patient, str(patient_id or ""), "Patient")
    if patient.merged_into:
        raise MutationError("This record was merged into another; choose the surviving record.")
    return patient


def _types(session: Session) -> dict[str, DomainType]:
    """Active stored types; DEFAULT_TYPES while none are stored (stores made before a clinic)."""
    rows = list(session.exec(select(AppointmentType)))
    if not rows:
        return {t.name: t for t in DEFAULT_TYPES}
    return {r.name: domain_type(r.name, r.minutes, r.modalities) for r in rows if r.active}


def _appointment_type(session: Session, name: Any) -> DomainType:
    types = _types(session)
    key = str(name or "").strip()
    if key not in types:
        raise MutationError(
            f"Unknown appointment type {key!r}: choose one of {', '.join(types)}.", field="type"
        )
    return types[key]


def _modality(kind: DomainType, value: Any) -> str:
    modality = str(value or Modality.IN_PERSON.value)
    if modality not in {m.value for m in Modality}:
        raise MutationError(
            f"{modality!r} is not a modality: use in_person, phone or video.", field="modality"
        )
    problem = kind.modality_problem(modality)
    if problem:
        raise MutationError(problem + ".", field="modality")
    return modality


def _priority(value: Any) -> str:
    priority = str(value or "routine")
    if priority not in ("routine", "urgent"):
        raise MutationError("Priority must be routine or urgent.", field="priority")
    return priority


def _horizon(args: dict[str, Any]) -> int:
    days = _whole(args.get("horizon_days", DEFAULT_HORIZON_DAYS), "booking horizon", "horizon")
    if days < 1:
        raise MutationError("The booking horizon must be at least 1 day.")
    return days


def _end(args: dict[str, Any], start: datetime, default_minutes: int, zone: ZoneInfo) -> datetime:
    """The end from ``end`` (an instant) or ``minutes`` (default: the type's length)."""
    if args.get("end") not in (None, ""):
        end = _instant_arg(args, "end")
        if end <= start:
            raise MutationError(
                f"The end ({local(end, zone):%H:%M}) must be after the start "
                f"({local(start, zone):%H:%M}).",
                field="end",
            )
        if end - start > _MAX_SPAN:
            raise MutationError("An appointment cannot be longer than 8 hours.", field="end")
        return end
    raw = args.get("minutes")
    minutes = default_minutes if raw in (None, "") else _whole(raw, "duration", "minutes")
    if minutes <= 0:
        raise MutationError("The duration must be more than 0 minutes.", field="minutes")
    if minutes > MAX_MINUTES:
        raise MutationError("An appointment cannot be longer than 8 hours.", field="minutes")
    return start + timedelta(minutes=minutes)


def _template(provider: Provider) -> sched.WeeklyTemplate:
    try:
        return sched.parse_template(provider.schedule_json or "{}")
    except sched.ScheduleError as exc:
        raise MutationError(
            f"{provider.short_name}'s weekly schedule cannot be used ({exc}); "
            "a supervisor must correct it."
        ) from None


def _exceptions(
    session: Session, provider_id: str, first_day: date, last_day: date
) -> list[sched.ScheduleException]:
    rows = session.exec(
        select(ScheduleException).where(
            ScheduleException.provider_id == provider_id,
            ScheduleException.last_day >= first_day,
            ScheduleException.first_day <= last_day,
        )
    )
    out: list[sched.ScheduleException] = []
    for r in rows:
        out.extend(
            domain_exceptions(r.first_day, r.last_day, r.start_time, r.end_time, r.kind, r.reason)
        )
    return out


def _availability(
    session: Session, provider: Provider, zone: ZoneInfo, first_day: date, last_day: date
) -> list[sched.Interval]:
    """The provider's working time from ``first_day`` to ``last_day``: template + exceptions."""
    exceptions = _exceptions(session, provider.id, first_day, last_day)
    return sched.availability_span(_template(provider), exceptions, first_day, last_day, zone)


def _booked(
    session: Session,
    lo: datetime,
    hi: datetime,
    *,
    provider_id: str | None = None,
    patient_id: str | None = None,
) -> list[Booked]:
    """Active appointments overlapping [lo, hi) of one provider or one patient (indexed)."""
    query = select(
        Appointment.id,
        Appointment.provider_id,
        Appointment.patient_id,
        Appointment.start_utc,
        Appointment.end_utc,
        Appointment.status,
    ).where(
        Appointment.start_utc >= lo - _MAX_SPAN,
        Appointment.start_utc < hi,
        Appointment.end_utc > lo,
        Appointment.status.in_(_ACTIVE),
    )
    if provider_id is not None:
        query = query.where(Appointment.provider_id == provider_id)
    if patient_id is not None:
        query = query.where(Appointment.patient_id == patient_id)
    return [Booked(i, v, p, _utc(s), _utc(e), st) for i, v, p, s, e, st in session.exec(query)]


def _allowance(session: Session, provider_id: str) -> int:
    row = session.get(ProviderBooking, provider_id)
    return row.overbook_allowance if row else 0


@dataclass
class _Plan:
    """One booking request on its way through the rules."""

    provider: Provider
    patient_id: str
    start: datetime
    end: datetime
    at: datetime
    horizon: int
    override: bool
    moving: str | None = None  # the appointment being rescheduled: not a conflict
    pending: tuple[Booked, ...] = ()  # earlier occurrences of the same series


def _decide(session: Session, zone: ZoneInfo, plan: _Plan) -> Decision:
    first_day, last_day = local(plan.start, zone).date(), local(plan.end, zone).date()
    available = _availability(session, plan.provider, zone, first_day, last_day)
    existing = {
        b.id: b for b in _booked(session, plan.start, plan.end, provider_id=plan.provider.id)
    }
    for b in _booked(session, plan.start, plan.end, patient_id=plan.patient_id):
        existing.setdefault(b.id, b)
    request = BookingRequest(
        plan.provider.id, plan.patient_id, plan.start, plan.end, Kind.SCHEDULED, plan.moving
    )
    return check_booking(
        request,
        [*existing.values(), *plan.pending],
        available,
        _allowance(session, plan.provider.id),
        now=plan.at,
        horizon_days=plan.horizon,
        override=plan.override,
        zone=zone,
    )


def _alternatives(
    session: Session, zone: ZoneInfo, plan: _Plan, limit: int = _ALTERNATIVES
) -> list[dict[str, str]]:
    """Free slots of the same provider nearest the refused time, within the horizon.

    Looks a week before to three weeks after (clamped to today .. horizon),
    so a refusal for a date beyond the horizon offers the last bookable days.
    """
    last = plan.at + timedelta(days=plan.horizon)
    around = min(max(plan.start, plan.at), last)
    centre = local(around, zone).date()
    first_day = max(local(plan.at, zone).date(), centre - timedelta(days=7))
    last_day = min(local(last, zone).date(), centre + timedelta(days=21))
    if first_day > last_day:
        return []
    pid = plan.provider.id
    available = _availability(session, plan.provider, zone, first_day, last_day)
    lo, hi = day_bounds_utc(first_day, zone)[0], day_bounds_utc(last_day, zone)[1]
    booked = [b for b in _booked(session, lo, hi, provider_id=pid) if b.id != plan.moving]
    booked += [b for b in plan.pending if b.provider_id == pid]
    slots = nearest_alternatives(
        {pid: available},
        {pid: booked},
        plan.end - plan.start,
        around,
        limit,
        step=plan.provider.slot_minutes or 15,
        allowance=_allowance(session, pid),
        now=plan.at,
    )
    return [
        {"provider_id": s.provider_id, "start": s.start.isoformat(), "end": s.end.isoformat()}
        for s in slots
        if s.start <= last
    ]


def _check_or_refuse(session: Session, zone: ZoneInfo, plan: _Plan) -> Decision:
    decision = _decide(session, zone, plan)
    if not decision.ok:
        raise MutationError(
            " ".join(decision.reasons), alternatives=_alternatives(session, zone, plan)
        )
    return decision


def _link(session: Session, appointment_id: str, **fields: Any) -> None:
    """Set booking facts (series, reschedule links, override) on an appointment."""
    row = session.get(AppointmentBooking, appointment_id)
    if row is None:
        row = AppointmentBooking(appointment_id=appointment_id)
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)


def _create(
    session: Session,
    clinic: Clinic,
    ctx: Context,
    appointment_id: str,
    plan: _Plan,
    type_name: str,
    modality: str,
    reason: str,
    priority: str,
) -> Appointment:
    appointment = Appointment(
        id=appointment_id,
        clinic_id=clinic.id,
        patient_id=plan.patient_id,
        provider_id=plan.provider.id,
        start_utc=plan.start,
        end_utc=plan.end,
        type=type_name,
        modality=modality,
        reason=reason,
        kind="scheduled",
        priority=priority,
        status=Status.BOOKED,
        status_since=plan.at,
        created_at=plan.at,
        created_by=ctx.actor,
        updated_at=plan.at,
        updated_by=ctx.actor,
    )
    session.add(appointment)
    return appointment


def _book(
    session: Session,
    args: dict[str, Any],
    ctx: Context,
    *,
    patient_id: Any,
    provider_id: Any,
    type_name: Any,
    priority: Any,
    reason: Any,
) -> tuple[Appointment, Decision]:
    """Validate, check the rules, create: shared by book_appointment and book_from_waitlist."""
    clinic = _clinic(session)
    zone = _zone(clinic)
    at = _instant_arg(args, "at")
    if str(args.get("kind") or "scheduled") != "scheduled":
        raise MutationError(
            "Only scheduled visits are booked here; a patient who is here now is a walk-in."
        )
    appointment_id = _new_key(session, Appointment, args, "appointment_id", "appointment")
    provider = _booking_provider(session, provider_id)
    patient = _booking_patient(session, patient_id)
    kind = _appointment_type(session, type_name)
    modality = _modality(kind, args.get("modality"))
    priority = _priority(priority)
    start = _instant_arg(args, "start")
    end = _end(args, start, kind.minutes, zone)
    plan = _Plan(provider, patient.id, start, end, at, _horizon(args), args.get("override") is True)
    decision = _check_or_refuse(session, zone, plan)
    appointment = _create(
        session, clinic, ctx, appointment_id, plan, kind.name, modality,
        str(reason or "").strip(), priority,
    )  # fmt: skip
    if decision.override_used:
        _link(session, appointment.id, override_by=ctx.actor)
    return appointment, decision


def _booked_result(appointment: Appointment, decision: Decision) -> dict[str, Any]:
    return {
        "appointment_id": appointment.id,
        "provider_id": appointment.provider_id,
        "start": _iso(appointment.start_utc),
        "end": _iso(appointment.end_utc),
        "warnings": list(decision.warnings),
        "override_used": decision.override_used,
    }


@mutation
def book_appointment(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Book a scheduled visit if the rules allow it; a refusal carries the nearest alternatives.

    ``args``: appointment_id, patient_id, provider_id, start (ISO UTC), type,
    and optionally minutes (default: the type's) or end, modality, reason,
    priority, override (supervisor: outside hours, recorded), horizon_days, at,
    recall_id (booking from the recall list: that recall closes as "booked" with
    this appointment, at ``at``, in the same transaction; ``recall_closed`` in
    the result says whether it was still open).
    """
    recall = _recall_for_booking(session, args)
    appointment, decision = _book(
        session,
        args,
        ctx,
        patient_id=args.get("patient_id"),
        provider_id=args.get("provider_id"),
        type_name=args.get("type"),
        priority=args.get("priority"),
        reason=args.get("reason"),
    )
    result = _booked_result(appointment, decision)
    if args.get("recall_id"):
        if recall is not None:
            _end_recall(recall, "booked", appointment.created_at, appointment.id)
        result["recall_closed"] = recall is not None
    return result


@mutation
def reschedule_appointment(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Move a booked visit: a new appointment linked to the old, which is cancelled "rescheduled".

    Both rows stay, so history shows where the visit was and who moved it.
    ``args``: appointment_id, new_appointment_id, event_id, start, at, and
    optionally provider_id (default: the same), minutes or end (default: the
    same length), override, horizon_days.
    """
    clinic = _clinic(session)
    zone = _zone(clinic)
    at = _instant_arg(args, "at")
    old = _get(session, Appointment, str(args.get("appointment_id") or ""), "Appointment")
    if old.status != Status.BOOKED:
        raise MutationError(
            f"Only a booked appointment can be moved; this one is {LABELS[Status(old.status)].lower()}."
        )
    new_id = _new_key(session, Appointment, args, "new_appointment_id", "appointment")
    provider = _booking_provider(session, args.get("provider_id") or old.provider_id)
    start = _instant_arg(args, "start")
    length = int((_utc(old.end_utc) - _utc(old.start_utc)).total_seconds() // 60)
    end = _end(args, start, length, zone)
    plan = _Plan(
        provider, old.patient_id, start, end, at, _horizon(args),
        args.get("override") is True, moving=old.id,
    )  # fmt: skip
    decision = _check_or_refuse(session, zone, plan)
    new = _create(
        session, clinic, ctx, new_id, plan, old.type, old.modality, old.reason, old.priority
    )
    check_transition(Status.BOOKED, Status.CANCELLED, "rescheduled")
    _status_event(
        session, ctx, args["event_id"], old.id, Status.BOOKED, Status.CANCELLED, at, "rescheduled"
    )
    old.status = Status.CANCELLED
    old.status_since = at
    old.finished_at = at
    old.cancel_reason = "rescheduled"
    _touch(old, ctx, at)
    previous = session.get(AppointmentBooking, old.id)
    _link(
        session,
        new.id,
        rescheduled_from=old.id,
        series_id=previous.series_id if previous else None,
        override_by=ctx.actor if decision.override_used else "",
    )
    _link(session, old.id, rescheduled_to=new.id)
    return {
        **_booked_result(new, decision),
        "rescheduled_from": old.id,
        "freed": {
            "provider_id": old.provider_id,
            "start": _iso(old.start_utc),
            "end": _iso(old.end_utc),
        },
    }


@mutation
def book_series(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Book every occurrence of a recurring series, or none.

    Each occurrence is checked (against the store and the series' earlier
    occurrences); if any is refused, the error lists every occurrence with
    its reasons and alternatives, and nothing is saved.  ``args``: series_id,
    patient_id, provider_id, type, occurrences [{appointment_id, day, start
    (ISO UTC) or problem (a DST refusal found when the dates were
    expanded)}], and optionally minutes, modality, reason, priority,
    override, horizon_days, at.
    """
    clinic = _clinic(session)
    zone = _zone(clinic)
    at = _instant_arg(args, "at")
    series_id = str(args.get("series_id") or "")
    if not series_id:
        raise MutationError("Internal error: no id for the series.")
    provider = _booking_provider(session, args.get("provider_id"))
    patient = _booking_patient(session, args.get("patient_id"))
    kind = _appointment_type(session, args.get("type"))
    modality = _modality(kind, args.get("modality"))
    priority = _priority(args.get("priority"))
    horizon = _horizon(args)
    override = args.get("override") is True
    occurrences = args.get("occurrences")
    if not isinstance(occurrences, list) or not 1 <= len(occurrences) <= sched.MAX_OCCURRENCES:
        raise MutationError(f"A series has 1 to {sched.MAX_OCCURRENCES} dates.", field="count")
    ids = [str(o.get("appointment_id") or "") for o in occurrences if isinstance(o, dict)]
    if len(ids) != len(occurrences) or not all(ids) or len(set(ids)) != len(ids):
        raise MutationError("Internal error: every date of a series needs its own id.")
    if any(session.get(Appointment, i) is not None for i in ids):
        raise MutationError("This series was already saved.")

    accepted: list[Booked] = []
    planned: list[tuple[str, _Plan, Decision]] = []
    report: list[dict[str, Any]] = []
    for index, occ in enumerate(occurrences):
        entry: dict[str, Any] = {"index": index, "day": occ.get("day"), "start": None}
        if occ.get("problem") or not occ.get("start"):
            entry.update(ok=False, reasons=[str(occ.get("problem") or "No time given.")])
            entry.update(warnings=[], alternatives=[])
            report.append(entry)
            continue
        start = _instant_arg(occ, "start")
        end = _end(args, start, kind.minutes, zone)
        plan = _Plan(
            provider, patient.id, start, end, at, horizon, override, pending=tuple(accepted)
        )
        decision = _decide(session, zone, plan)
        entry.update(
            day=entry["day"] or local(start, zone).date().isoformat(),
            start=start.isoformat(),
            ok=decision.ok,
            reasons=list(decision.reasons),
            warnings=list(decision.warnings),
            alternatives=[] if decision.ok else _alternatives(session, zone, plan, 3),
        )
        report.append(entry)
        if decision.ok:
            accepted.append(Booked(ids[index], provider.id, patient.id, start, end))
            planned.append((ids[index], plan, decision))
    refused = [r for r in report if not r["ok"]]
    if refused:
        detail = "; ".join(f"{_day_label(r['day'])}: {' '.join(r['reasons'])}" for r in refused)
        raise MutationError(
            f"{len(refused)} of {len(report)} dates cannot be booked, so none were. {detail}",
            occurrences=report,
        )
    reason = str(args.get("reason") or "").strip()
    for appointment_id, plan, decision in planned:
        _create(session, clinic, ctx, appointment_id, plan, kind.name, modality, reason, priority)
        _link(
            session,
            appointment_id,
            series_id=series_id,
            override_by=ctx.actor if decision.override_used else "",
        )
    return {
        "series_id": series_id,
        "appointment_ids": [i for i, _, _ in planned],
        "warnings": {r["day"]: r["warnings"] for r in report if r["warnings"]},
    }


def _day_label(day: Any) -> str:
    try:
        return format_day(date.fromisoformat(str(day)))
    except ValueError:
        return str(day)


# -------------------------------------------------------------- waitlist


@mutation
def add_waitlist_entry(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put a patient on the waitlist for a type (and provider, or anyone) within a date range.

    ``args``: entry_id, patient_id, type, provider_id (None = any), earliest,
    latest (ISO dates, clinic-local, inclusive), priority, note, at.
    """
    clinic = _clinic(session)
    zone = _zone(clinic)
    at = _instant_arg(args, "at")
    entry_id = _new_key(session, WaitlistEntry, args, "entry_id", "waitlist entry")
    patient = _booking_patient(session, args.get("patient_id"))
    kind = _appointment_type(session, args.get("type"))
    provider_id = args.get("provider_id") or None
    if provider_id is not None:
        provider_id = _booking_provider(session, provider_id).id
    earliest = _day_arg(args, "earliest", "earliest")
    latest = _day_arg(args, "latest", "latest")
    if latest < earliest:
        raise MutationError("The latest date must be on or after the earliest.", field="latest")
    today = local(at, zone).date()
    if latest < today:
        raise MutationError("The latest date has already passed.", field="latest")
    horizon = _horizon(args)
    if earliest > today + timedelta(days=horizon):
        raise MutationError(
            f"The earliest date is too far ahead: bookings open {horizon} days ahead.",
            field="earliest",
        )
    session.add(
        WaitlistEntry(
            id=entry_id,
            patient_id=patient.id,
            type_name=kind.name,
            provider_id=provider_id,
            earliest=earliest,
            latest=latest,
            priority=_priority(args.get("priority")),
            note=str(args.get("note") or "").strip()[:500],
            status="open",
            created_at=at,
            created_by=ctx.actor,
        )
    )
    return {"entry_id": entry_id}


def _open_entry(session: Session, entry_id: Any) -> WaitlistEntry:
    entry = _get(session, WaitlistEntry, str(entry_id or ""), "Waitlist entry")
    if entry.status not in _OPEN_WAITLIST:
        raise MutationError(f"This waitlist entry is already {entry.status}.")
    return entry


@mutation
def close_waitlist_entry(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Take an entry off the waitlist without booking (``args``: entry_id, reason, at)."""
    entry = _open_entry(session, args.get("entry_id"))
    at = _instant_arg(args, "at")
    entry.status = "closed"
    entry.closed_at = at
    entry.close_reason = str(args.get("reason") or "").strip()[:200]
    entry.version += 1
    return {"entry_id": entry.id, "status": entry.status}


@mutation
def book_from_waitlist(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Book a waitlisted patient into a slot and close the entry, in one transaction.

    ``args``: entry_id, appointment_id, provider_id, start, at, and optionally
    modality, reason (default: the entry's note), override, horizon_days.
    The type, patient and priority come from the entry.
    """
    entry = _open_entry(session, args.get("entry_id"))
    provider_id = args.get("provider_id") or entry.provider_id
    if entry.provider_id and provider_id != entry.provider_id:
        wanted = session.get(Provider, entry.provider_id)
        raise MutationError(
            f"This patient is waiting for {wanted.short_name if wanted else 'another provider'}.",
            field="provider_id",
        )
    appointment, decision = _book(
        session,
        args,
        ctx,
        patient_id=entry.patient_id,
        provider_id=provider_id,
        type_name=entry.type_name,
        priority=entry.priority,
        reason=args.get("reason") or entry.note,
    )
    warnings = list(decision.warnings)
    day = local(_utc(appointment.start_utc), _zone(_clinic(session))).date()
    if not entry.earliest <= day <= entry.latest:
        warnings.append(
            f"Outside the dates the patient asked for ({format_day(entry.earliest)} to "
            f"{format_day(entry.latest)})."
        )
    entry.status = "booked"
    entry.closed_at = _instant_arg(args, "at")
    entry.appointment_id = appointment.id
    entry.version += 1
    return {**_booked_result(appointment, decision), "warnings": warnings, "entry_id": entry.id}


# ------------------------------------------------------------- schedules


@mutation
def set_provider_schedule(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Replace a provider's weekly template (validated) and/or slot grid and overbooking.

    ``args``: provider_id, and any of schedule (JSON text or dict, see
    coordtui.domain.schedule.parse_template), slot_minutes, overbook_allowance.
    """
    provider = _get(session, Provider, str(args.get("provider_id") or ""), "Provider")
    if "schedule" in args:
        try:
            template = sched.parse_template(args["schedule"])
        except sched.ScheduleError as exc:
            raise MutationError(
                "; ".join(exc.problems), field="schedule", errors={"schedule": str(exc)}
            ) from None
        provider.schedule_json = template.to_json()
    if args.get("slot_minutes") is not None:
        minutes = _whole(args["slot_minutes"], "slot length", "slot_minutes")
        if not (5 <= minutes <= 240 and minutes % 5 == 0):
            raise MutationError(
                "The slot length must be 5 to 240 minutes, in steps of 5.", field="slot_minutes"
            )
        provider.slot_minutes = minutes
    allowance = None
    if args.get("overbook_allowance") is not None:
        allowance = _whole(
            args["overbook_allowance"], "overbooking allowance", "overbook_allowance"
        )
        if not 0 <= allowance <= _MAX_ALLOWANCE:
            raise MutationError(
                f"Overbooking allows 0 to {_MAX_ALLOWANCE} extra appointments at a time.",
                field="overbook_allowance",
            )
        row = session.get(ProviderBooking, provider.id) or ProviderBooking(provider_id=provider.id)
        row.overbook_allowance = allowance
        session.add(row)
    if allowance is None:
        allowance = _allowance(session, provider.id)
    return {
        "provider_id": provider.id,
        "schedule": provider.schedule_json,
        "slot_minutes": provider.slot_minutes,
        "overbook_allowance": allowance,
    }


@mutation
def add_schedule_exception(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Leave, a holiday or an extra session for one provider.

    ``args``: exception_id, provider_id, kind (closure | extra), first_day,
    last_day (default first_day), start_time/end_time ("HH:MM"; both or
    neither for a closure, which then takes whole days; required for an
    extra), reason, at.  The result lists booked appointments the change
    leaves outside the provider's hours, for someone to move.
    """
    clinic = _clinic(session)
    zone = _zone(clinic)
    at = _instant_arg(args, "at")
    exception_id = _new_key(session, ScheduleException, args, "exception_id", "schedule change")
    provider = _get(session, Provider, str(args.get("provider_id") or ""), "Provider")
    kind = str(args.get("kind") or "closure")
    if kind not in ("closure", "extra"):
        raise MutationError("The kind must be closure (time off) or extra (added session).")
    first_day = _day_arg(args, "first_day", "first")
    last_day = _day_arg(args, "last_day", "last") if args.get("last_day") else first_day
    if last_day < first_day:
        raise MutationError(
            f"The last day ({last_day.isoformat()}) is before the first ({first_day.isoformat()}).",
            field="last_day",
        )
    if (last_day - first_day).days > 366:
        raise MutationError("A schedule change covers at most a year.", field="last_day")
    start_time = str(args.get("start_time") or "").strip() or None
    end_time = str(args.get("end_time") or "").strip() or None
    if (start_time is None) != (end_time is None) or (kind == "extra" and start_time is None):
        raise MutationError(
            "Give both a start and an end time"
            + (" for an extra session." if kind == "extra" else ", or neither for whole days."),
            field="start_time",
        )
    try:
        domain_exceptions(first_day, last_day, start_time, end_time, kind)
    except sched.ScheduleError as exc:
        raise MutationError("; ".join(exc.problems), field="start_time") from None
    session.add(
        ScheduleException(
            id=exception_id,
            provider_id=provider.id,
            first_day=first_day,
            last_day=last_day,
            start_time=start_time,
            end_time=end_time,
            kind=kind,
            reason=str(args.get("reason") or "").strip()[:200],
            created_at=at,
            created_by=ctx.actor,
        )
    )
    session.flush()
    available = _availability(session, provider, zone, first_day, last_day)
    lo, hi = day_bounds_utc(first_day, zone)[0], day_bounds_utc(last_day, zone)[1]
    affected = [
        b.id
        for b in _booked(session, max(lo, at), hi, provider_id=provider.id)
        if b.status == Status.BOOKED and b.start >= at and not covers(available, b.start, b.end)
    ]
    return {"exception_id": exception_id, "affected": sorted(affected)}


@mutation
def remove_schedule_exception(
    session: Session, args: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """Undo a schedule change (``args``: exception_id)."""
    row = _get(session, ScheduleException, str(args.get("exception_id") or ""), "Schedule change")
    session.delete(row)
    return {"exception_id": row.id}


# ----------------------------------------------------------------- calls


def _call_patient(session: Session, patient_id: Any) -> Patient:
    if not patient_id:
        raise MutationError("Choose the patient the call is about.", field="patient_id")
    patient = _get(session, Patient, str(patient_id), "Patient")
    if patient.merged_into:
        raise MutationError("This record was merged into another; choose the surviving record.")
    return patient


def _assignee(value: Any) -> str:
    text = str(value or "").strip() or calls.ANYONE
    if len(text) > 64:
        raise MutationError("Assign to a user name or anyone.", field="assignee")
    return text


def _callback_priority(value: Any) -> str:
    text = str(value or "routine")
    if text not in calls.PRIORITIES:
        raise MutationError("Priority must be routine or urgent.", field="priority")
    return text


def _open_callback(session: Session, args: dict[str, Any]) -> Callback:
    row = _get(session, Callback, str(args.get("callback_id") or ""), "Callback")
    if row.status != "open":
        raise MutationError("This callback is already done; reopen it first.")
    return row


def _bump(row: Callback, args: dict[str, Any]) -> None:
    """Refuse a change made against an older version (another desk got there first)."""
    base = args.get("base_version")
    if base is not None and int(base) != row.version:
        raise MutationError("This callback was changed elsewhere; refresh to see it.")
    row.version += 1


@mutation
def log_call(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Record a call; with outcome "callback needed" also the callback task, in one go.

    ``args``: call_id, patient_id, appointment_id (optional), direction,
    who_kind, who_name, reason, outcome, note, at, allow_empty_note (the
    desk's setting), and for a callback: callback_id, due_at, assignee,
    priority.  The note is capped at NOTE_MAX characters; ``capped`` says so.
    """
    at = _instant_arg(args, "at")
    call_id = _new_key(session, CallNote, args, "call_id", "call note")
    patient = _call_patient(session, args.get("patient_id"))
    appointment_id = args.get("appointment_id") or None
    if appointment_id is not None:
        appointment = _get(session, Appointment, str(appointment_id), "Appointment")
        if appointment.patient_id != patient.id:
            raise MutationError("That appointment is another patient's.", field="appointment_id")
    values, errors = calls.validate_call(
        args, allow_empty_resolved=args.get("allow_empty_note") is True
    )
    if errors:
        raise MutationError(next(iter(errors.values())), errors=errors, field=next(iter(errors)))
    session.add(
        CallNote(
            id=call_id,
            patient_id=patient.id,
            appointment_id=appointment_id,
            direction=values["direction"],
            who_kind=values["who_kind"],
            who_name=values["who_name"],
            reason=values["reason"],
            outcome=values["outcome"],
            note=values["note"],
            at=at,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    callback_id = None
    if values["outcome"] == "callback needed":
        session.flush()  # the callback points at the note
        callback_id = _new_key(session, Callback, args, "callback_id", "callback")
        session.add(
            Callback(
                id=callback_id,
                patient_id=patient.id,
                call_note_id=call_id,
                due_at=_instant_arg(args, "due_at", "callback") if args.get("due_at") else at,
                assignee=_assignee(args.get("assignee")),
                priority=_callback_priority(args.get("priority")),
                created_at=at,
                created_by=ctx.actor,
            )
        )
    return {"call_id": call_id, "callback_id": callback_id, "capped": bool(values["capped"])}


@mutation
def amend_call(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Correct a call note by adding one that points at the original (left untouched).

    Amending an amendment points at the same original, so a note's
    corrections all hang off one row.  ``args``: call_id (new), amends, note, at.
    """
    at = _instant_arg(args, "at")
    call_id = _new_key(session, CallNote, args, "call_id", "call note")
    original = _get(session, CallNote, str(args.get("amends") or ""), "Call note")
    while original.amends:
        original = _get(session, CallNote, original.amends, "Call note")
    note, capped = calls.cap_note(str(args.get("note") or ""))
    if not note.strip():
        raise MutationError("Write the correction.", field="note")
    session.add(
        CallNote(
            id=call_id,
            patient_id=original.patient_id,
            appointment_id=original.appointment_id,
            direction=original.direction,
            who_kind=original.who_kind,
            who_name=original.who_name,
            reason=original.reason,
            outcome=original.outcome,
            note=note,
            amends=original.id,
            at=at,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    return {"call_id": call_id, "amends": original.id, "capped": capped}


@mutation
def complete_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Mark a callback done by this user at ``at`` (``args``: callback_id, at, base_version?)."""
    row = _open_callback(session, args)
    _bump(row, args)
    row.status = "done"
    row.done_at = _instant_arg(args, "at")
    row.done_by = ctx.actor
    return {"callback_id": row.id, "status": row.status, "version": row.version}


@mutation
def reopen_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Undo a "done" marked by mistake; the callback is open again."""
    row = _get(session, Callback, str(args.get("callback_id") or ""), "Callback")
    if row.status == "open":
        raise MutationError("This callback is already open.")
    _bump(row, args)
    row.status, row.done_at, row.done_by = "open", None, ""
    return {"callback_id": row.id, "status": row.status, "version": row.version}


@mutation
def snooze_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put a callback off until ``until`` (must be after ``at``)."""
    row = _open_callback(session, args)
    at = _instant_arg(args, "at")
    until = _instant_arg(args, "until", "snooze")
    if until <= at:
        raise MutationError("Snooze to a time in the future.", field="until")
    _bump(row, args)
    row.snoozed_until = until
    return {"callback_id": row.id, "snoozed_until": until.isoformat(), "version": row.version}


@mutation
def reassign_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Give a callback to another user, or to anyone."""
    row = _open_callback(session, args)
    _bump(row, args)
    row.assignee = _assignee(args.get("assignee"))
    return {"callback_id": row.id, "assignee": row.assignee, "version": row.version}


@mutation
def set_recall(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put a patient on the recall list for a date (``args``: recall_id, patient_id,
    due_date, reason, appointment_id (the visit that asked for it, optional), at)."""
    at = _instant_arg(args, "at")
    recall_id = _new_key(session, Recall, args, "recall_id", "recall")
    patient = _call_patient(session, args.get("patient_id"))
    due = _day_arg(args, "due_date", "recall")
    session.add(
        Recall(
            id=recall_id,
            patient_id=patient.id,
            due_date=due,
            reason=str(args.get("reason") or "").strip()[: calls.REASON_MAX],
            created_at=at,
            created_by=ctx.actor,
        )
    )
    return {"recall_id": recall_id}


def _end_recall(row: Recall, status: str, at: datetime, appointment_id: str | None) -> None:
    """Close an open recall: "booked" (linked to the appointment) or "closed"."""
    if appointment_id is not None:
        row.appointment_id = appointment_id
    row.status = status
    row.closed_at = at


def _recall_for_booking(session: Session, args: dict[str, Any]) -> Recall | None:
    """The open recall a booking answers (``args["recall_id"]``), checked before booking.

    A recall for another patient is refused (the booking would close the wrong
    one).  A recall no longer open (closed or booked at another desk, or by a
    booking that synced first) does not block: the patient is on the line and
    the slot is what matters; refusing would turn a harmless race into a
    conflict for someone to sort out, and the recall keeps its first closure.
    """
    recall_id = args.get("recall_id")
    if not recall_id:
        return None
    row = _get(session, Recall, str(recall_id), "Recall")
    if row.patient_id != str(args.get("patient_id") or ""):
        raise MutationError(
            "This recall is for another patient; nothing was booked.", field="recall_id"
        )
    return row if row.status == "open" else None


@mutation
def close_recall(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Take a patient off the recall list: booked (with the appointment) or closed."""
    row = _get(session, Recall, str(args.get("recall_id") or ""), "Recall")
    if row.status != "open":
        raise MutationError(f"This recall is already {row.status}.")
    status = str(args.get("status") or "closed")
    if status not in ("booked", "closed"):
        raise MutationError("A recall closes as booked or closed.", field="status")
    appointment_id = None
    if status == "booked":
        appointment_id = _get(
            session, Appointment, str(args.get("appointment_id") or ""), "Appointment"
        ).id
    _end_recall(row, status, _instant_arg(args, "at"), appointment_id)
    return {"recall_id": row.id, "status": row.status}


@mutation
def add_hand_off(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A short note for the care team on an appointment (``args``: hand_off_id,
    appointment_id, note, at)."""
    at = _instant_arg(args, "at")
    hand_off_id = _new_key(session, HandOff, args, "hand_off_id", "hand-off note")
    appointment = _get(session, Appointment, str(args.get("appointment_id") or ""), "Appointment")
    note = str(args.get("note") or "").strip()
    if not note:
        raise MutationError("Write the hand-off note.", field="note")
    if len(note) > calls.HAND_OFF_MAX:
        raise MutationError(
            f"Keep hand-off notes under {calls.HAND_OFF_MAX} characters.", field="note"
        )
    session.add(
        HandOff(id=hand_off_id, appointment_id=appointment.id, note=note, at=at, actor=ctx.actor)
    )
    return {"hand_off_id": hand_off_id}
