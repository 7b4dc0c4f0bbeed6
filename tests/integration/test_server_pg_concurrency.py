"""Acceptance 6: two clinic server processes on one PostgreSQL, desks booking at once.

Six workstations, three on each server, book overlapping slots of the same two
providers from threads and sync as they go.  Afterwards the database holds no
two overlapping active appointments of a provider, every booking the servers
refused is in its workstation's Conflicts, and every store equals the server.
The exclusion constraint that backs this is also tested on its own.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from coordtui.mutations import MutationError
from coordtui.server.schema import create_schema, make_engines
from coordtui.sync import local
from coordtui.sync.client import ServerBusy, SyncError
from tests.builders import ALL_DAY, StoreBuilder
from tests.sync_env import ServerProcess, Workstation, dump, now_utc

ACTIVE = "('booked', 'arrived', 'in_room', 'done')"
DESKS, BOOKINGS, PER_SYNC = 6, 12, 3

OVERLAPS = f"""
SELECT count(*) FROM appointment a JOIN appointment b
  ON a.provider_id = b.provider_id AND a.id < b.id
 AND tstzrange(a.start_utc, a.end_utc, '[)') && tstzrange(b.start_utc, b.end_utc, '[)')
WHERE a.kind = 'scheduled' AND b.kind = 'scheduled'
  AND a.status IN {ACTIVE} AND b.status IN {ACTIVE}
"""


def _sync(desk: Workstation, tries: int = 5) -> None:
    """Sync as the app does: a busy server (503, Retry-After: it admits only a couple of
    pushes at once) is waited for as asked and not counted as a failed try."""
    busy_until = time.monotonic() + 120
    attempt = 0
    while True:
        try:
            desk.sync()
            return
        except ServerBusy as exc:
            if time.monotonic() + exc.retry_after > busy_until:
                raise
            time.sleep(exc.retry_after)
        except SyncError:
            attempt += 1
            if attempt == tries:
                raise


def _start_all(servers: list[ServerProcess]) -> None:
    errors: list[BaseException] = []

    def start(server: ServerProcess) -> None:
        try:
            server.start()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_two_servers_one_postgres_concurrent_bookings_never_overlap(tmp_path, pg_database):
    servers = [ServerProcess(pg_database), ServerProcess(pg_database)]
    b = StoreBuilder(tmp_path / "baseline.db")
    doctors = [b.provider("Dr Okafor", hours=ALL_DAY), b.provider("Dr Lindqvist", hours=ALL_DAY)]
    patients = [b.patient(f"Walker{i}", "Concurrent") for i in range(DESKS)]
    servers[0].load(b.engine)
    b.close()
    desks: list[Workstation] = []
    try:
        _start_all(servers)
        desks = [
            Workstation(tmp_path / f"desk{i}.db", f"desk{i}").connect(servers[i % 2])
            for i in range(DESKS)
        ]
        day = (now_utc() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        booked: dict[int, list[str]] = {i: [] for i in range(DESKS)}
        failures: list[BaseException] = []
        go = threading.Barrier(DESKS)

        def work(i: int) -> None:
            desk = desks[i]
            try:
                go.wait(30)
                for k in range(BOOKINGS):
                    # 30-minute visits every 20 minutes, shifted 5 minutes per desk:
                    # every desk's bookings overlap several of every other desk's.
                    start = day + timedelta(minutes=20 * k + 5 * (i % 4))
                    try:
                        made = desk.service.book(
                            patients[i], doctors[k % 2], start, "Consultation", minutes=30
                        )
                        booked[i].append(made["appointment_id"])
                    except MutationError:
                        pass  # this store already knows the slot is taken
                    if k % PER_SYNC == PER_SYNC - 1:
                        _sync(desk)
                _sync(desk)
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(DESKS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not failures, failures
        for _ in range(2):  # drain, then let everyone hear about everyone
            for desk in desks:
                _sync(desk)

        engine = servers[0].engine
        with engine.connect() as conn:
            assert conn.execute(text(OVERLAPS)).scalar_one() == 0
            standing = {
                r.id: r.provider_id
                for r in conn.execute(
                    text(f"SELECT id, provider_id FROM appointment WHERE status IN {ACTIVE}")
                )
            }
            locks = conn.execute(text("SELECT count(*) FROM slot_lock")).scalar_one()
        assert locks == len(standing)  # every standing booking holds its slot
        assert set(standing.values()) == set(doctors)

        refused = 0
        for i, desk in enumerate(desks):
            assert desk.pending() == 0
            conflicts = {
                c.args["appointment_id"]: c
                for c in local.conflicts(desk.service.engine)
                if c.name == "book_appointment"
            }
            for appointment_id in booked[i]:
                # Each booking either stands or is in this desk's Conflicts, never both.
                assert (appointment_id in standing) != (appointment_id in conflicts)
            for conflict in conflicts.values():
                assert conflict.reason
                assert conflict.args["appointment_id"] in booked[i]
            refused += len(conflicts)
        assert refused > 0, "the desks never contended for a slot"
        assert len(standing) + refused == sum(len(v) for v in booked.values())

        expected = dump(engine)
        for desk in desks:
            assert desk.dump() == expected
    finally:
        for desk in desks:
            desk.close()
        for server in servers:
            server.stop()


def test_the_exclusion_constraint_refuses_overlapping_slot_locks(pg_database):
    writer, _ = make_engines(pg_database)
    create_schema(writer)
    insert = text(
        "INSERT INTO slot_lock (appointment_id, provider_id, span) "
        "VALUES (:a, :p, tstzrange(CAST(:s AS timestamptz), CAST(:e AS timestamptz), '[)'))"
    )
    try:
        with writer.begin() as conn:
            conn.execute(insert, {"a": "a1", "p": "dr-1", "s": "2030-01-07 10:00Z",
                                  "e": "2030-01-07 10:30Z"})  # fmt: skip
        with pytest.raises(IntegrityError) as info, writer.begin() as conn:
            conn.execute(insert, {"a": "a2", "p": "dr-1", "s": "2030-01-07 10:15Z",
                                  "e": "2030-01-07 10:45Z"})  # fmt: skip
        assert "slot_lock_no_overlap" in str(info.value)
        with writer.begin() as conn:  # end meets start: no overlap; another provider: free
            conn.execute(insert, {"a": "a3", "p": "dr-1", "s": "2030-01-07 10:30Z",
                                  "e": "2030-01-07 11:00Z"})  # fmt: skip
            conn.execute(insert, {"a": "a4", "p": "dr-2", "s": "2030-01-07 10:00Z",
                                  "e": "2030-01-07 10:30Z"})  # fmt: skip
        with writer.connect() as conn:
            found = conn.execute(text("SELECT appointment_id FROM slot_lock ORDER BY 1"))
            assert found.scalars().all() == ["a1", "a3", "a4"]
    finally:
        writer.dispose()
