"""Issue 11, part 4: transport and abuse.

Plain HTTP off loopback is refused unless --trusted-network says the network
is private (and then logged); `connect http://` to another machine warns and
asks for the same flag; failed enrolments and token checks are limited per
source address (429 with Retry-After, logged without patient data, other
addresses unaffected); unauthenticated bodies are refused before they are
read; `export --out` is created 0600; the device token stays out of
`config show` and exports.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import httpx
import pytest

from coordtui.cli_sync import is_loopback
from coordtui.replication.protocol import MAX_BODY
from coordtui.server.limits import FailureLimiter
from coordtui.sync.client import headers
from tests.sync_env import (
    ROOT,
    Workstation,
    clinic_thread_server,
    free_port,
    run_coordtui,
    sqlite_url,
)

coordtui = run_coordtui


@pytest.fixture
def server(tmp_path):
    srv = clinic_thread_server(sqlite_url(tmp_path / "server.db"), tmp_path)
    yield srv
    srv.close()


def test_loopback_is_this_machine_only():
    for host in ("127.0.0.1", "127.5.6.7", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "clinic-server", "localhost.example.org"):
        assert not is_loopback(host), host


def test_plain_http_off_loopback_needs_the_trusted_network_flag(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    refused = coordtui("server", "--database-url", url, "--host", "0.0.0.0", "--port", "0",
                       home=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert "refusing to serve plain HTTP on 0.0.0.0" in refused.stderr
    assert "--ssl-certfile" in refused.stderr and "--trusted-network" in refused.stderr
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "coordtui", "server", "--database-url", url, "--host", "0.0.0.0",
         "--port", str(port), "--trusted-network"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("listening" in x for x in lines):
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
        log = "".join(lines)
        assert "listening on http://0.0.0.0:" in log, log
        assert "serving plain HTTP on 0.0.0.0 (--trusted-network)" in log
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_connect_over_http_to_another_machine_warns_and_needs_the_flag(tmp_path):
    store = tmp_path / "desk.db"
    # 192.0.2.1 is TEST-NET-1: nothing answers there, and the refusal comes first.
    said = coordtui("--db", str(store), "connect", "http://192.0.2.1:8765", "ABCD-EFGH-JKLM",
                    home=tmp_path)  # fmt: skip
    assert said.returncode == 2
    assert "warning: 192.0.2.1 is reached over plain HTTP" in said.stderr
    assert "--trusted-network" in said.stderr
    assert not store.exists(), "nothing was set up"
    bad = coordtui("--db", str(store), "connect", "ftp://x/", "ABCD", home=tmp_path)
    assert bad.returncode == 2 and "not an http:// or https:// address" in bad.stderr


def test_failed_enrolments_are_limited_per_address(server):
    local_2 = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10)
    with httpx.Client(timeout=10) as http, local_2:

        def enrol(client, code):
            return client.post(
                server.url + "/v1/register", json={"code": code, "name": "x"}, headers=headers()
            )

        answers = [enrol(http, f"WRONG-CODE-{i:04d}").status_code for i in range(12)]
        assert answers == [403] * 10 + [429] * 2
        limited = enrol(http, server.enrol_code())  # even a right code waits now
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert "Too many failed attempts" in limited.json()["error"]
        # Another address is not held up by this one.
        assert enrol(local_2, server.enrol_code()).status_code == 200
        # Failed token checks count the same way.
        for _ in range(10):
            r = local_2.post(server.url + "/v1/pull", json={}, headers=headers("x.y"))
            assert r.status_code == 401
        r = local_2.post(server.url + "/v1/pull", json={}, headers=headers("x.y"))
        assert r.status_code == 429 and "retry-after" in r.headers


def test_the_limit_forgets_failures_after_a_minute():
    now = [0.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("10.0.0.9") is None
        limiter.failed("10.0.0.9", "enrolment")
    assert limiter.retry_after("10.0.0.9") == 60
    now[0] = 30.5
    assert limiter.retry_after("10.0.0.9") == 30
    now[0] = 60.0
    assert limiter.retry_after("10.0.0.9") is None
    assert FailureLimiter(limit=0).retry_after("x") is None


def test_big_bodies_without_a_token_are_refused_before_they_are_read(server):
    big = b"{" + b" " * (MAX_BODY - 10) + b"}"
    with httpx.Client(timeout=30) as http:
        r = http.post(server.url + "/v1/push", content=big, headers=headers())
        assert r.status_code == 401  # the token, not the body (not 413, not 400)
        r = http.post(server.url + "/v1/register", content=b"{" + b" " * 5000 + b"}",
                      headers=headers())  # fmt: skip
        assert r.status_code == 413 and "4096" in r.json()["error"]


def test_export_file_is_private_from_creation_and_the_token_stays_out(tmp_path, server):
    desk = Workstation(tmp_path / "desk.db", "desk-a").connect(server)
    desk.close()
    from coordtui.store.db import open_store
    from coordtui.sync import local

    engine = open_store(desk.path)
    token = local.read_meta(engine, "sync.token")
    engine.dispose()
    secret = token.split(".", 1)[1]
    out = tmp_path / "out" / "bundle.json"
    out.parent.mkdir()
    done = coordtui("--db", str(desk.path), "export", "--out", str(out), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    out.chmod(0o644)  # a file left readable by something else is made private again
    again = coordtui("--db", str(desk.path), "export", "--out", str(out), home=tmp_path)
    assert again.returncode == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600
    shown = coordtui("--db", str(desk.path), "config", "show", home=tmp_path)
    for said in (out.read_text(), shown.stdout, shown.stderr, done.stderr):
        assert secret not in said
    json.loads(out.read_text())
