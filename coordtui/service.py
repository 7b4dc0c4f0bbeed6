"""The one object screens talk to: reads, named mutations, store status.

Knows nothing of Textual.  Reads go through plain sqlite3 (fast, and
available before SQLAlchemy is imported); writes go through the named
mutations on a SQLAlchemy engine that is opened lazily, so the first screen
paints without paying for the ORM import.  Methods block: the app calls them
from thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from coordtui.domain.calls import Summary
from coordtui.domain.days import day_bounds_utc, local_today
from coordtui.domain.slots import DEFAULT_HORIZON_DAYS, AppointmentType, Slot
from coordtui.ids import new_id
from coordtui.replication.protocol import HISTORY_DAYS
from coordtui.store import booking_reads, call_reads, coverage_reads
from coordtui.store.booking_reads import BookingLinks, DayGrid, ExceptionRow, WaitlistRow
from coordtui.store.call_reads import CallbackRow, CallRow, RecallRow, ReminderRow
from coordtui.store.coverage_reads import LastCheck, VisitCoverage
from coordtui.store.files import SCHEMA_VERSION, check_version, ensure_private_file
from coordtui.store.reads import ClinicInfo, PatientBrief, ProviderInfo, QueueRow, Reads


class Service:
    def __init__(
        self,
        db_path: Path,
        actor: str,
        clock: Callable[[], datetime] | None = None,
        date_order: str | None = None,
    ):
        self.db_path = db_path
        self.actor = actor
        self._date_order = date_order  # None: from the clinic's phone region
        self._clock = clock  # tests and snapshots freeze time here
        ensure_private_file(db_path)
        self._version = check_version(db_path)  # refuses a newer file before anything else
        self._engine = None
        self._engine_lock = threading.Lock()
        if self._version < SCHEMA_VERSION:
            # A new file needs its schema, an old one its migrations, before the first read.
            self.warm_up()
        self.reads = Reads(db_path)
        self._clinic: ClinicInfo | None = None
        self.booking_horizon_days = DEFAULT_HORIZON_DAYS  # how far ahead bookings open
        self.history_days = HISTORY_DAYS  # past appointments a sync bootstrap fetches
        self.allow_empty_resolved_note = False  # Config.allow_empty_resolved_note

    # ----------------------------------------------------------- plumbing

    @property
    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from coordtui.store.db import open_store

                self._engine = open_store(self.db_path)
            return self._engine

    def warm_up(self) -> None:
        """Import the ORM and open the writer; the app calls this in a worker after paint."""
        _ = self.engine
        import coordtui.mutations  # noqa: F401

    def close(self) -> None:
        self.reads.close()
        if self._engine is not None:
            self._engine.dispose()

    def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        from coordtui.sync.local import run_local

        return run_local(self.engine, name, args, self.actor, now=self.now())

    # -------------------------------------------------------------- clock

    @property
    def clinic(self) -> ClinicInfo:
        if self._clinic is None:
            self._clinic = self.reads.clinic() or ClinicInfo("", "(no clinic)", "UTC", "US")
        return self._clinic

    @property
    def date_order(self) -> str:
        """How 03/08/1974 is read in searches and forms: the config's setting, else the
        custom of the clinic's phone region (MDY in the US; coordtui.domain.dates)."""
        from coordtui.domain.dates import default_date_order

        return self._date_order or default_date_order(self.clinic.phone_region)

    @date_order.setter
    def date_order(self, value: str | None) -> None:
        self._date_order = value or None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def now(self) -> datetime:
        """Aware UTC, the store's convention."""
        return self._clock() if self._clock else datetime.now(UTC)

    def today(self) -> date:
        return local_today(self.now(), self.zone)

    @property
    def clock_label(self) -> str:
        """'demo clock' when the injected clock is not the time of day (the header shows it)."""
        from coordtui.clock import clock_label

        return clock_label(self._clock)

    # -------------------------------------------------------------- reads

    def queue(self, day: date) -> list[QueueRow]:
        start, end = day_bounds_utc(day, self.zone)
        return self.reads.queue(start, end)

    def queue_row(self, appointment_id: str) -> QueueRow | None:
        return self.reads.queue_row(appointment_id)

    def providers(self) -> list[ProviderInfo]:
        return self.reads.providers()

    def find_patients(self, text: str, limit: int = 20) -> list[PatientBrief]:
        return self.reads.find_patients(text, limit)

    def data_version(self) -> int:
        return self.reads.data_version()

    def search_patients(self, query: str, limit: int = 50, offset: int = 0):
        return self.reads.search_patients(
            query, self.today(), self.date_order, limit, offset, now=self.now()
        )

    def find_duplicates(self, fields: dict, limit: int = 10):
        return self.reads.find_duplicates(fields, self.today(), limit)

    def patient(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.patient, patient_id)

    def patient_appointments(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.appointments, patient_id)

    def patient_history(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.history, patient_id)

    def pending_count(self) -> int:
        return self.reads.outbox_count()

    # ---------------------------------------------------------- mutations

    def set_status(self, appointment_id: str, to_status: str, reason: str = "") -> dict:
        return self.run(
            "set_status",
            {
                "appointment_id": appointment_id,
                "to_status": to_status,
                "reason": reason,
                "at": self.now().isoformat(),
                "event_id": new_id(),
            },
        )

    def check_in(
        self,
        appointment_id: str,
        verified: VisitCoverage | None = None,
        copay_cents: int = 0,
        method: str = "cash",
    ) -> dict:
        """Arrive, and in the same transaction record the coverage the desk verified
        (``verified``: the VisitCoverage the arrival step showed) and a copay collected
        (``copay_cents`` > 0, with ``method``).  See coordtui.mutations.check_in."""
        args: dict[str, Any] = {
            "appointment_id": appointment_id,
            "event_id": new_id(),
            "at": self.now().isoformat(),
        }
        if verified is not None:
            args["coverage"] = {
                "check_id": new_id(),
                "payer": verified.payer,
                "member_id": verified.member_id,
                "copay_cents": verified.copay_cents,
            }
        if copay_cents:
            args["copay"] = {"payment_id": new_id(), "amount_cents": copay_cents, "method": method}
        return self.run("check_in", args)

    def visit_coverage(self, appointment_id: str) -> VisitCoverage | None:
        """What the arrival step shows: coverage on file, last check, copay taken."""
        return self.reads.run(coverage_reads.visit, appointment_id)

    def last_coverage_check(self, patient_id: str) -> LastCheck | None:
        return self.reads.run(coverage_reads.last_check, patient_id)

    def undo_status(self, appointment_id: str) -> dict:
        return self.run(
            "undo_status",
            {"appointment_id": appointment_id, "at": self.now().isoformat(), "event_id": new_id()},
        )

    def add_walk_in(
        self,
        patient_id: str,
        provider_id: str,
        reason: str = "",
        priority: str = "routine",
        minutes: int = 15,
    ) -> dict:
        return self.run(
            "add_walk_in",
            {
                "appointment_id": new_id(),
                "event_id": new_id(),
                "patient_id": patient_id,
                "provider_id": provider_id,
                "reason": reason,
                "priority": priority,
                "minutes": minutes,
                "at": self.now().isoformat(),
            },
        )

    def register_patient(
        self,
        fields: dict[str, Any],
        record_number: str | None = None,
        duplicates_overridden: list[str] | None = None,
    ) -> dict:
        """Register; ``duplicates_overridden`` records the candidates the user saw and set aside."""
        return self.run(
            "register_patient",
            {
                "patient_id": new_id(),
                "event_id": new_id(),
                "record_number": record_number or self.next_record_number(),
                "fields": fields,
                "duplicates_overridden": duplicates_overridden or [],
                "at": self.now().isoformat(),
            },
        )

    def update_patient(self, patient_id: str, base_version: int | None, changes: dict) -> dict:
        """``base_version``: PatientRecord.base_version as the edit form read it."""
        return self.run(
            "update_patient",
            {
                "patient_id": patient_id,
                "event_id": new_id(),
                "base_version": base_version,
                "changes": changes,
                "at": self.now().isoformat(),
            },
        )

    def merge_patients(self, survivor_id: str, absorbed_id: str) -> dict:
        return self.run(
            "merge_patients",
            {
                "survivor_id": survivor_id,
                "absorbed_id": absorbed_id,
                "event_ids": [new_id(), new_id()],
                "at": self.now().isoformat(),
            },
        )

    def next_record_number(self) -> str:
        """A workstation-unique record number: 'W' + 4 id chars + a counter."""
        suffix = new_id().replace("-", "")[-8:].upper()
        return f"W{suffix}"

    # ------------------------------------------------------------ booking
    #
    # Instants are aware datetimes (UTC or any zone); a wall-clock time the
    # user typed goes through resolve_local first, which refuses DST gaps and
    # asks which reading of a fall-back time is meant.  Refusals raise
    # coordtui.mutations.MutationError with .alternatives (dicts with ISO
    # instants) or, for a series, .occurrences.

    def resolve_local(self, day: date, at: time, fold: int | None = None) -> datetime:
        """Clinic wall-clock time to UTC; raises NonexistentTime / AmbiguousTime (domain)."""
        from coordtui.domain.schedule import resolve_local

        return resolve_local(day, at, self.zone, fold)

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
            _aware(start_from),
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

    def provider_setup(self, provider_id: str):
        """The provider's weekly template, slot grid and overbooking allowance."""
        setups = self.reads.run(booking_reads.provider_setups, provider_id)
        return setups[0] if setups else None

    def schedule_exceptions(
        self, provider_id: str, first_day: date, last_day: date
    ) -> list[ExceptionRow]:
        return self.reads.run(booking_reads.schedule_exceptions, provider_id, first_day, last_day)

    def _booking_args(self, **args: Any) -> dict[str, Any]:
        return {**args, "at": self.now().isoformat(), "horizon_days": self.booking_horizon_days}

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
    ) -> dict:
        """Book; the result's ``warnings`` (e.g. the patient is booked elsewhere) never block.

        With ``recall_id`` the booking also closes that recall, in the same transaction.
        """
        args = self._booking_args(
            appointment_id=new_id(),
            patient_id=patient_id,
            provider_id=provider_id,
            start=_iso(start),
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
            args["end"] = _iso(end)
        if recall_id is not None:
            args["recall_id"] = recall_id
        return self.run("book_appointment", args)

    def reschedule(
        self,
        appointment_id: str,
        start: datetime,
        provider_id: str | None = None,
        *,
        override: bool = False,
    ) -> dict:
        """Move a booked visit; the result has ``freed`` and the waitlist ``offers`` for it."""
        args = self._booking_args(
            appointment_id=appointment_id,
            new_appointment_id=new_id(),
            event_id=new_id(),
            start=_iso(start),
            override=bool(override),
        )
        if provider_id:
            args["provider_id"] = provider_id
        result = self.run("reschedule_appointment", args)
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
        slot = Slot(
            freed["provider_id"], _aware(_instant(freed["start"])), _aware(_instant(freed["end"]))
        )
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
        from coordtui.domain.schedule import expand_series
        from coordtui.mutations import MutationError

        try:
            occurrences = expand_series(first_day, at, self.zone, every_weeks, count, fold=fold)
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

    # ----------------------------------------------------------- waitlist

    def waitlist_add(
        self,
        patient_id: str,
        type_name: str,
        provider_id: str | None,
        earliest: date,
        latest: date,
        priority: str = "routine",
        note: str = "",
    ) -> dict:
        return self.run(
            "add_waitlist_entry",
            self._booking_args(
                entry_id=new_id(),
                patient_id=patient_id,
                type=type_name,
                provider_id=provider_id,
                earliest=earliest.isoformat(),
                latest=latest.isoformat(),
                priority=priority,
                note=note,
            ),
        )

    def waitlist_matching(self, slot: Slot) -> list[WaitlistRow]:
        """Waiting entries the slot fits (day in range, provider or anyone, type fits), urgent first."""
        return self.reads.run(booking_reads.waitlist_matching, slot, self.zone)

    def waitlist_open(self) -> list[WaitlistRow]:
        return self.reads.run(booking_reads.waitlist_open)

    def waitlist_entry(self, entry_id: str) -> WaitlistRow | None:
        return self.reads.run(booking_reads.waitlist_entry, entry_id)

    def book_from_waitlist(self, entry_id: str, slot: Slot, modality: str = "in_person") -> dict:
        """Book the entry's patient into ``slot`` (the type's length) and close the entry."""
        return self.run(
            "book_from_waitlist",
            self._booking_args(
                entry_id=entry_id,
                appointment_id=new_id(),
                provider_id=slot.provider_id,
                start=_iso(slot.start),
                modality=modality,
            ),
        )

    def waitlist_close(self, entry_id: str, reason: str = "") -> dict:
        return self.run(
            "close_waitlist_entry",
            {"entry_id": entry_id, "reason": reason, "at": self.now().isoformat()},
        )

    # ---------------------------------------------------------- schedules

    def set_provider_schedule(
        self,
        provider_id: str,
        schedule: dict | str | None = None,
        *,
        slot_minutes: int | None = None,
        overbook_allowance: int | None = None,
    ) -> dict:
        """Weekly template ({"mon": [["08:00", "12:00"], ...]}), slot grid, overbooking."""
        args: dict[str, Any] = {"provider_id": provider_id, "at": self.now().isoformat()}
        if schedule is not None:
            args["schedule"] = schedule
        if slot_minutes is not None:
            args["slot_minutes"] = slot_minutes
        if overbook_allowance is not None:
            args["overbook_allowance"] = overbook_allowance
        return self.run("set_provider_schedule", args)

    def add_schedule_exception(
        self,
        provider_id: str,
        first_day: date,
        last_day: date | None = None,
        start: str | None = None,
        end: str | None = None,
        kind: str = "closure",
        reason: str = "",
    ) -> dict:
        """Leave/holiday (closure; whole days without times) or an extra session ("HH:MM")."""
        return self.run(
            "add_schedule_exception",
            {
                "exception_id": new_id(),
                "provider_id": provider_id,
                "kind": kind,
                "first_day": first_day.isoformat(),
                "last_day": (last_day or first_day).isoformat(),
                "start_time": start,
                "end_time": end,
                "reason": reason,
                "at": self.now().isoformat(),
            },
        )

    def remove_schedule_exception(self, exception_id: str) -> dict:
        return self.run(
            "remove_schedule_exception",
            {"exception_id": exception_id, "at": self.now().isoformat()},
        )

    # -------------------------------------------------------------- calls
    #
    # Notes are stored as typed (control characters too) and capped at
    # coordtui.domain.calls.NOTE_MAX; results say ``capped`` so the screen can
    # tell the user.  Refusals raise MutationError with ``errors`` per field.

    def log_call(
        self,
        patient_id: str,
        direction: str,
        who_kind: str,
        who_name: str,
        reason: str,
        outcome: str,
        note: str,
        appointment_id: str | None = None,
        callback_due: datetime | None = None,
        assignee: str = "anyone",
        priority: str = "routine",
    ) -> dict:
        """Log a call; outcome "callback needed" also makes a callback (due now by default).

        Returns ``call_id``, ``callback_id`` (or None), ``capped``, ``mutation_id``.
        """
        from coordtui.domain.calls import cap_note

        text, capped = cap_note(note)  # a 1 MB paste never reaches the outbox
        result = self.run(
            "log_call",
            {
                "call_id": new_id(),
                "patient_id": patient_id,
                "appointment_id": appointment_id,
                "direction": direction,
                "who_kind": who_kind,
                "who_name": who_name,
                "reason": reason,
                "outcome": outcome,
                "note": text,
                "allow_empty_note": bool(self.allow_empty_resolved_note),
                "callback_id": new_id(),
                "due_at": _iso(_aware(callback_due)) if callback_due else None,
                "assignee": assignee,
                "priority": priority,
                "at": self.now().isoformat(),
            },
        )
        return {**result, "capped": capped or result.get("capped", False)}

    def amend_call(self, call_id: str, note: str) -> dict:
        """Add a correction to a call note; both stay visible.  Returns ``call_id``, ``amends``."""
        from coordtui.domain.calls import cap_note

        text, capped = cap_note(note)
        result = self.run(
            "amend_call",
            {"call_id": new_id(), "amends": call_id, "note": text, "at": self.now().isoformat()},
        )
        return {**result, "capped": capped or result.get("capped", False)}

    def callbacks_due(
        self, now: datetime | None = None, limit: int | None = None
    ) -> list[CallbackRow]:
        """Open callbacks, soonest due first (overdue, then due now, then later).

        ``limit``: only the first that many of that order (picked in SQL).
        """
        when = _aware(now) if now else self.now()
        return self.reads.run(call_reads.callbacks, when, False, limit)

    def open_callback_count(self) -> int:
        return self.reads.run(call_reads.open_callback_count)

    def overdue_count(self) -> int:
        return self.reads.run(call_reads.overdue_count, self.now())

    def _callback(self, name: str, callback_id: str, **args: Any) -> dict:
        return self.run(name, {"callback_id": callback_id, "at": self.now().isoformat(), **args})

    def complete_callback(self, callback_id: str) -> dict:
        """Done by this user, now."""
        return self._callback("complete_callback", callback_id)

    def reopen_callback(self, callback_id: str) -> dict:
        return self._callback("reopen_callback", callback_id)

    def snooze_callback(
        self, callback_id: str, minutes: int, due_at: datetime | None = None
    ) -> dict:
        """Put it off ``minutes`` from when it is due (``due_at``, as listed), or from now if
        that has passed: a snooze always moves it later."""
        base = max(self.now(), _aware(due_at)) if due_at else self.now()
        until = base + timedelta(minutes=int(minutes))
        return self._callback("snooze_callback", callback_id, until=until.isoformat())

    def reassign_callback(self, callback_id: str, assignee: str) -> dict:
        return self._callback("reassign_callback", callback_id, assignee=assignee)

    def calls_for_day(self, day: date) -> list[CallRow]:
        """The day's call log (clinic-local day), newest first, corrections linked."""
        start, end = day_bounds_utc(day, self.zone)
        return self.reads.run(call_reads.calls_between, start, end)

    def patient_calls(self, patient_id: str) -> list[CallRow]:
        return self.reads.run(call_reads.patient_calls, patient_id)

    def reminder_list(self, day: date) -> list[ReminderRow]:
        """That day's still-booked visits with phone, language and whether reminded."""
        return self.reads.run(call_reads.reminder_list, day, self.zone)

    def log_reminder(self, appointment_id: str, outcome: str) -> dict:
        """One key on the reminder list: reached | left message | no answer -> a call note."""
        from coordtui.domain.calls import REMINDER_OUTCOMES, REMINDER_REASON
        from coordtui.mutations import MutationError

        if outcome not in REMINDER_OUTCOMES:
            raise MutationError(
                "Mark the reminder reached, left message or no answer.", field="outcome"
            )
        patient_id = self.reads.run(call_reads.appointment_patient, appointment_id)
        if patient_id is None:
            raise MutationError("Appointment not found (it may have been removed).")
        return self.log_call(
            patient_id,
            "out",
            "patient",
            "",
            REMINDER_REASON,
            REMINDER_OUTCOMES[outcome],
            f"Reminder call: {outcome}.",
            appointment_id=appointment_id,
        )

    def recalls_due(self, until_day: date) -> list[RecallRow]:
        return self.reads.run(call_reads.recalls_due, until_day)

    def patient_recalls(self, patient_id: str) -> list[RecallRow]:
        return self.reads.run(call_reads.patient_recalls, patient_id)

    def set_recall(
        self, patient_id: str, due_date: date, reason: str = "", appointment_id: str | None = None
    ) -> dict:
        return self.run(
            "set_recall",
            {
                "recall_id": new_id(),
                "patient_id": patient_id,
                "due_date": due_date.isoformat(),
                "reason": reason,
                "appointment_id": appointment_id,
                "at": self.now().isoformat(),
            },
        )

    def close_recall(self, recall_id: str, appointment_id: str | None = None) -> dict:
        """Off the recall list: "booked" when ``appointment_id`` is the booking, else "closed"."""
        return self.run(
            "close_recall",
            {
                "recall_id": recall_id,
                "status": "booked" if appointment_id else "closed",
                "appointment_id": appointment_id,
                "at": self.now().isoformat(),
            },
        )

    def hand_offs(self, appointment_ids: list[str]) -> dict[str, list[str]]:
        return self.reads.run(call_reads.hand_offs, list(appointment_ids))

    def add_hand_off(self, appointment_id: str, note: str) -> dict:
        return self.run(
            "add_hand_off",
            {
                "hand_off_id": new_id(),
                "appointment_id": appointment_id,
                "note": note,
                "at": self.now().isoformat(),
            },
        )

    def day_summary(self, day: date) -> Summary:
        return self.reads.run(call_reads.day_summary, day, self.zone, self.now())

    # --------------------------------------------------------------- sync
    #
    # Status and conflicts for the header and the Sync screen (F6); the rounds
    # run in the background (coordtui.sync.runner).  Conflict actions write:
    # call them on the writer thread.  Details in coordtui.sync.review.

    def sync_status(self):
        from coordtui.sync import review

        return review.status(self)

    def sync_connected(self) -> bool:
        """Enrolled with a clinic server (plain read: cheap enough to poll)."""
        from coordtui.replication.protocol import TOKEN, URL

        return bool(self.reads.meta(URL) and self.reads.meta(TOKEN))

    def sync_client(self, timeout: float = 10.0):
        from coordtui.sync.client import SyncClient

        return SyncClient(
            self.engine,
            self.db_path,
            timeout=timeout,
            clock=self.now,
            history_days=self.history_days,
        )

    def conflict_count(self) -> int:
        from coordtui.sync import review

        return review.conflict_count(self)

    def sync_conflicts(self, include_resolved: bool = False):
        from coordtui.sync import review

        return review.conflicts(self, include_resolved)

    def pending_changes(self, limit: int = 200):
        from coordtui.sync import review

        return review.pending(self, limit)

    def rebook_conflict(self, mutation_id: int, option: int) -> dict:
        from coordtui.sync import review

        return review.rebook(self, mutation_id, option)

    def accept_conflict(self, mutation_id: int) -> dict:
        from coordtui.sync import review

        return review.accept(self, mutation_id)

    def reapply_conflict(self, mutation_id: int) -> dict:
        from coordtui.sync import review

        return review.reapply(self, mutation_id)


def _aware(moment: datetime) -> datetime:
    """Service instants are aware; a naive one is taken as UTC (the store's convention)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("booking times must be aware datetimes; use resolve_local for wall time")
    return moment.astimezone(UTC).isoformat()


def _instant(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
