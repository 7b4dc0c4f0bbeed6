"""Issue 10, reproduction 13: the benchmarks run at any hour.

The scripts whose figures need a live day (booked rows to press ``a`` on, a
queue with rows at start-up, today's calls) are run for real, small, with the
real clock pretending to read 03:00 or 21:30 in New York (COORDTUI_BENCH_NOW,
see bench/common.py).  Before the fix ``bench.keypress`` crashed after closing
time: nobody was still booked.  The other scripts were run the same way by hand
(BENCHMARKS.md, "Any hour").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOURS = {"03:00": "2026-03-14T03:00:00-04:00", "21:30": "2026-03-14T21:30:00-04:00"}


def bench(tmp_path: Path, hour: str, *args: str) -> str:
    env = {
        **os.environ,
        "COORDTUI_BENCH_NOW": HOURS[hour],
        "COORDTUI_BENCH_DIR": str(tmp_path / "bench"),
        "COORDTUI_IDLE_LOCK_MINUTES": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("hour", HOURS)
def test_keypress_has_booked_rows_to_check_in(tmp_path, hour):
    out = bench(
        tmp_path, hour, "bench.keypress", "--patients", "2000", "--presses", "3", "--sizes", "80x24"
    )
    assert "status change (a):    n=3 " in out, out


@pytest.mark.parametrize("hour", HOURS)
def test_calls_screen_bench_finds_todays_calls(tmp_path, hour):
    out = bench(
        tmp_path, hour, "bench.calls", "--calls", "20000", "--callbacks", "5", "--opens", "1",
        "--cold", "0",
    )  # fmt: skip
    assert "(5 callbacks listed" in out and " 0 calls in today's log" not in out, out
