"""The demo clinic: 5 providers, ~2,000 patients and a busy, lifelike "today".

For trying the app, screenshots and UI tests.  The day is laid out relative
to ``now``; ``demo_clock`` gives a mid-day clock, so run the app on the same
clock and the board is a live mid-day one whatever the hour.  Scripted
patients add realistic duplicate risk (same name and date of birth, accented
and not) and hard-to-render names on top of the random ones.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from coordtui.clock import LAID_OUT_AT, Clock, midday_clock, real_clock
from coordtui.demo.histories import RowMaker
from coordtui.demo.ids import S_CHECK, S_CLINIC, S_PROVIDER, Ids
from coordtui.demo.names import nfc, slug
from coordtui.demo.people import COMMERCIAL, MEDICARE, PatientFactory
from coordtui.demo.visits import (
    DAY_KEYS,
    WALK_IN_ROUTINE,
    WALK_IN_URGENT,
    Visit,
    day_sessions,
    decorate,
    pack,
    plan_day,
)
from coordtui.demo.writer import (
    APPOINTMENT_COLUMNS,
    PATIENT_COLUMNS,
    clinic_row,
    naive_utc,
    remove_store,
    ts,
    write_all,
)
from coordtui.domain.days import local_today
from coordtui.domain.status import Status
from coordtui.store.db import open_store
from coordtui.store.files import ensure_private_file

DEFAULT_TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class DemoSummary:
    clinic_id: str
    providers: int
    patients: int
    appointments_today: int


DEMO_PATIENTS = 2000
DEMO_CLINIC = "Riverside Community Health Center"

# Open seven days, so the demo board is busy whatever day it is run.  Each
# provider has one weekday off; weekends run 09:00-17:00 with a lunch hour.
_WEEKEND = [["09:00", "13:00"], ["14:00", "17:00"]]
_DEMO_PROVIDERS = (
    # name, short name, specialty, day off, weekday sessions
    ("Amara Okafor, MD", "Dr Okafor", "Family medicine", "sun", [["08:00", "12:00"], ["13:00", "17:00"]]),
    ("Sofía Ramírez-Ortiz, MD", "Dr Ramírez", "Pediatrics", "sat", [["08:30", "12:00"], ["13:00", "17:30"]]),
    ("Minh Nguyễn, DO", "Dr Nguyễn", "Internal medicine", "wed", [["07:30", "11:30"], ["12:30", "16:30"]]),
    ("Priya D'Souza, NP", "NP D'Souza", "Family nurse practitioner", "mon", [["10:00", "14:00"], ["14:30", "18:30"]]),
    ("Yusuf Haddad, MD", "Dr Haddad", "Internal medicine", "thu", [["08:00", "12:00"], ["13:00", "17:00"]]),
)  # fmt: skip
_PEDIATRICS = 1  # index into _DEMO_PROVIDERS

# Patients written over the first random rows: realistic duplicate risk
# (same name, same DOB; accented vs unaccented) and hard-to-render names.
# (given, family, sex, dob, language, interpreter_needed)
_SCRIPTED = (
    ("John", "Smith", "male", "1978-03-14", "en", False),
    ("John", "Smith", "male", "1978-03-14", "en", False),
    ("John", "Smith", "male", "1985-11-02", "en", False),
    ("John", "Smith", "male", "1949-07-21", "en", False),
    ("Jon", "Smith", "male", "1978-03-14", "en", False),
    ("María", "García", "female", "1990-05-09", "es", True),
    ("Maria", "Garcia", "female", "1990-05-09", "en", False),
    ("José", "García Márquez", "male", "1962-10-30", "es", False),
    ("Zoë", "O'Brien", "female", "2001-02-17", "en", False),
    ("Jean-Luc", "D'Angelo", "male", "1957-08-05", "fr", False),
    ("Anne-Marie", "Smith-Jones", "female", "1983-12-24", "en", False),
    ("Pieter", "van der Berg", "male", "1970-04-01", "en", False),
    ("Lucía", "de la Cruz", "female", "1995-06-12", "es", False),
    ("Văn An", "Nguyễn", "male", "1948-09-19", "vi", True),
    ("Thị Lan", "Nguyễn", "female", "1952-01-30", "vi", True),
    ("伟", "王", "male", "1971-01-08", "zh", True),
    ("伟", "王", "male", "1971-01-08", "zh", False),
    ("Дмитрий", "Иванов", "male", "1966-11-11", "ru", True),
    ("محمد", "الحسن", "male", "1988-07-04", "ar", True),
    ("Αλέξανδρος", "Παπαδόπουλος", "male", "1975-03-25", "el", False),
    ("花子", "佐藤", "female", "1993-08-15", "ja", False),
    ("Jürgen", "Müller", "male", "1959-05-05", "de", False),
)
_DEMO_WALK_INS = (
    # status, arrived this many minutes before now, priority
    (Status.ARRIVED, 8, "urgent"),
    (Status.ARRIVED, 32, "routine"),  # past the 20-minute alert
    (Status.IN_ROOM, 27, "urgent"),
    (Status.LEFT, 105, "routine"),
    (Status.DONE, 140, "routine"),  # after opening even at the weekend (09:00) at 11:30
)


def _demo_schedule(day_off: str, weekday: list) -> dict:
    return {
        key: (_WEEKEND if key in ("sat", "sun") else weekday) for key in DAY_KEYS if key != day_off
    }


_P = {name: i for i, name in enumerate(PATIENT_COLUMNS)}
_A = {name: i for i, name in enumerate(APPOINTMENT_COLUMNS)}


def _coverage_checks(rng, ids, patients: list, appointments: list, now: datetime) -> list:
    """Coverage verified as a real desk would have: at today's arrivals mostly, and for
    the visits still to come, most within the month, some long ago, a few never (the
    queue's `$` then marks only those)."""
    insured = {row[_P["id"]]: row for row in patients if row[_P["payer"]]}  # Self-pay too
    rows, seen = [], set()
    day_start = now - timedelta(hours=now.hour, minutes=now.minute)
    for appointment in appointments:
        patient = insured.get(appointment[_A["patient_id"]])
        start = datetime.fromisoformat(appointment[_A["start_utc"]])
        if patient is None or patient[_P["id"]] in seen or not day_start <= start:
            continue
        seen.add(patient[_P["id"]])
        arrived = appointment[_A["arrived_at"]]
        roll = rng.random()
        if arrived and roll < 0.9:
            at, visit = datetime.fromisoformat(arrived), appointment[_A["id"]]
        elif roll < 0.75:
            at, visit = now - timedelta(days=rng.randint(1, 25), minutes=rng.randint(0, 600)), None
        elif roll < 0.9:
            at, visit = now - timedelta(days=rng.randint(45, 300)), None
        else:
            continue  # never verified
        rows.append(
            (
                ids(S_CHECK, len(rows)), patient[_P["id"]], visit, patient[_P["payer"]],
                patient[_P["member_id"]], patient[_P["copay_cents"]], ts(at), "reception",
            )
        )  # fmt: skip
    return rows


def demo_clock(base: Clock = real_clock, timezone: str = DEFAULT_TIMEZONE) -> Clock:
    """The clock the demo runs on: ``base`` shifted to mid-day in the clinic's zone if needed.

    Generate with ``now=clock()`` and give the same clock to the Service, and
    the board is a live mid-day one at any hour (coordtui.clock.midday_clock).
    """
    return midday_clock(ZoneInfo(timezone), base)


def generate_demo(
    path: Path,
    now: datetime | None = None,
    seed: int = 7,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> DemoSummary:
    """Replace ``path`` with a lifelike demo clinic as of ``now``.

    Today's statuses are realistic relative to ``now`` when ``now`` falls in
    clinic hours; pass ``demo_clock()()`` and run the app on that clock, so it
    always does.  For any other ``now`` the day is laid out as it looks at the
    nearest sensible time (2 hours after opening at the earliest, 1 hour
    before closing at the latest), so that every status still occurs.
    """
    now = naive_utc(now or demo_clock(timezone=timezone)())
    zone = ZoneInfo(timezone)
    today = local_today(now, zone)
    rng = random.Random(seed)
    opened = now - timedelta(days=8 * 365)
    ids = Ids(seed, opened)
    clinic_id = ids(S_CLINIC, 0)

    # Providers
    schedules = [_demo_schedule(off, hours) for _, _, _, off, hours in _DEMO_PROVIDERS]
    provider_ids = [ids(S_PROVIDER, i) for i in range(len(_DEMO_PROVIDERS))]
    provider_rows = [
        (pid, clinic_id, name, short, specialty, json.dumps(schedule), 15, 1)
        for pid, (name, short, specialty, _, _), schedule in zip(
            provider_ids, _DEMO_PROVIDERS, schedules, strict=True
        )
    ]

    # Patients: random rows, then the scripted ones written over the first few.
    factory = PatientFactory(rng, ids, clinic_id, now, today, DEMO_PATIENTS, fictional_phones=True)
    patient_rows = [factory.row(i) for i in range(DEMO_PATIENTS)]
    for i, (row, (given, family, sex, dob, language, interpreter)) in enumerate(
        zip(patient_rows, _SCRIPTED, strict=False)
    ):
        row[_P["given_name"]], row[_P["family_name"]] = nfc(given), nfc(family)
        row[_P["preferred_name"]] = ""
        row[_P["sex"]], row[_P["dob"]] = sex, dob
        row[_P["preferred_language"]], row[_P["interpreter_needed"]] = language, int(interpreter)
        latin = slug(given) and slug(family)
        row[_P["email"]] = f"{slug(given)}.{slug(family)}{i}@example.org" if latin else ""
        if row[_P["payer"]] == MEDICARE[0] and _age(date.fromisoformat(dob), today) < 65:
            payer, prefix, copays = COMMERCIAL[0]
            row[_P["payer"]], row[_P["member_id"]] = payer, prefix + row[_P["member_id"]][3:]
            row[_P["copay_cents"]] = copays[0]
    ages = [_age(date.fromisoformat(row[_P["dob"]]), today) for row in patient_rows]
    kids = [i for i, age in enumerate(ages) if age < 18]
    adults = [i for i, age in enumerate(ages) if age >= 18]

    # Today: pack every session, keep a realistic share, set statuses.
    sessions = {p: day_sessions(schedules[p], today, zone) for p in range(len(schedules))}
    all_sessions = [pair for pairs in sessions.values() for pair in pairs]
    first_open = min(begin for begin, _ in all_sessions)
    last_close = max(end for _, end in all_sessions)
    # Never clamped on a mid-day clock (11:00-15:00 lies inside every day's range).
    anchor = min(max(now, first_open + timedelta(hours=2)), last_close - timedelta(hours=1))
    packed = [v for p in range(len(schedules)) for v in pack(rng, p, sessions[p])]
    keep = min(len(packed), rng.randint(72, 96))
    today_visits = sorted(rng.sample(packed, keep), key=lambda v: (v.start, v.provider))
    plan_day(rng, today_visits, anchor)
    _ensure_every_status(rng, today_visits, anchor)
    done = [v for v in today_visits if v.status == Status.DONE]
    rng.choice(done).story = "corrected_no_show"

    working = [p for p, pairs in sessions.items() if pairs]
    for status, minutes_ago, priority in _DEMO_WALK_INS:
        arrived = anchor - timedelta(minutes=minutes_ago, seconds=rng.randrange(60))
        provider = rng.choice(working)
        reasons = WALK_IN_URGENT if priority == "urgent" else WALK_IN_ROUTINE
        today_visits.append(
            Visit(
                provider, arrived, arrived + timedelta(minutes=15), "Walk-in", kind="walk_in",
                priority=priority, reason=rng.choice(reasons), status=status,
            )
        )  # fmt: skip
    today_visits.sort(key=lambda v: (v.start, v.provider))

    # Patients for today: no one twice; the same-DOB John Smiths both come.
    used: set[int] = {0, 1}  # kept for the John Smiths below
    for visit in today_visits:
        pool = kids if visit.provider == _PEDIATRICS else adults
        visit.patient = _draw_patient(rng, pool, used)
    adult_visits = [v for v in today_visits if v.provider != _PEDIATRICS and v.kind == "scheduled"]
    for visit, patient in zip(rng.sample(adult_visits, 2), (0, 1), strict=True):
        visit.patient = patient

    # A few visits on the days around today, so day navigation shows something.
    other_visits: list[Visit] = []
    for offset in (-1, 1, 2, 3, 4, 5, 6, 7):
        day = today + timedelta(days=offset)
        day_packed = [
            v
            for p in range(len(schedules))
            for v in pack(rng, p, day_sessions(schedules[p], day, zone))
        ]
        count = rng.randint(8, 12) if offset < 0 else rng.randint(4, 9)
        chosen = sorted(rng.sample(day_packed, min(count, len(day_packed))), key=lambda v: v.start)
        plan_day(rng, chosen, now)
        for visit in chosen:
            visit.patient = rng.choice(kids if visit.provider == _PEDIATRICS else adults)
        other_visits.extend(chosen)

    maker = RowMaker(ids, clinic_id, provider_ids)
    appointment_rows, event_rows = [], []
    for visits, at in ((sorted(other_visits, key=lambda v: v.start), now), (today_visits, anchor)):
        for visit in visits:
            if visit.kind == "scheduled":
                decorate(rng, visit)
            appointment, events = maker.rows(rng, visit, at)
            appointment_rows.append(appointment)
            event_rows.extend(events)

    remove_store(path)
    open_store(path).dispose()
    write_all(
        path,
        {
            "clinic": [clinic_row(clinic_id, DEMO_CLINIC, timezone, opened)],
            "provider": provider_rows,
            "patient": [tuple(row) for row in patient_rows],
            "appointment": appointment_rows,
            "status_event": event_rows,
            "coverage_check": _coverage_checks(rng, ids, patient_rows, appointment_rows, anchor),
            "meta": [("clinic_id", clinic_id), ("demo", "1"), (LAID_OUT_AT, ts(anchor))],
        },
    )
    ensure_private_file(path)
    return DemoSummary(clinic_id, len(provider_rows), len(patient_rows), len(today_visits))


def _age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def _draw_patient(rng: random.Random, pool: list[int], used: set[int]) -> int:
    """A random patient from ``pool`` not yet booked today."""
    while True:
        candidate = pool[int(rng.random() * len(pool))]
        if candidate not in used:
            used.add(candidate)
            return candidate


def _ensure_every_status(rng: random.Random, visits: list[Visit], anchor: datetime) -> None:
    """Rewrite a few ordinary visits so that each status shows up today.

    Arrived and in-room are covered by the scripted walk-ins; the rest take
    over a past "done" visit, or a later visit for "booked".
    """
    present = {v.status for v in visits}
    for status in (
        Status.NO_SHOW,
        Status.CANCELLED,
        Status.LEFT,
        Status.ENTERED_IN_ERROR,
        Status.BOOKED,
    ):
        if status in present:
            continue
        if status == Status.BOOKED:
            later = [v for v in visits if v.start > anchor]
            candidates = later or [max(visits, key=lambda v: v.start)]
        else:
            candidates = [
                v for v in visits if v.status == Status.DONE and v.end + v.delay <= anchor
            ]
        rng.choice(candidates).status = status
        present.add(status)
