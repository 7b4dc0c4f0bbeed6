"""Provider schedules: the weekly template and its exceptions (leave, extra hours)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from coordtui.domain import schedule as sched
from coordtui.domain.days import day_bounds_utc
from coordtui.domain.slots import (
    covers,
)
from coordtui.domain.status import (
    Status,
)
from coordtui.mutations.booking_rules import availability, booked_between, provider_allowance
from coordtui.mutations.common import (
    MAX_ALLOWANCE,
    clinic_zone,
    day_arg,
    get_or_refuse,
    instant_arg,
    new_key,
    the_clinic,
    whole_number,
)
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.booking_reads import domain_exceptions
from coordtui.store.models import (
    Provider,
    ProviderBooking,
    ScheduleException,
)

# ------------------------------------------------------------- schedules


@mutation
def set_provider_schedule(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Replace a provider's weekly template (validated) and/or slot grid and overbooking.

    ``args``: provider_id, and any of schedule (JSON text or dict, see
    coordtui.domain.schedule.parse_template), slot_minutes, overbook_allowance.
    """
    provider = get_or_refuse(session, Provider, str(args.get("provider_id") or ""), "Provider")
    if "schedule" in args:
        try:
            template = sched.parse_template(args["schedule"])
        except sched.ScheduleError as exc:
            raise MutationError(
                "; ".join(exc.problems), field="schedule", errors={"schedule": str(exc)}
            ) from None
        provider.schedule_json = template.to_json()
    if args.get("slot_minutes") is not None:
        minutes = whole_number(args["slot_minutes"], "slot length", "slot_minutes")
        if not (5 <= minutes <= 240 and minutes % 5 == 0):
            raise MutationError(
                "The slot length must be 5 to 240 minutes, in steps of 5.", field="slot_minutes"
            )
        provider.slot_minutes = minutes
    allowance = None
    if args.get("overbook_allowance") is not None:
        allowance = whole_number(
            args["overbook_allowance"], "overbooking allowance", "overbook_allowance"
        )
        if not 0 <= allowance <= MAX_ALLOWANCE:
            raise MutationError(
                f"Overbooking allows 0 to {MAX_ALLOWANCE} extra appointments at a time.",
                field="overbook_allowance",
            )
        row = session.get(ProviderBooking, provider.id) or ProviderBooking(provider_id=provider.id)
        row.overbook_allowance = allowance
        session.add(row)
    if allowance is None:
        allowance = provider_allowance(session, provider.id)
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
    clinic = the_clinic(session)
    zone = clinic_zone(clinic)
    at = instant_arg(args, "at")
    exception_id = new_key(session, ScheduleException, args, "exception_id", "schedule change")
    provider = get_or_refuse(session, Provider, str(args.get("provider_id") or ""), "Provider")
    kind = str(args.get("kind") or "closure")
    if kind not in ("closure", "extra"):
        raise MutationError("The kind must be closure (time off) or extra (added session).")
    first_day = day_arg(args, "first_day", "first")
    last_day = day_arg(args, "last_day", "last") if args.get("last_day") else first_day
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
    available = availability(session, provider, zone, first_day, last_day)
    lo, hi = day_bounds_utc(first_day, zone)[0], day_bounds_utc(last_day, zone)[1]
    affected = [
        b.id
        for b in booked_between(session, max(lo, at), hi, provider_id=provider.id)
        if b.status == Status.BOOKED and b.start >= at and not covers(available, b.start, b.end)
    ]
    return {"exception_id": exception_id, "affected": sorted(affected)}


@mutation
def remove_schedule_exception(
    session: Session, args: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """Undo a schedule change (``args``: exception_id)."""
    row = get_or_refuse(
        session, ScheduleException, str(args.get("exception_id") or ""), "Schedule change"
    )
    session.delete(row)
    return {"exception_id": row.id}
