"""Pull: pages of the change log for a desk, with the rows they name.

A page is read from one snapshot: the changes after the desk's cursor
(coordtui.server.cursors), the rows as they are now, filtered to the
bootstrap's history window (coordtui.server.history), and, on the last page,
the desk's rejected mutations.  Many desks ask for the same pages, so pages
(PageCache, per app) and encoded rows (RowCache, per process) are kept and
sent again without another read.  A cursor from before a restore or a data
replacement starts the desk again from this server's data.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from coordtui.replication import rows
from coordtui.server import history
from coordtui.server.cursors import Position, decode_cursor, encode_cursor
from coordtui.server.enrolment import desk_label
from coordtui.server.schema import is_postgres, meta, srv_client, srv_head, srv_result, srv_version

log = logging.getLogger("coordtui.server")  # ids and counts only: never patient data

PAGE_ROWS = 5000  # a bootstrap page: fewer commits on the workstation (see BENCHMARKS.md)


class PageCache:
    """Pages of changes already read, by the position they start at.

    When a change lands, every desk asks for the same range next: read and
    serialised once, the page is handed to each.  A page is what the log held
    after its start when it was read; rows changed since have a later position
    and come on a later page, so a cached page never hides anything.  Empty
    pages (a desk at the head) are not kept: they depend on when one asks.
    """

    MAX_ROWS = 50_000  # rows kept over all pages (a bootstrap page holds up to 5,000)

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple, tuple] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> tuple | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: tuple, page: tuple) -> None:
        size = page[6]  # rows
        if size > self.MAX_ROWS:
            return
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = page
            self._rows += size
            while self._rows > self.MAX_ROWS:
                _, old = self._pages.popitem(last=False)
                self._rows -= old[6]


def _start(conn: Connection, epoch: str, history_days: int) -> Position:
    """A bootstrap's first position: the start of the log, and the window from now."""
    if not history_days:
        return Position(epoch, 0, "")
    boot = conn.execute(select(srv_head.c.seq).where(srv_head.c.id == 1)).scalar() or 0
    floor = datetime.now(UTC) - timedelta(days=history_days)
    return Position(epoch, 0, "", boot=boot, floor=floor.isoformat())


def pull(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """One page of changes after ``cursor``, read from one snapshot (``pull_raw``'s
    arguments); a bootstrap (no cursor, or a reset) keeps appointments of the last
    ``history_days`` only (0: all).  The changes decoded, for callers other than HTTP."""
    answer, changes = pull_raw(*args, **kwargs)
    return {**answer, "changes": json.loads(changes)}


def wire_json(value: Any) -> bytes:
    """JSON as the server sends it (rows are already wire-encoded; instants ISO 8601)."""
    return json.dumps(value, separators=(",", ":"), default=_wire_default).encode()


def _wire_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def pull_raw(
    reader: Engine,
    client_id: str,
    cursor: str | None,
    pending_from: int | None = None,
    limit: int = PAGE_ROWS,
    want_remaining: bool = False,
    history_days: int = 0,
    cache: PageCache | None = None,
) -> tuple[dict[str, Any], bytes]:
    """``pull`` with the page's changes as JSON bytes: a cached page is encoded once,
    however many desks it is sent to."""
    limit = max(1, min(limit, 5000))
    with reader.connect() as conn:
        if is_postgres(reader):
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            epoch = meta(conn, "epoch")
            position = decode_cursor(cursor)
            reset = False
            if position is not None:
                vid = _vid_at(conn, position.seq)
                if position.epoch != epoch or (position.seq and vid != position.vid):
                    reset, position = True, None
                    log.warning(
                        "%s is at a point this server's change log does not have "
                        "(restored from a backup, or its data replaced): it starts again "
                        "from this server's data and sends what this server lost",
                        desk_label(conn, client_id),
                    )
            if position is None:
                position = _start(conn, epoch or "", history_days)
            seq, table, key = position.seq, position.table, position.key
            start = (epoch, seq, table, key, limit, position.boot, position.floor)
            page = cache.get(start) if cache is not None else None
            if page is not None and page[2] and page[5] != _vid_at(conn, page[2]):
                page = None  # the log up to the page's end is not what it was: restored
            if page is not None and not page[1]:
                # A last page is only as good as the head it was read at: the desk takes
                # it as up to date and acknowledges against last_mutation_id read now.
                head = conn.execute(select(srv_head.c.seq).where(srv_head.c.id == 1)).scalar()
                if head != page[7]:
                    page = None
            if page is None:
                head = conn.execute(select(srv_head.c.seq).where(srv_head.c.id == 1)).scalar()
                page = (*_read_page(conn, position, limit), head)
                if cache is not None and page[6]:
                    cache.put(start, page)
            changes, more, seq, table, key, vid, _size, _head = page
            last = conn.execute(
                select(srv_client.c.last_mutation_id).where(srv_client.c.client_id == client_id)
            ).scalar_one()
            results = []
            if pending_from is not None and not more:
                results = [
                    {
                        "id": r.mutation_id,
                        "name": r.name,
                        "status": r.status,
                        "reason": r.reason,
                        "detail": json.loads(r.detail),
                    }
                    for r in conn.execute(
                        select(srv_result)
                        .where(
                            srv_result.c.client_id == client_id,
                            srv_result.c.mutation_id >= pending_from,
                            srv_result.c.mutation_id <= last,
                            srv_result.c.status == "rejected",
                        )
                        .order_by(srv_result.c.mutation_id)
                    )
                ]
            remaining = None
            if want_remaining:
                remaining = conn.execute(
                    text(
                        "SELECT count(*) FROM srv_change "
                        "WHERE (seq, table_name, row_key) > (:s, :t, :k)"
                    ),
                    {"s": seq, "t": table, "k": key},
                ).scalar_one()
    answer = {
        "cursor": encode_cursor(
            Position(epoch or "", seq, vid, table, key, position.boot, position.floor)
        ),
        "reset": reset,
        "more": more,
        "last_mutation_id": last,
        "results": results,
        "remaining": remaining,
    }
    return answer, changes


def _vid_at(conn: Connection, seq: int) -> str:
    """The id of the write at ``seq`` in the change log ("" for the start or none)."""
    if not seq:
        return ""
    return conn.execute(select(srv_version.c.id).where(srv_version.c.seq == seq)).scalar() or ""


def _read_page(conn: Connection, position: Position, limit: int) -> tuple:
    """(changes, more, seq, table, key, vid) after ``position``: at most ``limit`` changes
    and where they end (the position itself when there are none)."""
    seq, table, key = position.seq, position.table, position.key
    # With each change, the id of the write that made it (srv_version): the row cache's
    # key, so rows written again at the same position after a restore are not mixed up.
    found = conn.execute(
        text(
            "SELECT c.table_name, c.row_key, c.seq, c.deleted, v.id AS vid FROM "
            "(SELECT table_name, row_key, seq, deleted FROM srv_change "
            "WHERE (seq, table_name, row_key) > (:s, :t, :k) "
            "ORDER BY seq, table_name, row_key LIMIT :n) c "
            "LEFT JOIN srv_version v ON v.seq = c.seq "
            "ORDER BY c.seq, c.table_name, c.row_key"
        ),
        {"s": seq, "t": table, "k": key, "n": limit + 1},
    ).all()
    more = len(found) > limit
    found = found[:limit]
    entries = _page_rows(conn, found)
    if position.floor and entries:
        floor = datetime.fromisoformat(position.floor)
        kept = {id(c) for c in history.window(conn, [c for c, _ in entries], position.boot, floor)}
        entries = [e for e in entries if id(e[0]) in kept]
    size = len(entries)
    changes = b"[" + b",".join(raw for _, raw in entries) + b"]"
    if found:
        seq, table, key = found[-1].seq, found[-1].table_name, found[-1].row_key
    return changes, more, seq, table, key, _vid_at(conn, seq), size


class RowCache:
    """Changed rows as sent, by (table, key, change-log position).

    The log names each row at the position of its last write, so a row read at
    that position is that row's content for as long as the log says so: two
    desks pulling from different positions still share every row they both
    need, read from the database and encoded once.
    """

    MAX_ROWS = 50_000

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple, tuple[dict[str, Any], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            found = self._rows.get(key)
            if found is not None:
                self._rows.move_to_end(key)
            return found

    def put(self, key: tuple, entry: tuple[dict[str, Any], bytes]) -> None:
        with self._lock:
            self._rows[key] = entry
            if len(self._rows) > self.MAX_ROWS:
                self._rows.popitem(last=False)


ROWS = RowCache()  # per process; keyed by the write's id, unique across databases


def _page_rows(conn: Connection, found) -> list[tuple[dict[str, Any], bytes]]:
    """Each change as (dict, its JSON), from the row cache where it can be."""
    entries: list[tuple[dict[str, Any], bytes] | None] = []
    missing: dict[str, list[str]] = {}
    for r in found:
        hit = ROWS.get((r.vid, r.table_name, r.row_key, r.deleted)) if r.vid else None
        entries.append(hit)
        if hit is None and not r.deleted:
            missing.setdefault(r.table_name, []).append(r.row_key)
    current = {name: rows.read_rows(conn, name, keys) for name, keys in missing.items()}
    out = []
    for r, hit in zip(found, entries, strict=True):
        if hit is None:
            row = None if r.deleted else current.get(r.table_name, {}).get(r.row_key)
            change = {"t": r.table_name, "k": r.row_key, "row": row}
            hit = (change, wire_json(change))
            if r.vid and (row is not None or r.deleted):
                ROWS.put((r.vid, r.table_name, r.row_key, r.deleted), hit)
        out.append(hit)
    return out
