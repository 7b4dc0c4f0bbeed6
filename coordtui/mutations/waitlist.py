"""Waitlist mutations: add, close, book from the list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from coordtui.domain.days import format_day, local
from coordtui.domain.instants import utc
from coordtui.mutations.booking_rules import (
    appointment_type,
    book_one,
    booked_result,
    booking_patient,
    booking_provider,
    horizon_arg,
    priority_arg,
)
from coordtui.mutations.common import (
    OPEN_WAITLIST,
    clinic_zone,
    day_arg,
    get_or_refuse,
    instant_arg,
    new_key,
    the_clinic,
)
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.models import (
    Provider,
    WaitlistEntry,
)

# -------------------------------------------------------------- waitlist


@mutation
def add_waitlist_entry(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Put a patient on the waitlist for a type (and provider, or anyone) within a date range.

    ``args``: entry_id, patient_id, type, provider_id (None = any), earliest,
    latest (ISO dates, clinic-local, inclusive), priority, note, at.
    """
    clinic = the_clinic(session)
    zone = clinic_zone(clinic)
    at = instant_arg(args, "at")
    entry_id = new_key(session, WaitlistEntry, args, "entry_id", "waitlist entry")
    patient = booking_patient(session, args.get("patient_id"))
    kind = appointment_type(session, args.get("type"))
    provider_id = args.get("provider_id") or None
    if provider_id is not None:
        provider_id = booking_provider(session, provider_id).id
    earliest = day_arg(args, "earliest", "earliest")
    latest = day_arg(args, "latest", "latest")
    if latest < earliest:
        raise MutationError("The latest date must be on or after the earliest.", field="latest")
    today = local(at, zone).date()
    if latest < today:
        raise MutationError("The latest date has already passed.", field="latest")
    horizon = horizon_arg(args)
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
            priority=priority_arg(args.get("priority")),
            note=str(args.get("note") or "").strip()[:500],
            status="open",
            created_at=at,
            created_by=ctx.actor,
        )
    )
    return {"entry_id": entry_id}


def _open_entry(session: Session, entry_id: Any) -> WaitlistEntry:
    entry = get_or_refuse(session, WaitlistEntry, str(entry_id or ""), "Waitlist entry")
    if entry.status not in OPEN_WAITLIST:
        raise MutationError(f"This waitlist entry is already {entry.status}.")
    return entry


@mutation
def close_waitlist_entry(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Take an entry off the waitlist without booking (``args``: entry_id, reason, at)."""
    entry = _open_entry(session, args.get("entry_id"))
    at = instant_arg(args, "at")
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
    appointment, decision = book_one(
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
    day = local(utc(appointment.start_utc), clinic_zone(the_clinic(session))).date()
    if not entry.earliest <= day <= entry.latest:
        warnings.append(
            f"Outside the dates the patient asked for ({format_day(entry.earliest)} to "
            f"{format_day(entry.latest)})."
        )
    entry.status = "booked"
    entry.closed_at = instant_arg(args, "at")
    entry.appointment_id = appointment.id
    entry.version += 1
    return {**booked_result(appointment, decision), "warnings": warnings, "entry_id": entry.id}
