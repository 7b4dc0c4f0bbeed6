"""The workstation's sync client: enrol, then rounds of push and pull over HTTP.

One round pushes the outbox in batches (the server answers each mutation
applied or rejected; a timeout or 5xx means send the same batch again) and
then pulls pages until the server has nothing more, each page applied in
one local transaction.  A file lock keeps two app instances on one store
(two SSH sessions) from syncing it at the same time.
"""

from __future__ import annotations

import fcntl
import functools
import gzip
import hashlib
import json
import os
import random
import secrets
import ssl
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from coordtui import __version__
from coordtui.replication.protocol import (
    APP_HEADER,
    CA,
    CLIENT_ID,
    CURSOR,
    ENROL_KEY,
    HISTORY_DAYS,
    LAST_ERROR,
    LAST_OK,
    LAST_TRY,
    MAX_BATCH,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
    SYNC_SCHEMA,
    TOKEN,
    URL,
)
from coordtui.sync import local

BACKOFF_MIN, BACKOFF_MAX = 1.0, 300.0
STATUS_EVERY = timedelta(seconds=30)


class SyncError(Exception):
    """A round could not finish; the message is safe to show and log (no patient data)."""


class NotConnected(SyncError):
    pass


class ServerBusy(SyncError):
    """The server said it is busy (429/503): nothing was applied, try after ``retry_after``."""

    def __init__(self, retry_after: float):
        super().__init__(f"Server busy; trying again in {retry_after:g} s. Nothing is lost.")
        self.retry_after = retry_after


def _busy(response: httpx.Response) -> ServerBusy | None:
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "")
    seconds = float(value) if value.isdigit() else 5.0
    return ServerBusy(max(1.0, min(seconds, BACKOFF_MAX)))


@dataclass
class Round:
    pushed: int = 0
    rejected: int = 0
    pages: int = 0
    rows: int = 0
    conflicts: int = 0
    reset: bool = False
    recovered: int = 0  # acknowledged mutations sent again: the server had lost them
    skipped: bool = False  # another process on this store was syncing
    results: list[dict[str, Any]] = field(default_factory=list)


def backoff(failures: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` failed rounds in a row: exponential, with jitter."""
    rng = rng or random.Random()
    base = min(BACKOFF_MAX, BACKOFF_MIN * (2 ** max(0, failures - 1)))
    return min(BACKOFF_MAX, base * rng.uniform(0.5, 1.5))


def headers(token: str | None = None) -> dict[str, str]:
    out = {
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        SCHEMA_HEADER: str(SYNC_SCHEMA),
        APP_HEADER: __version__,
        "content-type": "application/json",
    }
    if token:
        out["authorization"] = f"Bearer {token}"
    return out


def _body(payload: Any) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    if len(raw) > 1024:
        return gzip.compress(raw, 5), {"content-encoding": "gzip"}
    return raw, {}


@functools.cache
def _default_trust() -> ssl.SSLContext:
    """httpx's default verification, built once: loading a trust store costs ~50-100 ms."""
    return httpx.create_ssl_context()


def _verify(ca: str | None) -> ssl.SSLContext:
    """Trust the clinic's own CA when one is pinned, else the system's."""
    return ssl.create_default_context(cafile=ca) if ca else _default_trust()


def _refusal(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.reason_phrase)[:300]
    except ValueError:
        return response.reason_phrase


ENROL_TRIES = 6  # a lost answer is asked again with the same key (idempotent)


def unreachable(exc: httpx.HTTPError) -> str:
    """Why a request got no answer, in words for the person at the desk."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return (
                "The server's certificate was rejected: it is not signed by the clinic's "
                "CA given with --ca (or by one this machine trusts), or it names another host."
            )
        seen = seen.__cause__ or seen.__context__
    return f"Cannot reach the server ({type(exc).__name__})."


def register(
    url: str,
    code: str,
    name: str,
    ca: str | None = None,
    *,
    tries: int = ENROL_TRIES,
    pause: Callable[[float], None] | None = None,
    key: str | None = None,
) -> tuple[str, str]:
    """Spend an enrolment code at the server; returns (client_id, token).

    The desk chooses its token's secret and sends it with the code: when the
    answer is lost on the way back (the server took the code), asking again
    with the same code and key returns the same enrolment instead of "used".
    """
    import time

    key = key or secrets.token_urlsafe(32)
    body, extra = _body({"code": code, "name": name, "key": key})
    pause = pause or time.sleep
    failure = "Cannot reach the server."
    for attempt in range(tries):
        if attempt:
            pause(min(8.0, 0.5 * 2 ** (attempt - 1)))
        try:
            response = httpx.post(
                url.rstrip("/") + "/v1/register",
                content=body,
                headers={**headers(), **extra},
                timeout=15,
                verify=_verify(ca),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # The request never reached the server (the code is unspent), or the
            # certificate was refused: asking again now would not change that.
            raise SyncError(unreachable(exc)) from exc
        except httpx.HTTPError as exc:
            failure = unreachable(exc)  # the answer may be lost: ask again, same key
            continue
        if response.status_code >= 500 or response.status_code in (429, 503):
            failure = f"The server is busy or failing ({response.status_code})."
            continue
        if response.status_code != 200:
            raise SyncError(f"Enrolment refused: {_refusal(response)}")
        try:
            data = response.json()
            return data["client_id"], data["token"]
        except (ValueError, KeyError, TypeError):
            failure = "The server's answer was cut short."
    raise SyncError(failure)


class SyncClient:
    """Rounds of sync for one store; blocking (the app runs it in a thread)."""

    def __init__(
        self,
        engine: Engine,
        db_path: Path,
        *,
        timeout: float = 20.0,
        page_rows: int | None = None,
        clock: Callable[[], datetime] | None = None,
        history_days: int = HISTORY_DAYS,
    ):
        self.engine = engine
        self.history_days = history_days  # of past appointments, when a bootstrap starts
        self.db_path = Path(db_path)
        self.timeout = timeout
        self.page_rows = page_rows
        self._clock = clock or (lambda: datetime.now(UTC))
        self._http: httpx.Client | None = None
        self._status_written: datetime | None = None  # when this client last wrote LAST_OK
        self._http_key: tuple | None = None
        # Loading a trust store costs ~50-100 ms: made once per CA setting and reused,
        # so reconnecting after every dropped connection does not pay it again.
        self._ssl: tuple[str | None, ssl.SSLContext] | None = None

    # ---------------------------------------------------------- settings

    def settings(self) -> tuple[str | None, str | None, str | None]:
        with self.engine.connect() as conn:
            return (
                local.get_meta(conn, URL),
                local.get_meta(conn, TOKEN),
                local.get_meta(conn, CA),
            )

    @property
    def connected(self) -> bool:
        url, token, _ = self.settings()
        return bool(url and token)

    def enrol(
        self,
        url: str,
        code: str,
        name: str,
        ca: str | None = None,
        *,
        tries: int = ENROL_TRIES,
        pause: Callable[[float], None] | None = None,
    ) -> str:
        """Enrol with ``code``; running it again with the same code (the answer was lost,
        the command was interrupted) sends the same key, so it gets the same enrolment."""
        pending = json.loads(local.read_meta(self.engine, ENROL_KEY) or "{}")
        code_key = hashlib.sha256("".join(c for c in code.upper() if c.isalnum()).encode())
        key = pending.get(code_key.hexdigest()) or secrets.token_urlsafe(32)
        local.write_meta(self.engine, {ENROL_KEY: json.dumps({code_key.hexdigest(): key})})
        client_id, token = register(url, code, name, ca, tries=tries, pause=pause, key=key)
        local.forget_sent(self.engine)  # a new enrolment starts its own count of mutations
        local.write_meta(
            self.engine,
            {
                URL: url.rstrip("/"),
                CLIENT_ID: client_id,
                TOKEN: token,
                CA: ca,
                CURSOR: None,
                ENROL_KEY: None,
            },
        )
        return client_id

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        url, token, ca = self.settings()
        if not (url and token):
            raise NotConnected("This workstation is not connected to a clinic server.")
        key = (url, token, ca)
        if self._http is None or self._http_key != key:
            self.close()
            if self._ssl is None or self._ssl[0] != ca:
                self._ssl = (ca, _verify(ca))
            self._http = httpx.Client(
                base_url=url,
                headers=headers(token),
                timeout=httpx.Timeout(self.timeout, connect=5.0),
                verify=self._ssl[1],
                limits=httpx.Limits(max_keepalive_connections=2),
            )
            self._http_key = key
        return self._http

    def _post(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        body, extra = _body(payload)
        try:
            return self._client().post(path, content=body, headers=extra)
        except httpx.HTTPError as exc:
            self.close()  # a half-read connection is not reused
            why = unreachable(exc)
            if why.startswith("Cannot reach"):
                why = f"Server unreachable ({type(exc).__name__})."
            raise SyncError(why) from exc

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            return response.json()
        except ValueError as exc:
            self.close()
            raise SyncError("The server's answer was cut short.") from exc

    # ------------------------------------------------------------ rounds

    @contextmanager
    def _exclusive(self):
        lock_path = Path(f"{self.db_path}.sync-lock")
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def round(self, progress: Callable[[int, int | None], None] | None = None) -> Round:
        """Push everything pending, then pull until up to date. Raises SyncError.

        Status goes to the store's meta only when it says something new (an error, a
        recovery, rows moved, or a "last synced" older than ``STATUS_EVERY``): an idle
        round every few seconds then costs no write and no fsync, and does not wake
        every screen's data_version poll.
        """
        report = Round()
        if not self.connected:
            raise NotConnected("This workstation is not connected to a clinic server.")
        with self._exclusive() as mine:
            if not mine:
                report.skipped = True
                return report
            started = self._clock()
            try:
                self._push_all(report)
                self._pull_all(report, progress)
            except Exception as exc:
                message = (
                    str(exc)
                    if isinstance(exc, SyncError)
                    else f"Sync stopped on this workstation ({type(exc).__name__})."
                )
                local.write_meta(self.engine, {LAST_ERROR: message, LAST_TRY: started.isoformat()})
                self._status_written = None
                if isinstance(exc, SyncError):
                    raise
                raise SyncError(message) from exc
            now = self._clock()
            moved = report.pushed or report.rows or report.conflicts or report.recovered
            stale = self._status_written is None or now - self._status_written > STATUS_EVERY
            if moved or stale:
                local.write_meta(
                    self.engine,
                    {LAST_OK: now.isoformat(), LAST_TRY: started.isoformat(), LAST_ERROR: None},
                )
                self._status_written = now
        return report

    def _push_all(self, report: Round) -> None:
        gap_retry = True
        while True:
            batch = local.pending(self.engine, MAX_BATCH)
            if not batch:
                return
            response = self._post("/v1/push", {"mutations": batch})
            if busy := _busy(response):
                raise busy
            if response.status_code == 409 and gap_retry:
                # The server expects an earlier id (new enrolment, restored server): a pull
                # renumbers what is pending, then the batch goes again.
                gap_retry = False
                self._pull_all(report, None)
                continue
            if response.status_code != 200:
                raise SyncError(f"Push refused ({response.status_code}): {_refusal(response)}")
            data = self._json(response)
            results = data.get("results") or []
            report.pushed += len(results)
            report.rejected += sum(1 for r in results if r.get("status") == "rejected")
            report.results.extend(results)
            # Acknowledgement (and the conflicts list) happens in the pull's transaction.
            self._pull_all(report, None)
            if len(batch) < MAX_BATCH:
                return

    def _pull_all(self, report: Round, progress) -> None:
        while True:
            with self.engine.connect() as conn:
                cursor = local.get_meta(conn, CURSOR)
            payload: dict[str, Any] = {
                "cursor": cursor,
                "pending_from": local.first_pending(self.engine),
                "want_remaining": progress is not None,
                "history_days": self.history_days,
            }
            if self.page_rows:
                payload["limit"] = self.page_rows
            response = self._post("/v1/pull", payload)
            if busy := _busy(response):
                raise busy
            if response.status_code != 200:
                raise SyncError(f"Pull refused ({response.status_code}): {_refusal(response)}")
            page = self._json(response)
            if page.get("reset") or not cursor:
                report.reset = report.reset or bool(page.get("reset"))
                page = {**page, "reset": True}  # start from a clean copy of the server
            applied = local.apply_page(self.engine, page, self._clock())
            report.pages += 1
            report.rows += applied.rows
            report.conflicts += applied.conflicts
            report.recovered += applied.recovered
            if progress is not None:
                progress(report.rows, page.get("remaining"))
            if not page.get("more"):
                return
