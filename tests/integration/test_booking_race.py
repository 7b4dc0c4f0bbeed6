"""Acceptance (issue 4): two processes book the same slot at the same moment, 200 times.

Two forked workers, each with its own Service on the same store file, meet
at a barrier before every round and then book the same provider at the same
time.  Exactly one must win each round; the other must get the refusal with
the reason and nearest alternatives.  The guarantee comes from the booking
mutation checking for conflicts inside its ``BEGIN IMMEDIATE`` transaction:
the second writer waits for the lock and then sees the first one's row.
"""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from tests.builders import ALL_DAY

ROUNDS = 200


def _worker(db_path, name, patient_id, provider_id, starts, barrier, results) -> None:
    from coordtui.mutations import MutationError
    from coordtui.service import Service

    svc = Service(db_path, actor=name)
    svc.warm_up()  # the ORM import and the engine are ready before the first round
    try:
        for index, start in enumerate(starts):
            barrier.wait(timeout=30)
            try:
                result = svc.book(patient_id, provider_id, start, "Follow-up")
                results.put((index, name, "ok", result["appointment_id"], []))
            except MutationError as exc:
                results.put((index, name, "refused", str(exc), exc.alternatives))
    finally:
        svc.close()


def test_two_processes_booking_the_same_slot_200_times_exactly_one_wins(builder, db_path):
    dr = builder.provider("Dr Okafor", hours=ALL_DAY)
    patients = [builder.patient("Ada", "Lovelace"), builder.patient("Bo", "Diddley")]
    builder.close()
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow += timedelta(days=1)
    starts = [tomorrow + timedelta(minutes=15 * i) for i in range(ROUNDS)]

    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker,
            args=(db_path, f"desk{n}", patients[n], dr, starts, barrier, results),
        )
        for n in range(2)
    ]
    for w in workers:
        w.start()
    rounds: dict[int, list[tuple]] = {}
    try:
        for _ in range(2 * ROUNDS):
            index, name, outcome, detail, alternatives = results.get(timeout=60)
            rounds.setdefault(index, []).append((name, outcome, detail, alternatives))
    except queue.Empty:
        raise AssertionError(f"workers stalled after {len(rounds)} rounds") from None
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.terminate()
    assert all(w.exitcode == 0 for w in workers)

    winners = []
    for index in range(ROUNDS):
        outcomes = sorted(rounds[index], key=lambda r: r[1])  # "ok" before "refused"
        assert [o[1] for o in outcomes] == ["ok", "refused"], f"round {index}: {outcomes}"
        winners.append(outcomes[0][2])
        _, _, message, alternatives = outcomes[1]
        assert message.startswith("The provider is already booked "), message
        assert alternatives, f"round {index}: no alternatives offered"
        taken = starts[index].isoformat()
        assert all(a["start"] != taken and a["provider_id"] == dr for a in alternatives)
    # both desks won some rounds: the race was real, not one process always first
    assert len({name for r in rounds.values() for name, outcome, *_ in r if outcome == "ok"}) == 2

    with closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute(
            "SELECT id, start_utc, end_utc FROM appointment WHERE status = 'booked' "
            "ORDER BY start_utc"
        ).fetchall()
        assert sorted(r[0] for r in rows) == sorted(winners)
        assert len(rows) == ROUNDS
        assert all(a[2] <= b[1] for a, b in zip(rows, rows[1:], strict=False))
        outbox = conn.execute("SELECT name, count(*) FROM outbox GROUP BY name").fetchall()
        assert outbox == [("book_appointment", ROUNDS)]  # refusals left no outbox entry
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
