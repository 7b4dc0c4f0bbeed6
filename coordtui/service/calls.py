"""Calls: the call log, callbacks, reminders, recalls, hand-off notes, the day summary.

Notes are stored as typed (control characters too) and capped at
coordtui.domain.calls.NOTE_MAX; results say ``capped`` so the screen can tell
the user.  Refusals raise MutationError with ``errors`` per field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from coordtui.domain.calls import REMINDER_OUTCOMES, REMINDER_REASON, Summary, cap_note
from coordtui.domain.days import day_bounds_utc
from coordtui.domain.instants import utc
from coordtui.ids import new_id
from coordtui.read_models.calls import CallbackRow, CallRow, RecallRow, ReminderRow
from coordtui.service.core import ServiceCore, iso
from coordtui.store import call_reads


class CallService(ServiceCore):
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
                "due_at": iso(utc(callback_due)) if callback_due else None,
                "assignee": assignee,
                "priority": priority,
                "at": self.now().isoformat(),
            },
        )
        return {**result, "capped": capped or result.get("capped", False)}

    def amend_call(self, call_id: str, note: str) -> dict:
        """Add a correction to a call note; both stay visible.  Returns ``call_id``, ``amends``."""
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
        when = utc(now) if now else self.now()
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
        base = max(self.now(), utc(due_at)) if due_at else self.now()
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
        # MutationError lives with the mutations, which import the ORM (see ServiceCore).
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
