"""Booking: free slots and day grids, booking, rescheduling, cancelling, series.

Instants are aware datetimes (UTC or any zone); a wall-clock time the user
typed goes through ``resolve_local`` first, which refuses DST gaps and asks
which reading of a fall-back time is meant.  Refusals raise
coordtui.mutations.MutationError with .alternatives (dicts with ISO
instants) or, for a series, .occurrences.
"""

from __future__ import annotations

from datetime import date, datetime, time

from coordtui.domain import schedule
from coordtui.domain.instants import instant, utc
from coordtui.domain.slots import AppointmentType, Slot
from coordtui.ids import new_id
from coordtui.read_models.booking import BookingLinks, DayGrid
from coordtui.service.core import Also, iso
from coordtui.service.queue import QueueService
from coordtui.service.waitlist import WaitlistService
from coordtui.store import booking_reads


class BookingService(QueueService, WaitlistService):
    def resolve_local(self, day: date, at: time, fold: int | None = None) -> datetime:
        """Clinic wall-clock time to UTC; raises NonexistentTime / AmbiguousTime (domain)."""
        return schedule.resolve_local(day, at, self.zone, fold)

    def appointment_types(self) -> list[AppointmentType]:
        return self.reads.run(booking_reads.appointment_types)

    def _type(self, type_name: str) -> AppointmentType:
        for kind in self.appointment_types():
            if kind.name == type_name:
                return kind
        raise ValueError(f"Unknown appointment type {type_name!r}")

    def next_free_slots(
        self, type_name: str, provider_id: str | None, start_from: datetime, limit: int = 10
    ) -> list[Slot]:
        """The next free slots for a type (any provider when None), within 90 days."""
        minutes = self._type(type_name).minutes
        return self.reads.run(
            booking_reads.next_free_slots,
            self.zone,
            minutes,
            provider_id,
            utc(start_from),
            self.now(),
            limit,
            self.booking_horizon_days,
        )

    def day_grid(self, provider_id: str, day: date, minutes: int | None = None) -> DayGrid:
        """A provider's day: sessions, appointments and free slots (provider grid by default)."""
        return self.reads.run(
            booking_reads.day_grid, self.zone, provider_id, day, self.now(), minutes
        )

    def booking_links(self, appointment_id: str) -> BookingLinks:
        return self.reads.run(booking_reads.booking_links, appointment_id)

    def series_appointments(self, series_id: str) -> list[str]:
        return self.reads.run(booking_reads.series_appointments, series_id)

    def book(
        self,
        patient_id: str,
        provider_id: str,
        start: datetime,
        type_name: str,
        modality: str = "in_person",
        reason: str = "",
        override: bool = False,
        *,
        minutes: int | None = None,
        end: datetime | None = None,
        priority: str = "routine",
        recall_id: str | None = None,
        also: Also | None = None,
    ) -> dict:
        """Book; the result's ``warnings`` (e.g. the patient is booked elsewhere) never block.

        With ``recall_id`` the booking also closes that recall, in the same transaction.
        ``also``: see ServiceCore.run (the conflict review resolves a conflict with it).
        """
        args = self._booking_args(
            appointment_id=new_id(),
            patient_id=patient_id,
            provider_id=provider_id,
            start=iso(start),
            type=type_name,
            modality=modality,
            reason=reason,
            priority=priority,
            kind="scheduled",
            override=bool(override),
        )
        if minutes is not None:
            args["minutes"] = minutes
        if end is not None:
            args["end"] = iso(end)
        if recall_id is not None:
            args["recall_id"] = recall_id
        return self.run("book_appointment", args, also=also)

    def reschedule(
        self,
        appointment_id: str,
        start: datetime,
        provider_id: str | None = None,
        *,
        override: bool = False,
        also: Also | None = None,
    ) -> dict:
        """Move a booked visit; the result has ``freed`` and the waitlist ``offers`` for it.

        ``also``: see ServiceCore.run (the conflict review resolves a conflict with it)."""
        args = self._booking_args(
            appointment_id=appointment_id,
            new_appointment_id=new_id(),
            event_id=new_id(),
            start=iso(start),
            override=bool(override),
        )
        if provider_id:
            args["provider_id"] = provider_id
        result = self.run("reschedule_appointment", args, also=also)
        return self._with_offers(result, result["freed"])

    def cancel(self, appointment_id: str, reason: str) -> dict:
        """Cancel with a reason; the result has the ``freed`` slot and matching waitlist ``offers``."""
        row = self.queue_row(appointment_id)
        result = self.set_status(appointment_id, "cancelled", reason)
        if row is None:
            return {**result, "freed": None, "offers": []}
        freed = {"provider_id": row.provider_id, "start": row.start, "end": row.end}
        return self._with_offers(result, freed)

    def _with_offers(self, result: dict, freed: dict) -> dict:
        slot = Slot(freed["provider_id"], instant(freed["start"]), instant(freed["end"]))
        offers = self.waitlist_matching(slot) if slot.start > self.now() else []
        return {**result, "freed": slot, "offers": offers}

    def book_series(
        self,
        patient_id: str,
        provider_id: str,
        first_day: date,
        at: time,
        every_weeks: int,
        count: int,
        type_name: str,
        fold: int | None = None,
        *,
        modality: str = "in_person",
        reason: str = "",
        override: bool = False,
    ) -> dict:
        """Every ``every_weeks`` weeks at wall-clock ``at``, ``count`` times: all booked or none.

        Each date is resolved in the clinic zone on its own (a date in a DST
        gap, or in a fold without ``fold``, is refused like a conflict).
        """
        # MutationError lives with the mutations, which import the ORM (see ServiceCore).
        from coordtui.mutations import MutationError

        try:
            occurrences = schedule.expand_series(
                first_day, at, self.zone, every_weeks, count, fold=fold
            )
        except ValueError as exc:
            raise MutationError(f"{exc}.", field="count") from None
        args = self._booking_args(
            series_id=new_id(),
            patient_id=patient_id,
            provider_id=provider_id,
            type=type_name,
            modality=modality,
            reason=reason,
            override=bool(override),
            occurrences=[
                {
                    "appointment_id": new_id(),
                    "day": o.day.isoformat(),
                    "start": o.start.isoformat() if o.start else None,
                    **({"problem": str(o.problem)} if o.problem else {}),
                }
                for o in occurrences
            ],
        )
        return self.run("book_series", args)
