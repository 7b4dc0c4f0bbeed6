"""Reads for booking: availability, free slots, the day grid and the waitlist.

Plain sqlite3 like coordtui.store.reads, so the Book screen never waits for
the ORM import; the booking rules themselves are the pure ones in
coordtui.domain (schedule, slots).  The small row-to-domain converters here
are shared with the mutations, so a schedule exception means the same thing
to the finder on the desk and to the check that saves a booking.

Every function takes the connection first (``Reads.run(fn, *args)``).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple

from coordtui.domain import schedule as sched
from coordtui.domain.days import day_bounds_utc, db_text, local, parse_db
from coordtui.domain.instants import utc
from coordtui.domain.schedule import Interval, WeeklyTemplate
from coordtui.domain.slots import (
    DEFAULT_SLOT_MINUTES,
    DEFAULT_TYPES,
    MAX_MINUTES,
    AppointmentType,
    Booked,
    Modality,
    Slot,
    free_slots,
)
from coordtui.domain.status import ACTIVE
from coordtui.read_models.booking import (
    BookingLinks,
    DayGrid,
    ExceptionRow,
    ProviderSetup,
    WaitlistRow,
)
from coordtui.store.reads import _QUEUE_SQL, _queue_row

ACTIVE_STATUSES: tuple[str, ...] = tuple(sorted(s.value for s in ACTIVE))
# No appointment is longer than this, so "starts after start - MAX_SPAN" bounds an
# overlap query on the (provider_id, start_utc) index instead of scanning.
MAX_SPAN = timedelta(minutes=MAX_MINUTES)
SEARCH_DAYS = 90  # how far "next available" looks
# The finder looks a few days ahead first and widens only if that is not enough:
# a busy clinic's next free slots are usually this week, and loading 90 days of
# appointments costs more than the search itself.
_SEARCH_STAGES = (3, 14, SEARCH_DAYS)
_EMPTY_TEMPLATE = WeeklyTemplate(((),) * 7)
OPEN_WAITLIST = ("open", "offered")


# ----------------------------------------------------- row -> domain


def domain_type(name: str, minutes: int, modalities: str) -> AppointmentType:
    """A stored appointment type as the domain's, ignoring unknown modality names."""
    known = {m.value for m in Modality}
    chosen = frozenset(m for m in (modalities or "").split(",") if m in known)
    return AppointmentType(name, int(minutes), chosen or frozenset(Modality))


def domain_exceptions(
    first_day: date,
    last_day: date,
    start_time: str | None,
    end_time: str | None,
    kind: str,
    reason: str = "",
) -> list[sched.ScheduleException]:
    """One stored exception as domain closures/extras (an extra covers each day of its range)."""
    session = sched.Session.parse(start_time, end_time) if start_time and end_time else None
    if kind == "extra":
        if session is None:
            return []
        days = (last_day - first_day).days + 1
        return [
            sched.ExtraSession(first_day + timedelta(days=i), session, reason) for i in range(days)
        ]
    return [sched.Closure(first_day, last_day, session, reason)]


def template_or_empty(schedule_json: str) -> WeeklyTemplate:
    """A provider's template; a broken one reads as no hours (the mutations say why)."""
    try:
        return sched.parse_template(schedule_json or "{}")
    except sched.ScheduleError:
        return _EMPTY_TEMPLATE


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# -------------------------------------------------------------- types


def appointment_types(conn: sqlite3.Connection) -> list[AppointmentType]:
    """Active types in the order they were added; DEFAULT_TYPES while the table is empty."""
    rows = conn.execute(
        "SELECT name, minutes, modalities, active FROM appointment_type ORDER BY rowid"
    ).fetchall()
    if not rows:
        return list(DEFAULT_TYPES)
    return [domain_type(n, m, mods) for n, m, mods, active in rows if active]


# --------------------------------------------------------- providers


def provider_setups(
    conn: sqlite3.Connection, provider_id: str | None = None
) -> list[ProviderSetup]:
    """Active providers (or the one asked for, active or not), with their rules."""
    sql = (
        "SELECT p.id, p.short_name, p.schedule_json, p.slot_minutes, "
        "COALESCE(b.overbook_allowance, 0), p.active "
        "FROM provider p LEFT JOIN provider_booking b ON b.provider_id = p.id "
    )
    if provider_id is None:
        rows = conn.execute(sql + "WHERE p.active ORDER BY p.id").fetchall()
    else:
        rows = conn.execute(sql + "WHERE p.id = ?", (provider_id,)).fetchall()
    return [
        ProviderSetup(
            r[0], r[1], template_or_empty(r[2]), r[3] or DEFAULT_SLOT_MINUTES, r[4], bool(r[5])
        )
        for r in rows
    ]


def exceptions_by_provider(
    conn: sqlite3.Connection, provider_ids: list[str], first_day: date, last_day: date
) -> dict[str, list[sched.ScheduleException]]:
    out: dict[str, list[sched.ScheduleException]] = {pid: [] for pid in provider_ids}
    if not provider_ids:
        return out
    marks = ",".join("?" * len(provider_ids))
    rows = conn.execute(
        "SELECT provider_id, first_day, last_day, start_time, end_time, kind, reason "
        f"FROM schedule_exception WHERE provider_id IN ({marks}) "
        "AND last_day >= ? AND first_day <= ? ORDER BY rowid",
        (*provider_ids, first_day.isoformat(), last_day.isoformat()),
    ).fetchall()
    for pid, first, last, start, end, kind, reason in rows:
        out[pid].extend(
            domain_exceptions(_as_date(first), _as_date(last), start, end, kind, reason)
        )
    return out


def availability_by_provider(
    conn: sqlite3.Connection,
    setups: list[ProviderSetup],
    first_day: date,
    last_day: date,
    zone: tzinfo,
) -> dict[str, list[Interval]]:
    ids = [s.id for s in setups]
    exceptions = exceptions_by_provider(conn, ids, first_day, last_day)
    return {
        s.id: sched.availability_span(s.template, exceptions[s.id], first_day, last_day, zone)
        for s in setups
    }


def booked_by_provider(
    conn: sqlite3.Connection, provider_ids: list[str], lo: datetime, hi: datetime
) -> dict[str, list[Booked]]:
    """Active appointments of these providers overlapping [lo, hi), in one indexed query."""
    out: dict[str, list[Booked]] = {pid: [] for pid in provider_ids}
    if not provider_ids:
        return out
    marks = ",".join("?" * len(provider_ids))
    statuses = ",".join("?" * len(ACTIVE_STATUSES))
    rows = conn.execute(
        "SELECT id, provider_id, patient_id, start_utc, end_utc, status FROM appointment "
        f"WHERE provider_id IN ({marks}) AND start_utc >= ? AND start_utc < ? "
        f"AND end_utc > ? AND status IN ({statuses})",
        (*provider_ids, db_text(lo - MAX_SPAN), db_text(hi), db_text(lo), *ACTIVE_STATUSES),
    ).fetchall()
    parse = datetime.fromisoformat
    for aid, pid, patient, start, end, status in rows:
        out[pid].append(
            Booked(
                aid,
                pid,
                patient,
                parse(start).replace(tzinfo=UTC),
                parse(end).replace(tzinfo=UTC),
                status,
            )
        )
    return out


class Busy(NamedTuple):
    """An active appointment as the finder needs it: a tuple is ~10x cheaper than Booked.

    ``free_slots`` reads only ``start``, ``end`` and ``status``, and a 90-day
    window holds tens of thousands of appointments.
    """

    start: datetime
    end: datetime
    status: str


def busy_by_provider(
    conn: sqlite3.Connection, provider_ids: list[str], lo: datetime, hi: datetime
) -> dict[str, list[Busy]]:
    """Like booked_by_provider, but only the times: for the finder's big windows."""
    out: dict[str, list[Busy]] = {pid: [] for pid in provider_ids}
    if not provider_ids:
        return out
    marks = ",".join("?" * len(provider_ids))
    statuses = ",".join("?" * len(ACTIVE_STATUSES))
    rows = conn.execute(
        "SELECT provider_id, start_utc, end_utc, status FROM appointment "
        f"WHERE provider_id IN ({marks}) AND start_utc >= ? AND start_utc < ? "
        f"AND end_utc > ? AND status IN ({statuses})",
        (*provider_ids, db_text(lo - MAX_SPAN), db_text(hi), db_text(lo), *ACTIVE_STATUSES),
    )
    # Appointments sit on a slot grid and one's end is often the next one's start, so
    # a few thousand distinct texts cover a window: parse each once.
    parse = datetime.fromisoformat
    seen: dict[str, datetime] = {}
    for pid, start, end, status in rows:
        s = seen.get(start)
        if s is None:
            s = seen[start] = parse(start).replace(tzinfo=UTC)
        e = seen.get(end)
        if e is None:
            e = seen[end] = parse(end).replace(tzinfo=UTC)
        out[pid].append(Busy(s, e, status))
    return out


# ------------------------------------------------------------ finder


def next_free_slots(
    conn: sqlite3.Connection,
    zone: tzinfo,
    minutes: int,
    provider_id: str | None,
    start_from: datetime,
    now: datetime,
    limit: int = 10,
    horizon_days: int = 365,
    stages: tuple[int, ...] = _SEARCH_STAGES,
) -> list[Slot]:
    """The next ``limit`` free slots of ``minutes`` within SEARCH_DAYS (any provider if None).

    Widens the window in stages: slots found in a shorter window are exactly
    the ones a 90-day search would return first, because a slot lies inside
    one day's session and every appointment that could overlap it is loaded.
    """
    if limit <= 0:
        return []
    setups = provider_setups(conn, provider_id)
    setups = [s for s in setups if s.active]
    if not setups:
        return []
    floor = max(start_from, now)
    last_allowed = now + timedelta(days=horizon_days)
    first_day = local(floor, zone).date()
    ids = [s.id for s in setups]
    steps = {s.id: s.slot_minutes for s in setups}
    allowances = {s.id: s.allowance for s in setups}
    slots: list[Slot] = []
    for days in stages:
        last_day = first_day + timedelta(days=days - 1)
        window_end = day_bounds_utc(last_day, zone)[1]
        avail = availability_by_provider(conn, setups, first_day, last_day, zone)
        booked = busy_by_provider(conn, ids, floor, window_end)
        slots = free_slots(
            avail, booked, minutes, floor, limit, step=steps, allowance=allowances, now=now
        )
        slots = [s for s in slots if s.start <= last_allowed]
        if len(slots) >= limit:
            break
    return slots


# ---------------------------------------------------------- day grid


def day_grid(
    conn: sqlite3.Connection,
    zone: tzinfo,
    provider_id: str,
    day: date,
    now: datetime,
    minutes: int | None = None,
) -> DayGrid:
    setups = provider_setups(conn, provider_id)
    lo, hi = day_bounds_utc(day, zone)
    if not setups:
        return DayGrid(provider_id, day, [], [], [])
    setup = setups[0]
    exceptions = exceptions_by_provider(conn, [provider_id], day, day)[provider_id]
    sessions = sched.availability(setup.template, exceptions, day, zone)
    sql = _QUEUE_SQL.replace(
        "WHERE a.start_utc >= ? AND a.start_utc < ?",
        "WHERE a.provider_id = ? AND a.start_utc >= ? AND a.start_utc < ? AND a.end_utc > ?",
    )
    rows = [
        _queue_row(r)
        for r in conn.execute(sql, (provider_id, db_text(lo - MAX_SPAN), db_text(hi), db_text(lo)))
    ]
    booked = [
        Booked(r.id, provider_id, r.patient_id, utc(r.start), utc(r.end), r.status)
        for r in rows
        if r.status in ACTIVE_STATUSES
    ]
    free = free_slots(
        {provider_id: sessions},
        {provider_id: booked},
        minutes or setup.slot_minutes,
        lo,
        limit=24 * 60,
        step=setup.slot_minutes,
        allowance=setup.allowance,
        now=now,
    )
    return DayGrid(provider_id, day, sessions, rows, free, setup.slot_minutes, setup.allowance)


# ----------------------------------------------------------- waitlist


_WAITLIST_SQL = """
SELECT w.id, w.patient_id, p.given_name, p.family_name, p.record_number, p.phone,
       w.type_name, w.provider_id, COALESCE(v.short_name, ''), w.earliest, w.latest,
       w.priority, w.note, w.status, w.created_at, w.appointment_id, w.version
FROM waitlist_entry w
JOIN patient p ON p.id = w.patient_id
LEFT JOIN provider v ON v.id = w.provider_id
"""
_WAITLIST_ORDER = " ORDER BY (w.priority = 'urgent') DESC, w.created_at, w.id"


def _waitlist_row(r: tuple) -> WaitlistRow:
    return WaitlistRow(
        id=r[0],
        patient_id=r[1],
        given_name=r[2],
        family_name=r[3],
        record_number=r[4],
        phone=r[5] or "",
        type_name=r[6],
        provider_id=r[7],
        provider=r[8],
        earliest=_as_date(r[9]),
        latest=_as_date(r[10]),
        priority=r[11],
        note=r[12] or "",
        status=r[13],
        created_at=parse_db(r[14]),
        appointment_id=r[15],
        version=r[16],
    )


def waitlist_open(conn: sqlite3.Connection) -> list[WaitlistRow]:
    """Entries still waiting, urgent first, then the longest-waiting."""
    rows = conn.execute(
        _WAITLIST_SQL + " WHERE w.status IN ('open', 'offered')" + _WAITLIST_ORDER
    ).fetchall()
    return [_waitlist_row(r) for r in rows]


def waitlist_entry(conn: sqlite3.Connection, entry_id: str) -> WaitlistRow | None:
    rows = conn.execute(_WAITLIST_SQL + " WHERE w.id = ?", (entry_id,)).fetchall()
    return _waitlist_row(rows[0]) if rows else None


def waitlist_matching(conn: sqlite3.Connection, slot: Slot, zone: tzinfo) -> list[WaitlistRow]:
    """Waiting entries this slot could serve.

    The slot's clinic-local day lies in the entry's range, the entry wants
    this provider or anyone, and its type's default length fits the slot.
    """
    day = local(slot.start, zone).date().isoformat()
    rows = conn.execute(
        _WAITLIST_SQL
        + " WHERE w.status IN ('open', 'offered') AND w.earliest <= ? AND w.latest >= ? "
        "AND (w.provider_id IS NULL OR w.provider_id = ?)" + _WAITLIST_ORDER,
        (day, day, slot.provider_id),
    ).fetchall()
    lengths = {t.name: t.duration for t in appointment_types(conn)}
    room = slot.end - slot.start
    return [
        row
        for row in map(_waitlist_row, rows)
        if row.type_name in lengths and lengths[row.type_name] <= room
    ]


# -------------------------------------------------------------- links


def booking_links(conn: sqlite3.Connection, appointment_id: str) -> BookingLinks:
    row = conn.execute(
        "SELECT series_id, rescheduled_from, rescheduled_to, override_by "
        "FROM appointment_booking WHERE appointment_id = ?",
        (appointment_id,),
    ).fetchone()
    if row is None:
        return BookingLinks(appointment_id, None, None, None, "")
    return BookingLinks(appointment_id, row[0], row[1], row[2], row[3] or "")


def series_appointments(conn: sqlite3.Connection, series_id: str) -> list[str]:
    """Ids of a series' appointments, by start."""
    rows = conn.execute(
        "SELECT a.id FROM appointment_booking b JOIN appointment a ON a.id = b.appointment_id "
        "WHERE b.series_id = ? ORDER BY a.start_utc, a.id",
        (series_id,),
    ).fetchall()
    return [r[0] for r in rows]


def schedule_exceptions(
    conn: sqlite3.Connection, provider_id: str, first_day: date, last_day: date
) -> list[ExceptionRow]:
    rows = conn.execute(
        "SELECT id, provider_id, first_day, last_day, start_time, end_time, kind, reason "
        "FROM schedule_exception WHERE provider_id = ? AND last_day >= ? AND first_day <= ? "
        "ORDER BY first_day, start_time, id",
        (provider_id, first_day.isoformat(), last_day.isoformat()),
    ).fetchall()
    return [
        ExceptionRow(r[0], r[1], _as_date(r[2]), _as_date(r[3]), r[4], r[5], r[6], r[7] or "")
        for r in rows
    ]
