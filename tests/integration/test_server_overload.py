"""Issue 11, part 6 in CI: a short overload is slowed down politely, never an error.

100 real workstations (stores, Service, SyncClient) write and sync as fast
as they can for 15 seconds against a real server process whose admission
is cut to a few places (COORDTUI_SERVER_PLACES), so most requests find it
full.  Past capacity the server answers 503 with Retry-After at once; the
desks keep their changes and try again.  Asserted: no 500 and no other
5xx, no client timeout, and once the load stops and every desk has synced,
every desk's confirmed mutations are applied exactly once (or refused into
its Conflicts list), and every store equals the server.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest

from coordtui.sync.client import ServerBusy, SyncError
from tests.sync_env import (
    Ledger,
    Workstation,
    check_converged,
    check_nothing_lost,
    random_operation,
    sqlite_url,
    start_server,
)

pytestmark = pytest.mark.slow

DESKS, SECONDS = 100, 15.0


def test_a_hundred_desks_past_capacity_get_busy_answers_and_lose_nothing(tmp_path):
    server = start_server(
        sqlite_url(tmp_path / "server.db"), tmp_path, env={"COORDTUI_SERVER_PLACES": "2,3"}
    )
    desks: list[Workstation] = []
    ledger = Ledger()
    said: Counter[str] = Counter()
    lock = threading.Lock()
    try:
        for n in range(DESKS):
            desks.append(_connect(Workstation(tmp_path / f"d{n}.db", f"d{n}"), server))
        stop = time.monotonic() + SECONDS

        def work(n: int, desk: Workstation) -> None:
            rng = random.Random(n)
            while time.monotonic() < stop:
                if rng.random() < 0.5:
                    kind = rng.choice(("register", "book", "call", "status"))
                    with lock:  # the ledger is shared
                        random_operation(desk, kind, rng.randrange(10**6), server.ids, ledger)
                outcome = _sync(desk)
                with lock:
                    said[outcome] += 1
                time.sleep(rng.uniform(0.05, 0.3))

        threads = [threading.Thread(target=work, args=(n, d)) for n, d in enumerate(desks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 120)
        assert said["busy"] > 0, f"the server was not overloaded: {said}"
        assert said["ok"] > 0, f"nothing got through: {said}"
        assert set(said) <= {"ok", "busy"}, f"only success or busy answers: {said}"

        # The load stops: each desk syncs until it has nothing pending.
        for desk in desks:
            for _ in range(30):
                if _sync(desk) == "ok" and desk.pending() == 0:
                    break
                time.sleep(0.2)
            assert desk.pending() == 0, desk.actor
        for desk in desks:  # and once more, to get what the others sent last
            assert _sync(desk) == "ok"
        totals = check_nothing_lost(server, desks, ledger)
        assert totals["applied"] > 0
        check_converged(server, desks, None)
        log = server.log()
        assert "answered 500" not in log and "Traceback" not in log
    finally:
        for desk in desks:
            desk.close()
        server.stop()


def _connect(desk: Workstation, server) -> Workstation:
    for _ in range(20):  # enrolment itself may find the server busy: try again
        try:
            return desk.connect(server)
        except SyncError:
            time.sleep(0.2)
    raise AssertionError(f"{desk.actor} could not enrol")


def _sync(desk: Workstation) -> str:
    try:
        desk.sync()
    except ServerBusy:
        return "busy"
    except SyncError as exc:
        return str(exc)[:80]  # a timeout, a 5xx, anything else: the test fails on it
    return "ok"
