"""Calls screen open time with 50,000 logged calls and 2,000 open callbacks.

Builds a store (seed_store, 20,000 patients) and adds the calls and callbacks
with raw inserts in the store's own text formats; then opens the Calls screen
in the real app (Pilot, 100x30) over and over, timing from the key press (F5,
or F2 then F5) to the first frame showing its loaded lists.  Also times the
two service reads alone.

    uv run python -m bench.calls [--calls 50000] [--callbacks 2000] [--opens 40]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from rich.console import Console

from bench.common import OUT, seeded_store, summary_ms
from coordtui.domain.days import db_text


def build(calls: int, callbacks: int):
    base = seeded_store(20_000)
    path = OUT / f"calls-{calls}-{callbacks}.db"
    for suffix in ("", "-wal", "-shm"):
        src = base.with_name(base.name + suffix)
        if src.exists():
            shutil.copy(src, path.with_name(path.name + suffix))
    conn = sqlite3.connect(path)
    rng = random.Random(3)
    patients = [r[0] for r in conn.execute("SELECT id FROM patient")]
    now = datetime.now(UTC)
    outcomes = ("resolved", "callback needed", "left message", "no answer", "wrong number")
    rows = []
    for i in range(calls):
        at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        rows.append((f"call-{i:07d}", rng.choice(patients), None, rng.choice(("in", "out")),
                     "patient", "", "General", rng.choice(outcomes), f"note {i}", None,
                     db_text(at), "bench", 0))
    conn.executemany("INSERT INTO call_note (id, patient_id, appointment_id, direction, "
                     "who_kind, who_name, reason, outcome, note, amends, at, actor, "
                     "mutation_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    cbs = []
    for i in range(callbacks):
        due = now + timedelta(minutes=rng.randint(-600, 60 * 24 * 7))
        cbs.append((f"cb-{i:06d}", rng.choice(patients), f"call-{i:07d}", db_text(due),
                    "anyone", "routine", "open", None, "", None, 1, db_text(now), "bench"))
    conn.executemany("INSERT INTO callback (id, patient_id, call_note_id, due_at, assignee, "
                     "priority, status, done_at, done_by, snoozed_until, version, created_at, "
                     "created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", cbs)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return path


async def run(path, opens: int) -> None:
    from coordtui.app import CoordApp
    from coordtui.config import Config
    from coordtui.service import Service

    service = Service(path, actor="bench")
    reads = []
    for _ in range(20):
        start = time.perf_counter()
        service.callbacks_due()
        service.calls_for_day(service.today())
        reads.append(time.perf_counter() - start)
    print(f"service reads (callbacks_due + calls_for_day): {summary_ms(reads)}")

    times, listed = [], 0
    for _ in range(opens):  # a fresh app each time: the first open is the slow one
        app = CoordApp(service, Config(idle_lock_minutes=0))
        watch: dict = {"until": None, "at": None}
        console = Console(file=io.StringIO(), force_terminal=True, width=100)
        original = app._display

        def display(screen, renderable, app=app, watch=watch, console=console,
                    original=original):
            if renderable is not None and watch["until"] is not None and watch["until"]():
                renderable.render_segments(console)
                watch["at"] = time.perf_counter()
                watch["until"] = None
            original(screen, renderable)

        app._display = display
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.3)
            watch["until"] = lambda app=app: (type(app.screen).__name__ == "CallsScreen"
                                              and bool(app.screen.callbacks))
            start = time.perf_counter()
            await pilot.press("f5")
            deadline = start + 5
            while watch["at"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if watch["at"] is None:
                raise RuntimeError("Calls screen never showed its lists")
            times.append(watch["at"] - start)
            listed = len(app.screen.callbacks)
    print(f"F5 to Calls screen with its lists on screen (fresh app each time): "
          f"{summary_ms(times)} ({listed} callbacks listed)")
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--callbacks", type=int, default=2_000)
    parser.add_argument("--opens", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(build(args.calls, args.callbacks), args.opens))


if __name__ == "__main__":
    main()
