"""The workstation's side of sync, on its SQLite store (no HTTP here).

Local writes keep pre-images of the rows they touch (``sync_undo``).
Applying a page from the server is one transaction: roll pending mutations
back, write the server's rows, drop what the server acknowledged (refusals
become ``sync_conflict`` rows in the same transaction, so none is lost),
run the still-pending mutations again on top, fix the lookup index and move
the cursor.  A kill at any point leaves either the old state or the new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coordtui.domain.instants import iso, utcnow
from coordtui.mutations import LOCAL_ORIGIN, MUTATIONS, Context, MutationError
from coordtui.replication import rows
from coordtui.replication.capture import track, untrack
from coordtui.replication.protocol import CLIENT_ID, CURSOR, RECOVERED, REINDEX
from coordtui.store.models import Meta, Outbox, SyncConflict, SyncSent, SyncUndo

SENT_KEEP_DAYS = 30  # acknowledged mutations kept to resend after a server restore


def run_local(
    engine: Engine,
    name: str,
    args: dict[str, Any],
    actor: str,
    now: datetime | None = None,
    also: Callable[[Session], None] | None = None,
) -> dict[str, Any]:
    """Run one mutation and append it to the outbox, in one transaction: the change
    and the record that it is to be sent commit together or not at all.

    ``also``, if given, is called with the session after the mutation, in the same
    transaction: local bookkeeping that must commit with the change or not at all
    (the conflict review marks the conflict a rebooking settles).  It is not part of
    the mutation: not sent, not run again by the rebase.  If it raises, nothing commits."""
    if name not in MUTATIONS:
        raise MutationError(f"Unknown action {name!r}.")
    client_time = now or utcnow()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        entry = Outbox(
            name=name, args=json.dumps(args, sort_keys=True), client_time=client_time, actor=actor
        )
        session.add(entry)
        session.flush()
        ctx = local_context(session, actor, entry.mutation_id or 0, client_time)
        record_undo(session, ctx.mutation_id)
        result = MUTATIONS[name](session, args, ctx)
        if also is not None:
            also(session)
    return {**result, "mutation_id": ctx.mutation_id}


def local_context(session: Session, actor: str, mutation_id: int, client_time: datetime) -> Context:
    """The context of a run on this workstation (first run or the sync rebase): its
    own edits, made here or already synced under its client id, never clash."""
    client_id = (
        session.connection().execute(select(Meta.value).where(Meta.key == CLIENT_ID)).scalar()
    )
    own = {LOCAL_ORIGIN, client_id} if client_id else {LOCAL_ORIGIN}
    return Context(actor, mutation_id, client_time, LOCAL_ORIGIN, frozenset(own))


def record_undo(session: Session, mutation_id: int) -> None:
    """Keep the pre-image of every synced row this mutation is about to write."""
    seq = [0]

    def first_touch(name: str, key: str, _deleted: bool) -> None:
        conn = session.connection()
        image = rows.read_rows(conn, name, [key]).get(key)
        seq[0] += 1
        conn.execute(
            insert(SyncUndo.__table__).values(
                mutation_id=mutation_id,
                seq=seq[0],
                table_name=name,
                row_key=key,
                image=None if image is None else rows.dumps(image),
            )
        )

    track(session, first_touch)


# ---------------------------------------------------------------- state


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Meta.value).where(Meta.key == key)).scalar()


def set_meta(conn: Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute(delete(Meta).where(Meta.key == key))
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    stmt = sqlite_insert(Meta).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def read_meta(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return get_meta(conn, key)


def write_meta(engine: Engine, values: dict[str, str | None]) -> None:
    with engine.begin() as conn:
        for key, value in values.items():
            set_meta(conn, key, value)


def pending(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The oldest outbox entries, as pushed."""
    with engine.connect() as conn:
        found = conn.execute(select(Outbox).order_by(Outbox.mutation_id).limit(limit)).all()
    return [
        {
            "id": r.mutation_id,
            "name": r.name,
            "args": json.loads(r.args),
            "client_time": iso(r.client_time),
            "actor": r.actor,
            **({"recovered": True} if r.recovered else {}),
        }
        for r in found
    ]


def first_pending(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(func.min(Outbox.mutation_id))).scalar()


# ---------------------------------------------------------------- apply


@dataclass
class Applied:
    rows: int = 0
    acknowledged: int = 0
    conflicts: int = 0
    reapplied: int = 0
    failed_locally: int = 0
    recovered: int = 0  # acknowledged mutations queued again: the server lost them
    patients: set[str] = field(default_factory=set)


def apply_page(engine: Engine, page: dict[str, Any], now: datetime | None = None) -> Applied:
    """Apply one pull page in one transaction (see the module docstring)."""
    from coordtui.store import search

    report = Applied()
    final = not page.get("more")
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        # The server is the authority on references; a page may bring a child before
        # its parent (whose latest change is later), so checks wait for convergence.
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                _undo_all(conn, report)
                if page.get("reset"):
                    _wipe(conn)
                    search.rebuild_index(raw)
                    set_meta(conn, REINDEX, rows.drop_indexes(conn, get_meta(conn, REINDEX)))
                _write_changes(conn, page.get("changes") or [], report)
                remaining = _outbox(conn)
                if final:
                    remaining = _acknowledge(conn, remaining, page, report, now)
                _rerun(conn, remaining, report)
                if bulk := get_meta(conn, REINDEX):  # a bootstrap: built after its last page
                    if final:
                        rows.restore_indexes(conn, bulk)
                        search.rebuild_index(raw)
                        set_meta(conn, REINDEX, None)
                else:
                    for patient_id in sorted(report.patients):
                        search.index_patient(raw, patient_id)
                set_meta(conn, CURSOR, page.get("cursor") or None)
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
    return report


def _undo_all(conn: Connection, report: Applied) -> None:
    undo = conn.execute(
        select(SyncUndo).order_by(SyncUndo.mutation_id.desc(), SyncUndo.seq.desc())
    ).all()
    for u in undo:
        if u.image is None:
            rows.remove(conn, u.table_name, [u.row_key])
        else:
            rows.upsert(conn, u.table_name, [json.loads(u.image)])
        if u.table_name == "patient":
            report.patients.add(u.row_key)
    if undo:
        conn.execute(delete(SyncUndo))


def _wipe(conn: Connection) -> None:
    """Forget the server's rows (a new epoch); the outbox and conflicts stay."""
    for name in reversed(rows.SYNCED):
        conn.execute(delete(rows.table(name)))


def _write_changes(conn: Connection, changes: list[dict[str, Any]], report: Applied) -> None:
    upserts: dict[str, list[dict[str, Any]]] = {}
    removals: dict[str, list[str]] = {}
    for change in changes:
        name, key, row = change["t"], str(change["k"]), change.get("row")
        if name not in rows.ORDER:
            continue  # a table this version does not know (a newer server)
        if row is None:
            removals.setdefault(name, []).append(key)
        else:
            upserts.setdefault(name, []).append(row)
        if name == "patient":
            report.patients.add(key)
        report.rows += 1
    for name in rows.SYNCED:
        rows.upsert(conn, name, upserts.get(name, []))
    for name in reversed(rows.SYNCED):
        rows.remove(conn, name, removals.get(name, []))


def _outbox(conn: Connection) -> list:
    return conn.execute(select(Outbox).order_by(Outbox.mutation_id)).all()


def _acknowledge(conn, remaining, page, report: Applied, now) -> list:
    """Drop what the server has; keep its refusals as conflicts; close any id gap."""
    last = int(page.get("last_mutation_id") or 0)
    refused = {int(r["id"]): r for r in page.get("results") or []}
    recorded = now or datetime.now(UTC)
    for entry in remaining:
        if entry.mutation_id > last:
            break
        report.acknowledged += 1
        result = refused.get(entry.mutation_id)
        if result is None:
            continue
        report.conflicts += 1
        conn.execute(
            insert(SyncConflict.__table__)
            .values(
                mutation_id=entry.mutation_id,
                name=entry.name,
                args=entry.args,
                reason=str(result.get("reason") or "Refused by the clinic server."),
                detail=json.dumps(result.get("detail") or {}),
                client_time=entry.client_time,
                actor=entry.actor,
                recorded_at=recorded,
            )
            .prefix_with("OR IGNORE")
        )
    applied = [e for e in remaining if e.mutation_id <= last and e.mutation_id not in refused]
    _keep_sent(conn, applied, recorded)  # a refusal is in the Conflicts list already
    conn.execute(delete(Outbox).where(Outbox.mutation_id <= last))
    remaining = [e for e in remaining if e.mutation_id > last]
    lost = conn.execute(
        select(SyncSent).where(SyncSent.mutation_id > last).order_by(SyncSent.mutation_id)
    ).all()
    if lost or (remaining and remaining[0].mutation_id > last + 1):
        # The server lost our later acknowledged mutations (restored from a backup) or
        # this is a new enrolment: what it lost is queued again, first, and what is
        # pending is renumbered to follow on.
        _move_conflicts_below(conn, last)
        _requeue(conn, last, lost, remaining)
        if lost:
            report.recovered = len(lost)
            _note_recovery(conn, len(lost), recorded)
        remaining = _outbox(conn)
    return remaining


def _keep_sent(conn: Connection, acknowledged: list, at: datetime) -> None:
    """Keep what the server just acknowledged; forget what is older than SENT_KEEP_DAYS."""
    if acknowledged:
        conn.execute(
            insert(SyncSent.__table__).prefix_with("OR REPLACE"),
            [
                {
                    "mutation_id": e.mutation_id,
                    "name": e.name,
                    "args": e.args,
                    "client_time": e.client_time,
                    "actor": e.actor,
                    "acknowledged_at": at,
                }
                for e in acknowledged
            ],
        )
    conn.execute(
        delete(SyncSent).where(SyncSent.acknowledged_at < at - timedelta(days=SENT_KEEP_DAYS))
    )


def _move_conflicts_below(conn: Connection, last: int) -> None:
    """Refusals listed under ids above ``last`` were of mutations the server no longer
    has; those ids are about to be reused, and a new refusal under one of them must not
    be lost to the old one.  Move them below every other id, in order."""
    low, high = conn.execute(
        select(func.min(SyncConflict.mutation_id), func.max(SyncConflict.mutation_id))
    ).one()
    if high is not None and high > last:
        conn.execute(
            update(SyncConflict)
            .where(SyncConflict.mutation_id > last)
            .values(mutation_id=SyncConflict.mutation_id - (high - min(low, 1) + 1))
        )


def _requeue(conn: Connection, last: int, lost: list, pending: list) -> None:
    """The outbox becomes ``lost`` then ``pending``, numbered from ``last + 1``."""
    conn.execute(delete(Outbox).where(Outbox.mutation_id > last))
    conn.execute(delete(SyncSent).where(SyncSent.mutation_id > last))
    entries = [(e, True) for e in lost] + [(e, bool(e.recovered)) for e in pending]
    if entries:
        conn.execute(
            insert(Outbox.__table__),
            [
                {
                    "mutation_id": last + 1 + i,
                    "name": e.name,
                    "args": e.args,
                    "client_time": e.client_time,
                    "actor": e.actor,
                    "recovered": recovered,
                }
                for i, (e, recovered) in enumerate(entries)
            ],
        )
    conn.execute(
        text(
            "UPDATE sqlite_sequence SET seq = max(:last, "
            "(SELECT coalesce(max(mutation_id), 0) FROM outbox)) WHERE name = 'outbox'"
        ),
        {"last": last},
    )


def _note_recovery(conn: Connection, count: int, at: datetime) -> None:
    """For the Sync screen: when the server was found restored and how much was resent."""
    before = json.loads(get_meta(conn, RECOVERED) or "{}")
    total = int(before.get("total", 0)) + count
    set_meta(conn, RECOVERED, json.dumps({"at": iso(at), "count": count, "total": total}))


def forget_sent(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(SyncSent))


def recovery(engine: Engine) -> dict[str, Any] | None:
    """The last restore this workstation found: ``{"at", "count", "total"}``, or None."""
    value = read_meta(engine, RECOVERED)
    return json.loads(value) if value else None


def _rerun(conn: Connection, remaining: list, report: Applied) -> None:
    """Run still-pending mutations again over the server's state (the rebase)."""
    if not remaining:
        return

    session = Session(bind=conn)
    try:
        for entry in remaining:
            ctx = local_context(session, entry.actor, entry.mutation_id, entry.client_time)
            try:
                with session.begin_nested():
                    record_undo(session, entry.mutation_id)
                    MUTATIONS[entry.name](session, json.loads(entry.args), ctx)
                    session.flush()
                report.reapplied += 1
            except (MutationError, IntegrityError, KeyError, TypeError, ValueError):
                # No longer fits locally; the server will decide, and a refusal comes
                # back as a conflict.  Until then it shows in the pending list only.
                # IntegrityError: on a page before the last, a mutation the server
                # already applied is still pending here and its rows (same ids) came
                # back in the page; its savepoint is rolled back, the page goes on.
                report.failed_locally += 1
            finally:
                session.expunge_all()
                untrack(session)
    finally:
        session.close()


# ------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class Conflict:
    mutation_id: int
    name: str
    args: dict[str, Any]
    reason: str
    detail: dict[str, Any]
    client_time: datetime
    actor: str
    recorded_at: datetime
    resolved_at: datetime | None
    resolution: str


def conflicts(engine: Engine, include_resolved: bool = False) -> list[Conflict]:
    query = select(SyncConflict).order_by(SyncConflict.mutation_id)
    if not include_resolved:
        query = query.where(SyncConflict.resolved_at.is_(None))
    with engine.connect() as conn:
        found = conn.execute(query).all()
    return [
        Conflict(
            r.mutation_id,
            r.name,
            json.loads(r.args),
            r.reason,
            json.loads(r.detail or "{}"),
            r.client_time,
            r.actor,
            r.recorded_at,
            r.resolved_at,
            r.resolution,
        )
        for r in found
    ]


def resolve_conflict(engine: Engine, mutation_id: int, resolution: str, at: datetime) -> bool:
    with engine.begin() as conn:
        return mark_resolved(conn, mutation_id, resolution, at)


def mark_resolved(conn: Connection, mutation_id: int, resolution: str, at: datetime) -> bool:
    """Mark a conflict resolved in the caller's transaction; False if it was not open."""
    return (
        conn.execute(
            update(SyncConflict)
            .where(SyncConflict.mutation_id == mutation_id, SyncConflict.resolved_at.is_(None))
            .values(resolved_at=at, resolution=resolution)
        ).rowcount
        == 1
    )
