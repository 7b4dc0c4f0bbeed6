"""Baseline: a clinic's existing data as an empty server's first version.

A clinic that ran coordtui stand-alone (or the demo) starts its server from
a workstation store: every synced row is copied in one write transaction
that takes the change-log head like any other write, so workstations then
bootstrap from it.  Used by ``coordtui server --baseline``/``--demo``, the
tests and the benchmarks, before the server answers anything.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Engine, text

from coordtui.replication import rows
from coordtui.server.changelog import take_head
from coordtui.server.schema import is_postgres, srv_change, srv_version, utcnow
from coordtui.server.slot_locks import LOCK_EXCLUSIVE


def load_baseline(engine: Engine, source) -> int:
    """Copy every synced row of a workstation store (an Engine) into an empty server.

    How a clinic that ran coordtui stand-alone (or the demo) starts its server:
    the rows become the server's first version; workstations then bootstrap.
    """
    copied = 0
    with engine.begin() as conn, source.connect() as src:
        seq = take_head(conn)
        if conn.execute(text("SELECT count(*) FROM srv_change")).scalar_one():
            raise ValueError("The server already has data; a baseline goes into an empty one.")
        for name in rows.SYNCED:
            key = rows.key_column(rows.table(name)).name
            for batch in rows.read_all(src, name, 5000):
                copied += _copy(conn, name, batch, key, seq)
        conn.execute(srv_version.insert().values(seq=seq, id=str(uuid.uuid4()), at=utcnow()))
        if is_postgres(engine):
            conn.execute(text(LOCK_EXCLUSIVE + " ON CONFLICT DO NOTHING"))
    return copied


def _copy(conn: Connection, name: str, batch: list[dict[str, Any]], key: str, seq: int) -> int:
    if not batch:
        return 0
    rows.upsert(conn, name, batch)
    conn.execute(
        srv_change.insert(),
        [{"table_name": name, "row_key": str(r[key]), "seq": seq, "deleted": False} for r in batch],
    )
    return len(batch)
