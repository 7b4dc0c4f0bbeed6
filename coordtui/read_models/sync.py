"""The Sync screen (F6) and the header: sync status, changes waiting to be sent, and
conflicts (changes the clinic server refused) with the ways to rebook them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LABELS = {
    "set_status": "Status change",
    "undo_status": "Status undo",
    "add_walk_in": "Walk-in",
    "register_patient": "New patient",
    "update_patient": "Patient edit",
    "merge_patients": "Patient merge",
    "book_appointment": "Booking",
    "reschedule_appointment": "Reschedule",
    "book_series": "Series booking",
    "add_waitlist_entry": "Waitlist entry",
    "close_waitlist_entry": "Waitlist closed",
    "book_from_waitlist": "Booking (waitlist)",
    "set_provider_schedule": "Provider hours",
    "add_schedule_exception": "Leave / extra session",
    "remove_schedule_exception": "Leave removed",
    "log_call": "Call note",
    "amend_call": "Call note amendment",
    "complete_callback": "Callback done",
    "reopen_callback": "Callback reopened",
    "snooze_callback": "Callback snoozed",
    "reassign_callback": "Callback reassigned",
    "set_recall": "Recall set",
    "close_recall": "Recall closed",
    "add_hand_off": "Hand-off note",
    "check_in": "Check-in",
}
BOOKINGS = ("book_appointment", "reschedule_appointment", "book_series", "book_from_waitlist")
REAPPLY = ("update_patient",)  # edits that can be run again on the current record


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class SyncStatus:
    connected: bool  # enrolled: a server URL and a device token
    url: str
    last_ok: datetime | None  # the last round that finished
    last_error: str  # why the latest round failed; "" when it did not
    last_try: datetime | None
    # The last time the server was found restored from a backup that lacked some of
    # this desk's acknowledged changes, and how many were sent again (0: never).
    recovered_at: datetime | None = None
    recovered: int = 0

    @property
    def online(self) -> bool:
        return self.connected and self.last_ok is not None and not self.last_error


@dataclass(frozen=True)
class PendingChange:
    mutation_id: int
    name: str
    label: str
    client_time: datetime | None
    actor: str


@dataclass(frozen=True)
class RebookOption:
    """One way to rebook: a slot, or (a series) every refused date moved."""

    provider_id: str
    provider: str  # short name
    start: datetime  # aware UTC
    end: datetime
    moves: tuple[tuple[int, str], ...] = ()  # series: (occurrence index, new start ISO)


@dataclass(frozen=True)
class ConflictView:
    mutation_id: int
    name: str
    label: str
    what: str  # the refused change in words
    reason: str
    client_time: datetime | None
    actor: str
    recorded_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    args: dict[str, Any] = field(repr=False, default_factory=dict)
    options: tuple[RebookOption, ...] = ()

    @property
    def can_rebook(self) -> bool:
        return self.resolved_at is None and self.name in BOOKINGS and bool(self.options)

    @property
    def can_reapply(self) -> bool:
        return self.resolved_at is None and self.name in REAPPLY
