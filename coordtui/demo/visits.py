"""Planning visits: a provider's sessions on a day, packed with typed visits, given statuses.

A ``Visit`` is an appointment before it has a history or a row; the demo and
the seeder plan their days with these, and ``coordtui.demo.histories`` turns
them into rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coordtui.demo.sampling import pick_cum
from coordtui.domain.status import Status

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order

# Appointment types: (name, minutes, cumulative weight).  Multiples of 15 so
# they line up with the 15-minute booking grid.
_TYPES = (
    ("Follow-up", 15),
    ("Consultation", 30),
    ("New patient", 30),
    ("Vaccination", 15),
    ("Lab review", 15),
)
_TYPE_CUM = (34, 60, 72, 86, 100)
_REASONS = {
    "Follow-up": ("BP check", "Diabetes follow-up", "Asthma review", "Post-op check", "Medication review", ""),
    "Consultation": ("Cough for 3 days", "Back pain", "Headaches", "Rash", "Knee pain", "Fatigue", "Ear pain", ""),
    "New patient": ("Establish care", "Transfer of care", "Annual physical", ""),
    "Vaccination": ("Flu shot", "COVID-19 booster", "Tdap", "MMR", "HPV dose 2", "Hepatitis B"),
    "Lab review": ("A1c results", "Lipid panel", "Thyroid results", "CBC follow-up", ""),
}  # fmt: skip
WALK_IN_URGENT = (
    "Chest tightness",
    "High fever",
    "Asthma flare",
    "Laceration on hand",
    "Severe abdominal pain",
)
WALK_IN_ROUTINE = (
    "Sore throat",
    "Medication refill",
    "Rash on arm",
    "Ear pain",
    "Urinary symptoms",
)


# Outcome tables, cumulative: a slot well in the past, the slot the provider
# should be in now, a slot whose patient may already be here, a later slot.
_PAST = ((0.80, Status.DONE), (0.87, Status.NO_SHOW), (0.94, Status.CANCELLED),
         (0.97, Status.LEFT), (1.0, Status.ENTERED_IN_ERROR))  # fmt: skip
_CURRENT = ((0.80, Status.IN_ROOM), (0.90, Status.ARRIVED), (1.0, Status.BOOKED))
_ARRIVING = ((0.70, Status.ARRIVED), (1.0, Status.BOOKED))
_FUTURE = ((0.92, Status.BOOKED), (0.98, Status.CANCELLED), (1.0, Status.ENTERED_IN_ERROR))


def _outcome(rng: random.Random, table: tuple[tuple[float, Status], ...]) -> Status:
    v = rng.random()
    for threshold, status in table:
        if v < threshold:
            return status
    return table[-1][1]


@dataclass
class Visit:
    """An appointment being planned, before its timeline and rows are made."""

    provider: int
    start: datetime
    end: datetime
    type: str
    kind: str = "scheduled"
    priority: str = "routine"
    modality: str = "in_person"
    reason: str = ""
    patient: int = -1
    status: Status = Status.BOOKED
    delay: timedelta = timedelta(0)  # how late the provider runs when this slot is due
    story: str = ""  # "corrected_no_show": a mistaken no-show, undone, then a visit


def day_sessions(schedule: dict, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """A provider's sessions on one clinic-local day, as naive-UTC instants."""
    out = []
    for start, end in schedule.get(DAY_KEYS[day.weekday()], ()):
        pair = []
        for hhmm in (start, end):
            h, m = (int(x) for x in hhmm.split(":"))
            moment = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
            pair.append(moment.astimezone(UTC).replace(tzinfo=None))
        out.append((pair[0], pair[1]))
    return out


def pack(rng: random.Random, provider: int, sessions) -> list[Visit]:
    """Fill sessions back to back with typed visits (callers sample from these)."""
    out = []
    quarter = timedelta(minutes=15)
    for begin, finish in sessions:
        t = begin
        while t + quarter <= finish:
            name, minutes = _TYPES[pick_cum(rng, _TYPE_CUM)]
            if t + timedelta(minutes=minutes) > finish:
                name, minutes = "Follow-up", 15
            end = t + timedelta(minutes=minutes)
            out.append(Visit(provider, t, end, name))
            t = end
    return out


def decorate(rng: random.Random, visit: Visit) -> None:
    """Modality and reason: mostly in person; vaccinations always are."""
    if visit.type != "Vaccination" and visit.kind == "scheduled":
        v = rng.random()
        visit.modality = "in_person" if v < 0.88 else "phone" if v < 0.95 else "video"
    reasons = _REASONS.get(visit.type)
    if reasons:
        visit.reason = reasons[int(rng.random() * len(reasons))]


def plan_day(rng: random.Random, visits: list[Visit], anchor: datetime) -> None:
    """Statuses relative to ``anchor`` for one day's scheduled visits.

    Each provider runs a few minutes late (the same all day), which decides
    who is in the room now and who is still waiting.
    """
    delays: dict[int, timedelta] = {}
    for visit in visits:
        if visit.provider not in delays:
            delays[visit.provider] = timedelta(minutes=rng.choice((0, 5, 10, 15, 20, 30)))
        delay = visit.delay = delays[visit.provider]
        if visit.end + delay <= anchor:
            table = _PAST
        elif visit.start + delay <= anchor:
            table = _CURRENT
        elif visit.start - timedelta(minutes=20) <= anchor:
            table = _ARRIVING
        else:
            table = _FUTURE
        visit.status = _outcome(rng, table)
