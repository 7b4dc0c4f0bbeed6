"""The scale seeder: a large synthetic store (up to millions of patients) for performance work.

Same row builders as the demo clinic, written in batches with journaling off
and secondary indexes rebuilt at the end; providers and visits per day grow
with the patient count (``seed_plan``).
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from coordtui.clock import LAID_OUT_AT
from coordtui.demo.clinic import DEFAULT_TIMEZONE, demo_clock
from coordtui.demo.histories import RowMaker
from coordtui.demo.ids import S_CLINIC, S_PROVIDER, Ids
from coordtui.demo.names import CULTURE_CUM, CULTURES
from coordtui.demo.people import PatientFactory
from coordtui.demo.sampling import pick_cum
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
    check_columns,
    clinic_row,
    insert,
    naive_utc,
    remove_store,
    ts,
)
from coordtui.domain.days import local_today
from coordtui.domain.status import Status
from coordtui.store.db import open_store
from coordtui.store.files import ensure_private_file
from coordtui.store.search import rebuild_index

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SeedSummary:
    clinic_id: str
    providers: int
    patients: int
    appointments: int
    status_events: int
    days: int
    seconds: float


SEED_APPOINTMENTS_PER_PROVIDER = 20  # per day; a packed 8-hour day holds ~23
SEED_MAX_PROVIDERS = 200
SEED_BATCH = 20_000  # rows per executemany / progress call
SEED_CLINIC = "Lakeshore Regional Health (seeded)"
# Seeded providers work every day, in one of four shifts, so that per-day
# appointment counts do not depend on the weekday the benchmark runs on.
_SHIFTS = (
    [["07:30", "11:30"], ["12:30", "16:30"]],
    [["08:00", "12:00"], ["13:00", "17:00"]],
    [["09:00", "13:00"], ["14:00", "18:00"]],
    [["10:00", "14:00"], ["15:00", "19:00"]],
)
_SPECIALTIES = (
    "Family medicine",
    "Internal medicine",
    "Pediatrics",
    "Geriatrics",
    "Women's health",
)


def seed_plan(patients: int) -> tuple[int, int]:
    """(providers, appointments per day) for a seeded store of ``patients``.

    About one visit a day per 100 patients, ~20 per provider, so one
    provider per 2,000 patients, capped at 200 providers; a day never holds
    more than ~92% of what the sessions fit, so from 400,000 patients up it
    levels off at 4,000-4,400 visits a day.
    """
    per_day = max(1, round(patients / 100))
    providers = min(SEED_MAX_PROVIDERS, max(1, math.ceil(per_day / SEED_APPOINTMENTS_PER_PROVIDER)))
    return providers, per_day


def _seed_providers(rng: random.Random, ids: Ids, clinic_id: str, count: int):
    """Provider rows with distinct, realistic short names, plus their schedules.

    A short name is how the desk says it: "Dr García", never cut or numbered.
    Two "Dr García"s would be ambiguous on the board, so the second becomes
    "Dr M. García" (the given name's initial), and a person whose both forms
    are taken is drawn again.
    """
    rows, schedules, shorts = [], [], set()
    while len(rows) < count:
        culture = CULTURES[pick_cum(rng, CULTURE_CUM)]
        female = rng.random() < 0.55
        given = rng.choice(culture.female if female else culture.male)
        family = rng.choice(culture.family)
        g, f = (given.latin_f, family.latin_f) if female else (given.latin_m, family.latin_m)
        title, credential = ("NP", "NP") if rng.random() < 0.2 else ("Dr", rng.choice(("MD", "DO")))
        short = next((s for s in (f"{title} {f}", f"{title} {g[0]}. {f}") if s not in shorts), None)
        if short is None:
            continue
        shorts.add(short)
        i = len(rows)
        schedule = {key: _SHIFTS[i % len(_SHIFTS)] for key in DAY_KEYS}
        schedules.append(schedule)
        rows.append(
            (
                ids(S_PROVIDER, i), clinic_id, f"{g} {f}, {credential}", short,
                rng.choice(_SPECIALTIES), json.dumps(schedule), 15, 1,
            )
        )  # fmt: skip
    return rows, schedules


def _seed_walk_ins(rng, count: int, sessions: dict[int, list], now: datetime) -> list[Visit]:
    """Walk-ins that arrived during today's opening hours before ``now``."""
    working = [p for p, pairs in sessions.items() if pairs]
    if not working or count <= 0:
        return []
    first_open = min(pairs[0][0] for pairs in sessions.values() if pairs)
    last_close = max(pairs[-1][1] for pairs in sessions.values() if pairs)
    latest = min(now, last_close) - timedelta(minutes=1)
    earliest = max(first_open, latest - timedelta(hours=4))
    if latest <= earliest:
        return []
    out = []
    for _ in range(count):
        arrived = earliest + (latest - earliest) * rng.random()
        waited = (now - arrived).total_seconds() / 60
        if waited < 15:
            status = Status.ARRIVED
        elif waited < 45:
            status = rng.choice((Status.ARRIVED, Status.IN_ROOM))
        else:
            status = Status.DONE if rng.random() < 0.85 else Status.LEFT
        urgent = rng.random() < 0.25
        reasons = WALK_IN_URGENT if urgent else WALK_IN_ROUTINE
        out.append(
            Visit(
                rng.choice(working), arrived, arrived + timedelta(minutes=15), "Walk-in",
                kind="walk_in", priority="urgent" if urgent else "routine",
                reason=rng.choice(reasons), status=status,
            )
        )  # fmt: skip
    return out


def seed_store(
    path: Path,
    patients: int,
    days: int,
    now: datetime | None = None,
    seed: int = 11,
    progress: Progress | None = None,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> SeedSummary:
    """Replace ``path`` with a large synthetic store, fast.

    An existing file (and its -wal/-shm) is deleted first: seeding never
    merges into real data.  The schema comes from ``open_store``; rows go in
    with raw ``executemany`` in one transaction, with journaling and fsync
    off and secondary indexes dropped, then rebuilt by sort, which is several
    times faster than maintaining them row by row.  A failure deletes the
    half-written file.  At the end the store is back in WAL mode, ANALYZEd,
    and opens normally.  Providers and appointments per day follow
    ``seed_plan``; appointments cover ``days`` days from today, with today's
    statuses realistic relative to ``now`` (default: the demo's mid-day clock,
    so a store seeded at any hour has a live mid-day "today").

    ``progress(stage, done, total)`` is called per batch; stages are
    "patients", "appointments", "indexes", "search index" and "analyze".
    """
    if patients < 1:
        raise ValueError("patients must be at least 1")
    if days < 0:
        raise ValueError("days cannot be negative")
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    now = naive_utc(now or demo_clock(timezone=timezone)())
    zone = ZoneInfo(timezone)
    today = local_today(now, zone)
    rng = random.Random(seed)
    opened = now - timedelta(days=8 * 365)
    ids = Ids(seed, opened)
    clinic_id = ids(S_CLINIC, 0)
    provider_count, per_day = seed_plan(patients)

    remove_store(path)
    open_store(path).dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        check_columns(conn)
        # Fast and unsafe, only while nobody else can have the file open.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN EXCLUSIVE")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('patient', 'appointment', 'status_event') ORDER BY name"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        insert(conn, "clinic", [clinic_row(clinic_id, SEED_CLINIC, timezone, opened)])
        provider_rows, schedules = _seed_providers(rng, ids, clinic_id, provider_count)
        insert(conn, "provider", provider_rows)

        factory = PatientFactory(rng, ids, clinic_id, now, today, patients, fictional_phones=False)
        report("patients", 0, patients)
        row = factory.row
        for begin in range(0, patients, SEED_BATCH):
            end = min(patients, begin + SEED_BATCH)
            insert(conn, "patient", [tuple(row(i)) for i in range(begin, end)])
            report("patients", end, patients)

        maker = RowMaker(ids, clinic_id, [r[0] for r in provider_rows])
        report("appointments", 0, days)
        for offset in range(days):
            day = today + timedelta(days=offset)
            sessions = {p: day_sessions(schedules[p], day, zone) for p in range(provider_count)}
            packed = [v for p in range(provider_count) for v in pack(rng, p, sessions[p])]
            keep = min(per_day, int(len(packed) * 0.92))
            visits = sorted(rng.sample(packed, keep), key=lambda v: (v.provider, v.start))
            plan_day(rng, visits, now)
            if offset == 0:
                visits += _seed_walk_ins(rng, keep // 50, sessions, now)
            visits.sort(key=lambda v: (v.start, v.provider))
            appointment_rows, event_rows = [], []
            for visit in visits:
                visit.patient = rng.randrange(patients)
                if visit.kind == "scheduled":
                    decorate(rng, visit)
                appointment, events = maker.rows(rng, visit, now)
                appointment_rows.append(appointment)
                event_rows.extend(events)
            insert(conn, "appointment", appointment_rows)
            insert(conn, "status_event", event_rows)
            report("appointments", offset + 1, days)

        report("indexes", 0, len(indexes))
        for i, (_, sql) in enumerate(indexes, 1):
            conn.execute(sql)
            report("indexes", i, len(indexes))
        # Raw inserts bypass the mutations that keep the search index current.
        rebuild_index(conn, progress=lambda done, total: report("search index", done, total))
        seed_meta = json.dumps({"patients": patients, "days": days, "seed": seed})
        meta = [("clinic_id", clinic_id), ("demo", "1"), ("seed", seed_meta)]
        insert(conn, "meta", [*meta, (LAID_OUT_AT, ts(now))])
        conn.execute("COMMIT")

        report("analyze", 0, 1)
        conn.execute("ANALYZE")
        report("analyze", 1, 1)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        remove_store(path)
        raise
    conn.close()
    ensure_private_file(path)
    return SeedSummary(
        clinic_id=clinic_id,
        providers=provider_count,
        patients=patients,
        appointments=maker.appointments,
        status_events=maker.events,
        days=days,
        seconds=time.perf_counter() - started,
    )
