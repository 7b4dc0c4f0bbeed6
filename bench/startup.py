"""Cold start to an interactive queue, against a bare Textual hello-world.

Each run is a fresh process on a real pseudo-terminal (80x24); the clock runs
from spawning the process to Textual's Ready event (first frame displayed).

    uv run python -m bench.startup [--runs 5] [--patients 200000]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from bench.common import demo_store, seeded_store

ROOT = Path(__file__).resolve().parents[1]


def one_run(kind: str, db: Path | None) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    ready_r, ready_w = os.pipe()
    args = [sys.executable, "-m", "bench.startup_child", kind] + ([str(db)] if db else [])
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COORDTUI_IDLE_LOCK_MINUTES": "0",
        "BENCH_READY_FD": str(ready_w),
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        pass_fds=(ready_w,),
    )
    os.close(slave)
    os.close(ready_w)
    elapsed = None
    while proc.poll() is None or elapsed is None:
        readable, _, _ = select.select([master, ready_r], [], [], 5)
        if not readable:
            break
        if master in readable:
            with contextlib.suppress(OSError):
                os.read(master, 65536)  # drain the terminal output
        if ready_r in readable:
            if os.read(ready_r, 64) and elapsed is None:
                elapsed = time.perf_counter() - start
            elif proc.poll() is not None:
                break
    proc.wait(timeout=30)
    os.close(master)
    os.close(ready_r)
    if elapsed is None:
        raise RuntimeError(f"{kind} never reported ready")
    return elapsed


def measure(label: str, kind: str, db: Path | None, runs: int) -> float:
    one_run(kind, db)  # warm the OS file cache and .pyc files; not counted
    times = [one_run(kind, db) for _ in range(runs)]
    median = statistics.median(times)
    print(
        f"{label:<34} median {median * 1000:7.0f} ms   runs: "
        + ", ".join(f"{t * 1000:.0f}" for t in times)
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--patients", type=int, default=200_000)
    args = parser.parse_args()
    demo = demo_store()
    seeded = seeded_store(args.patients)
    hello = measure("hello-world (bare Textual)", "hello", None, args.runs)
    on_demo = measure("coordtui, demo store", "coordtui", demo, args.runs)
    on_seed = measure(f"coordtui, {args.patients:,} patients", "coordtui", seeded, args.runs)
    print(
        f"ratio demo/hello = {on_demo / hello:.2f}x, seeded/hello = {on_seed / hello:.2f}x "
        f"(target <= 2x)"
    )


if __name__ == "__main__":
    main()
