"""Booking: a provider's setup and day grid, the waitlist, booking links, leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from coordtui.domain.schedule import Interval, WeeklyTemplate
from coordtui.domain.slots import DEFAULT_SLOT_MINUTES, Slot
from coordtui.read_models.queue import QueueRow


@dataclass(frozen=True)
class ProviderSetup:
    """What the finder needs of a provider."""

    id: str
    short_name: str
    template: WeeklyTemplate
    slot_minutes: int
    allowance: int
    active: bool


@dataclass(frozen=True)
class DayGrid:
    """One provider's day: working sessions, appointments on it, and free slots from now."""

    provider_id: str
    day: date
    sessions: list[Interval]
    appointments: list[QueueRow]  # every status, overlapping the day, by start
    free: list[Slot]  # bookable slots of ``slot_minutes`` on the provider's grid
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    allowance: int = 0


@dataclass(frozen=True)
class WaitlistRow:
    id: str
    patient_id: str
    given_name: str
    family_name: str
    record_number: str
    phone: str
    type_name: str
    provider_id: str | None
    provider: str  # short name, "" for any provider
    earliest: date
    latest: date
    priority: str
    note: str
    status: str
    created_at: datetime | None
    appointment_id: str | None
    version: int


@dataclass(frozen=True)
class BookingLinks:
    """Where an appointment came from and went to (reschedules), its series, any override."""

    appointment_id: str
    series_id: str | None
    rescheduled_from: str | None
    rescheduled_to: str | None
    override_by: str


@dataclass(frozen=True)
class ExceptionRow:
    id: str
    provider_id: str
    first_day: date
    last_day: date
    start_time: str | None
    end_time: str | None
    kind: str
    reason: str
