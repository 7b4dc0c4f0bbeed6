"""Shared bits for the benchmark scripts: percentiles, cached stores and their clocks.

Any hour: stores are laid out on the demo's mid-day clock, and every script
runs the app (or the Service) on ``store_clock(path)``, the clock of the day its
store was laid out for, so a cached store seeded at 11:30 still shows booked
rows to press ``a`` on at 21:30, or the next week.  ``COORDTUI_BENCH_NOW`` (an
ISO instant with offset) pretends the real clock reads that instant and ticks
on from it: a check that the scripts run at any hour (tests/integration/
test_bench_any_hour.py).  ``COORDTUI_BENCH_DIR`` moves the cache.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from coordtui.clock import Clock, laid_out_at, real_clock

OUT = Path(os.environ.get("COORDTUI_BENCH_DIR") or Path(tempfile.gettempdir()) / "coordtui-bench")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)} median={statistics.median(ms):.1f} ms p95={pct(ms, 95):.1f} ms "
        f"max={max(ms):.1f} ms"
    )


def base_clock() -> Clock:
    """The real clock, or the pretend one COORDTUI_BENCH_NOW asks for (ticking from there)."""
    pretend = os.environ.get("COORDTUI_BENCH_NOW")
    if not pretend:
        return real_clock
    start, began = datetime.fromisoformat(pretend), time.monotonic()
    if start.tzinfo is None:
        raise SystemExit("COORDTUI_BENCH_NOW needs an offset, e.g. 2026-03-14T21:30-04:00")
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def midday_now():
    """Now on the demo's mid-day clock: when a fresh store's day is laid out."""
    from coordtui.demo.clinic import demo_clock

    return demo_clock(base_clock())()


def store_clock(path: Path) -> Clock:
    """The clock to run on against ``path``: its laid-out instant, ticking live.

    Light (sqlite3 only): the start-up benchmark's child calls it before first paint.
    """
    from coordtui.clock import store_clock as clock_of

    return clock_of(path, base_clock())


def demo_store() -> Path:
    from coordtui.demo.clinic import generate_demo

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "demo.db"
    generate_demo(path, now=midday_now())
    return path


def seeded_store(patients: int, days: int = 1) -> Path:
    """Seed once per size; reuse the file on later runs (it is deterministic per day)."""
    from coordtui.demo.seed import seed_store
    from coordtui.store.files import SCHEMA_VERSION, schema_version

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"seed-{patients}-{days}.db"
    marker = path.with_suffix(".done")
    current = (
        path.exists()
        and marker.exists()
        and schema_version(path) == SCHEMA_VERSION
        and laid_out_at(path)[0] is not None  # older files have no clock to run on
    )
    if not current:  # missing, half-built, or made by an older version: build afresh
        seed_store(path, patients, days, now=midday_now())
        marker.write_text("ok")
    return path
