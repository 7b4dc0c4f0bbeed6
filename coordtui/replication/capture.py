"""Which synced rows a mutation touches, seen from the ORM session.

Every write is a named mutation working through one Session, so listening
to that session's flushes sees every row it inserts, changes or deletes.
The workstation uses it to keep pre-images (the undo log); the server uses
it to write its change log.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, inspect
from sqlmodel import Session

from coordtui.replication.rows import ORDER

# (table, key, deleted) for each synced row, the first time a flush touches it.
Touched = Callable[[str, str, bool], None]


def track(session: Session, on_first_touch: Touched) -> dict[tuple[str, str], bool]:
    """Call ``on_first_touch`` before a synced row is first written; returns the touched set.

    The callback runs inside ``before_flush``, so the row in the database is
    still as it was before this session changed it: the right moment to read
    a pre-image.  The returned dict maps ``(table, key)`` to "deleted at the
    end" and is kept up to date across flushes.
    """
    touched: dict[tuple[str, str], bool] = {}

    def before_flush(sess, _ctx, _instances) -> None:
        for objs, deleted in ((sess.new, False), (sess.dirty, False), (sess.deleted, True)):
            for obj in list(objs):
                name = obj.__table__.name
                if name not in ORDER:
                    continue
                if not deleted and not sess.is_modified(obj) and obj not in sess.new:
                    continue
                ident = inspect(obj).mapper.primary_key_from_instance(obj)
                key = (name, str(ident[0]))
                if key not in touched:
                    on_first_touch(name, key[1], deleted)
                touched[key] = deleted

    event.listen(session, "before_flush", before_flush)
    session.info.setdefault("capture", []).append(before_flush)
    return touched


def untrack(session: Session) -> None:
    """Stop every ``track`` on this session (a reused session, one mutation at a time)."""
    for fn in session.info.pop("capture", []):
        event.remove(session, "before_flush", fn)
