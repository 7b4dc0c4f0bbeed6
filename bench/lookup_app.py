"""In the app: last keystroke to first results on screen, and the app's memory.

Opens the real app (Pilot, headless, 100x30) on a seeded store, goes to
Lookup and types each query a key at a time, as a person would.  Times from
the last key press to the first frame showing results for the full text.
Reports RSS (VmRSS / VmHWM from /proc) after the run.

    uv run python -m bench.lookup_app [--patients 1000000] [--queries 60]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sqlite3
import time
from pathlib import Path

from rich.console import Console

from bench.common import seeded_store, store_clock, summary_ms


def _queries(db: Path, count: int) -> list[str]:
    conn = sqlite3.connect(db)
    rng = random.Random(5)
    total = conn.execute("SELECT max(rowid) FROM patient").fetchone()[0]
    out = []
    while len(out) < count:
        row = conn.execute(
            "SELECT given_name, family_name, dob, phone, record_number "
            "FROM patient WHERE rowid = ?",
            (rng.randint(1, total),),
        ).fetchone()
        if not row:
            continue
        given, family, dob, phone, mrn = row
        kind = len(out) % 5
        if kind == 0:
            out.append(f"{family} {given}".lower())
        elif kind == 1:
            out.append(family[:3].lower())
        elif kind == 2 and dob:
            y, m, d = dob.split("-")
            out.append(f"{d}/{m}/{y}")
        elif kind == 3 and phone:
            out.append(phone[-4:])
        else:
            out.append(f"{family[0]}{(phone or mrn)[-4:]}")
    conn.close()
    return out


def _memory() -> str:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = value.strip()
    return f"RSS now {fields.get('VmRSS')}, peak {fields.get('VmHWM')}"


async def run(db: Path, queries: list[str]) -> None:
    from coordtui.app import CoordApp
    from coordtui.config import Config
    from coordtui.service import Service
    from coordtui.widgets.patient_search import PatientSearch

    service = Service(db, actor="bench", clock=store_clock(db))
    app = CoordApp(service, Config(idle_lock_minutes=0))
    watch: dict = {"until": None, "at": None}
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    original = app._display

    def display(screen, renderable):
        if renderable is not None and watch["until"] is not None and watch["until"]():
            renderable.render_segments(console)
            watch["at"] = time.perf_counter()
            watch["until"] = None
        original(screen, renderable)

    app._display = display
    times, empty = [], 0
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await pilot.pause(0.5)
        search = app.screen.query_one(PatientSearch)
        shown: dict = {"text": None}
        original_show = search._show

        def show(text, offset, hits):
            original_show(text, offset, hits)
            if text == search.query_text:
                shown["text"] = text

        search._show = show
        for query in queries:
            search.query_one("#query").value = ""
            await pilot.pause(0.05)
            for key in query[:-1]:
                await pilot.press(key)
            shown["text"] = None
            watch["at"] = None
            watch["until"] = lambda q=query: shown["text"] == q
            start = time.perf_counter()
            await pilot.press(query[-1])
            deadline = start + 5
            while watch["at"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if watch["at"] is None:
                raise RuntimeError("results never shown")
            times.append(watch["at"] - start)
            empty += not search.hits
    print(
        f"last keystroke to results on screen: {summary_ms(times)} "
        f"({empty} of {len(times)} queries found nothing)"
    )
    print(_memory())
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    db = seeded_store(args.patients)
    asyncio.run(run(db, _queries(db, args.queries)))


if __name__ == "__main__":
    main()
