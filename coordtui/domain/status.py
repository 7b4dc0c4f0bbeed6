"""Appointment status state machine.

The front-desk lifecycle is booked -> arrived -> in room -> done, with side
exits (no-show, cancelled, left without being seen, entered in error).  A
mistake is never erased: it is reverted by a *correction* event that points at
the event it undoes, so the history always tells what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Status(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    IN_ROOM = "in_room"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    LEFT = "left"  # left without being seen
    ENTERED_IN_ERROR = "entered_in_error"


LABELS: dict[Status, str] = {
    Status.BOOKED: "Booked",
    Status.ARRIVED: "Arrived",
    Status.IN_ROOM: "In room",
    Status.DONE: "Done",
    Status.NO_SHOW: "No-show",
    Status.CANCELLED: "Cancelled",
    Status.LEFT: "Left",
    Status.ENTERED_IN_ERROR: "In error",
}

# One ASCII-safe glyph per status so that status never depends on colour.
SYMBOLS: dict[Status, str] = {
    Status.BOOKED: "·",
    Status.ARRIVED: "◆",
    Status.IN_ROOM: "▶",
    Status.DONE: "✓",
    Status.NO_SHOW: "✗",
    Status.CANCELLED: "⊘",
    Status.LEFT: "←",
    Status.ENTERED_IN_ERROR: "≠",
}

# FHIR R4 Appointment.status codes.
FHIR_CODES: dict[Status, str] = {
    Status.BOOKED: "booked",
    Status.ARRIVED: "arrived",
    Status.IN_ROOM: "checked-in",
    Status.DONE: "fulfilled",
    Status.NO_SHOW: "noshow",
    Status.CANCELLED: "cancelled",
    Status.LEFT: "cancelled",
    Status.ENTERED_IN_ERROR: "entered-in-error",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset(
        {Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED, Status.ENTERED_IN_ERROR}
    ),
    Status.ARRIVED: frozenset(
        {Status.IN_ROOM, Status.LEFT, Status.CANCELLED, Status.ENTERED_IN_ERROR}
    ),
    Status.IN_ROOM: frozenset({Status.DONE, Status.ENTERED_IN_ERROR}),
    Status.DONE: frozenset(),
    Status.NO_SHOW: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.LEFT: frozenset(),
    Status.ENTERED_IN_ERROR: frozenset(),
}

# Statuses that occupy the provider's time (used by booking and the queue).
ACTIVE: frozenset[Status] = frozenset({Status.BOOKED, Status.ARRIVED, Status.IN_ROOM, Status.DONE})
# Statuses in which the patient is physically waiting at the clinic.
WAITING: frozenset[Status] = frozenset({Status.ARRIVED})
# Statuses that need a reason typed by the user.
NEEDS_REASON: frozenset[Status] = frozenset({Status.CANCELLED, Status.ENTERED_IN_ERROR})
# Statuses that ask once for confirmation.
NEEDS_CONFIRM: frozenset[Status] = frozenset({Status.NO_SHOW, Status.LEFT})


# Statuses that only happen at the clinic on the visit's own day (an arrival for
# tomorrow's visit is a mistake), and a no-show only once its time has come.
ON_THE_DAY: frozenset[Status] = frozenset(
    {Status.ARRIVED, Status.IN_ROOM, Status.DONE, Status.LEFT, Status.NO_SHOW}
)


def not_now(target: Status, visit_day: date, today: date, starts_in_future: bool) -> str | None:
    """Why ``target`` cannot be set at this moment for a visit on ``visit_day``, or None.

    The state machine says what may follow what; this says when: arrival, room, done,
    left and no-show belong to the visit's day, and a no-show to after its start.
    """
    if target in ON_THE_DAY and visit_day != today:
        when = "tomorrow" if visit_day == today + timedelta(days=1) else f"{visit_day:%a %d %b}"
        return f"{LABELS[target]} is only for the day of the visit (it is {when})"
    if target == Status.NO_SHOW and starts_in_future:
        return "No-show only once the visit's time has come"
    return None


class TransitionError(ValueError):
    """A status change the state machine does not allow; message is user-facing."""


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: Status, target: Status, reason: str | None = None) -> None:
    """Raise TransitionError with a message a receptionist can act on."""
    if current == target:
        raise TransitionError(f"Already {LABELS[current].lower()}.")
    if not can_transition(current, target):
        allowed = ", ".join(LABELS[s].lower() for s in sorted(TRANSITIONS[current]))
        hint = (
            f" From {LABELS[current].lower()} it can go to: {allowed}."
            if allowed
            else (" Press u to undo the last change if it was a mistake.")
        )
        raise TransitionError(
            f"Cannot change {LABELS[current].lower()} to {LABELS[target].lower()}.{hint}"
        )
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"A reason is required to mark {LABELS[target].lower()}.")


@dataclass(frozen=True)
class StatusEvent:
    """One row of an appointment's status history, as the domain sees it."""

    id: str
    from_status: Status
    to_status: Status
    at_ms: int
    corrects: str | None = None  # id of the event this correction reverts


def undo_target(history: list[StatusEvent]) -> StatusEvent | None:
    """The most recent forward event not yet reverted, or None.

    Corrections themselves are not undone by a further undo: each ``u``
    walks one more step back through the real changes.
    """
    reverted = {e.corrects for e in history if e.corrects}
    for event in reversed(history):
        if event.corrects is None and event.id not in reverted:
            return event
    return None


def replay(initial: Status, history: list[StatusEvent]) -> Status:
    """Status after applying a history in order (used to cross-check the store)."""
    status = initial
    for event in history:
        status = event.to_status
    return status
