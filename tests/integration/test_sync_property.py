"""Property test (issue 6, acceptance 4): random work on three desks with random disconnects.

Hypothesis draws a sequence of steps: a front-desk operation on one of three
workstations (register, book, check in / status change, log a call, edit a
patient, walk-in), a sync, or a change of that desk's network: offline (its
proxy drops every request), flaky (answers lost or cut short after the server
committed) or online.  After the steps every desk goes online and the outboxes
drain; then all stores equal the server (rows and FHIR export), every mutation
a desk was told succeeded is on the server or in that desk's Conflicts list
(exactly once), and the server has no overlapping active appointments of a
provider.  One real server serves every example (fresh workstations each
time), so the server-side invariants hold over everything done so far.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from coordtui.sync.client import SyncError
from tests.faultproxy import FaultProxy
from tests.sync_env import (
    OPERATIONS,
    Ledger,
    Workstation,
    check_converged,
    check_nothing_lost,
    drain,
    random_operation,
    server_overlaps,
    sqlite_url,
    start_server,
)

pytestmark = pytest.mark.slow

DESKS = 3
NETWORK = {
    "online": {"drop": 0.0, "drop_response": 0.0, "truncate": 0.0},
    "offline": {"drop": 1.0, "drop_response": 0.0, "truncate": 0.0},
    "flaky": {"drop": 0.0, "drop_response": 0.3, "truncate": 0.3},
}
# (what, desk, operation, pick, network): what < 7 an operation, 7-8 a sync, 9 a network
# change.  A small range of picks: desks often choose the same slot or patient.
STEP = st.tuples(
    st.integers(0, 9),
    st.integers(0, DESKS - 1),
    st.sampled_from(OPERATIONS),
    st.integers(0, 47),
    st.sampled_from(sorted(NETWORK)),
)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """One server for every example, each desk behind its own fault proxy."""
    base = tmp_path_factory.mktemp("sync-property")
    server = start_server(sqlite_url(base / "server.db"), base)
    proxies = [FaultProxy("127.0.0.1", server.port, seed=i).start() for i in range(DESKS)]
    try:
        yield server, proxies, base
    finally:
        for proxy in proxies:
            proxy.stop()
        server.stop()


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: every example costs real syncs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=st.lists(STEP, min_size=10, max_size=40))
def test_random_operations_and_disconnects_converge_and_lose_nothing(clinic, steps):
    server, proxies, base = clinic
    for proxy in proxies:
        proxy.stop_faults()
    home = Path(tempfile.mkdtemp(prefix="example-", dir=base))
    desks: list[Workstation] = []
    try:
        for i, proxy in enumerate(proxies):
            desk = Workstation(home / f"desk{i}.db", f"{home.name}-{i}")
            desks.append(desk.connect(server, proxy.url))
        ledger, network = Ledger(), ["online"] * DESKS
        for what, n, operation, pick, net in steps:
            desk = desks[n]
            if what < 7:
                random_operation(desk, operation, pick, server.ids, ledger)
            elif what == 9:
                network[n] = net
                proxies[n].set_faults(**NETWORK[net])
            elif network[n] == "online":
                desk.sync()  # no faults: a round must succeed
            else:
                with contextlib.suppress(SyncError):  # offline or flaky: may fail
                    desk.sync()
        for proxy in proxies:
            proxy.stop_faults()
        drain(desks)
        check_converged(server, desks, None)  # rows; the faults test also compares FHIR
        check_nothing_lost(server, desks, ledger)
        assert server_overlaps(server.engine) == []
    finally:
        for desk in desks:
            desk.close()
        shutil.rmtree(home, ignore_errors=True)
