"""How much work a server process takes on at once; past that, "busy" at once.

Without a bound, requests past capacity queue for the thread pool and the
database until the desks' 20 s timeouts fire: errors, and the retries add
load.  Here each kind of request (push: writes, one at a time per process;
pull: reads) has a number of places; a request that finds none is answered
503 with Retry-After immediately, and the desk backs off and keeps its
changes (coordtui.sync.client.ServerBusy).  Answering early is what keeps
the answers that are given fast.
"""

from __future__ import annotations

import os
import random
from contextlib import contextmanager

# Places per process.  Pushes wait for the one writer (coordtui.server.changelog.WRITE_LOCK,
# and across processes the change-log head's row lock) in a worker thread: a push that
# waits holds a thread and adds to every later one's wait, so past a couple it is better
# to answer "busy" and let the desk come back (the sync_load benchmark, PostgreSQL with 2
# processes and 500 desks: p99 1.8 s with 4 places, 436 ms with 2, and more bookings
# applied, not fewer).  Pulls are mostly cached reads.
PUSH_PLACES, PULL_PLACES = 2, 24
ENV = "COORDTUI_SERVER_PLACES"  # "PUSH,PULL": smaller to test overload, larger for big iron


class Busy(Exception):
    def __init__(self, retry_after: int):
        super().__init__("busy")
        self.retry_after = retry_after


class Admission:
    def __init__(self, push: int = PUSH_PLACES, pull: int = PULL_PLACES):
        self.places = {"push": push, "pull": pull}
        self.taken = {"push": 0, "pull": 0}
        self.refused = 0

    @classmethod
    def from_env(cls) -> Admission:
        push, _, pull = os.environ.get(ENV, "").partition(",")
        if push.strip().isdigit() and pull.strip().isdigit():
            return cls(int(push), int(pull))
        return cls()

    @contextmanager
    def place(self, kind: str):
        """Hold a place for one request (event-loop only: no lock needed)."""
        if self.taken[kind] >= self.places[kind]:
            self.refused += 1
            # Spread the retries: a crowd told "1 s" comes back as a crowd.
            raise Busy(random.randint(1, 4))
        self.taken[kind] += 1
        try:
            yield
        finally:
            self.taken[kind] -= 1
