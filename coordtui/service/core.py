"""The service's plumbing: the store file, the lazily opened writer, the clock and zone.

Every area of the service (coordtui.service.queue, .booking, ...) builds on
``ServiceCore``: ``reads`` for plain sqlite3 reads, ``run`` for named
mutations, ``now``/``today``/``zone`` for time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from coordtui.domain import instants
from coordtui.domain.dates import default_date_order
from coordtui.domain.days import local_today
from coordtui.domain.slots import DEFAULT_HORIZON_DAYS
from coordtui.read_models.queue import ClinicInfo
from coordtui.replication.protocol import HISTORY_DAYS
from coordtui.store.files import SCHEMA_VERSION, check_version, ensure_private_file
from coordtui.store.reads import Reads

if TYPE_CHECKING:
    from sqlmodel import Session

# Run inside a mutation's own transaction, after it (coordtui.sync.local.run_local).
Also = Callable[["Session"], None]


class ServiceCore:
    def __init__(
        self,
        db_path: Path,
        actor: str,
        clock: Callable[[], datetime] | None = None,
        date_order: str | None = None,
    ):
        self.db_path = db_path
        self.actor = actor
        self._date_order = date_order  # None: from the clinic's phone region
        self._clock = clock  # tests and snapshots freeze time here
        ensure_private_file(db_path)
        self._version = check_version(db_path)  # refuses a newer file before anything else
        self._engine = None
        self._engine_lock = threading.Lock()
        if self._version < SCHEMA_VERSION:
            # A new file needs its schema, an old one its migrations, before the first read.
            self.warm_up()
        self.reads = Reads(db_path)
        self._clinic: ClinicInfo | None = None
        self.booking_horizon_days = DEFAULT_HORIZON_DAYS  # how far ahead bookings open
        self.history_days = HISTORY_DAYS  # past appointments a sync bootstrap fetches
        self.allow_empty_resolved_note = False  # Config.allow_empty_resolved_note

    # ----------------------------------------------------------- plumbing
    #
    # SQLAlchemy/SQLModel take about a second to import on a slow PC, so the
    # writer side (coordtui.store.db, coordtui.mutations, coordtui.sync.local)
    # is imported on first use, never when the app starts: the first screen
    # paints from the plain sqlite3 reads.

    @property
    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from coordtui.store.db import open_store  # the ORM: see above

                self._engine = open_store(self.db_path)
            return self._engine

    def warm_up(self) -> None:
        """Import the ORM and open the writer; the app calls this in a worker after paint."""
        _ = self.engine
        import coordtui.mutations  # noqa: F401  (the ORM: see above)

    def close(self) -> None:
        self.reads.close()
        if self._engine is not None:
            self._engine.dispose()

    def run(self, name: str, args: dict[str, Any], also: Also | None = None) -> dict[str, Any]:
        """Run a named mutation through the outbox; ``also`` (given the session) runs in
        the same transaction after it, so both commit or neither does."""
        from coordtui.sync.local import run_local  # the ORM: see above

        return run_local(self.engine, name, args, self.actor, now=self.now(), also=also)

    def data_version(self) -> int:
        return self.reads.data_version()

    def pending_count(self) -> int:
        return self.reads.outbox_count()

    # -------------------------------------------------------------- clock

    @property
    def clinic(self) -> ClinicInfo:
        if self._clinic is None:
            self._clinic = self.reads.clinic() or ClinicInfo("", "(no clinic)", "UTC", "US")
        return self._clinic

    @property
    def date_order(self) -> str:
        """How 03/08/1974 is read in searches and forms: the config's setting, else the
        custom of the clinic's phone region (MDY in the US; coordtui.domain.dates)."""
        return self._date_order or default_date_order(self.clinic.phone_region)

    @date_order.setter
    def date_order(self, value: str | None) -> None:
        self._date_order = value or None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def now(self) -> datetime:
        """Aware UTC, the store's convention."""
        return self._clock() if self._clock else datetime.now(UTC)

    def today(self) -> date:
        return local_today(self.now(), self.zone)

    @property
    def clock_label(self) -> str:
        """'demo clock' when the injected clock is not the time of day (the header shows it)."""
        # coordtui.clock is the demo's and benchmarks' business: not imported with the app.
        from coordtui.clock import clock_label

        return clock_label(self._clock)

    def _booking_args(self, **args: Any) -> dict[str, Any]:
        """A booking's or waitlist entry's args: the time it was asked and the horizon."""
        return {**args, "at": self.now().isoformat(), "horizon_days": self.booking_horizon_days}


def iso(moment: datetime) -> str:
    """A booking time for args (coordtui.domain.instants.iso), refusing a naive one: a
    wall time typed at the desk must be placed in the clinic's zone first."""
    if moment.tzinfo is None:
        raise ValueError("booking times must be aware datetimes; use resolve_local for wall time")
    return instants.iso(moment)
