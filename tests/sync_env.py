"""Real clinic servers and workstations for sync tests.

``ServerProcess`` runs `python -m coordtui server` on loopback (so it can be
killed and restarted); ``Workstation`` is a real store file with the real
Service and SyncClient.  Nothing here is mocked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from coordtui.replication import rows
from coordtui.replication.protocol import HISTORY_DAYS
from coordtui.server import enrolment
from coordtui.server.baseline import load_baseline
from coordtui.server.schema import create_schema, make_engines
from coordtui.service import Service
from coordtui.store.db import open_store
from coordtui.sync.client import SyncClient

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def server_database(request, tmp_path: Path) -> str:
    """For a fixture parametrized ["sqlite", "postgres"]: that server database's URL."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "server.db")
    return request.getfixturevalue("pg_database")


class ServerProcess:
    """`coordtui server` in a child process on a loopback port."""

    def __init__(self, database_url: str, port: int | None = None, env: dict | None = None):
        self.database_url = database_url
        self.port = port or free_port()
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        # The server's log (stderr), kept across restarts; a file, not a pipe nobody
        # reads, which would stall a chatty server once full.
        fd, name = tempfile.mkstemp(prefix="coordtui-server-", suffix=".log")
        os.close(fd)
        self.log_path = Path(name)
        writer, _ = make_engines(database_url)
        create_schema(writer)
        self.engine = writer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict | None = None) -> ServerProcess:
        # One HTTP client for the health polls: a new one per poll loads a trust store
        # (~0.1 s of CPU) that competes with the starting server on a 2-core machine.
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "coordtui", "server", "--database-url", self.database_url,
                 "--port", str(self.port)],
                cwd=ROOT,
                env={**os.environ, **self.env, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        with httpx.Client(timeout=1, verify=False) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log()[-2000:]}")
                try:
                    if http.get(self.url + "/v1/health").status_code == 200:
                        return self
                except httpx.HTTPError:
                    time.sleep(0.05)
        raise RuntimeError("server did not come up")

    def log(self) -> str:
        """What the server has written to its log so far (all its runs)."""
        return self.log_path.read_text(errors="replace")

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
        return enrolment.make_enrol_code(self.engine)

    def load(self, store_engine) -> int:
        return load_baseline(self.engine, store_engine)


class Workstation:
    """A workstation's store, Service and sync client, enrolled with a server."""

    def __init__(self, path: Path, actor: str, clock=None):
        self.path = path
        self.actor = actor
        self.clock = clock
        self.service: Service | None = None
        self.client: SyncClient | None = None

    def connect(
        self, server: ServerProcess, url: str | None = None, history_days: int = HISTORY_DAYS
    ) -> Workstation:
        engine = open_store(self.path)
        client = SyncClient(engine, self.path, history_days=history_days)
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


# ------------------------------------------------- robustness helpers (issue 6, acceptance 4-5)
#
# A clinic baseline, random front-desk operations with a ledger of what each
# workstation was told succeeded, draining, and the invariants checked after
# faults: every store equals the server, and every confirmed mutation is either
# on the server or in its workstation's Conflicts list (never both, never neither).

# What a mutation leaves on the server when applied: (table, key in its args).
EFFECTS = {
    "register_patient": ("patient", "patient_id"),
    "book_appointment": ("appointment", "appointment_id"),
    "add_walk_in": ("appointment", "appointment_id"),
    "set_status": ("status_event", "event_id"),
    "log_call": ("call_note", "call_id"),
    "update_patient": ("patient_event", "event_id"),
}
OPERATIONS = ("register", "book", "status", "call", "update", "walk_in")


def small_clinic(path: Path):
    """One provider open all day (UTC), two patients: ids ``dr``, ``ada``, ``bo``."""
    b, ids = baseline_clinic(path, providers=1, patients=0)
    names = {"ada": ("Ada", "Lovelace"), "bo": ("Bo", "Diddley")}
    return b, {"dr": ids["providers"][0], **{k: b.patient(*v) for k, v in names.items()}}


def baseline_clinic(path: Path, providers: int = 2, patients: int = 3):
    """A StoreBuilder clinic with providers open all day (UTC) and a few patients."""
    from tests.builders import ALL_DAY, StoreBuilder

    b = StoreBuilder(path)
    names = ("Okafor", "Lin", "Weiss")[:providers]
    ids = {"providers": [b.provider(f"Dr {n}", hours=ALL_DAY) for n in names]}
    ids["patients"] = [b.patient(f"Base{i}", "Patient") for i in range(patients)]
    return b, ids


def start_server(database_url: str, baseline_dir: Path, **kw) -> ServerProcess:
    """A running server loaded with ``baseline_clinic``; ``server.ids`` names its rows."""
    srv = ServerProcess(database_url, **kw)
    b, ids = baseline_clinic(baseline_dir / "baseline.db")
    srv.load(b.engine)
    b.close()
    srv.ids = ids
    return srv.start()


class Ledger:
    """What each workstation was told succeeded locally: {desk: {mutation_id: (name, args)}}."""

    def __init__(self) -> None:
        self.confirmed: dict[str, dict[int, tuple[str, dict]]] = {}
        self.refused_locally = 0

    def add(self, desk: Workstation, name: str, args: dict, result: dict) -> None:
        self.confirmed.setdefault(desk.actor, {})[int(result["mutation_id"])] = (name, args)


def _local_rows(desk: Workstation, sql: str, **params) -> list:
    from sqlalchemy import text

    with desk.service.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def random_operation(desk: Workstation, kind: str, pick: int, ids: dict, ledger: Ledger) -> bool:
    """One front-desk action chosen by ``kind`` and the integer ``pick``; True if confirmed.

    Targets come from the desk's own view (its store), as a person would pick
    them; business refusals (slot taken locally, ...) count as not confirmed.
    """
    from datetime import timedelta

    from coordtui.ids import new_id
    from coordtui.mutations import MutationError

    svc = desk.service
    now = svc.now().isoformat()
    patients = _local_rows(desk, "SELECT id, version FROM patient ORDER BY id")
    if kind == "register" or not patients:
        name = "register_patient"
        args = {
            "patient_id": new_id(),
            "event_id": new_id(),
            "record_number": svc.next_record_number(),
            "fields": {"given_name": f"G{pick % 997}", "family_name": f"{desk.actor}-{pick}"},
            "duplicates_overridden": [],
            "at": now,
        }
    elif kind == "book":
        patient = patients[pick % len(patients)]
        provider = ids["providers"][(pick // 7) % len(ids["providers"])]
        day = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        start = day + timedelta(days=1 + (pick // 3) % 3, minutes=15 * ((pick // 11) % 12))
        name = "book_appointment"
        args = svc._booking_args(
            appointment_id=new_id(), patient_id=patient.id, provider_id=provider,
            start=start.isoformat(), type="Consultation", modality="in_person", reason="",
            priority="routine", kind="scheduled", override=False,
        )  # fmt: skip
    elif kind == "walk_in":
        patient = patients[pick % len(patients)]
        name = "add_walk_in"
        args = {
            "appointment_id": new_id(), "event_id": new_id(), "patient_id": patient.id,
            "provider_id": ids["providers"][pick % len(ids["providers"])], "reason": "",
            "priority": "routine", "minutes": 15, "at": now,
        }  # fmt: skip
    elif kind == "status":
        appts = _local_rows(desk, "SELECT id, status FROM appointment ORDER BY id")
        if not appts:
            return random_operation(desk, "book", pick, ids, ledger)
        appt = appts[pick % len(appts)]
        nxt = {
            "booked": ("arrived", "cancelled", "no_show"),
            "arrived": ("in_room", "cancelled", "left"),
            "in_room": ("done",),
        }.get(appt.status, ("arrived",))
        target = nxt[(pick // 5) % len(nxt)]
        name = "set_status"
        args = {
            "appointment_id": appt.id, "to_status": target,
            "reason": "patient rang" if target == "cancelled" else "", "at": now,
            "event_id": new_id(),
        }  # fmt: skip
    elif kind == "call":
        patient = patients[pick % len(patients)]
        name = "log_call"
        args = {
            "call_id": new_id(), "patient_id": patient.id, "appointment_id": None,
            "direction": ("in", "out")[pick % 2], "who_kind": "patient", "who_name": "",
            "reason": "Results", "outcome": ("resolved", "callback needed")[(pick // 2) % 2],
            "note": f"note {pick}", "allow_empty_note": False, "callback_id": new_id(),
            "due_at": None, "assignee": "anyone", "priority": "routine", "at": now,
        }  # fmt: skip
    elif kind == "update":
        patient = patients[pick % len(patients)]
        field = ("preferred_name", "address")[(pick // 3) % 2]
        name = "update_patient"
        args = {
            "patient_id": patient.id, "event_id": new_id(), "base_version": patient.version,
            "changes": {field: f"{field[:4]}-{new_id()[-8:]}"}, "at": now,
        }  # fmt: skip
    else:
        raise ValueError(kind)
    try:
        result = svc.run(name, args)
    except MutationError:
        ledger.refused_locally += 1
        return False
    ledger.add(desk, name, args, result)
    return True


def drain(desks: list[Workstation], max_passes: int = 12) -> int:
    """Sync every desk until nothing is pending and a whole pass moves nothing."""
    for passes in range(1, max_passes + 1):
        quiet = True
        for desk in desks:
            r = desk.sync()
            if r.skipped or r.pushed or r.rows or r.reset or r.conflicts or r.recovered:
                quiet = False
        if quiet and all(d.pending() == 0 for d in desks):
            return passes
    raise AssertionError(f"not drained after {max_passes} passes: "
                         f"pending {[d.pending() for d in desks]}")  # fmt: skip


def server_overlaps(engine) -> list:
    """Pairs of active scheduled appointments of one provider that overlap (should be none)."""
    from sqlalchemy import text

    active = "('booked', 'arrived', 'in_room', 'done')"
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.id, b.id FROM appointment a JOIN appointment b "
                "ON a.provider_id = b.provider_id AND a.id < b.id "
                "AND a.start_utc < b.end_utc AND b.start_utc < a.end_utc "
                "LEFT JOIN provider_booking pb ON pb.provider_id = a.provider_id "
                f"WHERE a.kind = 'scheduled' AND b.kind = 'scheduled' AND a.status IN {active} "
                f"AND b.status IN {active} AND COALESCE(pb.overbook_allowance, 0) = 0"
            )
        ).all()


def server_keys(engine, table: str) -> set[str]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(text(f"SELECT id FROM {table}"))}  # noqa: S608


def check_converged(server: ServerProcess, desks: list[Workstation], fhir_path: Path | None):
    """Every store equals the server (rows, and FHIR exports when the server is SQLite)."""
    from coordtui.interop.fhir import export_bundle

    expected = dump(server.engine)
    for desk in desks:
        got = desk.dump()
        diff = {t: (len(got[t]), len(expected[t])) for t in expected if got[t] != expected[t]}
        assert not diff, f"{desk.actor} differs from the server: {diff}"
    if fhir_path is not None:
        fixed = datetime(2030, 1, 1, tzinfo=UTC)
        want = export_bundle(fhir_path, now=fixed)
        for desk in desks:
            assert export_bundle(desk.path, now=fixed) == want, f"{desk.actor}: FHIR differs"
    return expected


def check_nothing_lost(
    server: ServerProcess, desks: list[Workstation], ledger: Ledger, *, exact_ids: bool = True
) -> dict[str, int]:
    """Each confirmed mutation is applied on the server xor in its desk's Conflicts list.

    With ``exact_ids`` (no server restore), the server also holds exactly one
    result per confirmed mutation id of each desk, refusals matching the
    Conflicts list one to one: exactly-once, nothing lost, nothing doubled.
    """
    from sqlalchemy import text

    from coordtui.sync import local

    keys = {t: server_keys(server.engine, t) for t, _ in set(EFFECTS.values())}
    totals = {"applied": 0, "conflicts": 0}
    for desk in desks:
        confirmed = ledger.confirmed.get(desk.actor, {})
        conflicts = local.conflicts(desk.service.engine, include_resolved=True)
        refused = {(c.name, str(c.args.get(EFFECTS[c.name][1]))) for c in conflicts}
        assert len(refused) == len(conflicts), f"{desk.actor}: a conflict listed twice"
        for mid, (name, args) in sorted(confirmed.items()):
            table, key = EFFECTS[name]
            applied = str(args[key]) in keys[table]
            in_conflicts = (name, str(args[key])) in refused
            assert applied != in_conflicts, (
                f"{desk.actor} mutation {mid} {name}: applied={applied} conflict={in_conflicts}"
            )
            totals["applied" if applied else "conflicts"] += 1
        known = {(n, str(a[EFFECTS[n][1]])) for n, a in confirmed.values()}
        assert refused <= known, f"{desk.actor}: a conflict for a change never confirmed"
        if exact_ids:
            client_id = local.read_meta(desk.service.engine, "sync.client_id")
            with server.engine.connect() as conn:
                results = dict(
                    conn.execute(
                        text("SELECT mutation_id, status FROM srv_result WHERE client_id = :c"),
                        {"c": client_id},
                    ).all()
                )
            assert set(results) == set(confirmed), f"{desk.actor}: server results differ"
            assert {m for m, s in results.items() if s == "rejected"} == {
                c.mutation_id for c in conflicts
            }, f"{desk.actor}: refusals and Conflicts list differ"
    return totals


class ThreadServer(ServerProcess):
    """The same server app under uvicorn on loopback, in a thread of this process.

    Real HTTP on a real socket, like ServerProcess, but it starts in a fraction
    of a second (no new interpreter), for UI tests that need a server quickly.
    ``stop()`` closes the socket, so clients see the server as unreachable.
    """

    def start(self, env: dict | None = None) -> ThreadServer:
        import threading

        import uvicorn

        from coordtui.server.app import create_app

        app = create_app(self.database_url)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self._app = app
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not come up")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None and self._thread.is_alive():
            server.should_exit = True
            self._thread.join(10)
            self._app.state.writer.dispose()
            self._app.state.reader.dispose()

    kill = stop

    def close(self) -> None:
        self.stop()
        self.engine.dispose()


def run_coordtui(*args: str, home: Path) -> subprocess.CompletedProcess:
    """`python -m coordtui ARGS` with its own config and data folders under ``home``."""
    env = {
        **os.environ,
        "HOME": str(home),
        "COORDTUI_CONFIG_DIR": str(home / "config"),
        "COORDTUI_DATA_DIR": str(home / "data"),
    }
    env.pop("COORDTUI_DB", None)
    env.pop("COORDTUI_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "coordtui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def clinic_thread_server(database_url: str, baseline_dir: Path) -> ThreadServer:
    """A started ThreadServer loaded with ``baseline_clinic``; ``.ids`` names its rows."""
    srv = ThreadServer(database_url)
    b, ids = baseline_clinic(baseline_dir / "baseline.db")
    srv.load(b.engine)
    b.close()
    srv.ids = ids
    return srv.start()


@contextlib.contextmanager
def small_clinic_server(directory: Path):
    """A clinic (one provider open all day, two patients) on a loopback server in this
    process; ``.ids`` names its rows (small_clinic)."""
    srv = ThreadServer(sqlite_url(directory / "server.db"))
    b, ids = small_clinic(directory / "baseline.db")
    srv.load(b.engine)
    b.close()
    srv.start()
    srv.ids = ids
    try:
        yield srv
    finally:
        srv.close()
