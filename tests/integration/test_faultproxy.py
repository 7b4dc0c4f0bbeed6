"""The fault-injecting proxy (tests/faultproxy.py) against a real HTTP/1.1 server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faultproxy import FaultProxy

BODY = b"0123456789abcdef" * 64  # 1 KiB answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.handled: list[tuple[str, str, int]] = []  # (method, path, body length)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.handled)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn does
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _Server

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.handled.append(("GET", self.path, 0))
        size = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/big/") else 0
        self._answer(b"x" * size if size else BODY)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # "Commit" before answering, like the clinic server does.
        with self.server.lock:
            self.server.handled.append(("POST", self.path, len(data)))
        self._answer(b"stored %d" % len(data))

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def proxy(server):
    p = FaultProxy("127.0.0.1", server.server_address[1], seed=1234)
    with p:
        yield p


def _client(proxy: FaultProxy) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, timeout=5.0)


def test_no_faults_everything_passes_on_one_keepalive_connection(server, proxy):
    with _client(proxy) as client:
        for i in range(20):
            if i % 2:
                r = client.post("/items", content=b"p" * i)
                assert r.status_code == 200 and r.content == b"stored %d" % i
            else:
                r = client.get("/hello")
                assert r.status_code == 200 and r.content == BODY
    c = proxy.counters
    assert server.count == 20
    assert c.connections == 1
    assert c.exchanges == c.forwarded == c.responses == 20
    assert c.dropped == c.delayed == c.responses_dropped == c.truncated == 0


def test_large_bodies_pass_through_and_count_as_one_exchange(server, proxy):
    big = bytes(range(256)) * 8192  # 2 MiB upload, arrives in many chunks
    with _client(proxy) as client:
        r = client.post("/upload", content=big)
        assert r.content == b"stored %d" % len(big)
        r = client.get(f"/big/{3 * 1024 * 1024}")
        assert len(r.content) == 3 * 1024 * 1024
    assert server.handled[0] == ("POST", "/upload", len(big))
    assert proxy.counters.exchanges == 2


def test_drop_fails_every_request_and_the_server_sees_none(server, proxy):
    proxy.set_faults(drop=1.0)
    with _client(proxy) as client:
        for _ in range(5):
            with pytest.raises(httpx.TransportError):
                client.post("/items", content=b"never arrives")
    assert server.count == 0
    c = proxy.counters
    assert c.dropped == c.exchanges == 5
    assert c.forwarded == 0


def test_truncate_gives_an_incomplete_response(server, proxy):
    proxy.set_faults(truncate=1.0)
    with _client(proxy) as client:
        for _ in range(3):
            with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
                client.get("/hello")
    assert server.count == 3
    assert proxy.counters.truncated == 3


def test_drop_response_the_server_handled_it_but_the_client_gets_an_error(server, proxy):
    proxy.set_faults(drop_response=1.0)
    with _client(proxy) as client:
        for i in range(4):
            with pytest.raises(httpx.TransportError):
                client.post("/items", content=b"committed %d" % i)
    assert server.count == 4  # every request was handled ...
    c = proxy.counters
    assert c.responses_dropped == c.forwarded == 4  # ... and no answer got through
    assert c.responses == 0


def test_delay_holds_each_request_back(server, proxy):
    proxy.set_faults(delay=1.0, delay_ms=150)
    with _client(proxy) as client:
        start = time.monotonic()
        assert client.get("/hello").content == BODY
        assert client.get("/hello").content == BODY
        elapsed = time.monotonic() - start
    assert elapsed >= 0.3
    assert proxy.counters.delayed == 2


def _outcomes(server_port: int, n: int) -> list[bool]:
    with (
        FaultProxy("127.0.0.1", server_port, seed=99, drop=0.3, drop_response=0.3) as p,
        _client(p) as client,
    ):
        results = []
        for _ in range(n):
            try:
                client.post("/items", content=b"x")
                results.append(True)
            except httpx.TransportError:
                results.append(False)
        return results


def test_faults_are_seeded_and_hit_individual_requests(server):
    port = server.server_address[1]
    first = _outcomes(port, 30)
    assert first == _outcomes(port, 30)  # same seed, same pattern
    assert 0 < sum(first) < 30  # some pass, some fail


def test_stop_faults_lets_everything_through(server, proxy):
    proxy.set_faults(drop=0.5, delay=0.2, delay_ms=(1, 5), drop_response=0.3, truncate=0.3)
    failures = 0
    with _client(proxy) as client:
        for _ in range(20):
            try:
                client.get("/hello")
            except httpx.TransportError:
                failures += 1
        assert failures > 0
        proxy.stop_faults()
        assert set(proxy.probabilities.values()) == {0.0}
        proxy.reset_counters()
        for _ in range(20):
            assert client.get("/hello").content == BODY
    assert proxy.counters.responses == 20


def test_server_down_and_proxy_stopped(server):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    with FaultProxy("127.0.0.1", dead_port) as p, _client(p) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/hello")
        assert p.counters.upstream_failures == 1

    p = FaultProxy("127.0.0.1", server.server_address[1]).start()
    url = p.url
    with httpx.Client(base_url=url, timeout=5.0) as client:
        assert client.get("/hello").status_code == 200
        p.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/hello")
    p.stop()  # idempotent


def test_rejects_bad_probabilities():
    with pytest.raises(ValueError):
        FaultProxy("127.0.0.1", 1, drop=1.5)
