"""The day's visits: walk-ins, status moves, check-in with coverage and co-pay, undo."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from coordtui.domain.coverage import MAX_COPAY_CENTS, copay_errors
from coordtui.domain.instants import instant, utc
from coordtui.domain.patient import MAX_LEN as PATIENT_TEXT_MAX
from coordtui.domain.slots import (
    retaken,
)
from coordtui.domain.status import (
    ACTIVE,
    LABELS,
    Status,
    TransitionError,
    check_transition,
    undo_target,
)
from coordtui.mutations.booking_rules import booked_between, provider_allowance
from coordtui.mutations.common import (
    ACTIVE_VALUES,
    add_status_event,
    domain_events,
    get_or_refuse,
    instant_arg,
    new_key,
    status_history,
    the_clinic,
    touch_row,
)
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.models import (
    Appointment,
    CopayPayment,
    CoverageCheck,
    Patient,
    Provider,
    StatusEvent,
)


@mutation
def add_walk_in(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A patient with no booking joins today's queue as arrived, now."""
    clinic = the_clinic(session)
    patient = get_or_refuse(session, Patient, args["patient_id"], "Patient")
    if patient.merged_into:
        raise MutationError("This record was merged into another; choose the surviving record.")
    provider = get_or_refuse(session, Provider, args["provider_id"], "Provider")
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
    add_status_event(
        session, ctx, args["event_id"], appointment.id, Status.BOOKED, Status.ARRIVED, at, "walk-in"
    )
    return {"appointment_id": appointment.id}


@mutation
def set_status(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Move an appointment along the state machine (cancel needs a reason)."""
    appointment = get_or_refuse(session, Appointment, args["appointment_id"], "Appointment")
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
    add_status_event(session, ctx, args["event_id"], appointment.id, current, target, at, reason)
    appointment.status = target
    appointment.status_since = at
    if target == Status.ARRIVED:
        appointment.arrived_at = at
    if target in (Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED):
        appointment.finished_at = at
    if target in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
        appointment.cancel_reason = reason
    touch_row(appointment, ctx, at)


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
    appointment = get_or_refuse(
        session, Appointment, str(args.get("appointment_id") or ""), "Appointment"
    )
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
    at = instant_arg(args, "at")
    result: dict[str, Any] = {"appointment_id": appointment.id, "status": Status.ARRIVED.value}
    result["from"] = current.value
    if coverage is not None:
        result["check_id"] = new_key(session, CoverageCheck, coverage, "check_id", "check")
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
        result["payment_id"] = new_key(session, CopayPayment, copay, "payment_id", "copay")
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
    appointment = get_or_refuse(session, Appointment, args["appointment_id"], "Appointment")
    events = status_history(session, appointment.id)
    target = undo_target(domain_events(events))
    if target is None or (appointment.kind == "walk_in" and target.from_status == Status.BOOKED):
        raise MutationError("Nothing to undo for this appointment.")
    if target.to_status != Status(appointment.status):
        raise MutationError("The status changed elsewhere; nothing was undone.")
    at = instant(args["at"])
    restored = target.from_status
    if restored in ACTIVE and Status(appointment.status) not in ACTIVE:
        undone = next(e for e in events if e.id == target.id)
        _refuse_if_retaken(session, appointment, utc(undone.at))
    add_status_event(
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
    touch_row(appointment, ctx, at)
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
    start, end = utc(appointment.start_utc), utc(appointment.end_utc)
    others = [
        b
        for b in booked_between(session, start, end, provider_id=appointment.provider_id)
        if b.id != appointment.id
    ]
    if not others:
        return
    took = _took_time(session, [b.id for b in others])
    earlier = [(b.start, b.end) for b in others if took[b.id] < cancelled_at]
    later = [(b.start, b.end) for b in others if took[b.id] >= cancelled_at]
    if retaken((start, end), earlier, later, provider_allowance(session, appointment.provider_id)):
        raise MutationError(
            "That time has been booked again since; book the patient a new time instead."
        )


def _took_time(session: Session, ids: list[str]) -> dict[str, datetime]:
    """When each active appointment last took its time: made, or brought back from an
    inactive status (an undone cancel or no-show)."""
    took = {
        i: utc(at)
        for i, at in session.exec(
            select(Appointment.id, Appointment.created_at).where(col(Appointment.id).in_(ids))
        )
    }
    back = session.exec(
        select(StatusEvent.appointment_id, func.max(StatusEvent.at))
        .where(
            col(StatusEvent.appointment_id).in_(ids),
            col(StatusEvent.from_status).not_in(ACTIVE_VALUES),
            col(StatusEvent.to_status).in_(ACTIVE_VALUES),
        )
        .group_by(StatusEvent.appointment_id)
    )
    for i, at in back:
        took[i] = max(took[i], utc(at))
    return took
