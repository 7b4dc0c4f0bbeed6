"""What the header and the Sync screen (F6) show of sync: status, conflicts waiting,
changes not yet sent.  Plain sqlite3 reads through the service's reader (no ORM)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from coordtui.domain.days import parse_db
from coordtui.domain.instants import utc
from coordtui.read_models.sync import PendingChange, SyncStatus, label
from coordtui.replication.protocol import LAST_ERROR, LAST_OK, LAST_TRY, RECOVERED, TOKEN, URL
from coordtui.store.reads import Reads


def status(reads: Reads) -> SyncStatus:
    def read(conn: sqlite3.Connection) -> dict[str, str]:
        keys = (URL, TOKEN, LAST_OK, LAST_ERROR, LAST_TRY, RECOVERED)
        marks = ",".join("?" * len(keys))
        found = conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)
        return {k: v for k, v in found.fetchall() if v}

    meta = reads.run(read)
    try:
        recovery = json.loads(meta.get(RECOVERED, "{}"))
    except ValueError:
        recovery = {}
    return SyncStatus(
        connected=bool(meta.get(URL) and meta.get(TOKEN)),
        url=meta.get(URL, ""),
        last_ok=read_instant(meta.get(LAST_OK)),
        last_error=meta.get(LAST_ERROR, ""),
        last_try=read_instant(meta.get(LAST_TRY)),
        recovered_at=read_instant(recovery.get("at")),
        recovered=int(recovery.get("count") or 0),
    )


def conflict_count(reads: Reads) -> int:
    def read(conn: sqlite3.Connection) -> int:
        try:
            sql = "SELECT count(*) FROM sync_conflict WHERE resolved_at IS NULL"
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # a store from before sync
            return 0

    return reads.run(read)


def pending(reads: Reads, limit: int = 200) -> list[PendingChange]:
    """The oldest ``limit`` changes not yet confirmed by the server."""

    def read(conn: sqlite3.Connection) -> list[tuple]:
        sql = (
            "SELECT mutation_id, name, client_time, actor FROM outbox ORDER BY mutation_id LIMIT ?"
        )
        return conn.execute(sql, (limit,)).fetchall()

    return [
        PendingChange(mid, name, label(name), parse_db(when), actor or "")
        for mid, name, when, actor in reads.run(read)
    ]


def read_instant(value: Any) -> datetime | None:
    """Stored or sent text (or a datetime) as aware UTC; None for nothing or nonsense."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return utc(moment)
