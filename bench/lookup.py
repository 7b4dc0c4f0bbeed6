"""Benchmark patient search (coordtui.store.search) against the naive LIKE finder.

    uv run python -m bench.lookup                       # 1,000,000 patients
    uv run python -m bench.lookup --patients 200000 --build

Queries come from the store's own patients, the way a front desk types
them: 2-3 letter family-name prefixes, "family given", a DOB in ISO and in
D/M/Y, the last 4 digits of a phone, a family name with one letter wrong,
and S1234 (family initial + phone last 4).  Each query runs ``--runs``
times at the store level (limit 50, one warm-up pass first) on a plain
sqlite3 connection set up like the app's read connection.  The naive finder
(``LIKE '%term%'`` per term, no index, limit 50) scans a million rows per
query, so it only runs ``--naive`` queries in all, spread over the kinds.

Seeded stores are cached under /tmp/coordtui-bench (bench.common); one made
before the search index existed (older schema) is deleted and seeded again.
``--build`` also times ``rebuild_index`` on a copy of the store; ``--upkeep``
times ``index_patient`` after a rename (what every registration and edit
pays), 500 patients in one transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from bench.common import OUT, pct, seeded_store
from coordtui.store.files import SCHEMA_VERSION, apply_pragmas, schema_version
from coordtui.store.search import index_patient, naive_search, rebuild_index, search

KINDS = ("prefix", "full_name", "dob_iso", "dob_dmy", "phone_last4", "typo", "s1234")
SEARCH_OBJECTS = (
    "patient_search",
    "ix_patient_search_patient",
    "patient_fts_data",
    "patient_fts_idx",
    "patient_fts_config",
    "search_vocab",
    "ix_search_vocab_sound",
    "ix_search_vocab_skel",
    "search_typo",
    "ix_appointment_patient_start",
    "ix_patient_merged_into",
)


def _fresh_store(patients: int) -> tuple[Path, float | None]:
    """The cached seeded store, re-seeded if it predates the current schema."""
    path = OUT / f"seed-{patients}-1.db"
    marker = path.with_suffix(".done")
    if path.exists() and schema_version(path) < SCHEMA_VERSION:
        print(f"{path.name} has schema {schema_version(path)} < {SCHEMA_VERSION}: seeding again")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    fresh = not (path.exists() and marker.exists())
    if fresh:
        print(f"seeding {patients:,} patients (search index included) ...", flush=True)
    started = time.perf_counter()
    path = seeded_store(patients)
    return path, (time.perf_counter() - started) if fresh else None


def _typo(rng: random.Random, word: str) -> str | None:
    """The word with one letter changed, or None if it has too few Latin letters."""
    spots = [i for i, c in enumerate(word) if c.isascii() and c.isalpha()]
    if len(spots) < 5:
        return None
    i = rng.choice(spots[1:])  # keep the first letter, as people mostly do
    letters = [c for c in "aeioulnrst" if c != word[i].lower()]
    return word[:i] + rng.choice(letters) + word[i + 1 :]


def _queries(conn: sqlite3.Connection, per_kind: int, seed: int) -> dict[str, list[tuple]]:
    """(query, patient id it came from) per kind, from randomly sampled patients."""
    rng = random.Random(seed)
    top = conn.execute("SELECT max(rowid) FROM patient").fetchone()[0]
    out: dict[str, list[tuple]] = {k: [] for k in KINDS}
    while any(len(v) < per_kind for v in out.values()):
        row = conn.execute(
            "SELECT id, given_name, family_name, dob, phone FROM patient "
            "WHERE rowid >= ? AND merged_into IS NULL LIMIT 1",
            (rng.randint(1, top),),
        ).fetchone()
        if row is None or not row[4]:
            continue
        pid, given, family, dob, phone = row
        d = date.fromisoformat(dob)
        candidates = {
            "prefix": family[: rng.choice((2, 3))],
            "full_name": f"{family} {given}",
            "dob_iso": d.isoformat(),
            "dob_dmy": f"{d.day:02d}/{d.month:02d}/{d.year}",
            "phone_last4": phone[-4:],
            "typo": None,
            "s1234": f"{family[0].upper()}{phone[-4:]}" if family[0].isalpha() else None,
        }
        wrong = _typo(rng, family)
        if wrong:
            candidates["typo"] = f"{wrong} {given}"
        for kind, text in candidates.items():
            if text and len(out[kind]) < per_kind:
                out[kind].append((text, pid))
    return out


def _row(label: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"{label:<14} n={len(ms):>5}  p50 {pct(ms, 50):9.2f} ms  p95 {pct(ms, 95):9.2f} ms"


def _extra_bytes(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        marks = ",".join("?" * len(SEARCH_OBJECTS))
        return conn.execute(
            f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})", SEARCH_OBJECTS
        ).fetchone()[0]


def _time_rebuild(path: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="coordtui-bench-") as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(path, copy)
        with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-262144")
            conn.execute("BEGIN")
            started = time.perf_counter()
            rebuild_index(conn)
            conn.execute("COMMIT")
            return time.perf_counter() - started


def _time_upkeep(path: Path, count: int = 500) -> list[float]:
    """index_patient after a rename, on spread-out patients; nothing is kept."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        apply_pragmas(conn)
        step = max(1, conn.execute("SELECT max(rowid) FROM patient").fetchone()[0] // count)
        ids = [r[0] for r in conn.execute("SELECT id FROM patient WHERE rowid % ? = 0", (step,))]
        times = []
        conn.execute("BEGIN")
        try:
            for pid in ids[:count]:
                conn.execute(
                    "UPDATE patient SET family_name = family_name || 'x' WHERE id = ?", (pid,)
                )
                started = time.perf_counter()
                index_patient(conn, pid)
                times.append(time.perf_counter() - started)
        finally:
            conn.execute("ROLLBACK")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time patient search against LIKE '%term%'.")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--per-kind", type=int, default=40, help="queries of each kind")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--naive", type=int, default=84, help="naive queries in all")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--build", action="store_true", help="also time rebuild_index on a copy")
    parser.add_argument("--upkeep", action="store_true", help="also time index_patient")
    args = parser.parse_args(argv)

    path, seeded = _fresh_store(args.patients)
    size = path.stat().st_size
    extra = _extra_bytes(path)
    print(
        f"store {path} ({args.patients:,} patients): {size / 1e6:,.1f} MB, of which the search "
        f"index {extra / 1e6:,.1f} MB ({extra / args.patients:,.0f} B/patient)"
    )
    if seeded is not None:
        print(f"seeded in {seeded:.1f} s (whole seed, search index included)")
    if args.build:
        print(f"rebuild_index alone: {_time_rebuild(path):.1f} s")
    if args.upkeep:
        print(_row("index_patient", _time_upkeep(path)) + "  (after a rename)")

    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    apply_pragmas(conn)  # as coordtui.store.reads.Reads does
    today = date.today()
    mix = _queries(conn, args.per_kind, args.seed)

    cold: list[float] = []
    for items in mix.values():  # warm-up pass, also timed as "first run"
        for text, _ in items:
            started = time.perf_counter()
            search(conn, text, today, "DMY")
            cold.append(time.perf_counter() - started)

    fast: dict[str, list[float]] = {k: [] for k in KINDS}
    cpu: list[float] = []  # this thread's CPU time: what the query costs without contention
    found: dict[str, int] = dict.fromkeys(KINDS, 0)
    for _ in range(args.runs):
        for kind, items in mix.items():
            for text, pid in items:
                started, cpu_started = time.perf_counter(), time.thread_time()
                hits = search(conn, text, today, "DMY")
                fast[kind].append(time.perf_counter() - started)
                cpu.append(time.thread_time() - cpu_started)
                found[kind] += any(h.patient_id == pid for h in hits)

    slow: dict[str, list[float]] = {k: [] for k in KINDS}
    per_kind = max(1, args.naive // len(KINDS))
    for kind, items in mix.items():
        for text, _ in items[:per_kind]:
            started = time.perf_counter()
            naive_search(conn, text)
            slow[kind].append(time.perf_counter() - started)
    conn.close()

    print(f"\nsearch(): limit 50, {args.runs} runs x {args.per_kind} queries per kind")
    for kind in KINDS:
        share = found[kind] / max(1, len(fast[kind]))
        print(_row(kind, fast[kind]) + f"  patient on page 1: {share:4.0%}")
    every = [t for k in KINDS for t in fast[k]]
    print(_row("overall", every))
    print(_row("first runs", cold))
    print(_row("overall, CPU", cpu))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"\nnaive LIKE '%term%': limit 50, {per_kind} queries per kind, 1 run each")
    for kind in KINDS:
        print(_row(kind, slow[kind]))
    naive_all = [t for k in KINDS for t in slow[k]]
    print(_row("overall", naive_all))
    ratio = pct(naive_all, 95) / pct(every, 95)
    print(f"\np95 naive / p95 search = {ratio:,.0f}x  (target >= 20x; search p95 target <= 10 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
