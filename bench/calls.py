"""Calls screen open time with 50,000 logged calls and 2,000 open callbacks.

Builds a store (seed_store, 20,000 patients) and adds the calls and callbacks
with raw inserts in the store's own text formats; then opens the Calls screen
in the real app (Pilot, 100x30), timing from the F5 key press to the first
frame that shows the lists: the soonest-due callback as the first row of the
callbacks list and today's newest call as the first row of the log (the
frame is rendered to terminal escape codes before the clock stops).

Three ways: ``--opens`` fresh apps one after another in this process, each
left idle until its warm-up is done (the module import and other first-time
costs land on the first only); ``--cold`` fresh processes, each started and
left idle the same way, then F5 once: the first open of a real session; and
as many fresh processes pressing F5 0.3 s after the first frame, while the
ORM may still be loading in the warm-up worker.  Also times the screen's
service reads alone.

    uv run python -m bench.calls [--calls 50000] [--callbacks 2000] [--opens 20] [--cold 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bench.common import OUT, seeded_store, store_clock, summary_ms
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
    now = store_clock(path)()  # the store's day, so "today's calls" exist at any hour
    outcomes = ("resolved", "callback needed", "left message", "no answer", "wrong number")
    rows = []
    for i in range(calls):
        at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        rows.append(
            (
                f"call-{i:07d}",
                rng.choice(patients),
                None,
                rng.choice(("in", "out")),
                "patient",
                "",
                "General",
                rng.choice(outcomes),
                f"note {i}",
                None,
                db_text(at),
                "bench",
                0,
            )
        )
    conn.executemany(
        "INSERT INTO call_note (id, patient_id, appointment_id, direction, "
        "who_kind, who_name, reason, outcome, note, amends, at, actor, "
        "mutation_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    cbs = []
    for i in range(callbacks):
        due = now + timedelta(minutes=rng.randint(-600, 60 * 24 * 7))
        cbs.append(
            (
                f"cb-{i:06d}",
                rng.choice(patients),
                f"call-{i:07d}",
                db_text(due),
                "anyone",
                "routine",
                "open",
                None,
                "",
                None,
                1,
                db_text(now),
                "bench",
            )
        )
    conn.executemany(
        "INSERT INTO callback (id, patient_id, call_note_id, due_at, assignee, "
        "priority, status, done_at, done_by, snoozed_until, version, created_at, "
        "created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        cbs,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return path


def _first_row_under(lines: list[str], title: str) -> str:
    """The first data row of the list under the title line (the line after its header)."""
    for index, line in enumerate(lines):
        if line.strip().startswith(title):
            return lines[index + 2] if index + 2 < len(lines) else ""
    return ""


def _expected(service) -> tuple[str, str | None]:
    """What "shows its data" means: the soonest-due callback is the first row of the
    callbacks list, and today's newest call the first row of the log, on screen."""
    from coordtui.domain.text import clean

    soonest = service.callbacks_due(limit=1)[0]
    today = service.calls_for_day(service.today())
    newest = today[0] if today else None
    return (
        clean(f"{soonest.family_name}, {soonest.given_name}")[:15],
        clean(f"{newest.family_name}, {newest.given_name}")[:15] if newest else None,
    )


async def open_once(service, expected: tuple[str, str | None], settle) -> tuple[float, int, int]:
    """A fresh app; once ``settle(pilot)`` returns, F5; seconds until a frame shows the lists.

    The frame is rendered to terminal escape codes (as a real terminal gets it) before
    the clock stops; whether it shows the lists is checked after, untimed.
    """
    from coordtui.app import CoordApp
    from coordtui.config import Config

    want_callback, want_call = expected

    def shows_lists(app) -> bool:
        if type(app.screen).__name__ != "CallsScreen" or not app.screen.callbacks:
            return False
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        if want_callback not in _first_row_under(lines, "Callbacks:"):
            return False
        return want_call is None or want_call in _first_row_under(lines, "Today's calls")

    app = CoordApp(service, Config(idle_lock_minutes=0))
    watch: dict = {"armed": False, "at": None}
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    original = app._display

    def display(screen, renderable) -> None:
        if renderable is None or not watch["armed"]:
            original(screen, renderable)
            return
        renderable.render_segments(console)  # the frame as terminal output
        at = time.perf_counter()
        original(screen, renderable)
        if shows_lists(app):  # checked after the clock stops, so it is not timed
            watch["at"], watch["armed"] = at, False

    app._display = display
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        watch["armed"] = True
        start = time.perf_counter()
        await pilot.press("f5")
        deadline = start + 5
        while watch["at"] is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        if watch["at"] is None:
            raise RuntimeError("Calls screen never showed its lists")
        return watch["at"] - start, len(app.screen.callbacks), len(app.screen.calls)


async def idle(pilot) -> None:
    """Started and idle: the first frame is up and the app's warm-up worker (ORM
    import, then a full garbage collection) has finished."""
    await pilot.pause(0.3)
    while any(w.group == "warm-up" and not w.is_finished for w in pilot.app.workers):
        await pilot.pause(0.05)
    await pilot.pause(0.3)


async def eager(pilot) -> None:
    """F5 0.3 s after the first frame, while the warm-up worker may still be running."""
    await pilot.pause(0.3)


async def run(path, opens: int) -> None:
    from coordtui.service import Service

    service = Service(path, actor="bench", clock=store_clock(path))
    reads = []
    for _ in range(20):
        start = time.perf_counter()
        service.callbacks_due(limit=200)  # what the screen reads: the soonest 200
        service.calls_for_day(service.today())
        service.open_callback_count()
        reads.append(time.perf_counter() - start)
    print(f"service reads (callbacks_due(limit=200) + calls_for_day + count): {summary_ms(reads)}")
    expected = _expected(service)

    async def settle(pilot) -> None:
        await idle(pilot)
        # Earlier apps in this process left garbage a real app never has; collect it
        # now, untimed, so a full collection of it does not land inside the next open.
        gc.collect()

    times, listed, logged = [], 0, 0
    for _ in range(opens):  # a fresh app each time: the first open is the slow one
        took, listed, logged = await open_once(service, expected, settle)
        times.append(took)
    print(
        f"F5 to Calls screen with its lists on screen (fresh app each time, one process): "
        f"{summary_ms(times)} ({listed} callbacks listed, {logged} calls in today's log)"
    )
    print("  runs (ms):", " ".join(f"{t * 1000:.0f}" for t in times))
    service.close()


async def child(path, when: str) -> None:
    """One open in this fresh process: prints the milliseconds."""
    from coordtui.service import Service

    service = Service(path, actor="bench", clock=store_clock(path))
    settle = eager if when == "eager" else idle
    took, _listed, _logged = await open_once(service, _expected(service), settle)
    print(f"{took * 1000:.3f}")
    service.close()


def cold(path, runs: int, when: str) -> None:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-m", "bench.calls", "--child", str(path), "--when", when],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        times.append(float(out.strip().splitlines()[-1]) / 1000)
    what = "idle" if when == "idle" else "0.3 s after the first frame"
    print(f"F5 to Calls screen, fresh process each time, {what}: {summary_ms(times)}")
    print("  runs (ms):", " ".join(f"{t * 1000:.0f}" for t in times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--callbacks", type=int, default=2_000)
    parser.add_argument("--opens", type=int, default=20)
    parser.add_argument("--cold", type=int, default=10, help="fresh-process opens (each way)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--when", default="idle", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(Path(args.child), args.when))
        return
    path = build(args.calls, args.callbacks)
    if args.opens:
        asyncio.run(run(path, args.opens))
    if args.cold:
        cold(path, args.cold, "idle")
        cold(path, args.cold, "eager")


if __name__ == "__main__":
    main()
