"""The day's queue: reading it, status changes, check-in with coverage, walk-ins."""

from __future__ import annotations

from datetime import date
from typing import Any

from coordtui.domain.days import day_bounds_utc
from coordtui.ids import new_id
from coordtui.read_models.coverage import LastCheck, VisitCoverage
from coordtui.read_models.queue import ProviderInfo, QueueRow
from coordtui.service.core import ServiceCore
from coordtui.store import coverage_reads


class QueueService(ServiceCore):
    def queue(self, day: date) -> list[QueueRow]:
        start, end = day_bounds_utc(day, self.zone)
        return self.reads.queue(start, end)

    def queue_row(self, appointment_id: str) -> QueueRow | None:
        return self.reads.queue_row(appointment_id)

    def providers(self) -> list[ProviderInfo]:
        return self.reads.providers()

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

    def check_in(
        self,
        appointment_id: str,
        verified: VisitCoverage | None = None,
        copay_cents: int = 0,
        method: str = "cash",
    ) -> dict:
        """Arrive, and in the same transaction record the coverage the desk verified
        (``verified``: the VisitCoverage the arrival step showed) and a copay collected
        (``copay_cents`` > 0, with ``method``).  See coordtui.mutations.check_in."""
        args: dict[str, Any] = {
            "appointment_id": appointment_id,
            "event_id": new_id(),
            "at": self.now().isoformat(),
        }
        if verified is not None:
            args["coverage"] = {
                "check_id": new_id(),
                "payer": verified.payer,
                "member_id": verified.member_id,
                "copay_cents": verified.copay_cents,
            }
        if copay_cents:
            args["copay"] = {"payment_id": new_id(), "amount_cents": copay_cents, "method": method}
        return self.run("check_in", args)

    def visit_coverage(self, appointment_id: str) -> VisitCoverage | None:
        """What the arrival step shows: coverage on file, last check, copay taken."""
        return self.reads.run(coverage_reads.visit, appointment_id)

    def last_coverage_check(self, patient_id: str) -> LastCheck | None:
        return self.reads.run(coverage_reads.last_check, patient_id)

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
