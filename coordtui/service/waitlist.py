"""The waitlist: entries, the ones a freed slot fits, booking one into a slot."""

from __future__ import annotations

from datetime import date

from coordtui.domain.slots import Slot
from coordtui.ids import new_id
from coordtui.read_models.booking import WaitlistRow
from coordtui.service.core import Also, ServiceCore, iso
from coordtui.store import booking_reads


class WaitlistService(ServiceCore):
    def waitlist_add(
        self,
        patient_id: str,
        type_name: str,
        provider_id: str | None,
        earliest: date,
        latest: date,
        priority: str = "routine",
        note: str = "",
    ) -> dict:
        return self.run(
            "add_waitlist_entry",
            self._booking_args(
                entry_id=new_id(),
                patient_id=patient_id,
                type=type_name,
                provider_id=provider_id,
                earliest=earliest.isoformat(),
                latest=latest.isoformat(),
                priority=priority,
                note=note,
            ),
        )

    def waitlist_matching(self, slot: Slot) -> list[WaitlistRow]:
        """Waiting entries the slot fits (day in range, provider or anyone, type fits), urgent first."""
        return self.reads.run(booking_reads.waitlist_matching, slot, self.zone)

    def waitlist_open(self) -> list[WaitlistRow]:
        return self.reads.run(booking_reads.waitlist_open)

    def waitlist_entry(self, entry_id: str) -> WaitlistRow | None:
        return self.reads.run(booking_reads.waitlist_entry, entry_id)

    def book_from_waitlist(
        self, entry_id: str, slot: Slot, modality: str = "in_person", *, also: Also | None = None
    ) -> dict:
        """Book the entry's patient into ``slot`` (the type's length) and close the entry.

        ``also``: see ServiceCore.run (the conflict review resolves a conflict with it)."""
        return self.run(
            "book_from_waitlist",
            self._booking_args(
                entry_id=entry_id,
                appointment_id=new_id(),
                provider_id=slot.provider_id,
                start=iso(slot.start),
                modality=modality,
            ),
            also=also,
        )

    def waitlist_close(self, entry_id: str, reason: str = "") -> dict:
        return self.run(
            "close_waitlist_entry",
            {"entry_id": entry_id, "reason": reason, "at": self.now().isoformat()},
        )
