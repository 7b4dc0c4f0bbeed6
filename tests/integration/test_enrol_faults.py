"""Issue 11, part 2: enrolment survives a lost answer.

Through a proxy that loses the server's answers (the server took the code),
``coordtui connect`` asks again with the same code and the key it chose and
gets the same enrolment: one code, one workstation, a token that works.  An
enrolment whose answer never arrived anywhere (an older desk with no key)
is listed by ``server clients`` as never synced.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from coordtui.server import enrolment
from coordtui.store.db import open_store
from coordtui.sync.client import SyncClient, SyncError, register
from tests.faultproxy import FaultProxy
from tests.sync_env import ROOT, clinic_thread_server, sqlite_url


@pytest.fixture
def server(tmp_path):
    srv = clinic_thread_server(sqlite_url(tmp_path / "server.db"), tmp_path)
    yield srv
    srv.close()


def test_a_lost_answer_is_asked_again_with_the_same_code(tmp_path, server):
    code = server.enrol_code()
    waits: list[float] = []
    engine = open_store(tmp_path / "a.db")
    client = SyncClient(engine, tmp_path / "a.db", timeout=5)
    with FaultProxy("127.0.0.1", server.port, seed=3, drop_response=1.0) as proxy:
        # Every answer lost: the server took the code the first time; each try after
        # that is the same enrolment again, and still no answer arrives.
        with pytest.raises(SyncError, match="Cannot reach the server"):
            client.enrol(proxy.url, code, "desk-a", tries=3, pause=waits.append)
        assert proxy.counters.responses_dropped == 3 and len(waits) == 2
        assert len(enrolment.clients(server.engine)) == 1, "one code, one enrolment"
        assert not client.connected

        # The person runs `connect` again with the same code; its first answer is lost
        # too, then the link comes back: the desk's key from the first run gets the
        # enrolment.
        def link_back(seconds: float) -> None:
            waits.append(seconds)
            proxy.stop_faults()

        try:
            client.enrol(proxy.url, code, "desk-a", pause=link_back)
            assert client.round().rows > 0
        finally:
            client.close()
            engine.dispose()
    assert len(waits) == 3 and proxy.counters.responses_dropped == 4
    (enrolled,) = enrolment.clients(server.engine)
    assert enrolled["name"] == "desk-a" and enrolled["last_seen"] is not None
    # The code is still spent for anyone else (another key).
    with pytest.raises(SyncError, match="used"):
        register(server.url, code, "desk-b", tries=1)


def test_another_key_cannot_take_over_an_enrolment(server):
    code = server.enrol_code()
    first = httpx.post(
        server.url + "/v1/register",
        json={"code": code, "name": "a", "key": "k" * 43},
        headers=_headers(),
        timeout=10,
    )
    same = httpx.post(
        server.url + "/v1/register",
        json={"code": code, "name": "a", "key": "k" * 43},
        headers=_headers(),
        timeout=10,
    )
    other = httpx.post(
        server.url + "/v1/register",
        json={"code": code, "name": "a", "key": "z" * 43},
        headers=_headers(),
        timeout=10,
    )
    assert first.status_code == same.status_code == 200
    assert first.json() == same.json()
    assert other.status_code == 403 and "used" in other.json()["error"]
    keyless = httpx.post(
        server.url + "/v1/register", json={"code": code, "name": "a"}, headers=_headers()
    )
    assert keyless.status_code == 403


def test_server_clients_lists_enrolments_that_never_synced(tmp_path, server):
    # An older desk (no key) lost its answer: an enrolment nobody holds.
    orphan, _token = enrolment.register(server.engine, server.enrol_code(), "lost-answer")
    engine = open_store(tmp_path / "a.db")
    client = SyncClient(engine, tmp_path / "a.db", timeout=5)
    try:
        synced = client.enrol(server.url, server.enrol_code(), "desk-a")
        client.round()
    finally:
        client.close()
        engine.dispose()
    listed = subprocess.run(
        [sys.executable, "-m", "coordtui", "server", "clients", "--database-url",
         server.database_url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "never synced" in lines[orphan] and "lost-answer" in lines[orphan]
    assert "never synced" not in lines[synced] and " seen " in lines[synced]


def _headers() -> dict[str, str]:
    from coordtui.sync.client import headers

    return headers()
