"""The history window's check on a pull page (issue 6): which of a page's appointments a
windowed workstation lacks (``coordtui.server.history.absent``).

    uv run python -m bench.sync_window [--patients 200000] [--days 50] [--runs 200]

Runs on the cached server database of bench.sync_bootstrap (built if missing), for
pages carrying 10 and 500 appointment ids drawn at random; the cut-off is a year ago
and every row counts as unchanged since the bootstrap (the worst case: all are checked).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.sync_common import load_avg, server_db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from coordtui.server import history
    from coordtui.server.schema import make_engines

    path = server_db(args.patients, args.days)
    print(f"load average at start: {load_avg()}")
    _writer, reader = make_engines(f"sqlite:///{path}")
    rng = random.Random(7)
    floor = datetime.now(UTC) - timedelta(days=365)
    with reader.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM appointment")).scalars())
        for size in (10, 500):
            times = []
            for _ in range(args.runs):
                sample = set(rng.sample(ids, size))
                started = time.perf_counter()
                history.absent(conn, sample, 2**62, floor)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{size} ids: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms "
                f"over {args.runs} pages ({len(ids):,} appointments on the server)"
            )


if __name__ == "__main__":
    main()
