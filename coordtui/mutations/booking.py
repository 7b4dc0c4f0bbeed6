"""Booking mutations: one visit, a move, a series (all or nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from coordtui.domain import schedule as sched
from coordtui.domain.days import format_day, local
from coordtui.domain.instants import iso, utc
from coordtui.domain.slots import (
    Booked,
    Decision,
)
from coordtui.domain.status import (
    LABELS,
    Status,
    check_transition,
)
from coordtui.mutations.booking_rules import (
    Plan,
    alternatives_for,
    appointment_type,
    book_one,
    booked_result,
    booking_patient,
    booking_provider,
    check_or_refuse,
    create_appointment,
    decide,
    end_arg,
    end_recall,
    horizon_arg,
    link_booking,
    modality_arg,
    priority_arg,
    recall_for_booking,
)
from coordtui.mutations.common import (
    add_status_event,
    clinic_zone,
    get_or_refuse,
    instant_arg,
    new_key,
    the_clinic,
    touch_row,
)
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.models import (
    Appointment,
    AppointmentBooking,
)


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
    recall = recall_for_booking(session, args)
    appointment, decision = book_one(
        session,
        args,
        ctx,
        patient_id=args.get("patient_id"),
        provider_id=args.get("provider_id"),
        type_name=args.get("type"),
        priority=args.get("priority"),
        reason=args.get("reason"),
    )
    result = booked_result(appointment, decision)
    if args.get("recall_id"):
        if recall is not None:
            end_recall(recall, "booked", appointment.created_at, appointment.id)
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
    clinic = the_clinic(session)
    zone = clinic_zone(clinic)
    at = instant_arg(args, "at")
    old = get_or_refuse(session, Appointment, str(args.get("appointment_id") or ""), "Appointment")
    if old.status != Status.BOOKED:
        raise MutationError(
            f"Only a booked appointment can be moved; this one is {LABELS[Status(old.status)].lower()}."
        )
    new_id = new_key(session, Appointment, args, "new_appointment_id", "appointment")
    provider = booking_provider(session, args.get("provider_id") or old.provider_id)
    start = instant_arg(args, "start")
    length = int((utc(old.end_utc) - utc(old.start_utc)).total_seconds() // 60)
    end = end_arg(args, start, length, zone)
    plan = Plan(
        provider, old.patient_id, start, end, at, horizon_arg(args),
        args.get("override") is True, moving=old.id,
    )  # fmt: skip
    decision = check_or_refuse(session, zone, plan)
    new = create_appointment(
        session, clinic, ctx, new_id, plan, old.type, old.modality, old.reason, old.priority
    )
    check_transition(Status.BOOKED, Status.CANCELLED, "rescheduled")
    add_status_event(
        session, ctx, args["event_id"], old.id, Status.BOOKED, Status.CANCELLED, at, "rescheduled"
    )
    old.status = Status.CANCELLED
    old.status_since = at
    old.finished_at = at
    old.cancel_reason = "rescheduled"
    touch_row(old, ctx, at)
    previous = session.get(AppointmentBooking, old.id)
    link_booking(
        session,
        new.id,
        rescheduled_from=old.id,
        series_id=previous.series_id if previous else None,
        override_by=ctx.actor if decision.override_used else "",
    )
    link_booking(session, old.id, rescheduled_to=new.id)
    return {
        **booked_result(new, decision),
        "rescheduled_from": old.id,
        "freed": {
            "provider_id": old.provider_id,
            "start": iso(old.start_utc),
            "end": iso(old.end_utc),
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
    clinic = the_clinic(session)
    zone = clinic_zone(clinic)
    at = instant_arg(args, "at")
    series_id = str(args.get("series_id") or "")
    if not series_id:
        raise MutationError("Internal error: no id for the series.")
    provider = booking_provider(session, args.get("provider_id"))
    patient = booking_patient(session, args.get("patient_id"))
    kind = appointment_type(session, args.get("type"))
    modality = modality_arg(kind, args.get("modality"))
    priority = priority_arg(args.get("priority"))
    horizon = horizon_arg(args)
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
    planned: list[tuple[str, Plan, Decision]] = []
    report: list[dict[str, Any]] = []
    for index, occ in enumerate(occurrences):
        entry: dict[str, Any] = {"index": index, "day": occ.get("day"), "start": None}
        if occ.get("problem") or not occ.get("start"):
            entry.update(ok=False, reasons=[str(occ.get("problem") or "No time given.")])
            entry.update(warnings=[], alternatives=[])
            report.append(entry)
            continue
        start = instant_arg(occ, "start")
        end = end_arg(args, start, kind.minutes, zone)
        plan = Plan(
            provider, patient.id, start, end, at, horizon, override, pending=tuple(accepted)
        )
        decision = decide(session, zone, plan)
        entry.update(
            day=entry["day"] or local(start, zone).date().isoformat(),
            start=start.isoformat(),
            ok=decision.ok,
            reasons=list(decision.reasons),
            warnings=list(decision.warnings),
            alternatives=[] if decision.ok else alternatives_for(session, zone, plan, 3),
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
        create_appointment(
            session, clinic, ctx, appointment_id, plan, kind.name, modality, reason, priority
        )
        link_booking(
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
