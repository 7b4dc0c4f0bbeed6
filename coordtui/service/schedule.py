"""Providers' schedules: weekly hours, slot grid, overbooking, leave and extra sessions."""

from __future__ import annotations

from datetime import date
from typing import Any

from coordtui.ids import new_id
from coordtui.read_models.booking import ExceptionRow, ProviderSetup
from coordtui.service.core import ServiceCore
from coordtui.store import booking_reads


class ScheduleService(ServiceCore):
    def provider_setup(self, provider_id: str) -> ProviderSetup | None:
        """The provider's weekly template, slot grid and overbooking allowance."""
        setups = self.reads.run(booking_reads.provider_setups, provider_id)
        return setups[0] if setups else None

    def schedule_exceptions(
        self, provider_id: str, first_day: date, last_day: date
    ) -> list[ExceptionRow]:
        return self.reads.run(booking_reads.schedule_exceptions, provider_id, first_day, last_day)

    def set_provider_schedule(
        self,
        provider_id: str,
        schedule: dict | str | None = None,
        *,
        slot_minutes: int | None = None,
        overbook_allowance: int | None = None,
    ) -> dict:
        """Weekly template ({"mon": [["08:00", "12:00"], ...]}), slot grid, overbooking."""
        args: dict[str, Any] = {"provider_id": provider_id, "at": self.now().isoformat()}
        if schedule is not None:
            args["schedule"] = schedule
        if slot_minutes is not None:
            args["slot_minutes"] = slot_minutes
        if overbook_allowance is not None:
            args["overbook_allowance"] = overbook_allowance
        return self.run("set_provider_schedule", args)

    def add_schedule_exception(
        self,
        provider_id: str,
        first_day: date,
        last_day: date | None = None,
        start: str | None = None,
        end: str | None = None,
        kind: str = "closure",
        reason: str = "",
    ) -> dict:
        """Leave/holiday (closure; whole days without times) or an extra session ("HH:MM")."""
        return self.run(
            "add_schedule_exception",
            {
                "exception_id": new_id(),
                "provider_id": provider_id,
                "kind": kind,
                "first_day": first_day.isoformat(),
                "last_day": (last_day or first_day).isoformat(),
                "start_time": start,
                "end_time": end,
                "reason": reason,
                "at": self.now().isoformat(),
            },
        )

    def remove_schedule_exception(self, exception_id: str) -> dict:
        return self.run(
            "remove_schedule_exception",
            {"exception_id": exception_id, "at": self.now().isoformat()},
        )
