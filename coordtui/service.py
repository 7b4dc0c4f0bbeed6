"""The one object screens talk to: reads, named mutations, store status.

Knows nothing of Textual.  Reads go through plain sqlite3 (fast, and
available before SQLAlchemy is imported); writes go through the named
mutations on a SQLAlchemy engine that is opened lazily, so the first screen
paints without paying for the ORM import.  Methods block: the app calls them
from thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from coordtui.domain.days import day_bounds_utc, local_today
from coordtui.ids import new_id
from coordtui.store.files import SCHEMA_VERSION, check_version, ensure_private_file
from coordtui.store.reads import ClinicInfo, PatientBrief, ProviderInfo, QueueRow, Reads


class Service:
    def __init__(
        self,
        db_path: Path,
        actor: str,
        clock: Callable[[], datetime] | None = None,
        date_order: str = "DMY",
    ):
        self.db_path = db_path
        self.actor = actor
        self.date_order = date_order  # how 14.3.80 is read in searches and forms
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

    # ----------------------------------------------------------- plumbing

    @property
    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from coordtui.store.db import open_store

                self._engine = open_store(self.db_path)
            return self._engine

    def warm_up(self) -> None:
        """Import the ORM and open the writer; the app calls this in a worker after paint."""
        _ = self.engine
        import coordtui.mutations  # noqa: F401

    def close(self) -> None:
        self.reads.close()
        if self._engine is not None:
            self._engine.dispose()

    def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        from coordtui.mutations import run_local

        return run_local(self.engine, name, args, self.actor)

    # -------------------------------------------------------------- clock

    @property
    def clinic(self) -> ClinicInfo:
        if self._clinic is None:
            self._clinic = self.reads.clinic() or ClinicInfo("", "(no clinic)", "UTC", "US")
        return self._clinic

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def now(self) -> datetime:
        """Aware UTC, the store's convention."""
        return self._clock() if self._clock else datetime.now(UTC)

    def today(self) -> date:
        return local_today(self.now(), self.zone)

    # -------------------------------------------------------------- reads

    def queue(self, day: date) -> list[QueueRow]:
        start, end = day_bounds_utc(day, self.zone)
        return self.reads.queue(start, end)

    def queue_row(self, appointment_id: str) -> QueueRow | None:
        return self.reads.queue_row(appointment_id)

    def providers(self) -> list[ProviderInfo]:
        return self.reads.providers()

    def find_patients(self, text: str, limit: int = 20) -> list[PatientBrief]:
        return self.reads.find_patients(text, limit)

    def data_version(self) -> int:
        return self.reads.data_version()

    def search_patients(self, query: str, limit: int = 50, offset: int = 0):
        return self.reads.search_patients(query, self.today(), self.date_order, limit, offset)

    def find_duplicates(self, fields: dict, limit: int = 10):
        return self.reads.find_duplicates(fields, self.today(), limit)

    def patient(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.patient, patient_id)

    def patient_appointments(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.appointments, patient_id)

    def patient_history(self, patient_id: str):
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.history, patient_id)

    def pending_count(self) -> int:
        return self.reads.outbox_count()

    # ---------------------------------------------------------- mutations

    def set_status(self, appointment_id: str, to_status: str, reason: str = "") -> dict:
        return self.run(
            "set_status",
            {
                "appointment_id": appointment_id,
                "to_status": to_status,
                "reason": reason,
                "at": self.now().isoformat(),
                "event_id": new_id(),
            },
        )

    def undo_status(self, appointment_id: str) -> dict:
        return self.run(
            "undo_status",
            {"appointment_id": appointment_id, "at": self.now().isoformat(), "event_id": new_id()},
        )

    def add_walk_in(
        self,
        patient_id: str,
        provider_id: str,
        reason: str = "",
        priority: str = "routine",
        minutes: int = 15,
    ) -> dict:
        return self.run(
            "add_walk_in",
            {
                "appointment_id": new_id(),
                "event_id": new_id(),
                "patient_id": patient_id,
                "provider_id": provider_id,
                "reason": reason,
                "priority": priority,
                "minutes": minutes,
                "at": self.now().isoformat(),
            },
        )

    def register_patient(
        self,
        fields: dict[str, Any],
        record_number: str | None = None,
        duplicates_overridden: list[str] | None = None,
    ) -> dict:
        """Register; ``duplicates_overridden`` records the candidates the user saw and set aside."""
        return self.run(
            "register_patient",
            {
                "patient_id": new_id(),
                "event_id": new_id(),
                "record_number": record_number or self.next_record_number(),
                "fields": fields,
                "duplicates_overridden": duplicates_overridden or [],
                "at": self.now().isoformat(),
            },
        )

    def update_patient(self, patient_id: str, base_version: int, changes: dict) -> dict:
        return self.run(
            "update_patient",
            {
                "patient_id": patient_id,
                "event_id": new_id(),
                "base_version": base_version,
                "changes": changes,
                "at": self.now().isoformat(),
            },
        )

    def merge_patients(self, survivor_id: str, absorbed_id: str) -> dict:
        return self.run(
            "merge_patients",
            {
                "survivor_id": survivor_id,
                "absorbed_id": absorbed_id,
                "event_ids": [new_id(), new_id()],
                "at": self.now().isoformat(),
            },
        )

    def next_record_number(self) -> str:
        """A workstation-unique record number: 'W' + 4 id chars + a counter."""
        suffix = new_id().replace("-", "")[-8:].upper()
        return f"W{suffix}"
