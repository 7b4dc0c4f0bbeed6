"""Patients: finding them, the card, registering, editing and merging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coordtui.ids import new_id
from coordtui.read_models.queue import PatientBrief
from coordtui.service.core import ServiceCore

if TYPE_CHECKING:  # loaded with the store modules that fill them, not at start-up
    from coordtui.read_models.patients import (
        Candidate,
        Hit,
        PatientAppointment,
        PatientHistoryEntry,
        PatientRecord,
    )


class PatientService(ServiceCore):
    def find_patients(self, text: str, limit: int = 20) -> list[PatientBrief]:
        return self.reads.find_patients(text, limit)

    def search_patients(self, query: str, limit: int = 50, offset: int = 0) -> list[Hit]:
        return self.reads.search_patients(
            query, self.today(), self.date_order, limit, offset, now=self.now()
        )

    def find_duplicates(self, fields: dict, limit: int = 10) -> list[Candidate]:
        return self.reads.find_duplicates(fields, self.today(), limit)

    # The card's reads (coordtui.store.patient_reads) are imported when a card first
    # opens: not part of the app's start-up.

    def patient(self, patient_id: str) -> PatientRecord | None:
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.patient, patient_id)

    def patient_appointments(self, patient_id: str) -> list[PatientAppointment]:
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.appointments, patient_id)

    def patient_history(self, patient_id: str) -> list[PatientHistoryEntry]:
        from coordtui.store import patient_reads

        return self.reads.run(patient_reads.history, patient_id)

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

    def update_patient(self, patient_id: str, base_version: int | None, changes: dict) -> dict:
        """``base_version``: PatientRecord.base_version as the edit form read it."""
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
