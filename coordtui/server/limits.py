"""Per-address limits on failed enrolments and failed token checks.

Guessing an enrolment code or a token is a matter of asking many times; a
clinic's desks fail a handful of times at most (a typo in a code, a revoked
desk).  After ``limit`` failures within ``window`` seconds an address is
answered 429 with Retry-After until its oldest failure leaves the window.
Kept in memory per server process (several processes each count their own,
which only loosens the limit by their number); addresses only are logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("coordtui.server")

FAILURES_PER_MINUTE = 10
_MAX_ADDRESSES = 10_000  # a flood from many addresses cannot grow this without bound


class FailureLimiter:
    def __init__(
        self,
        limit: int = FAILURES_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        seen = self._failures.get(address)
        if seen is None:
            return deque()
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if not seen:
            del self._failures[address]
        return seen

    def retry_after(self, address: str) -> int | None:
        """Seconds this address must wait, or None if it may ask."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self._clock()
            seen = self._recent(address, now)
            if len(seen) < self.limit:
                return None
            return max(1, int(seen[0] + self.window - now + 0.999))

    def failed(self, address: str, what: str) -> None:
        with self._lock:
            now = self._clock()
            seen = self._recent(address, now)
            if not seen and len(self._failures) >= _MAX_ADDRESSES:
                self._failures.pop(next(iter(self._failures)))
            seen.append(now)
            self._failures[address] = seen
            count = len(seen)
        if count == 1 or count == self.limit:
            log.warning(
                "failed %s from %s (%d in the last minute%s)",
                what,
                address,
                count,
                "; now limited" if count == self.limit else "",
            )
