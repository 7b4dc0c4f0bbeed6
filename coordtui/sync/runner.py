"""Background sync for the app: one thread, one round at a time.

A round runs soon after each local write (``poke``, debounced), every
``interval`` seconds when idle, and at once on ``run_now`` (the `s` key).
After a failed round the next waits an exponential backoff with jitter
(coordtui.sync.client.backoff); writes made meanwhile do not shorten it,
``run_now`` does.  ``on_round(outcome)`` is called on the sync thread after
every round; the app posts it to its event loop.  No Textual here, and nothing
heavy at import (the app imports this before its first paint).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any

DEBOUNCE = 0.3  # seconds between a local write and the round that sends it


@dataclass(frozen=True)
class Outcome:
    """What one round did; ``ok`` is False only for a connected store that failed."""

    connected: bool
    ok: bool
    rows: int = 0  # rows pulled from the server
    pushed: int = 0
    rejected: int = 0
    conflicts: int = 0  # new conflicts recorded by this round
    skipped: bool = False  # another process on this store was syncing
    error: str = ""
    retry_in: float = 0.0  # seconds until the next try, after a failure
    busy: float = 0.0  # the server said it is busy: wait at least this long


class SyncRunner:
    """Rounds of ``make_client().round()`` on a daemon thread, while ``connected()``."""

    def __init__(
        self,
        connected: Callable[[], bool],
        make_client: Callable[[], Any],
        on_round: Callable[[Outcome], None],
        interval: float = 3.0,
        *,
        debounce: float = DEBOUNCE,
        rng: random.Random | None = None,
    ):
        self._connected = connected
        self._make_client = make_client
        self._on_round = on_round
        self.interval = interval  # 0: no rounds of its own, only after writes and run_now
        self.debounce = debounce
        self._rng = rng or random.Random()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._client = None
        self._stopping = False
        self._busy = False
        self._next = monotonic()  # the first round as soon as the thread starts
        self._backoff_until = 0.0
        self.failures = 0

    # ------------------------------------------------------------- control

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="coordtui-sync", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """A local write happened: a round soon (unless waiting out a failure)."""
        with self._cond:
            now = monotonic()
            if now < self._backoff_until:
                return
            self._next = min(self._next, now + self.debounce)
            self._cond.notify()

    def run_now(self) -> None:
        """A person asked: a round now (after the one running, if any), backoff or not."""
        with self._cond:
            self._backoff_until = 0.0
            self._next = monotonic()
            self._cond.notify()

    @property
    def busy(self) -> bool:
        return self._busy

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop after the round in progress (if any); False if it is still running."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False  # a daemon: it cannot outlive the process
        self._close_client()
        return True

    # ---------------------------------------------------------------- loop

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    wait = self._next - monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopping:
                    return
                self._busy = True
                self._next = float("inf")  # a poke during the round asks for another
            outcome = self._round()
            with self._cond:
                self._busy = False
                now = monotonic()
                if outcome.ok:
                    self.failures = 0
                    if self.interval > 0:
                        self._next = min(self._next, now + self.interval)
                else:
                    from coordtui.sync.client import backoff

                    self.failures += 1
                    delay = max(backoff(self.failures, self._rng), outcome.busy)
                    outcome = Outcome(**{**outcome.__dict__, "retry_in": delay})
                    self._backoff_until = self._next = now + delay
                stopping = self._stopping
            if not stopping:
                with contextlib.suppress(Exception):  # the app is going away
                    self._on_round(outcome)

    def _round(self) -> Outcome:
        # httpx, the ORM: not at start
        from coordtui.sync.client import NotConnected, ServerBusy, SyncError

        try:
            if not self._connected():
                self._close_client()
                return Outcome(connected=False, ok=True)
            if self._client is None:
                self._client = self._make_client()
            report = self._client.round()
        except NotConnected:
            return Outcome(connected=False, ok=True)
        except ServerBusy as exc:
            return Outcome(connected=True, ok=False, error=str(exc), busy=exc.retry_after)
        except SyncError as exc:
            return Outcome(connected=True, ok=False, error=str(exc))
        except Exception as exc:  # a busy or broken store: never show internals
            return Outcome(
                connected=True,
                ok=False,
                error=f"Sync failed on this workstation ({type(exc).__name__}).",
            )
        return Outcome(
            connected=True,
            ok=True,
            rows=report.rows,
            pushed=report.pushed,
            rejected=report.rejected,
            conflicts=report.conflicts,
            skipped=report.skipped,
        )

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
