"""Shared bits for the sync benchmarks: cached server databases, a server child process,
workstations made from copies, and a byte-counting HTTP transport."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import OUT, laid_out_at, seeded_store, store_clock

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def copy_db(src: Path, dst: Path) -> Path:
    """Copy a SQLite file that nobody has open (no -wal to carry), replacing ``dst``."""
    for suffix in ("", "-wal", "-shm", ".sync-lock"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o600)
    return dst


def server_db(patients: int, days: int, log=print) -> Path:
    """A server SQLite file holding ``seed_store(patients, days)`` as its baseline (cached).

    Built once per size under /tmp/coordtui-bench: seed a workstation store, then
    ``load_baseline`` into an empty server.  Callers copy it before use
    (enrolment writes to it).
    """
    from coordtui.server.baseline import load_baseline
    from coordtui.server.schema import create_schema, make_engines
    from coordtui.store.db import open_store
    from coordtui.store.files import SCHEMA_VERSION

    path = OUT / f"server-{patients}-{days}.db"
    marker = path.with_suffix(".done")
    started = time.perf_counter()
    store = seeded_store(patients, days)  # cached; re-seeded only when out of date
    # The desks are copies of that store: the server must hold the same rows.
    stamp = f"v{SCHEMA_VERSION} {laid_out_at(store)[0]}"
    if path.exists() and marker.exists() and marker.read_text() == stamp:
        return path
    log(f"  seeded store {store.name} ({time.perf_counter() - started:.1f} s)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    marker.unlink(missing_ok=True)
    writer, _ = make_engines(f"sqlite:///{path}")
    create_schema(writer)
    source = open_store(store)
    started = time.perf_counter()
    copied = load_baseline(writer, source)
    source.dispose()
    writer.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    log(f"  load_baseline: {copied:,} rows in {time.perf_counter() - started:.1f} s")
    marker.write_text(stamp)
    return path


class Server:
    """`python -m coordtui server` in a child process on a loopback port."""

    def __init__(self, database_url: str, port: int | None = None):
        self.database_url = database_url
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coordtui", "server", "--database-url", self.database_url,
             "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not come up")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def writer_engine(database_url: str):
    from coordtui.server.schema import make_engines

    writer, _ = make_engines(database_url)
    return writer


def enrol(database_url: str, count: int = 1) -> list[str]:
    """One-time enrolment codes, made directly in the server's database."""
    from coordtui.server.enrolment import make_enrol_code

    engine = writer_engine(database_url)
    try:
        return [make_enrol_code(engine) for _ in range(count)]
    finally:
        engine.dispose()


class CountingTransport(httpx.HTTPTransport):
    """Counts bytes on the wire (bodies as sent/received, i.e. gzip when gzipped)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sent = 0
        self.received = 0
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent += len(request.content)
        self.requests += 1
        response = super().handle_request(request)
        stream = response.stream

        counter = self

        class _Counted(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in stream:
                    counter.received += len(chunk)
                    yield chunk

            def close(self):
                stream.close()

        response.stream = _Counted()
        return response


def install_transport(client, transport: httpx.BaseTransport) -> None:
    """Make a SyncClient use ``transport`` (same settings as SyncClient._client)."""
    from coordtui.sync.client import NotConnected, headers

    url, token, ca = client.settings()
    if not (url and token):
        raise NotConnected("not connected")
    client.close()
    client._http = httpx.Client(
        base_url=url,
        headers=headers(token),
        timeout=httpx.Timeout(client.timeout, connect=5.0),
        transport=transport,
    )
    client._http_key = (url, token, ca)


def head_cursor(database_url: str) -> str:
    """A pull cursor at the server's head: what a workstation holds once up to date."""
    from sqlalchemy import select, text

    from coordtui.server.cursors import Position, encode_cursor
    from coordtui.server.schema import make_engines, meta, srv_head, srv_version

    writer, reader = make_engines(database_url)
    try:
        with reader.connect() as conn:
            epoch = meta(conn, "epoch")
            seq = conn.execute(select(srv_head.c.seq)).scalar_one()
            vid = conn.execute(select(srv_version.c.id).where(srv_version.c.seq == seq)).scalar()
            last = conn.execute(
                text(
                    "SELECT table_name, row_key FROM srv_change WHERE seq = :s "
                    "ORDER BY table_name DESC, row_key DESC LIMIT 1"
                ),
                {"s": seq},
            ).first()
        return encode_cursor(Position(epoch or "", seq, vid or "", last[0], last[1]))
    finally:
        writer.dispose()
        reader.dispose()


class Desk:
    """A workstation made from a copy of the store the server's baseline came from.

    The copy holds the same rows as the server, so after enrolling, its cursor is
    set at the server's head instead of bootstrapping (which at 1,000,000 patients
    would take minutes and measure the bootstrap, not the round).
    """

    def __init__(self, path: Path, actor: str):
        self.path = path
        self.actor = actor
        self.service = None
        self.client = None
        self.transport: CountingTransport | None = None

    def connect(self, server: Server, code: str, cursor: str, count_bytes: bool = True) -> Desk:
        from coordtui.service import Service
        from coordtui.sync import local
        from coordtui.sync.client import SyncClient

        self.service = Service(self.path, actor=self.actor, clock=store_clock(self.path))
        self.client = SyncClient(self.service.engine, self.path, timeout=30)
        self.client.enrol(server.url, code, self.actor)
        local.write_meta(self.service.engine, {local.CURSOR: cursor})
        if count_bytes:
            self.transport = CountingTransport()
            install_transport(self.client, self.transport)
        return self

    def close(self) -> None:
        if self.client:
            self.client.close()
        if self.service:
            self.service.close()


def desks_for(patients: int, names: list[str], work: Path, log=print):
    """(server database URL, [desk store paths]) for a clinic of ``patients`` (1 day seeded)."""
    source = server_db(patients, 1, log=log)
    store = seeded_store(patients, 1)
    work.mkdir(parents=True, exist_ok=True)
    server_path = copy_db(source, work / "server.db")
    paths = [copy_db(store, work / f"{name}.db") for name in names]
    return f"sqlite:///{server_path}", paths
