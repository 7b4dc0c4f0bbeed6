"""Push: apply a desk's batch of mutations, exactly once each.

Each mutation runs in its own savepoint, in a transaction (a chunk of the
batch) that also bumps the client's ``last_mutation_id``, records the results
and writes the change log (coordtui.server.changelog), so a replayed batch
has exactly one effect: mutations already applied answer with their stored
result.  A mutation the server cannot run is recorded as rejected rather than
failing the request, so a desk never resends the same batch for ever.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlmodel import Session

from coordtui.domain.instants import instant
from coordtui.mutations import MUTATIONS, Context, MutationError
from coordtui.replication.capture import track
from coordtui.server.changelog import WRITE_LOCK, record_changes, take_head
from coordtui.server.enrolment import desk_label
from coordtui.server.schema import is_postgres, srv_client, srv_result, srv_version, utcnow
from coordtui.server.slot_locks import maintain_slot_locks

log = logging.getLogger("coordtui.server")  # ids and counts only: never patient data


class GapError(Exception):
    """A pushed mutation id skips ahead of the next one expected (HTTP 409)."""

    def __init__(self, expected: int):
        super().__init__(f"mutation id gap: expected {expected}")
        self.expected = expected


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
                maintain_slot_locks(session, touched)
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
    record_changes(conn, seq, touched)
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
                    seq = take_head(conn)
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
