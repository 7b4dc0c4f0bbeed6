"""Acceptance 5 (issue 6): the clinic server is restored from an older backup.

Workstations sync; the server database is backed up; more changes are synced
(and so lost by the restore, which is what restoring a backup means); the
workstations then work offline; the server is restored from the backup.  On
reconnecting, a workstation whose cursor is past the backup gets a reset (its
cursor names a version the restored server does not have, or a different one
at that position once other desks wrote), wipes and re-pulls, and its unsynced
mutations are renumbered to follow on from what the restored server has of it
and applied there exactly once.  A workstation that had not synced since the
backup just carries on.  Refusals before and after the restore all stay in the
Conflicts list.  On SQLite (backup API while serving; restore = stop, replace
the file, start) and PostgreSQL (databases cloned with CREATE DATABASE ...
TEMPLATE under the running server).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from coordtui.server.cursors import decode_cursor
from coordtui.sync import local
from tests.pg import _admin_connect
from tests.sync_env import (
    Ledger,
    ServerProcess,
    Workstation,
    check_converged,
    check_nothing_lost,
    drain,
    random_operation,
    server_keys,
    sqlite_url,
    start_server,
)

pytestmark = pytest.mark.slow


class SqliteBackups:
    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "server.db"
        self.url = sqlite_url(self.path)
        self.copy = tmp_path / "server-backup.db"
        self.fhir: Path | None = self.path

    def backup(self, server: ServerProcess) -> ServerProcess:
        """An online backup (sqlite3 backup API) while the server keeps serving."""
        src, dst = sqlite3.connect(self.path), sqlite3.connect(self.copy)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return server

    def restore(self, server: ServerProcess) -> ServerProcess:
        server.stop()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.copy, self.path)
        return server.start()

    def cleanup(self) -> None:
        pass


class PostgresBackups:
    """Backup and restore by cloning databases (CREATE DATABASE ... TEMPLATE).

    A template must have no other sessions, so the server's pooled connections are
    ended first; the server keeps running and reconnects (its pool pings), which
    also shows it keeps no state of its own across a restore.
    """

    def __init__(self, url: str):
        self.url = url
        self.name = make_url(url).database
        self.fhir = None
        self.copy = f"coordtui_r_{uuid.uuid4().hex[:12]}"

    def _admin(self, statement: sql.Composable, server: ServerProcess) -> None:
        server.engine.dispose()
        with _admin_connect(self.url) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            conn.execute(statement)

    def backup(self, server: ServerProcess) -> ServerProcess:
        copy = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
        self._admin(copy.format(sql.Identifier(self.copy), sql.Identifier(self.name)), server)
        return server

    def restore(self, server: ServerProcess) -> ServerProcess:
        drop = sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(self.name))
        self._admin(drop, server)
        copy = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
        self._admin(copy.format(sql.Identifier(self.name), sql.Identifier(self.copy)), server)
        return server

    def cleanup(self) -> None:
        with _admin_connect(self.url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.copy))
            )


@pytest.fixture(params=["sqlite", "postgres"])
def backups(request, tmp_path):
    if request.param == "sqlite":
        store = SqliteBackups(tmp_path)
    else:
        store = PostgresBackups(request.getfixturevalue("pg_database"))
    yield store
    store.cleanup()


def _head(server) -> int:
    with server.engine.connect() as conn:
        return conn.execute(text("SELECT seq FROM srv_head")).scalar_one()


def _last_ids(server) -> dict[str, int]:
    with server.engine.connect() as conn:
        return dict(conn.execute(text("SELECT client_id, last_mutation_id FROM srv_client")).all())


def _cursor_seq(desk) -> int:
    return decode_cursor(local.read_meta(desk.service.engine, local.CURSOR)).seq


def _client_id(desk) -> str:
    return local.read_meta(desk.service.engine, "sync.client_id")


def _update(desk, patient_id: str, changes: dict, ledger: Ledger | None = None) -> dict:
    """An edit made against the version this desk sees (as the patient screen does)."""
    with desk.service.engine.connect() as conn:
        version = conn.execute(
            text("SELECT version FROM patient WHERE id = :p"), {"p": patient_id}
        ).scalar_one()
    args = {
        "patient_id": patient_id, "event_id": str(uuid.uuid4()), "base_version": version,
        "changes": changes, "at": desk.service.now().isoformat(),
    }  # fmt: skip
    result = desk.service.run("update_patient", args)
    if ledger is not None:
        ledger.add(desk, "update_patient", args, result)
    return args


def _tomorrow(hour: int) -> datetime:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1, hours=hour)


def test_restored_server_resets_clients_and_keeps_their_unsynced_work(tmp_path, backups):
    server = start_server(backups.url, tmp_path)
    dr = server.ids["providers"][0]
    names = ("a", "b", "c", "d")
    desks: list[Workstation] = []
    try:
        desks = [Workstation(tmp_path / f"{n}.db", n).connect(server) for n in names]
        a, b, c, d = desks
        # -- before the backup: everyone in step
        p1 = a.service.register_patient({"given_name": "Ada", "family_name": "Backup"})
        p1 = p1["patient_id"]
        appt1 = a.service.book(p1, dr, _tomorrow(9), "Consultation")["appointment_id"]
        drain(desks)
        b.service.log_call(p1, "in", "patient", "", "Results", "resolved", "before backup")
        drain(desks)
        server = backups.backup(server)
        at_backup = {"head": _head(server), "last": _last_ids(server)}

        # -- after the backup: synced, acknowledged, lost by the restore, and recovered
        lost = a.service.register_patient({"given_name": "Lost", "family_name": "AfterBackup"})
        a.service.book(lost["patient_id"], dr, _tomorrow(10), "Consultation")
        lost_edit = _update(b, p1, {"address": "9 Lost Lane"})
        drain([a, b])  # d stays behind: its cursor is at the backup
        ledger = Ledger()  # what must survive the restore: refusals, and all unsynced work
        _update(c, p1, {"address": "1 Stale Road"}, ledger)  # c has not seen b's edit: refused
        c.service.register_patient({"given_name": "Cleo", "family_name": "AfterBackup"})
        c.sync()
        c.sync()
        (refused_before,) = local.conflicts(c.service.engine)
        drain([a, b, c])
        assert _head(server) > at_backup["head"]
        at_restore = {desk: _last_ids(server)[_client_id(desk)] for desk in desks}

        # -- offline work, then the restore
        offline = {
            a: ["register", "book", "status", "call", "update"],
            b: ["call"] * (_cursor_seq(a) - at_backup["head"] + 2),  # b writes first: past a
            c: ["update", "register", "book"],
            d: ["register", "call", "status"],
        }
        # c's first offline change edits p1 against the version after b's edit (lost with
        # the restore, then sent again by b), under the id its refusal from before the
        # restore had.
        refused_after = _update(c, p1, {"address": "2 Newer Road"}, ledger)
        for n, (desk, kinds) in enumerate(offline.items()):
            for i, kind in enumerate(kinds):
                if (desk, i) != (c, 0):
                    pick = 1000 * n + 37 * i + 3
                    assert random_operation(desk, kind, pick, server.ids, ledger), (desk, kind)
        server = backups.restore(server)
        assert _head(server) == at_backup["head"] and _last_ids(server) == at_backup["last"]

        b_round = b.sync()
        assert b_round.reset
        assert _head(server) > _cursor_seq(a), "b's writes moved the head past a's cursor"
        a_round = a.sync()
        assert a_round.reset, "a's cursor names a version the restored server has not got"
        d_round = d.sync()
        assert not d_round.reset, "d had not synced past the backup: nothing to reset"
        drain(desks)

        check_converged(server, desks, backups.fhir)
        check_nothing_lost(server, desks, ledger, exact_ids=False)
        # Acknowledged after the backup, lost by the restore, sent again by its desk.
        assert lost["patient_id"] in server_keys(server.engine, "patient")
        assert lost_edit["event_id"] in server_keys(server.engine, "patient_event")
        # Each desk's work was applied (or refused) once: the server's count of its
        # mutations is what it had before the restore (what was applied since the backup
        # is sent again; c's refusal is not: it already waits in c's Conflicts list),
        # plus exactly what was pending.
        last = _last_ids(server)
        for desk in desks:
            cid = _client_id(desk)
            expected = at_restore[desk] - (desk is c) + len(offline[desk])
            assert last[cid] == expected, desk.actor
            with server.engine.connect() as conn:
                ids = conn.execute(
                    text("SELECT mutation_id FROM srv_result WHERE client_id = :c ORDER BY 1"),
                    {"c": cid},
                ).scalars()
                assert list(ids) == list(range(1, last[cid] + 1)), desk.actor
        # c's refusal from before the restore is still listed.  Its offline edit, made
        # on top of b's lost edit, fits again: b sent that edit again first.
        listed = local.conflicts(c.service.engine)
        edits = {x.args["event_id"] for x in listed if x.name == "update_patient"}
        assert edits == {refused_before.args["event_id"]}, listed
        assert refused_after["event_id"] in server_keys(server.engine, "patient_event")
        assert appt1 in server_keys(server.engine, "appointment")
    finally:
        for desk in desks:
            desk.close()
        server.stop()


# ------------------------------------------- issue 11, part 1: a restore loses nothing acknowledged


def _acknowledged_writes(desk, dr, hour: int, tag: str) -> dict[str, set[str]]:
    """Five writes on ``desk``: a patient, a booking, a call, an edit, a status change."""
    p = desk.service.register_patient({"given_name": tag, "family_name": "Acknowledged"})
    pid = p["patient_id"]
    appt = desk.service.book(pid, dr, _tomorrow(hour), "Consultation")["appointment_id"]
    call = desk.service.log_call(pid, "out", "patient", "", "Results", "resolved", tag)
    edit = _update(desk, pid, {"address": f"{tag} Street"})
    return {
        "patient": {pid},
        "appointment": {appt},
        "call_note": {call["call_id"]},
        "patient_event": {edit["event_id"]},
    }


def _holds(engine, wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    """What of ``wanted`` is missing from a store or server."""
    missing = {t: keys - server_keys(engine, t) for t, keys in wanted.items()}
    return {t: keys for t, keys in missing.items() if keys}


def test_every_acknowledged_write_comes_back_after_a_restore(tmp_path, backups):
    """Backup; writes on two desks, acknowledged; restore; both desks sync: every
    acknowledged write is on the server and on both desks, the server's log says a
    restore was found and what was recovered, and each desk's Sync status says so."""
    server = start_server(backups.url, tmp_path)
    dr = server.ids["providers"][0]
    desks: list[Workstation] = []
    try:
        desks = [Workstation(tmp_path / f"{n}.db", n).connect(server) for n in ("a", "b")]
        a, b = desks
        drain(desks)
        server = backups.backup(server)
        written = [_acknowledged_writes(a, dr, 9, "Ann"), _acknowledged_writes(b, dr, 11, "Ben")]
        drain(desks)
        for desk in desks:
            assert desk.pending() == 0, "acknowledged by the server"
        wanted = {t: written[0][t] | written[1][t] for t in written[0]}
        assert not _holds(server.engine, wanted)

        server = backups.restore(server)
        assert _holds(server.engine, wanted) == wanted, "the backup has none of them"
        rounds = {desk.actor: desk.sync() for desk in desks}
        assert rounds["a"].recovered == rounds["b"].recovered == 4
        drain(desks)

        assert not _holds(server.engine, wanted), "every acknowledged write is back"
        for desk in desks:
            assert not _holds(desk.service.engine, wanted), desk.actor
            assert local.conflicts(desk.service.engine) == []
            status = desk.service.sync_status()
            assert status.recovered == 4 and status.recovered_at is not None
        check_converged(server, desks, backups.fhir)
        log = server.log()
        assert log.count("(restored from a backup, or its data replaced)") >= 2
        assert "recovered 4 change(s) from a [" in log and "recovered 4 change(s) from b [" in log
        assert "Ann" not in log and "Ben" not in log, "no patient data in the server's log"
    finally:
        for desk in desks:
            desk.close()
        server.stop()


def test_a_recovered_write_that_now_clashes_becomes_a_conflict_for_a_person(tmp_path, backups):
    """a books 09:00 after the backup (acknowledged); the restore loses it; b books the
    same 09:00 on the restored server; a's booking, sent again, is refused and waits in
    a's Conflicts list with the reason: never silently dropped."""
    server = start_server(backups.url, tmp_path)
    dr, pid = server.ids["providers"][0], server.ids["patients"][0]
    other = server.ids["patients"][1]
    desks: list[Workstation] = []
    try:
        desks = [Workstation(tmp_path / f"{n}.db", n).connect(server) for n in ("a", "b")]
        a, b = desks
        server = backups.backup(server)
        mine = a.service.book(pid, dr, _tomorrow(9), "Consultation")["appointment_id"]
        drain([a])
        assert a.pending() == 0
        server = backups.restore(server)
        b.sync()
        theirs = b.service.book(other, dr, _tomorrow(9), "Consultation")["appointment_id"]
        b.sync()
        a.sync()
        drain(desks)
        assert theirs in server_keys(server.engine, "appointment")
        assert mine not in server_keys(server.engine, "appointment")
        (conflict,) = local.conflicts(a.service.engine)
        assert conflict.name == "book_appointment" and conflict.args["appointment_id"] == mine
        assert conflict.reason
        assert a.service.sync_status().recovered == 1
        check_converged(server, desks, backups.fhir)
    finally:
        for desk in desks:
            desk.close()
        server.stop()
