"""Enrolment and device tokens: which desks may sync, and who is asking.

A desk enrols by spending a one-time code (``make_enrol_code``, ``register``)
and from then on sends a bearer token that ``authenticate`` turns back into
its client id; ``revoke`` ends that, ``clients`` and ``touch`` keep the list
an administrator sees.  Only hashes of codes and token secrets are stored.
Kept apart from push and pull because it is about who the desks are, not
about the data they exchange.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from coordtui.ids import is_uuid
from coordtui.server.changelog import WRITE_LOCK
from coordtui.server.schema import srv_client, srv_enroll, utcnow

log = logging.getLogger("coordtui.server")  # ids and counts only: never patient data
ENROL_HOURS = 24
ENROL_MAX_HOURS = 24 * 30


class AuthError(Exception):
    """Missing, unknown or revoked device token (HTTP 401)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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


def desk_label(conn: Connection, client_id: str) -> str:
    name = conn.execute(
        select(srv_client.c.name).where(srv_client.c.client_id == client_id)
    ).scalar()
    return f"{name or 'desk'} [{client_id[:8]}]"
