"""Provider availability and clinic wall-clock time, resolved to UTC instants.

Availability is kept as wall-clock sessions ("08:00-12:00 on Mondays")
because that is how clinics plan and how the schedule must survive DST: a
session spanning the change keeps its wall-clock times, so it is an hour
shorter or longer that day.  Only at the edge of this module are sessions
turned into aware UTC ``Interval``s for the booking rules.

Two kinds of wall-clock time are resolved differently, on purpose:

* A time a *person* typed (``resolve_local``) never gets a silent guess:
  a time in the spring-forward gap is refused with the nearest real times,
  and a time in the fall-back fold is refused with both readings until the
  caller says which one (``fold``).
* A session boundary in the *template* cannot ask anyone, so it takes a
  fixed reading: a gap time is clamped to the instant the clocks change
  (the session only covers time that exists) and a fold time takes the
  first reading.  Both keep boundaries in order, so a session never turns
  inside out.

Everything here is pure: the zone is passed in, nothing reads a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
END_OF_DAY = 24 * 60  # "24:00", allowed as a session end only
MAX_EVERY_WEEKS = 52
MAX_OCCURRENCES = 104  # two years of weekly visits


class ScheduleError(ValueError):
    """A template or exception the clinic cannot use; ``problems`` are user-facing."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# ------------------------------------------------------------ clock text


def parse_clock(text: str, *, end: bool = False) -> int:
    """'HH:MM' to minutes after midnight; '24:00' only when ``end`` is true."""
    if not isinstance(text, str):
        raise ScheduleError([f"{text!r} is not a time: use HH:MM, for example 08:30"])
    hh, sep, mm = text.strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(hh) in (1, 2) and len(mm) == 2):
        raise ScheduleError([f"'{text}' is not a time: use HH:MM, for example 08:30"])
    minutes = int(hh) * 60 + int(mm)
    if end and minutes == END_OF_DAY:
        return minutes
    if int(hh) > 23 or int(mm) > 59:
        last = "24:00" if end else "23:59"
        raise ScheduleError([f"'{text}' is not a time of day: use 00:00 to {last}"])
    return minutes


def format_clock(minutes: int) -> str:
    """Minutes after midnight as 'HH:MM' (1440 is '24:00')."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _clock(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


# ------------------------------------------------------------- sessions


@dataclass(frozen=True, order=True)
class Session:
    """A wall-clock span within one local day, in minutes after midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        problem = _session_problem(self.start, self.end)
        if problem:
            raise ScheduleError([problem])

    @classmethod
    def parse(cls, start: str, end: str) -> Session:
        return cls(parse_clock(start), parse_clock(end, end=True))

    @property
    def label(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


def _session_problem(start: int, end: int) -> str | None:
    label = f"{format_clock(start)}-{format_clock(end)}"
    if not (0 <= start < END_OF_DAY and 0 < end <= END_OF_DAY):
        return f"{label}: outside the day (00:00 to 24:00)"
    if end < start:
        return f"{label}: end before start"
    if end == start:
        return f"{label}: starts and ends at the same time"
    return None


def _union(sessions: Iterable[Session]) -> list[Session]:
    """Sorted, with overlapping or touching sessions merged into one."""
    out: list[Session] = []
    for s in sorted(sessions):
        if out and s.start <= out[-1].end:
            if s.end > out[-1].end:
                out[-1] = Session(out[-1].start, s.end)
        else:
            out.append(s)
    return out


def _subtract(sessions: list[Session], cut: Session) -> list[Session]:
    out = []
    for s in sessions:
        if s.end <= cut.start or s.start >= cut.end:
            out.append(s)
            continue
        if s.start < cut.start:
            out.append(Session(s.start, cut.start))
        if cut.end < s.end:
            out.append(Session(cut.end, s.end))
    return out


# ------------------------------------------------------- weekly template


@dataclass(frozen=True)
class WeeklyTemplate:
    """Sessions per weekday (Monday first), sorted and non-overlapping."""

    days: tuple[tuple[Session, ...], ...]

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        return self.days[day.weekday()]

    def to_json(self) -> str:
        """The stored form (``Provider.schedule_json``); days off are left out."""
        data = {
            key: [[format_clock(s.start), format_clock(s.end)] for s in sessions]
            for key, sessions in zip(DAY_KEYS, self.days, strict=True)
            if sessions
        }
        return json.dumps(data)


def parse_template(raw: str | Mapping[str, object]) -> WeeklyTemplate:
    """Validate a weekly template (JSON text or its decoded dict).

    Every problem is collected, each naming the day and session, so that a
    supervisor can fix the whole template in one go.  Sessions of a day may
    be given in any order; they must not overlap (touching is fine).
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ScheduleError([f"The schedule is not valid JSON ({exc.msg})"]) from None
    if not isinstance(raw, Mapping):
        raise ScheduleError(['The schedule must map days to sessions, e.g. {"mon": [...]}'])
    problems: list[str] = []
    days: list[tuple[Session, ...]] = [() for _ in DAY_KEYS]
    for key, value in raw.items():
        day_key = str(key).strip().lower()
        if day_key in (n.lower() for n in DAY_NAMES):
            day_key = day_key[:3]
        if day_key not in DAY_KEYS:
            problems.append(f"'{key}' is not a day: use {', '.join(DAY_KEYS)}")
            continue
        name = DAY_NAMES[DAY_KEYS.index(day_key)]
        if days[DAY_KEYS.index(day_key)]:
            problems.append(f"{name} is given twice")
            continue
        sessions = _parse_day(name, value, problems)
        days[DAY_KEYS.index(day_key)] = tuple(sessions)
    if problems:
        raise ScheduleError(problems)
    return WeeklyTemplate(tuple(days))


def _parse_day(name: str, value: object, problems: list[str]) -> list[Session]:
    if not isinstance(value, list | tuple):
        problems.append(f'{name}: give a list of sessions like [["08:00", "12:00"]]')
        return []
    sessions = []
    for pair in value:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            problems.append(f"{name} {pair!r}: a session is a start and an end, like 08:00-12:00")
            continue
        try:
            start, end = parse_clock(pair[0]), parse_clock(pair[1], end=True)
        except ScheduleError as exc:
            problems.extend(f"{name}: {p}" for p in exc.problems)
            continue
        problem = _session_problem(start, end)
        if problem:
            problems.append(f"{name} {problem}")
            continue
        sessions.append(Session(start, end))
    sessions.sort()
    for before, after in zip(sessions, sessions[1:], strict=False):
        if after.start < before.end:
            problems.append(f"{name} {before.label} overlaps {after.label}")
    return sessions


# ----------------------------------------------------------- exceptions


@dataclass(frozen=True)
class Closure:
    """Time taken out of the template: leave, holiday, training.

    Covers ``first_day`` to ``last_day`` inclusive (one day when None);
    the whole day when ``session`` is None, else that span on each day.
    """

    first_day: date
    last_day: date | None = None
    session: Session | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.last_day is not None and self.last_day < self.first_day:
            raise ScheduleError(
                [f"Leave ends ({self.last_day.isoformat()}) before it starts "
                 f"({self.first_day.isoformat()})"]
            )  # fmt: skip

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= (self.last_day or self.first_day)


@dataclass(frozen=True)
class ExtraSession:
    """A session added on one date, e.g. a Saturday clinic.

    Extras are applied after closures, so an extra session on a holiday
    opens exactly that session: the more specific instruction wins.
    """

    day: date
    session: Session
    reason: str = ""


ScheduleException = Closure | ExtraSession


def local_sessions(
    template: WeeklyTemplate, exceptions: Iterable[ScheduleException], day: date
) -> list[Session]:
    """The wall-clock sessions worked on ``day``: template - closures + extras."""
    sessions = list(template.sessions_on(day))
    extras = []
    for ex in exceptions:
        if isinstance(ex, Closure) and ex.covers(day):
            sessions = [] if ex.session is None else _subtract(sessions, ex.session)
        elif isinstance(ex, ExtraSession) and ex.day == day:
            extras.append(ex.session)
    return _union(sessions + extras)


# --------------------------------------------------------- UTC intervals


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span [start, end) of aware instants, stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Interval needs aware datetimes")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError(f"Interval ends ({self.end}) before it starts ({self.start})")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def availability(
    template: WeeklyTemplate,
    exceptions: Iterable[ScheduleException],
    day: date,
    zone: tzinfo,
) -> list[Interval]:
    """The provider's working time on clinic-local ``day``, as sorted UTC intervals."""
    sessions = local_sessions(template, exceptions, day)
    if not sessions:
        return []
    midnight = datetime(day.year, day.month, day.day)
    offset = midnight.replace(tzinfo=zone).utcoffset() or timedelta(0)
    steady = offset == (midnight + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    base = (midnight - offset).replace(tzinfo=UTC)
    out = []
    for s in sessions:
        if steady:  # no clock change today (the usual case): one offset for the day
            start, end = base + timedelta(minutes=s.start), base + timedelta(minutes=s.end)
        else:
            start, end = _boundary(day, s.start, zone), _boundary(day, s.end, zone)
        if end > start:  # a session wholly inside a DST gap does not exist
            out.append(Interval(start, end))
    return out


def availability_span(
    template: WeeklyTemplate,
    exceptions: Iterable[ScheduleException],
    first_day: date,
    last_day: date,
    zone: tzinfo,
) -> list[Interval]:
    """``availability`` for every day from ``first_day`` to ``last_day`` inclusive."""
    exceptions = list(exceptions)
    out: list[Interval] = []
    day = first_day
    while day <= last_day:
        relevant = [
            ex
            for ex in exceptions
            if (ex.covers(day) if isinstance(ex, Closure) else ex.day == day)
        ]
        out.extend(availability(template, relevant, day, zone))
        day += timedelta(days=1)
    return out


# ------------------------------------------------------------- DST rules


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


class LocalTimeError(ValueError):
    """A wall-clock time that does not name exactly one instant."""


class NonexistentTime(LocalTimeError):
    """A time skipped when the clocks go forward.

    ``suggestions`` are the UTC instants of the nearest real readings: the
    same time shifted past the change, then before it.
    """

    def __init__(self, day: date, at: time, zone: tzinfo, later: datetime, earlier: datetime):
        self.day, self.time, self.zone = day, at, zone
        self.suggestions = (later, earlier)

        def choice(moment: datetime) -> str:
            wall = moment.astimezone(zone)
            other_day = "" if wall.date() == day else f" on {wall.date().isoformat()}"
            return _clock(wall.time()) + other_day

        super().__init__(
            f"{_clock(at)} does not exist on {day.isoformat()} in {zone_name(zone)} "
            f"(clocks go forward); choose {choice(later)} or {choice(earlier)}"
        )


class AmbiguousTime(LocalTimeError):
    """A time that happens twice when the clocks go back.

    ``options`` are the two UTC instants, earlier first: pass ``fold=0``
    for the first and ``fold=1`` for the second.
    """

    def __init__(self, day: date, at: time, zone: tzinfo, first: datetime, second: datetime):
        self.day, self.time, self.zone = day, at, zone
        self.options = (first, second)
        names = [o.astimezone(zone).tzname() for o in self.options]
        super().__init__(
            f"{_clock(at)} happens twice on {day.isoformat()} in {zone_name(zone)} "
            f"(clocks go back): first {_clock(at)} {names[0]} ({first:%H:%M} UTC), "
            f"then {_clock(at)} {names[1]} ({second:%H:%M} UTC); choose first or second"
        )


def _readings(day: date, at: time, zone: tzinfo) -> tuple[datetime, datetime, bool]:
    """(UTC with fold=0, UTC with fold=1, whether the wall time exists)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    exists = first.astimezone(zone).replace(tzinfo=None) == naive
    return first, second, exists


def resolve_local(day: date, at: time, zone: tzinfo, fold: int | None = None) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    Raises NonexistentTime in a spring-forward gap (even with ``fold``) and
    AmbiguousTime in a fall-back fold unless ``fold`` (0 = first, earlier
    reading; 1 = second, later reading) says which one is meant.
    """
    if fold not in (None, 0, 1):
        raise ValueError("fold must be None, 0 or 1")
    if at.tzinfo is not None:
        raise ValueError("a wall-clock time has no zone of its own")
    first, second, exists = _readings(day, at, zone)
    if not exists:
        # In a gap fold=0 reads with the old offset (later instant), fold=1 with the new.
        raise NonexistentTime(day, at, zone, later=first, earlier=second)
    if first == second:
        return first
    if fold is None:
        raise AmbiguousTime(day, at, zone, first, second)
    return second if fold else first


def _boundary(day: date, minutes: int, zone: tzinfo) -> datetime:
    """A template boundary as UTC: gap -> the change instant, fold -> first reading."""
    if minutes >= END_OF_DAY:
        day, minutes = day + timedelta(days=1), minutes - END_OF_DAY
    first, second, exists = _readings(day, time(minutes // 60, minutes % 60), zone)
    if exists:
        return first
    # Binary search (whole seconds) for the first instant with the new offset.
    lo, hi = int(second.timestamp()), int(first.timestamp())
    new_offset = first.astimezone(zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == new_offset:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


# ---------------------------------------------------------- recurrence


@dataclass(frozen=True)
class Occurrence:
    """One date of a recurring series: its UTC start, or why it has none."""

    day: date
    start: datetime | None
    problem: LocalTimeError | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def expand_series(
    start_local_day: date,
    at: time,
    zone: tzinfo,
    every_weeks: int,
    count: int,
    *,
    fold: int | None = None,
) -> list[Occurrence]:
    """Each occurrence of "every N weeks at HH:MM", resolved separately.

    Nothing is skipped or shifted silently: an occurrence that falls in a
    DST gap or fold carries its LocalTimeError, so the caller can report it
    (and conflicts) per date before anything is saved.  ``fold`` applies to
    every ambiguous occurrence.
    """
    if not (isinstance(every_weeks, int) and 1 <= every_weeks <= MAX_EVERY_WEEKS):
        raise ValueError(f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks")
    if not (isinstance(count, int) and 1 <= count <= MAX_OCCURRENCES):
        raise ValueError(f"A series has 1 to {MAX_OCCURRENCES} occurrences")
    out = []
    for i in range(count):
        day = start_local_day + timedelta(weeks=every_weeks * i)
        try:
            out.append(Occurrence(day, resolve_local(day, at, zone, fold)))
        except LocalTimeError as exc:
            out.append(Occurrence(day, None, exc))
    return out
