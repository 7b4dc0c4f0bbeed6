"""Enrolment from the command line, as a clinic's administrator does it.

`coordtui server enroll` prints a one-time code; `coordtui connect URL CODE`
enrols a workstation and bootstraps its store; the code cannot be spent
twice; `coordtui server clients` lists the workstation and `coordtui server
revoke` shuts it out.  The server keeps only a hash of the device token and
the workstation's store is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat

from sqlalchemy import select

from coordtui.server.schema import srv_client, srv_enroll
from coordtui.store.db import open_store
from coordtui.sync import local
from tests.builders import StoreBuilder
from tests.sync_env import ServerProcess, run_coordtui, sqlite_url

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


coordtui = run_coordtui


def test_enrol_connect_list_revoke_from_the_command_line(tmp_path):
    home = tmp_path / "home"
    server_db = tmp_path / "server.db"
    server = ServerProcess(sqlite_url(server_db))
    b = StoreBuilder(tmp_path / "baseline.db")
    b.provider("Dr Okafor")
    ada = b.patient("Ada", "Lovelace")
    server.load(b.engine)
    b.close()
    server.start()
    try:
        # The administrator asks for a code on the server machine.
        made = coordtui("server", "enroll", "--database-url", str(server_db), home=home)
        assert made.returncode == 0, made.stderr
        code = made.stdout.strip()
        assert CODE.match(code), made.stdout
        with server.engine.connect() as conn:
            (code_hash,) = conn.execute(select(srv_enroll.c.code_hash)).scalars().all()
        assert code not in code_hash and code.replace("-", "") not in code_hash

        # The desk enrols with it and gets the clinic's data.
        store = tmp_path / "desk" / "desk.db"
        joined = coordtui(
            "--db", str(store), "connect", server.url, code, "--name", "front-desk-1", home=home
        )
        assert joined.returncode == 0, joined.stderr
        client_id = re.search(r"Enrolled as ([0-9a-f-]{36})", joined.stderr).group(1)
        assert "Up to date" in joined.stderr
        found = coordtui("--db", str(store), "search", "lovelace", "--json", home=home)
        assert found.returncode == 0, found.stderr
        assert [h["patient_id"] for h in json.loads(found.stdout)] == [ada]
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.parent.stat().st_mode) & 0o077 == 0

        # The same code again, for another desk: refused, and nothing is enrolled.
        other = tmp_path / "desk" / "other.db"
        again = coordtui("--db", str(other), "connect", server.url, code, home=home)
        assert again.returncode == 1
        assert "Enrolment refused" in again.stderr and "used" in again.stderr

        # The administrator sees the one workstation.
        listed = coordtui("server", "clients", "--database-url", str(server_db), home=home)
        assert listed.returncode == 0, listed.stderr
        (line,) = listed.stdout.strip().splitlines()
        assert client_id in line and "active" in line and "front-desk-1" in line

        # Only a hash of the device token is on the server, anywhere in its files.
        engine = open_store(store)
        try:
            token = local.read_meta(engine, "sync.token")
        finally:
            engine.dispose()
        assert token and token.startswith(client_id + ".")
        secret = token.split(".", 1)[1]
        with server.engine.connect() as conn:
            stored = conn.execute(
                select(srv_client.c.token_hash).where(srv_client.c.client_id == client_id)
            ).scalar_one()
        assert stored not in (token, secret)
        assert stored == hashlib.sha256(secret.encode()).hexdigest()
        for part in (token, secret):
            for path in server_db.parent.glob("server.db*"):
                assert part.encode() not in path.read_bytes(), path

        # Once the token is revoked, a sync fails with a clear message.
        revoked = coordtui(
            "server", "revoke", "--database-url", str(server_db), client_id, home=home
        )
        assert revoked.returncode == 0, revoked.stderr
        assert f"Revoked {client_id}" in revoked.stderr
        refused = coordtui("--db", str(store), "sync", home=home)
        assert refused.returncode == 1
        assert "sync failed" in refused.stderr and "revoked" in refused.stderr
        assert "Traceback" not in refused.stderr
        listed = coordtui("server", "clients", "--database-url", str(server_db), home=home)
        assert client_id in listed.stdout and "revoked" in listed.stdout
    finally:
        server.stop()
