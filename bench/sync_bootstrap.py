"""Bootstrap a fresh workstation from a clinic server over loopback (issue 6).

    uv run python -m bench.sync_bootstrap [--patients 200000] [--days 50] [--runs 3]

The server database holds ``seed_store(patients, days)`` loaded with
``load_baseline`` (cached under /tmp/coordtui-bench; each run works on a
copy).  `coordtui server` runs in a child process; a fresh, empty store enrols
(``make_enrol_code`` + ``SyncClient.enrol``) and ``SyncClient.round(progress=...)``
is timed from the first request to the last page applied.  Bytes are counted
in the client's transport: request and response bodies as they travel (gzip).
Afterwards the bootstrapped store is searched for a sample of its patients.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from bench.common import OUT
from bench.sync_common import (
    CountingTransport,
    Server,
    copy_db,
    enrol,
    install_transport,
    load_avg,
    server_db,
)


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("patient", "appointment", "status_event", "patient_search")
        }
    finally:
        conn.close()


def _search_check(path: Path, samples: int = 200) -> tuple[int, int, list[float]]:
    """Search the store for ``samples`` of its patients by "family given"; (found, asked, secs)."""
    from coordtui.store import search

    conn = sqlite3.connect(path)
    try:
        ids = conn.execute(
            "SELECT id, family_name, given_name FROM patient WHERE merged_into IS NULL"
        ).fetchall()
        rng = random.Random(6)
        found, times = 0, []
        for pid, family, given in rng.sample(ids, min(samples, len(ids))):
            started = time.perf_counter()
            hits = search.search(conn, f"{family} {given}", date.today(), limit=500)
            times.append(time.perf_counter() - started)
            found += any(h.patient_id == pid for h in hits)
        return found, min(samples, len(ids)), times
    finally:
        conn.close()


def _page_sizes(server: Server, token: str) -> tuple[int, int, int]:
    """(rows, gzip bytes, identity bytes) of the first bootstrap page, asked for twice."""
    from coordtui.sync.client import headers

    out = []
    for encoding in ("gzip", "identity"):
        with httpx.Client(base_url=server.url, headers=headers(token), timeout=60) as http:
            response = http.post(
                "/v1/pull",
                content=json.dumps({"cursor": None}),
                headers={"accept-encoding": encoding},
            )
            response.read()
            out.append((len(response.json()["changes"]), response.num_bytes_downloaded))
    return out[0][0], out[0][1], out[1][1]


def one_run(source: Path, run: int, page_rows: int | None, quiet: bool) -> dict:
    from coordtui.store.db import open_store
    from coordtui.sync import local
    from coordtui.sync.client import TOKEN, SyncClient

    work = OUT / "sync-bootstrap"
    work.mkdir(parents=True, exist_ok=True)
    server_path = copy_db(source, work / "server.db")
    url = f"sqlite:///{server_path}"
    store = work / "desk.db"
    for suffix in ("", "-wal", "-shm", ".sync-lock"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    (code,) = enrol(url)
    with Server(url) as server:
        engine = open_store(store)
        client = SyncClient(engine, store, timeout=120, page_rows=page_rows)
        client.enrol(server.url, code, f"bench-{run}")
        transport = CountingTransport()
        install_transport(client, transport)
        marks: list[tuple[float, int, int | None]] = []
        started = time.perf_counter()

        def progress(done: int, remaining: int | None) -> None:
            marks.append((time.perf_counter() - started, done, remaining))
            if not quiet:
                left = f", {remaining:,} to go" if remaining is not None else ""
                print(f"\r  {done:,} rows{left}   ", end="", file=sys.stderr, flush=True)

        from coordtui.sync import client as client_module

        applies: list[float] = []
        real_apply = client_module.local.apply_page

        def timed_apply(*a, **kw):
            t = time.perf_counter()
            try:
                return real_apply(*a, **kw)
            finally:
                applies.append(time.perf_counter() - t)

        client_module.local.apply_page = timed_apply
        try:
            report = client.round(progress=progress)
        finally:
            client_module.local.apply_page = real_apply
        elapsed = time.perf_counter() - started
        if not quiet:
            print(file=sys.stderr)
        token = local.read_meta(engine, TOKEN)
        client.close()
        engine.dispose()
        page = _page_sizes(server, token)
    counts = _counts(store)
    found, asked, search_times = _search_check(store)
    return {
        "elapsed": elapsed,
        "rows": report.rows,
        "pages": report.pages,
        "requests": transport.requests,
        "sent": transport.sent,
        "received": transport.received,
        "marks": marks,
        "applies": applies,
        "counts": counts,
        "search_found": found,
        "search_asked": asked,
        "search_p50_ms": statistics.median(search_times) * 1000,
        "page": page,
        "store_mb": store.stat().st_size / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=50, help="days of appointments (2,000/day)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--page-rows", type=int, default=None, help="pull page size (server default)"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    print(f"load average at start: {load_avg()}")
    source = server_db(args.patients, args.days)
    results = []
    for run in range(1, args.runs + 1):
        r = one_run(source, run, args.page_rows, args.quiet)
        results.append(r)
        wire = r["received"] + r["sent"]
        quarter = [m for m in r["marks"] if m[2] is not None]
        print(
            f"run {run}: {r['elapsed']:.1f} s, {r['rows']:,} rows in {r['pages']} pages "
            f"({r['rows'] / r['elapsed']:,.0f} rows/s); received {r['received'] / 1e6:.1f} MB, "
            f"sent {r['sent'] / 1e3:.0f} kB; {wire / r['rows']:.1f} B/row on the wire; "
            f"load {load_avg()}"
        )
        if quarter:
            total = quarter[0][1] + quarter[0][2]
            steps = []
            for share in (0.25, 0.5, 0.75):
                hit = next((m for m in quarter if m[1] >= share * total), quarter[-1])
                steps.append(f"{int(share * 100)}% at {hit[0]:.1f} s")
            print(f"  progress: {len(r['marks'])} callbacks; " + ", ".join(steps))
        applied = sum(r["applies"])
        print(
            f"  split: applying pages on the workstation {applied:.1f} s (last page, with the "
            f"lookup index build, {r['applies'][-1]:.1f} s); requests and waiting for the "
            f"server {r['elapsed'] - applied:.1f} s"
        )
        print(f"  store: {r['counts']} ({r['store_mb']:.0f} MB)")
        print(
            f"  search: {r['search_found']}/{r['search_asked']} sampled patients found by "
            f"'family given' (median {r['search_p50_ms']:.2f} ms)"
        )
        rows, gz, identity = r["page"]
        print(
            f"  first page: {rows} rows, {gz / rows:.1f} B/row gzip vs "
            f"{identity / rows:.1f} B/row identity ({identity / gz:.1f}x)"
        )
    times = [r["elapsed"] for r in results]
    print(
        f"bootstrap: median {statistics.median(times):.1f} s, max {max(times):.1f} s "
        f"over {len(times)} runs ({', '.join(f'{t:.1f}' for t in times)}); target <= 60 s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
