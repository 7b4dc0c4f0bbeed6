"""Booking rules: appointment types, conflict checks and the free-slot finder.

These are the rules the ``book_appointment`` mutation runs twice (at the
desk, then authoritatively on the server), so they are pure functions of
what the caller loaded: the provider's availability (``schedule``), the
active appointments around the requested time, and ``now``.  Refusals are
sentences a receptionist can act on, in the clinic's zone.

The finder must answer "next available" while the receptionist waits: the
appointments are sorted once per provider and swept forward together with
the slot grid (a heap of the appointments in progress), so a search costs
about O(n log n) for the sort plus the few slots it visits, never
slots x appointments.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from operator import itemgetter

from coordtui.domain.days import day_bounds_utc, format_day
from coordtui.domain.schedule import Interval
from coordtui.domain.status import ACTIVE, Status

MAX_MINUTES = 8 * 60
MINUTE_GRID = 5  # appointment types are whole multiples of this
DEFAULT_SLOT_MINUTES = 15  # Provider.slot_minutes default
DEFAULT_HORIZON_DAYS = 365
_FAR = datetime(9999, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)


# ------------------------------------------------------ appointment types


class Modality(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


MODALITY_LABELS: dict[Modality, str] = {
    Modality.IN_PERSON: "in person",
    Modality.PHONE: "by phone",
    Modality.VIDEO: "by video",
}


class AppointmentTypeError(ValueError):
    """An appointment type the clinic cannot use; ``problems`` are user-facing."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def appointment_type_problems(
    name: str, minutes: object, modalities: Iterable[object]
) -> list[str]:
    """Every problem with a type's fields, for a form to show at once."""
    problems = []
    label = name.strip() if isinstance(name, str) else ""
    if not label:
        problems.append("The appointment type needs a name")
    what = f"{label or 'The type'}:"
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        problems.append(f"{what} the duration must be whole minutes")
    elif minutes <= 0:
        problems.append(f"{what} the duration must be more than 0 minutes")
    elif minutes > MAX_MINUTES:
        problems.append(f"{what} the duration must be at most 8 hours ({MAX_MINUTES} minutes)")
    elif minutes % MINUTE_GRID:
        problems.append(f"{what} the duration must be a multiple of {MINUTE_GRID} minutes")
    values = list(modalities)
    known = {m.value for m in Modality}
    for value in values:
        if value not in known:
            problems.append(f"{what} '{value}' is not a modality: use in_person, phone or video")
    if not values:
        problems.append(f"{what} allow at least one of in person, phone or video")
    return problems


@dataclass(frozen=True)
class AppointmentType:
    """A kind of visit: its default length and how it may take place."""

    name: str
    minutes: int
    modalities: frozenset[Modality] = frozenset(Modality)

    def __post_init__(self) -> None:
        problems = appointment_type_problems(self.name, self.minutes, self.modalities)
        if problems:
            raise AppointmentTypeError(problems)
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "modalities", frozenset(Modality(m) for m in self.modalities))

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def modality_problem(self, modality: str) -> str | None:
        """None if the type may take place this way, else a sentence saying how it may."""
        if modality in self.modalities:
            return None
        allowed = " or ".join(MODALITY_LABELS[m] for m in Modality if m in self.modalities)
        return f"{self.name} is {allowed} only"


# The demo clinic's types (coordtui.demo): a vaccination needs the patient there.
DEFAULT_TYPES: tuple[AppointmentType, ...] = (
    AppointmentType("Follow-up", 15),
    AppointmentType("Consultation", 30),
    AppointmentType("New patient", 30),
    AppointmentType("Vaccination", 15, frozenset({Modality.IN_PERSON})),
    AppointmentType("Lab review", 15),
    AppointmentType("Walk-in", 15, frozenset({Modality.IN_PERSON})),
)


# --------------------------------------------------------- booking rules


class Kind(StrEnum):
    SCHEDULED = "scheduled"
    WALK_IN = "walk_in"


@dataclass(frozen=True, slots=True)
class Booked:
    """An existing appointment as the rules see it (times normalized to UTC)."""

    id: str
    provider_id: str
    patient_id: str
    start: datetime
    end: datetime
    status: str = Status.BOOKED

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))


@dataclass(frozen=True)
class BookingRequest:
    """A booking, walk-in or reschedule (``appointment_id`` = the one being moved)."""

    provider_id: str
    patient_id: str
    start: datetime
    end: datetime
    kind: str = Kind.SCHEDULED
    appointment_id: str | None = None


@dataclass(frozen=True)
class Decision:
    """ok, or the reasons it is refused; warnings never block.

    ``override_used`` means the time is outside the provider's hours and the
    supervisor override allowed it: the caller must record that.
    """

    ok: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    override_used: bool = False


def check_booking(
    request: BookingRequest,
    existing: Iterable[Booked],
    availability: Iterable[Interval],
    allowance: int = 0,
    *,
    now: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    override: bool = False,
    zone: tzinfo = UTC,
) -> Decision:
    """Decide whether ``request`` may be saved.

    ``existing`` holds the active appointments of the provider and of the
    patient around the requested time (others, and the appointment being
    rescheduled, are ignored); ``availability`` the provider's working
    intervals around it; ``allowance`` how many extra appointments may
    overlap one another for this provider (overbooking).  Messages show
    times in ``zone``.  Refused: end not after start; longer than 8 hours;
    in the past (except walk-ins); more than ``horizon_days`` ahead; outside
    the provider's hours (unless ``override``); more overlap than
    ``allowance``.  The patient booked elsewhere at the same time warns.
    """
    if request.kind not in (Kind.SCHEDULED, Kind.WALK_IN):
        raise ValueError(f"unknown booking kind {request.kind!r}")
    if allowance < 0 or horizon_days < 1:
        raise ValueError("allowance must be >= 0 and horizon_days >= 1")
    _require_aware(request.start, request.end, now)
    start, end = request.start.astimezone(UTC), request.end.astimezone(UTC)
    if end <= start:
        return Decision(
            False, [f"The end ({_hm(end, zone)}) must be after the start ({_hm(start, zone)})."]
        )
    reasons: list[str] = []
    warnings: list[str] = []
    if end - start > timedelta(minutes=MAX_MINUTES):
        reasons.append("An appointment cannot be longer than 8 hours.")
    if request.kind != Kind.WALK_IN and start < now:
        reasons.append(
            f"{_hm(start, zone)} on {_day(start, zone)} has already passed; "
            "for a patient who is here now, use walk-in."
        )
    last = now + timedelta(days=horizon_days)
    if start > last:
        reasons.append(
            f"{_day(start, zone)} is too far ahead: bookings open {horizon_days} days "
            f"ahead (until {_day(last, zone)})."
        )

    override_used = False
    if not covers(availability, start, end):
        if override:
            override_used = True
            warnings.append("Outside the provider's hours: the supervisor override is recorded.")
        else:
            reasons.append(_hours_text(availability, start, zone))

    others = [
        b
        for b in existing
        if b.status in ACTIVE and b.id != request.appointment_id and b.start < end and start < b.end
    ]
    same_provider = sorted(
        (b for b in others if b.provider_id == request.provider_id), key=_by_start
    )
    if same_provider:
        peak = _peak([(b.start, b.end) for b in same_provider], start, end)
        first = _span(same_provider[0], zone)
        more = f" and {len(same_provider) - 1} more" if len(same_provider) > 1 else ""
        if peak > allowance and allowance == 0:
            reasons.append(f"The provider is already booked {first}{more}.")
        elif peak > allowance:
            reasons.append(
                f"The provider is already booked {first}{more}: overbooking allows "
                f"{allowance} extra at a time, and this would make {peak + 1} at once."
            )
        else:
            warnings.append(
                f"Overbooked: the provider is already booked {first}{more} "
                f"({allowance} extra allowed at a time)."
            )
    for b in sorted((b for b in others if b.patient_id == request.patient_id), key=_by_start):
        whose = "this provider" if b.provider_id == request.provider_id else "another provider"
        warnings.append(f"The patient already has an appointment {_span(b, zone)} with {whose}.")
    return Decision(not reasons, reasons, warnings, override_used)


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError("booking times must be aware datetimes (UTC)")


def _by_start(b: Booked) -> tuple[datetime, datetime, str]:
    return (b.start, b.end, b.id)


def _hm(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def _day(moment: datetime, zone: tzinfo) -> str:
    return format_day(moment.astimezone(zone).date())


def _span(b: Booked, zone: tzinfo) -> str:
    return f"{_hm(b.start, zone)}-{_hm(b.end, zone)} on {_day(b.start, zone)}"


def covers(availability: Iterable[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside the union of the intervals."""
    cursor = start
    for iv in sorted(availability, key=lambda iv: iv.start):
        if iv.end <= cursor:
            continue
        if iv.start > cursor:
            return False
        cursor = iv.end
        if cursor >= end:
            return True
    return False


def _hours_text(availability: Iterable[Interval], start: datetime, zone: tzinfo) -> str:
    day = start.astimezone(zone).date()
    lo, hi = day_bounds_utc(day, zone)
    spans = [
        f"{_hm(iv.start, zone)}-{_hm(iv.end, zone)}"
        for iv in sorted(availability, key=lambda iv: iv.start)
        if iv.start < hi and lo < iv.end
    ]
    if not spans:
        return f"The provider is not working on {format_day(day)}."
    return f"Outside the provider's hours: on {format_day(day)} they work {', '.join(spans)}."


def _peak(spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> int:
    """Most spans in progress at one instant within [start, end) (half-open)."""
    events = []
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            events.append((s, 1))
            events.append((e, -1))
    events.sort()  # at equal instants, ends (-1) come before starts
    peak = running = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def retaken(
    span: tuple[datetime, datetime],
    earlier: Iterable[tuple[datetime, datetime]],
    later: Iterable[tuple[datetime, datetime]],
    allowance: int = 0,
) -> bool:
    """Whether giving ``span`` back (undoing its cancellation) would overbook a later booking.

    ``earlier``: the provider's active appointments overlapping the span that
    already held their time when it was cancelled; ``later``: those that took
    their time after.  Overlaps that were there at the cancellation (an
    overbooking allowance, a walk-in seen in the slot) were allowed then and do
    not block the undo: only where a later booking overlaps the span must the
    span fit, that is, no more than ``allowance`` others at once there.
    """
    start, end = span
    later = list(later)
    everyone = [*earlier, *later]
    for s, e in later:
        lo, hi = max(s, start), min(e, end)
        if lo < hi and _peak(everyone, lo, hi) > allowance:
            return True
    return False


# -------------------------------------------------------------- finder


@dataclass(frozen=True, slots=True)
class Slot:
    provider_id: str
    start: datetime
    end: datetime


def free_slots(
    availability_by_provider: Mapping[str, Sequence[Interval]],
    existing_by_provider: Mapping[str, Iterable[Booked]],
    duration: timedelta | int,
    start_from: datetime,
    limit: int = 10,
    step: int | Mapping[str, int] | None = None,
    allowance: int | Mapping[str, int] = 0,
    *,
    now: datetime | None = None,
) -> list[Slot]:
    """The next ``limit`` free slots across providers, by time then provider id.

    A slot of ``duration`` (a timedelta, or minutes) starts on the provider's
    grid (``step`` minutes, per provider or for all; default 15) counted
    from the start of its availability interval, lies inside one interval,
    starts at or after ``start_from`` (and ``now``, when given) and never
    makes more than 1 + ``allowance`` active appointments overlap.
    Appointments that are not active, or end before the search, are ignored.
    """
    d = _duration(duration)
    _require_aware(start_from, *([now] if now is not None else []))
    floor = max(start_from, now) if now is not None else start_from
    if limit <= 0:
        return []
    streams = [
        _forward(
            pid, intervals, existing_by_provider.get(pid, ()), d,
            _step(step, pid), _allowance(allowance, pid), floor,
        )
        for pid, intervals in availability_by_provider.items()
    ]  # fmt: skip
    out = []
    for s, pid, e in heapq.merge(*streams):
        out.append(Slot(pid, s, e))
        if len(out) >= limit:
            break
    return out


def nearest_alternatives(
    availability_by_provider: Mapping[str, Sequence[Interval]],
    existing_by_provider: Mapping[str, Iterable[Booked]],
    duration: timedelta | int,
    around: datetime,
    limit: int = 4,
    step: int | Mapping[str, int] | None = None,
    allowance: int | Mapping[str, int] = 0,
    *,
    now: datetime | None = None,
) -> list[Slot]:
    """The ``limit`` free slots nearest to ``around``, before or after it, in time order.

    For a refusal message: "Dr Okafor is booked at 10:00; free at 09:30,
    10:45...".  Slots before ``now`` are never offered.  Equally near slots
    go to the earlier one.
    """
    d = _duration(duration)
    _require_aware(around, *([now] if now is not None else []))
    floor = now if now is not None else _EARLIEST
    if limit <= 0:
        return []
    after = heapq.merge(
        *(
            _forward(
                pid, ivs, existing_by_provider.get(pid, ()), d,
                _step(step, pid), _allowance(allowance, pid), max(around, floor),
            )
            for pid, ivs in availability_by_provider.items()
        )
    )  # fmt: skip
    before = heapq.merge(
        *(
            _backward(
                pid, ivs, existing_by_provider.get(pid, ()), d,
                _step(step, pid), _allowance(allowance, pid), floor, around,
            )
            for pid, ivs in availability_by_provider.items()
        ),
        key=lambda item: (_FAR - item[0], item[1]),
    )  # fmt: skip
    nxt_after, nxt_before = next(after, None), next(before, None)
    out: list[tuple[datetime, str, datetime]] = []
    while len(out) < limit and (nxt_after or nxt_before):
        take_before = nxt_before is not None and (
            nxt_after is None or around - nxt_before[0] <= nxt_after[0] - around
        )
        if take_before and nxt_before is not None:  # (take_before implies it: for mypy)
            out.append(nxt_before)
            nxt_before = next(before, None)
        elif nxt_after is not None:
            out.append(nxt_after)
            nxt_after = next(after, None)
    out.sort()
    return [Slot(pid, s, e) for s, pid, e in out]


def _duration(duration: timedelta | int) -> timedelta:
    d = duration if isinstance(duration, timedelta) else timedelta(minutes=duration)
    if d <= timedelta(0):
        raise ValueError("slot duration must be positive")
    return d


def _step(step: int | Mapping[str, int] | None, pid: str) -> timedelta:
    minutes = step.get(pid, DEFAULT_SLOT_MINUTES) if isinstance(step, Mapping) else step
    minutes = DEFAULT_SLOT_MINUTES if minutes is None else minutes
    if minutes <= 0:
        raise ValueError(f"slot grid for {pid} must be positive minutes")
    return timedelta(minutes=minutes)


def _allowance(allowance: int | Mapping[str, int], pid: str) -> int:
    value = allowance.get(pid, 0) if isinstance(allowance, Mapping) else allowance
    if value < 0:
        raise ValueError(f"overbooking allowance for {pid} cannot be negative")
    return value


def _merged(intervals: Iterable[Interval]) -> list[tuple[datetime, datetime]]:
    """Sorted (start, end) pairs; overlapping intervals merged, touching ones kept."""
    out: list[tuple[datetime, datetime]] = []
    for iv in sorted(intervals, key=lambda iv: iv.start):
        if out and iv.start < out[-1][1]:
            if iv.end > out[-1][1]:
                out[-1] = (out[-1][0], iv.end)
        else:
            out.append((iv.start, iv.end))
    return out


def _ceil_steps(gap: timedelta, step: timedelta) -> int:
    """Whole grid steps needed to cover ``gap`` (>= 0)."""
    return -(-gap // step)


def _forward(
    pid: str,
    intervals: Sequence[Interval],
    items: Iterable[Booked],
    d: timedelta,
    step: timedelta,
    allowance: int,
    floor: datetime,
) -> Iterator[tuple[datetime, str, datetime]]:
    """Free slots of one provider from ``floor`` on, in time order (a sweep).

    Slot starts only increase, so appointments enter a heap (keyed on their
    end) once their start is before the slot's end and leave it once they
    end at or before the slot's start; what is left overlaps the slot.
    """
    ivs = _merged(intervals)
    first = bisect_right(ivs, floor, key=itemgetter(1))
    if first == len(ivs):
        return
    busy = sorted((b.start, b.end) for b in items if b.end > floor and b.status in ACTIVE)
    n, j = len(busy), 0
    heap: list[tuple[datetime, datetime]] = []  # (end, start) of appointments in progress
    for a, z in ivs[first:]:
        s = a if a >= floor else a + _ceil_steps(floor - a, step) * step
        last = z - d
        while s <= last:
            e = s + d
            while j < n and busy[j][0] < e:
                heapq.heappush(heap, (busy[j][1], busy[j][0]))
                j += 1
            while heap and heap[0][0] <= s:
                heapq.heappop(heap)
            if not heap or (allowance and _peak([(b, f) for f, b in heap], s, e) <= allowance):
                yield s, pid, e
                s += step
            elif allowance:
                s += step
            else:  # skip every grid start that would still overlap what is in progress
                s = max(s + step, a + _ceil_steps(max(h[0] for h in heap) - a, step) * step)


def _backward(
    pid: str,
    intervals: Sequence[Interval],
    items: Iterable[Booked],
    d: timedelta,
    step: timedelta,
    allowance: int,
    floor: datetime,
    around: datetime,
) -> Iterator[tuple[datetime, str, datetime]]:
    """Free slots of one provider starting before ``around`` (and >= floor), latest first."""
    ivs = _merged(intervals)
    busy = sorted(
        (b.start, b.end)
        for b in items
        if b.end > floor and b.start < around + d and b.status in ACTIVE
    )
    starts = [s for s, _ in busy]
    longest = max((e - s for s, e in busy), default=timedelta(0))
    for a, z in reversed(ivs[: bisect_left(ivs, around, key=itemgetter(0))]):
        if z - d < floor:
            break
        k = min((z - d - a) // step, _ceil_steps(around - a, step) - 1)
        while k >= 0:
            s = a + k * step
            if s < floor:
                break
            e = s + d
            i = bisect_left(starts, e)
            overlapping = []
            while i > 0 and starts[i - 1] + longest > s:
                i -= 1
                if busy[i][1] > s:
                    overlapping.append(busy[i])
            if not overlapping or (allowance and _peak(overlapping, s, e) <= allowance):
                yield s, pid, e
            k -= 1
