"""Status histories: a planned visit's timestamped events, and the rows they make.

Each history ends in the visit's planned status, and the appointment's
derived fields (status_since, arrived_at, finished_at, cancel_reason) are
replayed from its events the way ``coordtui.mutations`` sets them, so rows
and history agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coordtui.demo.ids import S_APPT, S_EVENT, S_PATIENT, Ids
from coordtui.demo.visits import Visit
from coordtui.demo.writer import ACTOR, ts, ts_or_none
from coordtui.domain.status import LABELS, Status

_CANCEL_REASONS = (
    "Patient called to cancel", "Rescheduled by patient", "Feeling better",
    "Transport problem", "Provider unavailable", "Childcare issue", "Weather",
    "Insurance not active",
)  # fmt: skip
_ERROR_REASONS = ("Booked for wrong patient", "Duplicate booking", "Wrong provider selected")
_FINISHING = frozenset({Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED})
_WITH_REASON = frozenset({Status.CANCELLED, Status.ENTERED_IN_ERROR})
_ZERO = timedelta(0)


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    """A random whole-second span between lo and hi minutes."""
    return timedelta(seconds=int(rng.uniform(lo * 60, hi * 60)))


@dataclass
class _Story:
    """What the status history says; fields derived the way the mutations set them."""

    created: datetime
    events: list[tuple[Status, Status, datetime, str, int | None]] = field(default_factory=list)
    status: Status = Status.BOOKED
    since: datetime | None = None
    arrived: datetime | None = None
    finished: datetime | None = None
    cancel_reason: str = ""


def _story(rng: random.Random, visit: Visit, anchor: datetime) -> _Story:
    """Timestamped status history for a visit, ending in ``visit.status``.

    Nothing happens after ``anchor``: a history that would runs into the
    future is slid back as a whole.  The derived fields (status_since,
    arrived_at, finished_at, cancel_reason) are replayed from the events
    exactly as ``coordtui.mutations`` sets them, so rows and history agree.
    """
    s, status = visit.start, visit.status
    walk_in = visit.kind == "walk_in"
    # (to_status, at, reason, index of the event this one corrects)
    steps: list[tuple[Status, datetime, str, int | None]] = []
    if walk_in:
        # Walk-ins are created arrived (mutations.add_walk_in).  Later steps
        # take typical durations but stay between arrival and the anchor, so
        # nothing needs sliding.
        created = a = s
        end = anchor - timedelta(seconds=rng.randrange(20, 120))
        room = a
        steps.append((Status.ARRIVED, a, "walk-in", None))
        if status in (Status.IN_ROOM, Status.DONE):
            room = min(a + _minutes(rng, 10, 40), a + (end - a) * 0.5)
            steps.append((Status.IN_ROOM, room, "", None))
        if status == Status.DONE:
            done = min(room + _minutes(rng, 10, 25), room + (end - room) * 0.9)
            steps.append((Status.DONE, done, "", None))
        elif status == Status.LEFT:
            left = min(a + _minutes(rng, 30, 60), a + (end - a) * 0.9)
            steps.append((Status.LEFT, left, "", None))
    else:
        created = min(s, anchor) - timedelta(seconds=rng.randrange(86_400, 45 * 86_400))
        a = s - _minutes(rng, -5, 20)  # most come early, a few a little late
        if visit.story == "corrected_no_show":
            # Marked no-show by mistake, undone, then the patient was seen.
            wrong = s + _minutes(rng, 12, 18)
            steps.append((Status.NO_SHOW, wrong, "", None))
            undo = f"undo {LABELS[Status.NO_SHOW].lower()}"  # as mutations.undo_status words it
            steps.append((Status.BOOKED, wrong + _minutes(rng, 1, 4), undo, 0))
            a = steps[-1][1] + _minutes(rng, 1, 5)
        if status in _WITH_REASON:
            last = min(s, anchor)
            pool = _CANCEL_REASONS if status == Status.CANCELLED else _ERROR_REASONS
            reason = pool[int(rng.random() * len(pool))]
            steps.append(
                (status, created + (last - created) * rng.uniform(0.4, 0.98), reason, None)
            )
        elif status == Status.NO_SHOW:
            steps.append((Status.NO_SHOW, s + _minutes(rng, 15, 35), "", None))
        elif status != Status.BOOKED:
            steps.append((Status.ARRIVED, a, "", None))
            if status in (Status.IN_ROOM, Status.DONE):
                room = max(a + _minutes(rng, 2, 10), s + visit.delay + _minutes(rng, 0, 4))
                steps.append((Status.IN_ROOM, room, "", None))
                if status == Status.DONE:
                    steps.append(
                        (Status.DONE, room + (visit.end - s) * rng.uniform(0.6, 1.1), "", None)
                    )
            elif status == Status.LEFT:
                steps.append((Status.LEFT, a + _minutes(rng, 25, 75), "", None))
        if steps:
            over = steps[-1][1] - (anchor - timedelta(seconds=rng.randrange(20, 240)))
            if over > _ZERO:
                steps = [(to, at - over, why, fix) for to, at, why, fix in steps]
    return _replay(created, steps)


def _replay(created: datetime, steps) -> _Story:
    """Apply steps like mutations.set_status / undo_status would."""
    story = _Story(created)
    reverted: set[int] = set()
    for to, at, reason, corrects in steps:
        story.events.append((story.status, to, at, reason, corrects))
        story.status = to
        if corrects is None:
            story.since = at
            if to == Status.ARRIVED:
                story.arrived = at
            if to in _FINISHING:
                story.finished = at
            if to in _WITH_REASON:
                story.cancel_reason = reason
            continue
        reverted.add(corrects)
        effective = [e for i, e in enumerate(story.events) if e[4] is None and i not in reverted]
        story.since = effective[-1][2] if effective else None
        story.arrived = next((e[2] for e in effective if e[1] == Status.ARRIVED), None)
        if to not in _FINISHING:
            story.finished = None
        if to not in _WITH_REASON:
            story.cancel_reason = ""
    return story


class RowMaker:
    """Turns planned visits into appointment and status_event rows, in models.py column order."""

    def __init__(self, ids: Ids, clinic_id: str, provider_ids: list[str]) -> None:
        self.ids, self.clinic_id, self.provider_ids = ids, clinic_id, provider_ids
        self.appointments = 0
        self.events = 0

    def rows(self, rng: random.Random, visit: Visit, anchor: datetime):
        story = _story(rng, visit, anchor)
        appt_id = self.ids(S_APPT, self.appointments)
        self.appointments += 1
        event_rows = []
        event_ids: list[str] = []
        for frm, to, at, reason, corrects in story.events:
            event_id = self.ids(S_EVENT, self.events)
            self.events += 1
            event_ids.append(event_id)
            fix = event_ids[corrects] if corrects is not None else None
            event_rows.append(
                (event_id, appt_id, frm.value, to.value, ts(at), reason, fix, ACTOR, 0)
            )
        # A walk-in's first event is its creation, not an edit (no version bump).
        edits = len(story.events) - (1 if visit.kind == "walk_in" else 0)
        updated = story.events[-1][2] if story.events else story.created
        appointment = (
            appt_id,
            self.clinic_id,
            self.ids(S_PATIENT, visit.patient),
            self.provider_ids[visit.provider],
            ts(visit.start),
            ts(visit.end),
            visit.type,
            visit.modality,
            visit.reason,
            visit.kind,
            visit.priority,
            story.status.value,
            ts_or_none(story.since),
            ts_or_none(story.arrived),
            ts_or_none(story.finished),
            story.cancel_reason,
            1 + edits,
            ts(story.created),
            ACTOR,
            ts(updated),
            ACTOR,
        )
        return appointment, event_rows
