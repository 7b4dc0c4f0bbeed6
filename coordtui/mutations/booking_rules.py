"""The booking decision behind book_appointment, reschedule, series and waitlist:
load what coordtui.domain's rules need (template, exceptions, booked times,
allowance) inside the write transaction, ask them, and create the appointment.
Also the recall a booking closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from coordtui.domain import schedule as sched
from coordtui.domain.days import day_bounds_utc, local
from coordtui.domain.instants import iso, utc
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
    nearest_alternatives,
)
from coordtui.domain.slots import AppointmentType as DomainType
from coordtui.domain.status import (
    Status,
)
from coordtui.mutations.common import (
    ACTIVE_VALUES,
    ALTERNATIVES,
    MAX_SPAN,
    clinic_zone,
    get_or_refuse,
    instant_arg,
    new_key,
    the_clinic,
    whole_number,
)
from coordtui.mutations.core import Context, MutationError
from coordtui.store.booking_reads import domain_exceptions, domain_type
from coordtui.store.models import (
    Appointment,
    AppointmentBooking,
    AppointmentType,
    Clinic,
    Patient,
    Provider,
    ProviderBooking,
    Recall,
    ScheduleException,
)

# --------------------------------------------------------------- booking
#
# The rules are coordtui.domain's (check_booking, nearest_alternatives); these
# mutations only load what the rules need, inside the write transaction that
# run_local opened with BEGIN IMMEDIATE: two desks booking the same slot are
# serialised on the write lock, and the second one sees the first one's row.


def booking_provider(session: Session, provider_id: Any) -> Provider:
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


def booking_patient(session: Session, patient_id: Any) -> Patient:
    patient = get_or_refuse(session, Patient, str(patient_id or ""), "Patient")
    if patient.merged_into:
        raise MutationError("This record was merged into another; choose the surviving record.")
    return patient


def appointment_types(session: Session) -> dict[str, DomainType]:
    """Active stored types; DEFAULT_TYPES while none are stored (stores made before a clinic)."""
    rows = list(session.exec(select(AppointmentType)))
    if not rows:
        return {t.name: t for t in DEFAULT_TYPES}
    return {r.name: domain_type(r.name, r.minutes, r.modalities) for r in rows if r.active}


def appointment_type(session: Session, name: Any) -> DomainType:
    types = appointment_types(session)
    key = str(name or "").strip()
    if key not in types:
        raise MutationError(
            f"Unknown appointment type {key!r}: choose one of {', '.join(types)}.", field="type"
        )
    return types[key]


def modality_arg(kind: DomainType, value: Any) -> str:
    modality = str(value or Modality.IN_PERSON.value)
    if modality not in {m.value for m in Modality}:
        raise MutationError(
            f"{modality!r} is not a modality: use in_person, phone or video.", field="modality"
        )
    problem = kind.modality_problem(modality)
    if problem:
        raise MutationError(problem + ".", field="modality")
    return modality


def priority_arg(value: Any) -> str:
    priority = str(value or "routine")
    if priority not in ("routine", "urgent"):
        raise MutationError("Priority must be routine or urgent.", field="priority")
    return priority


def horizon_arg(args: dict[str, Any]) -> int:
    days = whole_number(
        args.get("horizon_days", DEFAULT_HORIZON_DAYS), "booking horizon", "horizon"
    )
    if days < 1:
        raise MutationError("The booking horizon must be at least 1 day.")
    return days


def end_arg(
    args: dict[str, Any], start: datetime, default_minutes: int, zone: ZoneInfo
) -> datetime:
    """The end from ``end`` (an instant) or ``minutes`` (default: the type's length)."""
    if args.get("end") not in (None, ""):
        end = instant_arg(args, "end")
        if end <= start:
            raise MutationError(
                f"The end ({local(end, zone):%H:%M}) must be after the start "
                f"({local(start, zone):%H:%M}).",
                field="end",
            )
        if end - start > MAX_SPAN:
            raise MutationError("An appointment cannot be longer than 8 hours.", field="end")
        return end
    raw = args.get("minutes")
    minutes = default_minutes if raw in (None, "") else whole_number(raw, "duration", "minutes")
    if minutes <= 0:
        raise MutationError("The duration must be more than 0 minutes.", field="minutes")
    if minutes > MAX_MINUTES:
        raise MutationError("An appointment cannot be longer than 8 hours.", field="minutes")
    return start + timedelta(minutes=minutes)


def provider_template(provider: Provider) -> sched.WeeklyTemplate:
    try:
        return sched.parse_template(provider.schedule_json or "{}")
    except sched.ScheduleError as exc:
        raise MutationError(
            f"{provider.short_name}'s weekly schedule cannot be used ({exc}); "
            "a supervisor must correct it."
        ) from None


def provider_exceptions(
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


def availability(
    session: Session, provider: Provider, zone: ZoneInfo, first_day: date, last_day: date
) -> list[sched.Interval]:
    """The provider's working time from ``first_day`` to ``last_day``: template + exceptions."""
    exceptions = provider_exceptions(session, provider.id, first_day, last_day)
    return sched.availability_span(
        provider_template(provider), exceptions, first_day, last_day, zone
    )


def booked_between(
    session: Session,
    lo: datetime,
    hi: datetime,
    *,
    provider_id: str | None = None,
    patient_id: str | None = None,
) -> list[Booked]:
    """Active appointments overlapping [lo, hi) of one provider or one patient (indexed)."""
    query = sql_select(  # six columns: past sqlmodel.select's typed overloads
        col(Appointment.id),
        col(Appointment.provider_id),
        col(Appointment.patient_id),
        col(Appointment.start_utc),
        col(Appointment.end_utc),
        col(Appointment.status),
    ).where(
        col(Appointment.start_utc) >= lo - MAX_SPAN,
        col(Appointment.start_utc) < hi,
        col(Appointment.end_utc) > lo,
        col(Appointment.status).in_(ACTIVE_VALUES),
    )
    if provider_id is not None:
        query = query.where(col(Appointment.provider_id) == provider_id)
    if patient_id is not None:
        query = query.where(col(Appointment.patient_id) == patient_id)
    return [
        Booked(i, v, p, utc(s), utc(e), st)
        for i, v, p, s, e, st in session.connection().execute(query)
    ]


def provider_allowance(session: Session, provider_id: str) -> int:
    row = session.get(ProviderBooking, provider_id)
    return row.overbook_allowance if row else 0


@dataclass
class Plan:
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


def decide(session: Session, zone: ZoneInfo, plan: Plan) -> Decision:
    first_day, last_day = local(plan.start, zone).date(), local(plan.end, zone).date()
    available = availability(session, plan.provider, zone, first_day, last_day)
    existing = {
        b.id: b for b in booked_between(session, plan.start, plan.end, provider_id=plan.provider.id)
    }
    for b in booked_between(session, plan.start, plan.end, patient_id=plan.patient_id):
        existing.setdefault(b.id, b)
    request = BookingRequest(
        plan.provider.id, plan.patient_id, plan.start, plan.end, Kind.SCHEDULED, plan.moving
    )
    return check_booking(
        request,
        [*existing.values(), *plan.pending],
        available,
        provider_allowance(session, plan.provider.id),
        now=plan.at,
        horizon_days=plan.horizon,
        override=plan.override,
        zone=zone,
    )


def alternatives_for(
    session: Session, zone: ZoneInfo, plan: Plan, limit: int = ALTERNATIVES
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
    available = availability(session, plan.provider, zone, first_day, last_day)
    lo, hi = day_bounds_utc(first_day, zone)[0], day_bounds_utc(last_day, zone)[1]
    booked = [b for b in booked_between(session, lo, hi, provider_id=pid) if b.id != plan.moving]
    booked += [b for b in plan.pending if b.provider_id == pid]
    slots = nearest_alternatives(
        {pid: available},
        {pid: booked},
        plan.end - plan.start,
        around,
        limit,
        step=plan.provider.slot_minutes or 15,
        allowance=provider_allowance(session, pid),
        now=plan.at,
    )
    return [
        {"provider_id": s.provider_id, "start": s.start.isoformat(), "end": s.end.isoformat()}
        for s in slots
        if s.start <= last
    ]


def check_or_refuse(session: Session, zone: ZoneInfo, plan: Plan) -> Decision:
    decision = decide(session, zone, plan)
    if not decision.ok:
        raise MutationError(
            " ".join(decision.reasons), alternatives=alternatives_for(session, zone, plan)
        )
    return decision


def link_booking(session: Session, appointment_id: str, **fields: Any) -> None:
    """Set booking facts (series, reschedule links, override) on an appointment."""
    row = session.get(AppointmentBooking, appointment_id)
    if row is None:
        row = AppointmentBooking(appointment_id=appointment_id)
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)


def create_appointment(
    session: Session,
    clinic: Clinic,
    ctx: Context,
    appointment_id: str,
    plan: Plan,
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


def book_one(
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
    clinic = the_clinic(session)
    zone = clinic_zone(clinic)
    at = instant_arg(args, "at")
    if str(args.get("kind") or "scheduled") != "scheduled":
        raise MutationError(
            "Only scheduled visits are booked here; a patient who is here now is a walk-in."
        )
    appointment_id = new_key(session, Appointment, args, "appointment_id", "appointment")
    provider = booking_provider(session, provider_id)
    patient = booking_patient(session, patient_id)
    kind = appointment_type(session, type_name)
    modality = modality_arg(kind, args.get("modality"))
    priority = priority_arg(priority)
    start = instant_arg(args, "start")
    end = end_arg(args, start, kind.minutes, zone)
    plan = Plan(
        provider, patient.id, start, end, at, horizon_arg(args), args.get("override") is True
    )
    decision = check_or_refuse(session, zone, plan)
    appointment = create_appointment(
        session, clinic, ctx, appointment_id, plan, kind.name, modality,
        str(reason or "").strip(), priority,
    )  # fmt: skip
    if decision.override_used:
        link_booking(session, appointment.id, override_by=ctx.actor)
    return appointment, decision


def booked_result(appointment: Appointment, decision: Decision) -> dict[str, Any]:
    return {
        "appointment_id": appointment.id,
        "provider_id": appointment.provider_id,
        "start": iso(appointment.start_utc),
        "end": iso(appointment.end_utc),
        "warnings": list(decision.warnings),
        "override_used": decision.override_used,
    }


def end_recall(row: Recall, status: str, at: datetime, appointment_id: str | None) -> None:
    """Close an open recall: "booked" (linked to the appointment) or "closed"."""
    if appointment_id is not None:
        row.appointment_id = appointment_id
    row.status = status
    row.closed_at = at


def recall_for_booking(session: Session, args: dict[str, Any]) -> Recall | None:
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
    row = get_or_refuse(session, Recall, str(recall_id), "Recall")
    if row.patient_id != str(args.get("patient_id") or ""):
        raise MutationError(
            "This recall is for another patient; nothing was booked.", field="recall_id"
        )
    return row if row.status == "open" else None
