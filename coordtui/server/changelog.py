"""The change log's write side: one writer at a time, in sequence order.

Every write transaction (a chunk of a push, a baseline load) first takes the
change-log head (``UPDATE srv_head ... RETURNING``), which serialises writers
across server processes and makes change-log sequence numbers commit in
order, so a pull never skips a late commit; within one process writers queue
on WRITE_LOCK.  Each write then names the synced rows it touched at its
sequence number (``srv_change``).  Kept apart from push and baseline loading,
which both write this way, so the one lock and the ordering rule live in one
place.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, update

from coordtui.server.schema import srv_change, srv_head

# One writer at a time in this process: writers queue here instead of in SQLite's busy
# handler, which sleeps between retries (up to 100 ms each) and so wastes the time it
# waits.  Across processes (PostgreSQL) the change-log head's row lock orders them.
WRITE_LOCK = threading.Lock()


def take_head(conn: Connection) -> int:
    return conn.execute(
        update(srv_head)
        .where(srv_head.c.id == 1)
        .values(seq=srv_head.c.seq + 1)
        .returning(srv_head.c.seq)
    ).scalar_one()


def record_changes(conn: Connection, seq: int, touched: dict[tuple[str, str], bool]) -> None:
    if not touched:
        return
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    stmt = insert(srv_change)
    stmt = stmt.on_conflict_do_update(
        index_elements=["table_name", "row_key"],
        set_={"seq": stmt.excluded.seq, "deleted": stmt.excluded.deleted},
    )
    conn.execute(
        stmt,
        [
            {"table_name": t, "row_key": k, "seq": seq, "deleted": deleted}
            for (t, k), deleted in sorted(touched.items())
        ],
    )
