"""Call notes, callbacks and the day summary: pure rules, no store, no clock.

The desk logs calls while the phone is still warm, so the rules are few and
say why they refuse.  Notes keep what was typed (control characters too;
screens show them through ``clean()``), but a runaway paste is capped so one
note cannot bloat the store and the outbox.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DIRECTIONS = ("in", "out")
OUTCOMES = ("resolved", "callback needed", "left message", "no answer", "wrong number")
WHO_KINDS = ("patient", "relative", "pharmacy", "other clinic", "other")
DEFAULT_REASONS = (
    "Appointment booking",
    "Appointment reminder",
    "Results",
    "Prescription",
    "Referral",
    "Billing",
    "Other",
)
PRIORITIES = ("routine", "urgent")
ANYONE = "anyone"
REMINDER_REASON = "Appointment reminder"
# What the reminder list's one-key marks mean as call outcomes.
REMINDER_OUTCOMES = {
    "reached": "resolved",
    "left message": "left message",
    "no answer": "no answer",
}

NOTE_MAX = 4000  # characters kept from a note; the rest of a huge paste is dropped
NAME_MAX = 120
REASON_MAX = 80
HAND_OFF_MAX = 200
DUE_SOON = timedelta(minutes=15)  # a callback this close is "due" now, not "later"
# Outcomes where the note is the only record of what happened, so it must be written.
NOTE_REQUIRED = ("resolved", "callback needed")


def cap_note(text: str | None) -> tuple[str, bool]:
    """The first NOTE_MAX characters (NFC) and whether anything was dropped."""
    value = unicodedata.normalize("NFC", text or "")
    if len(value) <= NOTE_MAX:
        return value, False
    return value[:NOTE_MAX], True


def validate_call(
    fields: Mapping[str, object],
    allow_empty_resolved: bool = False,
    reasons: Iterable[str] | None = None,
) -> tuple[dict[str, object], dict[str, str]]:
    """Check a call form; returns (clean values, {field: message}).

    ``reasons`` limits the reason to the clinic's categories (None: any text).
    An empty note is fine for a missed call (no answer, left message, wrong
    number) but not where the note is the record: "callback needed" always
    needs one, "resolved" unless the clinic allows it.
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    direction = str(fields.get("direction") or "").strip().lower()
    if direction not in DIRECTIONS:
        errors["direction"] = "Choose in (they called) or out (we called)."
    values["direction"] = direction

    who_kind = str(fields.get("who_kind") or "patient").strip().lower()
    if who_kind not in WHO_KINDS:
        errors["who_kind"] = f"Who must be one of: {', '.join(WHO_KINDS)}."
    who_name = unicodedata.normalize("NFC", str(fields.get("who_name") or "").strip())
    if who_kind != "patient" and not who_name:
        errors["who_name"] = "Give the name of the person or place on the line."
    elif len(who_name) > NAME_MAX:
        errors["who_name"] = f"Keep the name under {NAME_MAX} characters."
    values["who_kind"], values["who_name"] = who_kind, who_name

    reason = unicodedata.normalize("NFC", str(fields.get("reason") or "").strip())
    allowed = tuple(reasons) if reasons is not None else None
    if not reason:
        errors["reason"] = "Choose a reason for the call."
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
    elif allowed is not None and reason not in allowed:
        errors["reason"] = "Choose one of the clinic's call reasons."
    values["reason"] = reason

    outcome = str(fields.get("outcome") or "").strip().lower()
    if outcome not in OUTCOMES:
        errors["outcome"] = f"Outcome must be one of: {', '.join(OUTCOMES)}."
    values["outcome"] = outcome

    note, capped = cap_note(str(fields.get("note") or ""))
    if not note.strip() and outcome in NOTE_REQUIRED:
        if outcome == "callback needed":
            errors["note"] = "Say what the callback is about."
        elif not allow_empty_resolved:
            errors["note"] = "Write what was resolved (this clinic requires a note)."
    values["note"], values["capped"] = note, capped
    return values, errors


def effective_due(due: datetime, snoozed_until: datetime | None) -> datetime:
    """A snooze moves the callback later, never earlier."""
    return max(due, snoozed_until) if snoozed_until else due


def callback_state(
    due: datetime, done_at: datetime | None, snoozed_until: datetime | None, now: datetime
) -> str:
    """ "done", "overdue" (time passed), "due" (within DUE_SOON) or "later"."""
    if done_at is not None:
        return "done"
    when = effective_due(due, snoozed_until)
    if when < now:
        return "overdue"
    if when <= now + DUE_SOON:
        return "due"
    return "later"


# ------------------------------------------------------------ day summary


@dataclass(frozen=True)
class ApptFact:
    """One appointment of the day, as the summary needs it (instants aware UTC)."""

    provider_id: str
    provider: str
    status: str
    arrived_at: datetime | None = None
    in_room_at: datetime | None = None  # first (uncorrected) move to in_room
    finished_at: datetime | None = None


@dataclass(frozen=True)
class CallFact:
    at: datetime
    amends: str | None = None


@dataclass(frozen=True)
class CallbackFact:
    due_at: datetime
    done_at: datetime | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class ProviderSummary:
    provider_id: str
    provider: str
    booked: int = 0
    arrived: int = 0
    seen: int = 0
    no_show: int = 0
    cancelled: int = 0
    waits: tuple[float, ...] = ()  # minutes from arrival to room (or done), one per visit

    @property
    def avg_wait(self) -> float | None:
        return round(sum(self.waits) / len(self.waits), 1) if self.waits else None

    @property
    def max_wait(self) -> float | None:
        return round(max(self.waits), 1) if self.waits else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over visits that were still expected (cancellations excluded)."""
        expected = self.booked - self.cancelled
        return round(self.no_show / expected, 3) if expected else None


@dataclass(frozen=True)
class Summary:
    providers: tuple[ProviderSummary, ...]
    total: ProviderSummary
    calls_logged: int
    callbacks_outstanding: int
    callbacks_overdue: int = 0


_ARRIVED = ("arrived", "in_room", "done", "left")


def _wait(fact: ApptFact) -> float | None:
    """Arrival to the room; a visit marked done without a room step counts to done."""
    if fact.arrived_at is None:
        return None
    end = fact.in_room_at or (fact.finished_at if fact.status == "done" else None)
    if end is None or end < fact.arrived_at:
        return None
    return (end - fact.arrived_at).total_seconds() / 60


def day_summary(
    appointments: Iterable[ApptFact],
    calls: Iterable[CallFact],
    callbacks: Iterable[CallbackFact],
    now: datetime,
) -> Summary:
    """Per-provider counts and waits, totals, calls logged and callbacks still open.

    Booked counts every appointment of the day except ones entered in error;
    calls logged leave out amendments (a correction is not another call).
    """
    per: dict[str, dict[str, Any]] = {}
    for a in appointments:
        if a.status == "entered_in_error":
            continue
        p = per.setdefault(
            a.provider_id,
            {"provider": a.provider, "booked": 0, "arrived": 0, "seen": 0, "no_show": 0,
             "cancelled": 0, "waits": []},
        )  # fmt: skip
        p["booked"] += 1
        p["arrived"] += a.status in _ARRIVED
        p["seen"] += a.status == "done"
        p["no_show"] += a.status == "no_show"
        p["cancelled"] += a.status == "cancelled"
        wait = _wait(a)
        if wait is not None:
            p["waits"].append(wait)
    rows = tuple(
        sorted(
            (
                ProviderSummary(
                    pid,
                    d["provider"],
                    d["booked"],
                    d["arrived"],
                    d["seen"],
                    d["no_show"],
                    d["cancelled"],
                    tuple(d["waits"]),
                )
                for pid, d in per.items()
            ),  # fmt: skip
            key=lambda r: (r.provider.casefold(), r.provider_id),
        )
    )
    total = ProviderSummary(
        "",
        "All providers",
        sum(r.booked for r in rows),
        sum(r.arrived for r in rows),
        sum(r.seen for r in rows),
        sum(r.no_show for r in rows),
        sum(r.cancelled for r in rows),
        tuple(w for r in rows for w in r.waits),
    )
    states = [callback_state(c.due_at, c.done_at, c.snoozed_until, now) for c in callbacks]
    return Summary(
        providers=rows,
        total=total,
        calls_logged=sum(1 for c in calls if c.amends is None),
        callbacks_outstanding=sum(1 for s in states if s != "done"),
        callbacks_overdue=sum(1 for s in states if s == "overdue"),
    )
