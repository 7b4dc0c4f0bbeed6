"""Calls and what follows them: call notes, callbacks, recalls, hand-off notes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from coordtui.domain import calls
from coordtui.mutations.booking_rules import end_recall
from coordtui.mutations.common import day_arg, get_or_refuse, instant_arg, new_key
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.models import (
    Appointment,
    Callback,
    CallNote,
    HandOff,
    Patient,
    Recall,
)

# ----------------------------------------------------------------- calls


def _call_patient(session: Session, patient_id: Any) -> Patient:
    if not patient_id:
        raise MutationError("Choose the patient the call is about.", field="patient_id")
    patient = get_or_refuse(session, Patient, str(patient_id), "Patient")
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
    row = get_or_refuse(session, Callback, str(args.get("callback_id") or ""), "Callback")
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
    at = instant_arg(args, "at")
    call_id = new_key(session, CallNote, args, "call_id", "call note")
    patient = _call_patient(session, args.get("patient_id"))
    appointment_id = args.get("appointment_id") or None
    if appointment_id is not None:
        appointment = get_or_refuse(session, Appointment, str(appointment_id), "Appointment")
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
            direction=str(values["direction"]),
            who_kind=str(values["who_kind"]),
            who_name=str(values["who_name"]),
            reason=str(values["reason"]),
            outcome=str(values["outcome"]),
            note=str(values["note"]),
            at=at,
            actor=ctx.actor,
            mutation_id=ctx.mutation_id,
        )
    )
    callback_id = None
    if values["outcome"] == "callback needed":
        session.flush()  # the callback points at the note
        callback_id = new_key(session, Callback, args, "callback_id", "callback")
        session.add(
            Callback(
                id=callback_id,
                patient_id=patient.id,
                call_note_id=call_id,
                due_at=instant_arg(args, "due_at", "callback") if args.get("due_at") else at,
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
    at = instant_arg(args, "at")
    call_id = new_key(session, CallNote, args, "call_id", "call note")
    original = get_or_refuse(session, CallNote, str(args.get("amends") or ""), "Call note")
    while original.amends:
        original = get_or_refuse(session, CallNote, original.amends, "Call note")
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
    row.done_at = instant_arg(args, "at")
    row.done_by = ctx.actor
    return {"callback_id": row.id, "status": row.status, "version": row.version}


@mutation
def reopen_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Undo a "done" marked by mistake; the callback is open again."""
    row = get_or_refuse(session, Callback, str(args.get("callback_id") or ""), "Callback")
    if row.status == "open":
        raise MutationError("This callback is already open.")
    _bump(row, args)
    row.status, row.done_at, row.done_by = "open", None, ""
    return {"callback_id": row.id, "status": row.status, "version": row.version}


@mutation
def snooze_callback(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put a callback off until ``until`` (must be after ``at``)."""
    row = _open_callback(session, args)
    at = instant_arg(args, "at")
    until = instant_arg(args, "until", "snooze")
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
    at = instant_arg(args, "at")
    recall_id = new_key(session, Recall, args, "recall_id", "recall")
    patient = _call_patient(session, args.get("patient_id"))
    due = day_arg(args, "due_date", "recall")
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


@mutation
def close_recall(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Take a patient off the recall list: booked (with the appointment) or closed."""
    row = get_or_refuse(session, Recall, str(args.get("recall_id") or ""), "Recall")
    if row.status != "open":
        raise MutationError(f"This recall is already {row.status}.")
    status = str(args.get("status") or "closed")
    if status not in ("booked", "closed"):
        raise MutationError("A recall closes as booked or closed.", field="status")
    appointment_id = None
    if status == "booked":
        appointment_id = get_or_refuse(
            session, Appointment, str(args.get("appointment_id") or ""), "Appointment"
        ).id
    end_recall(row, status, instant_arg(args, "at"), appointment_id)
    return {"recall_id": row.id, "status": row.status}


@mutation
def add_hand_off(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A short note for the care team on an appointment (``args``: hand_off_id,
    appointment_id, note, at)."""
    at = instant_arg(args, "at")
    hand_off_id = new_key(session, HandOff, args, "hand_off_id", "hand-off note")
    appointment = get_or_refuse(
        session, Appointment, str(args.get("appointment_id") or ""), "Appointment"
    )
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
