"""Booking at scale, through the Service (issue 4): next free slot, day grid, book.

    uv run python -m bench.booking [--requests 300] [--history-days 365] [--reuse]

The store: ``seed_store(patients=20,000, days=90)`` gives 10 providers (every
day, two 4-hour sessions) and ~200 visits a day from today for 90 days; a
year of history is then added with raw inserts in seed_store's row format
(``coordtui.demo.writer.APPOINTMENT_COLUMNS``), each provider's past sessions
packed with 15/30-minute visits (95% kept; done, no-show, cancelled), so
the store holds > 100,000 appointments.  The clock is fixed, so runs are
comparable.  Timed, after one unmeasured warm-up call each:

* ``next_free_slots``: Service level, including the SQL that loads the
  window: random type (15 or 30 min), any of the 10 providers, limit 10,
  from a random instant in the next 90 days (and separately from now);
* the same finder made to load the whole 90-day window at once: what a
  search costs when the next two weeks are booked solid;
* ``day_grid``: a random provider and a random day from a year ago to 90
  days ahead;
* ``book``: a real booking (BEGIN IMMEDIATE, synchronous=FULL, outbox) into
  a slot the finder offered.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import OUT, summary_ms
from coordtui.demo.seed import seed_store
from coordtui.demo.writer import APPOINTMENT_COLUMNS
from coordtui.domain.days import db_text, local
from coordtui.domain.schedule import availability_span, parse_template
from coordtui.store import booking_reads
from coordtui.store.files import SCHEMA_VERSION, schema_version

NOW = datetime(2026, 5, 4, 14, 7, tzinfo=UTC)  # Mon 10:07 in New York
PATIENTS = 20_000  # seed_plan: 10 providers, ~200 visits a day
FUTURE_DAYS = 90
TYPES = ("Follow-up", "Consultation", "Lab review", "New patient")


def add_history(path, days: int, seed: int = 3) -> int:
    """Past appointments for every provider's sessions over ``days`` days before today."""
    rng = random.Random(seed)
    with closing(sqlite3.connect(path)) as conn:
        clinic_id, tz = conn.execute("SELECT id, timezone FROM clinic").fetchone()
        zone = ZoneInfo(tz)
        providers = conn.execute("SELECT id, schedule_json FROM provider ORDER BY id").fetchall()
        patients = [r[0] for r in conn.execute("SELECT id FROM patient")]
        today = local(NOW, zone).date()
        rows = []
        serial = 0
        for provider_id, schedule in providers:
            template = parse_template(schedule)
            sessions = availability_span(
                template, [], today - timedelta(days=days), today - timedelta(days=1), zone
            )
            for iv in sessions:
                t = iv.start
                while t < iv.end:
                    end = min(iv.end, t + timedelta(minutes=rng.choice((15, 15, 15, 30))))
                    if rng.random() < 0.95:
                        serial += 1
                        rows.append(_row(rng, serial, clinic_id, provider_id, patients, t, end))
                    t = end
        marks = ",".join("?" * len(APPOINTMENT_COLUMNS))
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO appointment ({', '.join(APPOINTMENT_COLUMNS)}) VALUES ({marks})", rows
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    return len(rows)


def _row(rng, serial, clinic_id, provider_id, patients, start, end) -> tuple:
    roll = rng.random()
    status = "done" if roll < 0.85 else ("no_show" if roll < 0.92 else "cancelled")
    arrived = start - timedelta(minutes=10) if status == "done" else None
    booked = start - timedelta(days=rng.randrange(1, 60))
    values = {
        "id": f"hist-{serial:07d}",
        "clinic_id": clinic_id,
        "patient_id": rng.choice(patients),
        "provider_id": provider_id,
        "start_utc": db_text(start),
        "end_utc": db_text(end),
        "type": "Follow-up" if end - start == timedelta(minutes=15) else "Consultation",
        "modality": "in_person",
        "reason": "",
        "kind": "scheduled",
        "priority": "routine",
        "status": status,
        "status_since": db_text(end),
        "arrived_at": db_text(arrived) if arrived else None,
        "finished_at": db_text(end),
        "cancel_reason": "Patient request" if status == "cancelled" else "",
        "version": 2,
        "created_at": db_text(booked),
        "created_by": "bench",
        "updated_at": db_text(end),
        "updated_by": "bench",
    }
    return tuple(values[c] for c in APPOINTMENT_COLUMNS)


def build(history_days: int, reuse: bool):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"booking-{PATIENTS}-{history_days}.db"
    marker = path.with_suffix(".done")
    if reuse and marker.exists() and path.exists() and schema_version(path) == SCHEMA_VERSION:
        return path, "reused"
    t0 = time.perf_counter()
    summary = seed_store(path, PATIENTS, FUTURE_DAYS, now=NOW)
    added = add_history(path, history_days)
    marker.write_text("ok")
    return path, (
        f"seeded {summary.providers} providers, {summary.appointments:,} appointments "
        f"(today + {FUTURE_DAYS - 1} days) and {added:,} of history in "
        f"{time.perf_counter() - t0:.1f} s"
    )


def timed(fn, cases) -> list[float]:
    fn(*cases[0])  # warm-up: first query plans, page cache
    out = []
    for case in cases:
        t0 = time.perf_counter()
        fn(*case)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse the store of an earlier run")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from coordtui.service import Service

    path, how = build(args.history_days, args.reuse)
    svc = Service(path, actor="bench", clock=lambda: NOW)
    total = svc.reads.run(lambda c: c.execute("SELECT count(*) FROM appointment").fetchone()[0])
    providers = svc.providers()
    window = svc.reads.run(
        lambda c: c.execute(
            "SELECT count(*) FROM appointment WHERE start_utc >= ? AND start_utc < ?",
            (db_text(NOW), db_text(NOW + timedelta(days=FUTURE_DAYS))),
        ).fetchone()[0]
    )
    print(f"store: {path} ({how})")
    print(
        f"{total:,} appointments, {len(providers)} providers, {window:,} in the next "
        f"{FUTURE_DAYS} days"
    )

    n = args.requests
    anywhere = [
        (rng.choice(TYPES), None, NOW + timedelta(minutes=rng.randrange(FUTURE_DAYS * 24 * 60)))
        for _ in range(n)
    ]
    from_now = [(rng.choice(TYPES), None, NOW) for _ in range(n)]
    one = [(rng.choice(TYPES), rng.choice(providers).id, NOW) for _ in range(n)]
    found = []

    def finder(type_name, provider_id, start):
        found.append(svc.next_free_slots(type_name, provider_id, start, limit=10))

    print(
        f"next_free_slots, any provider, from a random time: {summary_ms(timed(finder, anywhere))}"
    )
    print(f"next_free_slots, any provider, from now: {summary_ms(timed(finder, from_now))}")
    print(f"next_free_slots, one provider, from now: {summary_ms(timed(finder, one))}")
    assert all(len(f) == 10 for f in found), "the finder came back short"

    zone = svc.zone

    def whole_window(type_name, provider_id, start):
        svc.reads.run(
            booking_reads.next_free_slots, zone, 15, provider_id, start, NOW, 10, 365, (90,)
        )

    cases = anywhere[: max(20, n // 5)]
    print(
        "next_free_slots, made to load all 90 days at once (nothing free nearby): "
        f"{summary_ms(timed(whole_window, cases))}"
    )

    today = svc.today()
    grids = [
        (rng.choice(providers).id, today + timedelta(days=rng.randrange(-365, FUTURE_DAYS)))
        for _ in range(n)
    ]
    sizes = []

    def grid(provider_id, day):
        sizes.append(len(svc.day_grid(provider_id, day).appointments))

    print(f"day_grid, random provider and day: {summary_ms(timed(grid, grids))}")
    print(f"  (appointments per grid: median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)})")

    patients = svc.reads.run(
        lambda c: [r[0] for r in c.execute("SELECT id FROM patient LIMIT 500")]
    )
    slots = list({s for f in found[:n] for s in f[:1]})
    rng.shuffle(slots)
    booked, refused = [], 0

    def book(slot, patient_id):
        nonlocal refused
        from coordtui.mutations import MutationError

        try:
            svc.book(patient_id, slot.provider_id, slot.start, "Follow-up")
            booked.append(slot)
        except MutationError:
            refused += 1  # taken by an earlier iteration (the same slot offered twice)

    book_cases = [(s, rng.choice(patients)) for s in slots[:100]]
    print(f"book (write + outbox, fsync): {summary_ms(timed(book, book_cases))}; {refused} refused")
    svc.close()


if __name__ == "__main__":
    main()
