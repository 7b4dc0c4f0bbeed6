"""Next-free-slot search across providers, in memory (the domain finder alone).

Builds 10 providers with weekly templates (lunch breaks, short Saturdays,
Sundays off, 10/15/20-minute grids) in America/New_York, a year of history
plus 90 days of future at ~70% fill (~100,000 appointments, including
cancelled and no-show rows), then times ``free_slots`` for random requests:
duration 15-30 minutes, from a random instant in the next 90 days, limit 10.
Each request gets what the service would load for it: availability from
that day for 90 days and the appointments overlapping that window (the
slicing is not timed).  A second run gives the finder every appointment
(history included), and a third starts in a stretch booked solid for 30
days, so the sweep has to cross all of it.

    uv run python -m bench.slots [--requests 200] [--seed 5]
"""

from __future__ import annotations

import argparse
import random
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import summary_ms
from coordtui.domain.schedule import (
    DAY_KEYS,
    Interval,
    WeeklyTemplate,
    availability_span,
    parse_template,
)
from coordtui.domain.slots import Booked, free_slots
from coordtui.domain.status import Status

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 5, 4, 14, 7, tzinfo=UTC)  # fixed, so runs are comparable
HISTORY_DAYS, FUTURE_DAYS, WINDOW_DAYS = 365, 90, 90
FILL = 0.70
TEMPLATES = (  # an extended-hours clinic: two 5-hour sessions on weekdays
    {"mon": [["07:00", "12:00"], ["13:00", "18:00"]], "sat": [["08:00", "13:00"]]},
    {"mon": [["07:30", "12:30"], ["13:30", "18:30"]], "sat": [["08:00", "12:00"]]},
    {"mon": [["09:00", "14:00"], ["14:30", "19:30"]], "sat": [["09:00", "14:00"]]},
    {"mon": [["10:00", "15:00"], ["15:30", "20:30"]], "sat": [["10:00", "15:00"]]},
)
GRIDS = (15, 15, 15, 10, 15, 20, 15, 15, 10, 15)
LENGTHS = (15, 15, 15, 15, 15, 15, 15, 20, 30, 30)  # minutes, as booked


def template(p: int) -> WeeklyTemplate:
    """Provider p: one of four shifts on weekdays, and Saturday mornings."""
    base = TEMPLATES[p % len(TEMPLATES)]
    days = {k: base["mon"] for k in DAY_KEYS[:5]}
    return parse_template(days | {"sat": base["sat"]})


def build(rng: random.Random, solid_days: int = 0):
    """Availability and appointments per provider (sorted by start)."""
    first = (NOW - timedelta(days=HISTORY_DAYS)).date()
    last = NOW.date() + timedelta(days=FUTURE_DAYS + WINDOW_DAYS)
    avail: dict[str, list[Interval]] = {}
    appts: dict[str, list[Booked]] = {}
    grids: dict[str, int] = {}
    serial = 0
    for p in range(10):
        pid = f"prov-{p:02d}"
        avail[pid] = availability_span(template(p), [], first, last, ZONE)
        grids[pid] = GRIDS[p]
        rows = []
        booked_until = NOW + timedelta(days=FUTURE_DAYS)
        for iv in avail[pid]:
            if iv.start >= booked_until:
                break
            fill = 1.0 if NOW <= iv.start < NOW + timedelta(days=solid_days) else FILL
            t = iv.start
            while t < iv.end:
                minutes = rng.choice(LENGTHS)
                end = min(iv.end, t + timedelta(minutes=minutes))
                if rng.random() < fill:
                    past = end <= NOW
                    roll = rng.random()
                    if past:
                        status = Status.DONE if roll < 0.94 else Status.NO_SHOW
                    else:
                        status = Status.BOOKED
                    serial += 1
                    rows.append(
                        Booked(f"a{serial}", pid, f"pat{rng.randrange(40_000)}", t, end, status)
                    )
                    if rng.random() < 0.2:  # a cancelled booking that held this time once
                        serial += 1
                        rows.append(Booked(f"a{serial}", pid, "x", t, end, Status.CANCELLED))
                t = end
        appts[pid] = rows
    return avail, appts, grids


def requests(rng: random.Random, n: int, within_days: int):
    out = []
    for _ in range(n):
        day = NOW.date() + timedelta(days=rng.randrange(within_days))
        local = datetime(day.year, day.month, day.day, rng.randrange(7, 19), 0, tzinfo=ZONE)
        start = max(NOW, local.astimezone(UTC) + timedelta(minutes=rng.randrange(60)))
        out.append((start, rng.choice((15, 20, 25, 30))))
    return out


def window(avail, appts, start: datetime):
    """What the service would load: WINDOW_DAYS of availability and overlapping appointments."""
    stop = start + timedelta(days=WINDOW_DAYS)
    a_out, b_out = {}, {}
    for pid, ivs in avail.items():
        lo = bisect_left(ivs, start, key=lambda iv: iv.end)
        hi = bisect_left(ivs, stop, key=lambda iv: iv.start)
        a_out[pid] = ivs[lo:hi]
        rows = appts[pid]
        # appointments are at most 45 minutes, so this slice holds every overlap
        lo = bisect_left(rows, start - timedelta(hours=1), key=lambda b: b.start)
        hi = bisect_left(rows, stop, key=lambda b: b.start)
        b_out[pid] = rows[lo:hi]
    return a_out, b_out


def timed(label: str, cases, grids, limit: int) -> None:
    times, found, given = [], 0, 0
    for avail, appts, start, minutes in cases:
        given = max(given, sum(len(v) for v in appts.values()))
        t0 = time.perf_counter()
        slots = free_slots(avail, appts, minutes, start, limit, step=grids, now=NOW)
        times.append(time.perf_counter() - t0)
        found += len(slots) == limit
    print(f"{label}: {summary_ms(times)} (up to {given:,} appointments given; {found} full)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    avail, appts, grids = build(rng)
    total = sum(len(v) for v in appts.values())
    active = sum(b.status != Status.CANCELLED for v in appts.values() for b in v)
    used = sum(
        ((b.end - b.start) for v in appts.values() for b in v if b.status != Status.CANCELLED),
        timedelta(),
    )
    open_ = sum(
        (
            iv.end - iv.start
            for v in avail.values()
            for iv in v
            if iv.start < NOW + timedelta(days=FUTURE_DAYS)
        ),
        timedelta(),
    )
    print(
        f"built {total:,} appointments ({active:,} active, fill {used / open_:.0%}) "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    first = NOW.date()
    templates = [template(p) for p in range(10)]
    spans = []
    for _ in range(20):
        t0 = time.perf_counter()
        for t in templates:
            availability_span(t, [], first, first + timedelta(days=WINDOW_DAYS), ZONE)
        spans.append(time.perf_counter() - t0)
    print(f"availability_span, 10 providers x 90 days: {summary_ms(spans)}")

    reqs = requests(rng, args.requests, FUTURE_DAYS)
    windowed = [(*window(avail, appts, s), s, m) for s, m in reqs]
    timed("free_slots, 90-day window", windowed, grids, args.limit)
    everything = [(avail, appts, s, m) for s, m in reqs]
    timed("free_slots, all appointments", everything, grids, args.limit)

    solid_avail, solid_appts, _ = build(random.Random(args.seed), solid_days=30)
    hard = [(*window(solid_avail, solid_appts, NOW), NOW, m) for _, m in reqs[:50]]
    timed("free_slots, next 30 days booked solid", hard, grids, args.limit)


if __name__ == "__main__":
    main()
