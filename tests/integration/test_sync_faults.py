"""Acceptance 4 (issue 6): sync through a faulty network, killed clients and a server restart.

Three workstations reach a real clinic server through a FaultProxy that drops,
delays and truncates a seeded share of requests and answers.  They register
patients, book, check in, log calls and edit patients, syncing as they go;
meanwhile a workstation's sync runs in a child process that is SIGKILLed at a
random moment (mid-push or mid-pull: it pulls in pages of 2 rows), and the
server is killed and started again.  Once the faults stop and the outboxes
drain, every store must equal the server (rows and FHIR export), and every
mutation a workstation was told succeeded must be on the server or in that
workstation's Conflicts list -- exactly once.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from coordtui.sync import local
from coordtui.sync.client import SyncError, headers
from tests.faultproxy import FaultProxy
from tests.sync_env import (
    OPERATIONS,
    ROOT,
    Ledger,
    Workstation,
    check_converged,
    check_nothing_lost,
    drain,
    dump,
    random_operation,
    server_overlaps,
    sqlite_url,
    start_server,
)

pytestmark = pytest.mark.slow

SEED = 4242
STEPS = 75
SERVER_DOWN = range(40, 46)  # the server is dead for these steps, then restarted
CHILD_KILLS = (12, 30, 58)  # steps at which a child's sync is SIGKILLed
WEIGHTS = {"register": 3, "book": 4, "status": 3, "call": 2, "update": 2, "walk_in": 1}

# One workstation's sync in its own process, looping rounds until killed.  Children
# are started early (imports take seconds) and wait for "PATH PAGE_ROWS" on stdin;
# each prints its request paths so the test can tell where the kill landed.
CHILD = r"""
import sys
from pathlib import Path

import coordtui.mutations  # noqa: F401  (loaded before the go, like a running app)
from coordtui.store.db import open_store
from coordtui.sync.client import SyncClient, SyncError


class Noisy(SyncClient):
    def _post(self, path, payload):
        print(path, flush=True)
        return super()._post(path, payload)


print("loaded", flush=True)
where, page_rows = sys.stdin.readline().split()
path = Path(where)
client = Noisy(open_store(path), path, timeout=5, page_rows=int(page_rows))
print("ready", flush=True)
while True:
    try:
        client.round()
    except SyncError:
        pass
"""


def _spawn_child() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _operate(desk, rng, ids, ledger, n):
    kinds, weights = zip(*WEIGHTS.items(), strict=True)
    assert set(kinds) == set(OPERATIONS)
    for _ in range(n):
        random_operation(desk, rng.choices(kinds, weights)[0], rng.randrange(1 << 20), ids, ledger)


def _try_sync(desk, stats):
    try:
        report = desk.sync()
    except SyncError:
        stats["rounds_failed"] += 1
        return
    stats["rounds_skipped" if report.skipped else "rounds_ok"] += 1


def _kill_mid_sync(child, desk, desks, rng, ids, ledger, stats):
    """Let ``child`` sync ``desk``, keep working meanwhile, then SIGKILL the child."""
    try:
        assert child.stdout.readline().strip() == "loaded", child.stderr.read()[-3000:]
        child.stdin.write(f"{desk.path} 2\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "ready", child.stderr.read()[-3000:]
        for _ in range(rng.randint(1, 3)):  # the desk keeps working while its sync runs
            _operate(rng.choice([desk, *desks]), rng, ids, ledger, 1)
        _try_sync(desk, stats)  # usually skipped: the child holds the store's sync lock
        time.sleep(rng.uniform(0.05, 0.4))
    finally:
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=20)
    assert child.returncode == -signal.SIGKILL, f"the child sync crashed:\n{err[-3000:]}"
    requests = [line for line in out.splitlines() if line.startswith("/v1/")]
    stats["child_requests"] += len(requests)
    if requests:
        stats[f"killed_after_{requests[-1].rsplit('/', 1)[-1]}"] += 1


def test_faulty_network_killed_clients_and_server_restart_converge_and_lose_nothing(tmp_path):
    rng = random.Random(SEED)
    children = {step: _spawn_child() for step in CHILD_KILLS}
    desks: list[Workstation] = []
    server = proxy = None
    try:
        server = start_server(sqlite_url(tmp_path / "server.db"), tmp_path)
        proxy = FaultProxy("127.0.0.1", server.port, seed=SEED, delay_ms=(1, 40)).start()
        for name in ("desk-a", "desk-b", "desk-c"):
            desks.append(Workstation(tmp_path / f"{name}.db", name).connect(server, proxy.url))
        desks[2].client.page_rows = 3  # one desk always pulls in small pages
        proxy.set_faults(drop=0.07, delay=0.2, drop_response=0.07, truncate=0.07)
        ids, ledger, stats = server.ids, Ledger(), Counter()
        for step in range(STEPS):
            if step == SERVER_DOWN.start:
                server.kill()
            if step == SERVER_DOWN.stop:
                server.start()
            if step in CHILD_KILLS:
                child = children.pop(step)
                _kill_mid_sync(child, rng.choice(desks), desks, rng, ids, ledger, stats)
            desk = rng.choice(desks)
            _operate(desk, rng, ids, ledger, rng.randint(1, 2))
            if rng.random() < 0.6:
                _try_sync(desk, stats)

        proxy.stop_faults()
        drain(desks)
        check_converged(server, desks, tmp_path / "server.db")
        totals = check_nothing_lost(server, desks, ledger)
        assert server_overlaps(server.engine) == []

        # The run exercised what it claims to.
        faults = proxy.counters
        assert faults.dropped and faults.responses_dropped and faults.truncated, faults
        assert stats["rounds_failed"] >= 10 and stats["rounds_ok"] >= 10, stats
        assert stats["child_requests"] > 0, stats
        assert totals["applied"] >= 60 and totals["conflicts"] >= 1, totals
    finally:
        for child in children.values():
            child.kill()
            child.communicate()
        for desk in desks:
            desk.close()
        if proxy is not None:
            proxy.stop()
        if server is not None:
            server.stop()


def test_a_paged_pull_survives_a_pending_mutation_the_server_already_applied(tmp_path):
    """Found by the test above: the answer to a push is lost, so the walk-in stays pending
    while the server has it; the next pull brings its rows back on a page before the
    last, where pending mutations run again on top -- and this one collides with its
    own rows (a duplicate key, not a business refusal).  The page must still apply."""
    server = start_server(sqlite_url(tmp_path / "server.db"), tmp_path)
    desk = None
    try:
        desk = Workstation(tmp_path / "desk.db", "desk").connect(server)
        desk.client.page_rows = 1
        desk.service.add_walk_in(server.ids["patients"][0], server.ids["providers"][0])
        engine = desk.service.engine
        answer = httpx.post(
            server.url + "/v1/push",
            json={"mutations": local.pending(engine, 10)},
            headers=headers(local.read_meta(engine, "sync.token")),
            timeout=10,
        )  # applied on the server; the desk never hears of it
        assert [r["status"] for r in answer.json()["results"]] == ["applied"]
        report = desk.sync()
        assert report.pages > 1 and desk.pending() == 0
        assert desk.dump() == dump(server.engine)
    finally:
        if desk is not None:
            desk.close()
        server.stop()
