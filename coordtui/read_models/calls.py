"""Calls: the call log, callbacks, and the reminder and recall lists.

The day summary is coordtui.domain.calls.Summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CallRow:
    id: str
    patient_id: str
    given_name: str
    family_name: str
    appointment_id: str | None
    direction: str
    who_kind: str
    who_name: str
    reason: str
    outcome: str
    note: str
    at: datetime
    actor: str
    amends: str | None
    amended_by: tuple[str, ...]  # ids of the corrections to this note, oldest first


@dataclass(frozen=True)
class CallbackRow:
    id: str
    patient_id: str
    given_name: str
    family_name: str
    phone: str
    due_at: datetime  # when it is due now (a snooze moves it later)
    assignee: str
    priority: str
    state: str  # overdue | due | later | done
    note: str  # excerpt of the latest wording of the call note
    call_note_id: str | None
    snoozed_until: datetime | None
    version: int
    created_by: str


@dataclass(frozen=True)
class ReminderRow:
    appointment_id: str
    patient_id: str
    given_name: str
    family_name: str
    phone: str
    preferred_language: str
    start: datetime
    provider: str
    type: str
    reminded: bool  # a reminder call was already logged for this visit
    last_outcome: str  # the latest reminder call's outcome, "" if none


@dataclass(frozen=True)
class RecallRow:
    id: str
    patient_id: str
    given_name: str
    family_name: str
    phone: str
    due_date: date
    reason: str
    status: str
