"""Benchmark ``coordtui.demo.seed.seed_store``: how long a large store takes to build.

    uv run python bench/seed.py                      # 1,000,000 patients, 1 day
    uv run python bench/seed.py --patients 200000 --days 7 --db /tmp/big.db

Without ``--db`` the store goes to a temporary folder that is deleted
afterwards (pass ``--keep`` to look at it).  An existing ``--db`` file is
replaced, as seed_store always does.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from coordtui.demo.seed import seed_plan, seed_store


def _store_bytes(path: Path) -> int:
    """The database plus any WAL/SHM left beside it."""
    files = (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
    return sum(f.stat().st_size for f in files if f.exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time seed_store on a large synthetic clinic.")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1, help="days of appointments from today")
    parser.add_argument("--db", type=Path, help="store to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    args = parser.parse_args(argv)

    console = Console()
    temp_dir = None if args.db else Path(tempfile.mkdtemp(prefix="coordtui-bench-"))
    path = args.db or temp_dir / "seed.db"
    providers, per_day = seed_plan(args.patients)
    console.print(
        f"Seeding {args.patients:,} patients, {providers} providers, "
        f"~{per_day:,} appointments/day x {args.days} day(s) into {path}"
    )
    try:
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=max(total, 1))
                bar.update(tasks[stage], completed=done, total=max(total, 1))

            summary = seed_store(path, args.patients, args.days, seed=args.seed, progress=progress)

        rows = summary.patients + summary.appointments + summary.status_events
        size = _store_bytes(path)
        console.print(
            f"patients {summary.patients:,}  appointments {summary.appointments:,}  "
            f"status events {summary.status_events:,}  providers {summary.providers}"
        )
        console.print(
            f"elapsed {summary.seconds:.1f} s  |  {rows / summary.seconds:,.0f} rows/s "
            f"({summary.patients / summary.seconds:,.0f} patients/s)  |  "
            f"file {size / 1e6:,.1f} MB ({size / max(summary.patients, 1):,.0f} B/patient)"
        )
    finally:
        if temp_dir is not None:
            if args.keep:
                console.print(f"kept {path}")
            else:
                shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
