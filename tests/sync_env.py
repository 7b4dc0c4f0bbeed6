"""Real clinic servers and workstations for sync tests.

``ServerProcess`` runs `python -m coordtui server` on loopback (so it can be
killed and restarted); ``Workstation`` is a real store file with the real
Service and SyncClient.  Nothing here is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from coordtui.server import logic
from coordtui.server.schema import create_schema, make_engines
from coordtui.service import Service
from coordtui.store.db import open_store
from coordtui.sync import rows
from coordtui.sync.client import SyncClient

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class ServerProcess:
    """`coordtui server` in a child process on a loopback port."""

    def __init__(self, database_url: str, port: int | None = None, env: dict | None = None):
        self.database_url = database_url
        self.port = port or free_port()
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        writer, _ = make_engines(database_url)
        create_schema(writer)
        self.engine = writer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict | None = None) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coordtui", "server", "--database-url", self.database_url,
             "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not come up")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.engine.dispose()

    def enrol_code(self) -> str:
        return logic.make_enrol_code(self.engine)

    def load(self, store_engine) -> int:
        return logic.load_baseline(self.engine, store_engine)


class Workstation:
    """A workstation's store, Service and sync client, enrolled with a server."""

    def __init__(self, path: Path, actor: str, clock=None):
        self.path = path
        self.actor = actor
        self.clock = clock
        self.service: Service | None = None
        self.client: SyncClient | None = None

    def connect(self, server: ServerProcess, url: str | None = None) -> Workstation:
        engine = open_store(self.path)
        client = SyncClient(engine, self.path)
        client.enrol(url or server.url, server.enrol_code(), self.actor)
        client.round()
        client.close()
        engine.dispose()
        self.open()
        return self

    def open(self) -> None:
        self.service = Service(self.path, actor=self.actor, clock=self.clock)
        self.client = SyncClient(self.service.engine, self.path, timeout=5)

    def sync(self):
        return self.client.round()

    def close(self) -> None:
        if self.client:
            self.client.close()
        if self.service:
            self.service.close()

    def pending(self) -> int:
        return self.service.pending_count()

    def dump(self) -> dict:
        return dump(self.service.engine)


def dump(engine) -> dict[str, list[dict]]:
    """Every synced row, encoded and sorted: two stores are identical iff dumps are equal."""
    out = {}
    with engine.connect() as conn:
        for name in rows.SYNCED:
            tbl = rows.table(name)
            key = rows.key_column(tbl)
            found = conn.execute(select(tbl).order_by(key)).mappings().all()
            out[name] = [json.loads(json.dumps(rows.encode(r), default=str)) for r in found]
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)
