"""Incremental sync rounds and change-to-visible latency over loopback (issue 6).

    uv run python -m bench.sync_round rounds [--sizes 10000,1000000] [--rounds 50]
    uv run python -m bench.sync_round visible [--patients 10000] [--changes 20] [--interval 1]

Both use a `coordtui server` child process whose database holds
``seed_store(patients, 1 day)`` (``load_baseline``, cached), and workstations
made from copies of that same seeded store, enrolled for real, with their pull
cursor set at the server's head (the rows are already there; see
``bench.sync_common.Desk``).  Workstation A makes real local changes through
the Service (a cycle of register a patient, book them into the next free slot,
check them in), each one a mutation in the outbox.

``rounds``: after each change A runs a round (its push); then B's
``SyncClient.round()`` is timed: push nothing, pull the change, apply it in one
transaction (lookup index included), move the cursor.  Bytes are the request
and response bodies as they travel (gzip above 1 KiB).

``visible``: A and B each run the app's background sync (``SyncRunner``: a
round 0.3 s after each local write, and every ``--interval`` seconds when
idle).  Timed from just before A's write to the end of the first round of B
that has the change in B's store (the app then repaints the queue).  A random
pause before each change spreads the writes across B's interval.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import threading
import time
from datetime import timedelta

from bench.common import OUT, pct
from bench.sync_common import Desk, Server, desks_for, enrol, head_cursor, load_avg


class Changer:
    """Real local changes on a workstation: register, book, check in (a cycle of three)."""

    def __init__(self, desk: Desk, seed: int = 6):
        self.service = desk.service
        self.rng = random.Random(seed)
        names = [t.name for t in self.service.appointment_types()]
        self.type = "Consultation" if "Consultation" in names else names[0]
        self.step = 0
        self.patient: str | None = None
        self.appointment: str | None = None
        self.slot_from = self.service.now() + timedelta(days=1)

    def change(self):
        """Make the next change; returns (what, check) where check(conn) says it is there."""
        kind = self.step % 3
        self.step += 1
        if kind == 0:
            pid = self.service.register_patient(
                {
                    "given_name": f"Bench{self.step}",
                    "family_name": f"Roundtrip{self.rng.randrange(10**6)}",
                    "dob": "1980-01-01",
                }
            )["patient_id"]
            self.patient = pid
            sql, args = "SELECT 1 FROM patient WHERE id = ?", (pid,)
            return "register", lambda c: c.execute(sql, args).fetchone() is not None
        if kind == 1:
            (slot,) = self.service.next_free_slots(self.type, None, self.slot_from, limit=1)
            self.slot_from = slot.end
            aid = self.service.book(self.patient, slot.provider_id, slot.start, self.type)[
                "appointment_id"
            ]
            self.appointment = aid
            sql, args = "SELECT 1 FROM appointment WHERE id = ?", (aid,)
            return "book", lambda c: c.execute(sql, args).fetchone() is not None
        self.service.set_status(self.appointment, "arrived")
        sql, args = "SELECT status FROM appointment WHERE id = ?", (self.appointment,)
        return "check-in", lambda c: (c.execute(sql, args).fetchone() or [None])[0] == "arrived"


def _pair(patients: int, tag: str):
    work = OUT / f"sync-round-{tag}"
    url, (path_a, path_b) = desks_for(patients, ["desk-a", "desk-b"], work)
    codes = enrol(url, 2)
    cursor = head_cursor(url)
    return url, path_a, path_b, codes, cursor


def _ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):.1f} ms, p95 {pct(ms, 95):.1f} ms, max {max(ms):.1f} ms"


# ------------------------------------------------------------------ rounds


def rounds(sizes: list[int], count: int) -> dict[int, dict]:
    out = {}
    for patients in sizes:
        print(f"{patients:,} patients: preparing (load {load_avg()})", flush=True)
        url, path_a, path_b, codes, cursor = _pair(patients, str(patients))
        with Server(url) as server:
            a = Desk(path_a, "desk-a").connect(server, codes[0], cursor)
            b = Desk(path_b, "desk-b").connect(server, codes[1], cursor)
            try:
                for _ in range(3):  # warm: connections, caches, the ORM
                    b.client.round()
                empty = []
                for _ in range(20):
                    started = time.perf_counter()
                    b.client.round()
                    empty.append(time.perf_counter() - started)
                changer = Changer(a)
                times, pushes, rows, sizes_b = [], [], [], []
                by_kind: dict[str, list[float]] = {}
                for _ in range(count):
                    what, check = changer.change()
                    started = time.perf_counter()
                    a.client.round()
                    pushes.append(time.perf_counter() - started)
                    before = b.transport.sent + b.transport.received
                    started = time.perf_counter()
                    report = b.client.round()
                    elapsed = time.perf_counter() - started
                    sizes_b.append(b.transport.sent + b.transport.received - before)
                    times.append(elapsed)
                    rows.append(report.rows)
                    by_kind.setdefault(what, []).append(elapsed)
                    with sqlite3.connect(path_b) as conn:
                        assert check(conn), f"{what} not on B after its round"
            finally:
                a.close()
                b.close()
        result = {
            "times": times,
            "empty": empty,
            "pushes": pushes,
            "rows": rows,
            "bytes": sizes_b,
            "by_kind": by_kind,
            "store_mb": path_b.stat().st_size / 1e6,
        }
        out[patients] = result
        print(
            f"  B's round with one change from A: {_ms(times)} "
            f"({sum(rows) / len(rows):.1f} rows/round, {statistics.median(sizes_b):.0f} B "
            f"on the wire/round median, {sum(sizes_b) / sum(rows):.0f} B per changed row)"
        )
        for what, values in by_kind.items():
            print(f"    {what}: {_ms(values)}")
        slowest = max(range(len(times)), key=times.__getitem__)
        print(
            f"  slowest: change #{slowest + 1} of {len(times)} {times[slowest] * 1000:.1f} ms "
            f"(A's push for it {pushes[slowest] * 1000:.1f} ms)"
        )
        print(f"  B's round with nothing to pull: {_ms(empty)}")
        print(f"  A's round pushing its change: {_ms(pushes)}")
        print(f"  store {result['store_mb']:.0f} MB; load {load_avg()}", flush=True)
    if len(out) > 1:
        small, large = min(out), max(out)
        ratio = statistics.median(out[large]["times"]) / statistics.median(out[small]["times"])
        print(f"p50 ratio {large:,} / {small:,} patients: {ratio:.2f}x")
    return out


# ----------------------------------------------------------------- visible


def visible(patients: int, changes: int, interval: float, seed: int = 2) -> list[float]:
    from coordtui.sync.runner import SyncRunner

    print(f"{patients:,} patients, sync interval {interval} s: preparing (load {load_avg()})")
    url, path_a, path_b, codes, cursor = _pair(patients, f"visible-{patients}")
    rng = random.Random(seed)
    with Server(url) as server:
        a = Desk(path_a, "desk-a").connect(server, codes[0], cursor, count_bytes=False)
        b = Desk(path_b, "desk-b").connect(server, codes[1], cursor, count_bytes=False)
        a.client.close()
        b.client.close()
        waiting: dict = {}
        lock = threading.Condition()
        b_rounds: list[float] = []

        def on_b_round(outcome) -> None:
            now = time.perf_counter()
            with lock:
                check = waiting.get("check")
                if check is not None and "seen" not in waiting:
                    with sqlite3.connect(path_b) as conn:
                        if check(conn):
                            waiting["seen"] = now
                            lock.notify_all()

        def timed_client(desk: Desk, log: list[float] | None):
            client = desk.service.sync_client(timeout=10)
            if log is None:
                return client
            real = client.round

            def round_(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return real(*args, **kwargs)
                finally:
                    log.append(time.perf_counter() - started)

            client.round = round_
            return client

        a_rounds: list[float] = []
        runner_a = SyncRunner(
            lambda: True, lambda: timed_client(a, a_rounds), lambda o: None, interval
        )
        runner_b = SyncRunner(lambda: True, lambda: timed_client(b, b_rounds), on_b_round, interval)
        runner_a.start()
        runner_b.start()
        changer = Changer(a, seed)
        latencies, kinds = [], []
        try:
            time.sleep(interval + 1)  # both runners past their first round
            for _ in range(changes):
                time.sleep(rng.uniform(0, interval))
                started = time.perf_counter()
                with lock:
                    waiting.clear()
                what, check = changer.change()
                with lock:
                    waiting["check"] = check
                runner_a.poke()  # what the app does after each local write
                with lock:
                    lock.wait_for(lambda: "seen" in waiting, timeout=interval * 3 + 10)
                    seen = waiting.get("seen")
                if seen is None:
                    raise RuntimeError(f"{what} never showed up on B")
                latencies.append(seen - started)
                kinds.append(what)
        finally:
            runner_a.stop(10)
            runner_b.stop(10)
            a.close()
            b.close()
    worst = 0.3 + pct(a_rounds, 95) + interval + pct(b_rounds, 95)
    print(
        f"  change on A to visible on B: {_ms(latencies)} over {len(latencies)} changes; "
        f"A's rounds {_ms(a_rounds)}; B's rounds {_ms(b_rounds)}"
    )
    print(
        f"  worst case = debounce 0.3 s + A's round + interval {interval} s + B's round "
        f"= {worst:.2f} s (rounds at p95); target <= 2 s; load {load_avg()}"
    )
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    r = sub.add_parser("rounds", help="B's incremental round at two store sizes")
    r.add_argument("--sizes", default="10000,1000000")
    r.add_argument("--rounds", type=int, default=50)
    v = sub.add_parser("visible", help="A's change to visible on B, with the app's sync runner")
    v.add_argument("--patients", type=int, default=10_000)
    v.add_argument("--changes", type=int, default=20)
    v.add_argument("--interval", type=float, default=1.0, help="idle sync interval (app: 1 s)")
    args = parser.parse_args(argv)
    print(f"load average at start: {load_avg()}")
    if args.what == "rounds":
        rounds([int(s) for s in args.sizes.split(",")], args.rounds)
    else:
        visible(args.patients, args.changes, args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
