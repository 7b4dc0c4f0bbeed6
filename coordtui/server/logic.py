"""What the clinic server does, without HTTP: enrol, authenticate, push, pull.

Push applies each mutation in its own savepoint, in a transaction (a chunk of
the batch) that also bumps the client's ``last_mutation_id``, records the
results and writes the change log, so a replayed batch has exactly one effect.  The first statement of every write
transaction takes the change-log head (``UPDATE srv_head ... RETURNING``),
which serialises writers across server processes and makes change-log
sequence numbers commit in order, so a pull never skips a late commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlmodel import Session

from coordtui.domain.instants import instant
from coordtui.domain.status import ACTIVE
from coordtui.ids import is_uuid
from coordtui.mutations import MUTATIONS, Context, MutationError
from coordtui.server import history
from coordtui.server.schema import (
    is_postgres,
    meta,
    srv_change,
    srv_client,
    srv_enroll,
    srv_head,
    srv_result,
    srv_version,
)
from coordtui.sync import rows
from coordtui.sync.capture import track

log = logging.getLogger("coordtui.server")  # ids and counts only: never patient data

# One writer at a time in this process: writers queue here instead of in SQLite's busy
# handler, which sleeps between retries (up to 100 ms each) and so wastes the time it
# waits.  Across processes (PostgreSQL) the change-log head's row lock orders them.
WRITE_LOCK = threading.Lock()

BIGINT = 2**63 - 1  # sequence numbers and ids are 64-bit in both databases
PAGE_ROWS = 5000  # a bootstrap page: fewer commits on the workstation (see BENCHMARKS.md)
ENROL_HOURS = 24


class AuthError(Exception):
    """Missing, unknown or revoked device token (HTTP 401)."""


class GapError(Exception):
    """A pushed mutation id skips ahead of the next one expected (HTTP 409)."""

    def __init__(self, expected: int):
        super().__init__(f"mutation id gap: expected {expected}")
        self.expected = expected


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ------------------------------------------------------------- enrolment


ENROL_MAX_HOURS = 24 * 30


def make_enrol_code(engine: Engine, hours: int = ENROL_HOURS) -> str:
    """A one-time code (only its hash is stored), valid for ``hours`` (1 to 30 days' worth)."""
    if not 1 <= hours <= ENROL_MAX_HOURS:
        raise ValueError(f"An enrolment code lasts 1 to {ENROL_MAX_HOURS} hours.")
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            srv_enroll.insert().values(
                code_hash=_hash(_norm_code(code)),
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return code


def _norm_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def register(engine: Engine, code: str, name: str, key: str | None = None) -> tuple[str, str]:
    """Spend an enrolment code; returns (client_id, device token). Raises AuthError.

    ``key`` is the token secret the workstation chose: the same code with the same
    key returns the same enrolment, so a desk whose answer was lost on the way
    back simply asks again (without a key, an older desk: the server makes one,
    and a lost answer burns the code).
    """
    now = utcnow()
    client_id = str(uuid.uuid4())
    secret = key or secrets.token_urlsafe(32)
    with engine.begin() as conn:
        row = conn.execute(
            select(srv_enroll).where(srv_enroll.c.code_hash == _hash(_norm_code(code)))
        ).first()
        if row is not None and row.used_by is not None and key:
            again = conn.execute(
                select(srv_client.c.token_hash, srv_client.c.revoked_at).where(
                    srv_client.c.client_id == row.used_by
                )
            ).first()
            if (
                again is not None
                and again.revoked_at is None
                and hmac.compare_digest(again.token_hash, _hash(key))
            ):
                log.info("enrolment of %s asked again (its answer was lost)", row.used_by[:8])
                return row.used_by, f"{row.used_by}.{key}"
        if row is None or row.used_by is not None or row.expires_at < now:
            raise AuthError("This enrolment code is unknown, used or expired.")
        spent = conn.execute(
            update(srv_enroll)
            .where(srv_enroll.c.code_hash == row.code_hash, srv_enroll.c.used_by.is_(None))
            .values(used_by=client_id)
        ).rowcount
        if spent != 1:
            raise AuthError("This enrolment code is unknown, used or expired.")
        conn.execute(
            srv_client.insert().values(
                client_id=client_id,
                name=name[:100],
                token_hash=_hash(secret),
                created_at=now,
                last_mutation_id=0,
            )
        )
    return client_id, f"{client_id}.{secret}"


def revoke(engine: Engine, client_id: str) -> bool:
    with engine.begin() as conn:
        return (
            conn.execute(
                update(srv_client)
                .where(srv_client.c.client_id == client_id, srv_client.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
            == 1
        )


def clients(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                select(
                    srv_client.c.client_id,
                    srv_client.c.name,
                    srv_client.c.created_at,
                    srv_client.c.revoked_at,
                    srv_client.c.last_mutation_id,
                    srv_client.c.last_seen,
                ).order_by(srv_client.c.created_at)
            )
        ]


SEEN_EVERY = timedelta(minutes=5)


def touch(engine: Engine, client_id: str) -> None:
    """Note that a desk pulled (``server clients`` shows desks that never synced); a
    write only when the note is missing or older than SEEN_EVERY, so pulls stay reads."""
    now = utcnow()
    with engine.connect() as conn:
        seen = conn.execute(
            select(srv_client.c.last_seen).where(srv_client.c.client_id == client_id)
        ).scalar()
    if seen is not None and now - seen < SEEN_EVERY:
        return
    if not WRITE_LOCK.acquire(blocking=False):
        return  # writes are queued: a pull never waits for this note, it is made next time
    try:
        with engine.begin() as conn:
            conn.execute(
                update(srv_client).where(srv_client.c.client_id == client_id).values(last_seen=now)
            )
    finally:
        WRITE_LOCK.release()


def authenticate(conn: Connection, token: str | None) -> str:
    """The client id a bearer token belongs to; AuthError if missing, unknown or revoked."""
    if not token or "." not in token:
        raise AuthError("A device token is required; enrol with `coordtui connect`.")
    client_id, secret = token.split(".", 1)
    if not is_uuid(client_id):
        raise AuthError("This device token is not known to the server.")
    row = conn.execute(
        select(srv_client.c.token_hash, srv_client.c.revoked_at).where(
            srv_client.c.client_id == client_id
        )
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, _hash(secret)):
        raise AuthError("This device token is not known to the server.")
    if row.revoked_at is not None:
        raise AuthError("This workstation's token was revoked; enrol it again.")
    return client_id


# ------------------------------------------------------------------ push


@dataclass
class Pushed:
    id: int
    name: str
    args: dict[str, Any]
    client_time: str
    actor: str
    recovered: bool = False  # sent again after this server was restored from a backup


def stamped(actor: str, desk: str) -> str:
    """The actor a mutation is recorded under: what the desk says, and which enrolled
    desk sent it (from its token): a desk can name anyone, never hide itself."""
    return f"{actor} · {desk}" if actor else desk


def desk_label(conn: Connection, client_id: str) -> str:
    name = conn.execute(
        select(srv_client.c.name).where(srv_client.c.client_id == client_id)
    ).scalar()
    return f"{name or 'desk'} [{client_id[:8]}]"


def _take_head(conn: Connection) -> int:
    return conn.execute(
        update(srv_head)
        .where(srv_head.c.id == 1)
        .values(seq=srv_head.c.seq + 1)
        .returning(srv_head.c.seq)
    ).scalar_one()


def _record_changes(conn: Connection, seq: int, touched: dict[tuple[str, str], bool]) -> None:
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


# Appointments that must not overlap another of their provider's: scheduled, active
# (coordtui.domain.status.ACTIVE), with a provider who allows no overbooking.
_LOCK_EXCLUSIVE = (
    "INSERT INTO slot_lock (appointment_id, provider_id, span) "
    "SELECT a.id, a.provider_id, tstzrange(a.start_utc, a.end_utc, '[)') "
    "FROM appointment a LEFT JOIN provider_booking pb ON pb.provider_id = a.provider_id "
    "WHERE a.kind = 'scheduled' AND COALESCE(pb.overbook_allowance, 0) = 0 "
    f"AND a.status IN ({', '.join(repr(s.value) for s in sorted(ACTIVE))})"
)


def _maintain_slot_locks(session: Session, touched: dict[tuple[str, str], bool]) -> None:
    """PostgreSQL only: mirror exclusive appointments into the exclusion-constrained table."""
    ids = [k for (t, k) in touched if t == "appointment"]
    if not ids:
        return
    conn = session.connection()
    conn.execute(text("DELETE FROM slot_lock WHERE appointment_id = ANY(:ids)"), {"ids": ids})
    conn.execute(text(_LOCK_EXCLUSIVE + " AND a.id = ANY(:ids)"), {"ids": ids})


def _run_one(conn: Connection, client_id: str, m: Pushed, seq: int, desk: str) -> dict[str, Any]:
    session = Session(bind=conn)
    session.info["no_search_index"] = True
    touched: dict[tuple[str, str], bool] = {}
    status, reason, detail = "applied", "", {}
    try:
        ctx = Context(
            stamped(m.actor, desk),
            m.id,
            instant(m.client_time),
            origin=client_id,
            own=frozenset({client_id}),
        )
        with session.begin_nested():
            touched = track(session, lambda *_: None)
            result = MUTATIONS[m.name](session, dict(m.args), ctx)
            session.flush()
            if is_postgres(conn.engine):
                _maintain_slot_locks(session, touched)
        detail = {"result": result}
    except MutationError as exc:
        status, reason = "rejected", str(exc)
        detail = {
            "errors": exc.errors,
            "alternatives": exc.alternatives,
            "occurrences": exc.occurrences,
        }
        touched = {}
    except IntegrityError:
        status, reason = "rejected", "That time or record was just taken on another workstation."
        detail = {"integrity": True}
        touched = {}
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        OverflowError,
        RecursionError,
        DataError,
        StatementError,
    ) as exc:
        if isinstance(exc, DBAPIError) and not isinstance(exc, DataError):
            raise  # locked, lost connection...: transient, the workstation retries
        # A rejection, not an HTTP error: an error would make the workstation resend the
        # same batch for ever.  The savepoint is gone, so the transaction is still usable.
        status, reason = "rejected", "The server could not read this change (invalid arguments)."
        touched = {}
    finally:
        session.close()
    _record_changes(conn, seq, touched)
    conn.execute(
        srv_result.insert().values(
            client_id=client_id,
            mutation_id=m.id,
            name=m.name,
            status=status,
            reason=reason,
            detail=json.dumps(detail, default=str),
            at=utcnow(),
        )
    )
    return {"id": m.id, "status": status, "reason": reason, "detail": detail}


CRASH_AFTER_COMMIT = "COORDTUI_SERVER_CRASH_AFTER_COMMIT"  # tests: die before replying


# Mutations applied in one transaction (one fsync) before the next writer's turn.  A
# desk's batch is up to MAX_BATCH; a chunk bounds how long one desk holds the writer.
COMMIT_EVERY = 25


def push(engine: Engine, client_id: str, batch: list[Pushed]) -> dict[str, Any]:
    """Apply a batch in order, COMMIT_EVERY mutations per transaction.

    Each mutation still runs in its own savepoint with its own change-log sequence
    number, result and version; committing them together costs one fsync instead of
    one each, which is what bursts of bookings queued behind the one writer wait for.
    A failure rolls back only the open chunk; the desk sends it again and the chunks
    already committed answer as duplicates (``last_mutation_id``).
    """
    results: list[dict[str, Any]] = []
    with engine.connect() as conn:
        desk = desk_label(conn, client_id)
    recovered = 0
    last = 0
    gap: int | None = None
    for start in range(0, len(batch), COMMIT_EVERY):
        chunk = batch[start : start + COMMIT_EVERY]
        with WRITE_LOCK, engine.connect() as conn:
            trans = conn.begin()
            try:
                last = conn.execute(
                    select(srv_client.c.last_mutation_id).where(srv_client.c.client_id == client_id)
                ).scalar_one()
                done = []
                for m in chunk:
                    if m.id <= last:
                        done.append(_stored_result(conn, client_id, m.id))
                        continue
                    if m.id > last + 1:
                        gap = last + 1
                        break
                    seq = _take_head(conn)
                    done.append(_run_one(conn, client_id, m, seq, desk))
                    recovered += m.recovered
                    conn.execute(
                        srv_version.insert().values(seq=seq, id=str(uuid.uuid4()), at=utcnow())
                    )
                    last = m.id
                conn.execute(
                    update(srv_client)
                    .where(srv_client.c.client_id == client_id)
                    .values(last_mutation_id=last, last_seen=utcnow())
                )
                trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        results.extend(done)
        if os.environ.get(CRASH_AFTER_COMMIT):
            os._exit(17)
        if gap is not None:
            raise GapError(gap)
    if recovered:
        log.warning(
            "recovered %d change(s) from %s that this server had lost "
            "(restored from a backup); %d of them refused, listed as conflicts on that desk",
            recovered,
            desk,
            sum(
                1
                for r, m in zip(results, batch, strict=False)
                if m.recovered and r["status"] == "rejected"
            ),
        )
    return {"results": results, "last_mutation_id": last}


def _stored_result(conn: Connection, client_id: str, mutation_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(srv_result).where(
            srv_result.c.client_id == client_id, srv_result.c.mutation_id == mutation_id
        )
    ).first()
    if row is None:
        return {"id": mutation_id, "status": "duplicate", "reason": "", "detail": {}}
    return {
        "id": mutation_id,
        "status": row.status,
        "reason": row.reason,
        "detail": json.loads(row.detail),
        "duplicate": True,
    }


# ------------------------------------------------------------------ pull


@dataclass(frozen=True)
class Position:
    """Where a workstation is in the change log, and its bootstrap's history window
    (coordtui.server.history; ``floor`` empty: no window)."""

    epoch: str
    seq: int
    vid: str
    table: str = ""
    key: str = ""
    boot: int = 0
    floor: str = ""


def encode_cursor(p: Position) -> str:
    fields = [p.epoch, p.seq, p.vid, p.table, p.key, p.boot, p.floor]
    raw = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str | None) -> Position | None:
    """The position, or None for a cursor this server never issued (five fields: an
    older server's, without a window)."""
    if not cursor:
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(fields, list) or len(fields) not in (5, 7):
            return None
        epoch, seq, vid, table, key, *window = fields
        boot, floor = window or (0, "")
        if not all(type(n) is int and 0 <= n <= BIGINT for n in (seq, boot)):
            return None  # a forged position: the log's sequence numbers are 64-bit
        if floor:
            moment = datetime.fromisoformat(str(floor))
            # Past the calendar's ends once in UTC (year 1 at +14:00): not one we issued.
            if moment.tzinfo is None or not 1900 <= moment.astimezone(UTC).year <= 9000:
                return None
        return Position(str(epoch), seq, str(vid), str(table), str(key), boot, str(floor))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None


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


# ------------------------------------------------------------- baseline


def load_baseline(engine: Engine, source) -> int:
    """Copy every synced row of a workstation store (an Engine) into an empty server.

    How a clinic that ran coordtui stand-alone (or the demo) starts its server:
    the rows become the server's first version; workstations then bootstrap.
    """
    copied = 0
    with engine.begin() as conn, source.connect() as src:
        seq = _take_head(conn)
        if conn.execute(text("SELECT count(*) FROM srv_change")).scalar_one():
            raise ValueError("The server already has data; a baseline goes into an empty one.")
        for name in rows.SYNCED:
            key = rows.key_column(rows.table(name)).name
            for batch in rows.read_all(src, name, 5000):
                copied += _copy(conn, name, batch, key, seq)
        conn.execute(srv_version.insert().values(seq=seq, id=str(uuid.uuid4()), at=utcnow()))
        if is_postgres(engine):
            conn.execute(text(_LOCK_EXCLUSIVE + " ON CONFLICT DO NOTHING"))
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
