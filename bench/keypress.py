"""Key press to repaint, on a day with about 300 appointments.

Drives the real app with Pilot (headless, 160x48) and times from the key
press to the first frame that shows its effect: the compositor update handed
to the display, rendered to terminal escape codes.  Cursor moves are
measured on `down`; status changes on `a` (arrive), which includes the
SQLite write with synchronous=FULL on the writer thread, with the coverage
check off (`a` arrives at once) and on (`a` opens the arrival step, timed to
the dialog on screen, then `enter` to the arrived row behind it).

    uv run python -m bench.keypress [--patients 30000] [--presses 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time

from rich.console import Console

from bench.common import seeded_store, store_clock, summary_ms


async def run(db, presses: int, size: tuple[int, int], coverage_days: int = 0) -> None:
    from coordtui.app import CoordApp
    from coordtui.config import Config
    from coordtui.screens.arrival import ArrivalScreen
    from coordtui.service import Service
    from coordtui.widgets.queue_table import QueueTable

    service = Service(db, actor="bench", clock=store_clock(db))  # any hour: booked rows
    app = CoordApp(service, Config(idle_lock_minutes=0, coverage_check_days=coverage_days))
    watch: dict = {"until": None, "at": None}
    console = Console(file=io.StringIO(), force_terminal=True, width=size[0])
    original = app._display

    def display(screen, renderable):
        """Stamp the first frame painted once the key's effect is in the widgets."""
        if renderable is not None and watch["until"] is not None and watch["until"]():
            renderable.render_segments(console)  # the work a real terminal write does
            watch["at"] = time.perf_counter()
            watch["until"] = None
        original(screen, renderable)

    app._display = display
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one(QueueTable)
        print(f"terminal {size[0]}x{size[1]}, appointments on the day: {table.row_count}")
        await pilot.pause(0.5)
        service.warm_up()

        async def timed(key: str, done) -> float:
            watch["at"] = None
            watch["until"] = done
            start = time.perf_counter()
            await pilot.press(key)
            deadline = start + 5
            while watch["at"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if watch["at"] is None:
                raise RuntimeError(f"no frame showed the effect of {key!r}")
            return watch["at"] - start

        moves = []
        table.move_cursor(row=0)
        for _ in range(presses):
            target = (table.cursor_row + 1) % table.row_count
            key = "down" if target else "home"
            if key == "home":
                table.move_cursor(row=0)
                await pilot.pause()
                continue
            moves.append(await timed(key, lambda t=target: table.cursor_row == t))
        print(f"cursor move (down):   {summary_ms(moves)}")

        changes, opens = [], []
        table.move_cursor(row=0)
        await pilot.pause()
        for _ in range(presses):
            row = next(
                (
                    i
                    for i, rid in enumerate(table._order)
                    if table.rows_by_id[rid].status == "booked"
                ),
                None,
            )
            if row is None:
                break
            table.move_cursor(row=row)
            await pilot.pause()
            rid = table._order[row]

            def arrived(r=rid) -> bool:
                return table.rows_by_id[r].status == "arrived"

            if coverage_days:
                opens.append(await timed("a", lambda: isinstance(app.screen, ArrivalScreen)))
                changes.append(await timed("enter", arrived))
            else:
                changes.append(await timed("a", arrived))
        if coverage_days:
            print(f"arrival step (a):     {summary_ms(opens)}")
            print(f"check in (enter):     {summary_ms(changes)}")
        else:
            print(f"status change (a):    {summary_ms(changes)}")
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=30_000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--sizes", default="80x24,160x48")
    args = parser.parse_args()
    db = seeded_store(args.patients)
    import shutil

    work = db.with_name("keypress.db")
    for spec in args.sizes.split(","):
        width, height = (int(v) for v in spec.split("x"))
        for coverage_days in (0, 30):  # the coverage check off, then on
            for suffix in ("", "-wal", "-shm"):  # a fresh copy: every run starts all-booked
                src = db.with_name(db.name + suffix)
                if src.exists():
                    shutil.copy(src, work.with_name(work.name + suffix))
            asyncio.run(run(work, args.presses, (width, height), coverage_days))


if __name__ == "__main__":
    main()
