"""What the desk can do about a conflict: rebook it, accept the server's version, or
re-apply a refused edit.  Writes: call these on the writer thread.

A rebooking runs through the normal service call (``book``, ``reschedule``,
``book_from_waitlist``, or the series mutation) and marks the conflict
resolved inside that booking's own transaction (``also``, see
coordtui.sync.local.run_local): the new booking, its outbox entry and the
resolution commit together or not at all, so a conflict is never left open
beside the booking that settled it, nor closed without one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine

from coordtui.domain.slots import Slot
from coordtui.ids import new_id
from coordtui.mutations import MutationError
from coordtui.read_models.sync import ConflictView
from coordtui.service.conflicts import Desk, conflict
from coordtui.service.core import Also
from coordtui.sync.local import mark_resolved, resolve_conflict

if TYPE_CHECKING:
    from sqlmodel import Session


class Writer(Desk, Protocol):
    """What the actions use of the service besides the conflict list's reads."""

    booking_horizon_days: int

    @property
    def engine(self) -> Engine: ...

    def now(self) -> datetime: ...

    def run(self, name: str, args: dict[str, Any], also: Also | None = None) -> dict[str, Any]: ...

    def book(
        self,
        patient_id: str,
        provider_id: str,
        start: datetime,
        type_name: str,
        *,
        modality: str = ...,
        reason: str = ...,
        override: bool = ...,
        end: datetime | None = ...,
        priority: str = ...,
        recall_id: str | None = ...,
        also: Also | None = ...,
    ) -> dict: ...

    def reschedule(
        self,
        appointment_id: str,
        start: datetime,
        provider_id: str | None = ...,
        *,
        override: bool = ...,
        also: Also | None = ...,
    ) -> dict: ...

    def book_from_waitlist(
        self, entry_id: str, slot: Slot, modality: str = ..., *, also: Also | None = ...
    ) -> dict: ...

    def update_patient(self, patient_id: str, base_version: int | None, changes: dict) -> dict: ...


def _open(service: Writer, mutation_id: int) -> ConflictView:
    found = conflict(service, mutation_id)
    if found is None:
        raise MutationError("That conflict is no longer on this workstation.")
    if found.resolved_at is not None:
        raise MutationError(f"Already resolved ({found.resolution}).")
    return found


def _resolve(service: Writer, mutation_id: int, resolution: str) -> None:
    resolve_conflict(service.engine, mutation_id, resolution, service.now())


def accept(service: Writer, mutation_id: int) -> dict[str, Any]:
    """Keep the server's version: nothing to redo (the server's state is already here)."""
    _open(service, mutation_id)
    _resolve(service, mutation_id, "accepted")
    return {"mutation_id": mutation_id, "resolution": "accepted"}


def rebook(service: Writer, mutation_id: int, option: int) -> dict[str, Any]:
    """Book the chosen alternative through the normal booking call and resolve the
    conflict "rebooked" in the same transaction (see the module docstring)."""
    found = _open(service, mutation_id)
    if not found.can_rebook or not 0 <= option < len(found.options):
        raise MutationError("There is no alternative to book for this change.")
    choice, args = found.options[option], found.args
    resolved = _resolved_with(service.now, mutation_id, "rebooked")
    if found.name == "book_appointment":
        result = service.book(
            args["patient_id"],
            choice.provider_id,
            choice.start,
            args["type"],
            modality=args.get("modality") or "in_person",
            reason=args.get("reason") or "",
            override=args.get("override") is True,
            end=choice.end,
            priority=args.get("priority") or "routine",
            recall_id=args.get("recall_id"),  # the refused booking was for a recall
            also=resolved,
        )
    elif found.name == "reschedule_appointment":
        result = service.reschedule(
            args["appointment_id"],
            choice.start,
            choice.provider_id,
            override=args.get("override") is True,
            also=resolved,
        )
    elif found.name == "book_from_waitlist":
        slot = Slot(choice.provider_id, choice.start, choice.end)
        result = service.book_from_waitlist(
            args["entry_id"], slot, modality=args.get("modality") or "in_person", also=resolved
        )
    else:  # book_series: the same dates, refused ones moved, all or nothing again
        series = _series_args(service, args, dict(choice.moves))
        result = service.run("book_series", series, also=resolved)
    return {**result, "resolution": "rebooked"}


def _resolved_with(now: Callable[[], datetime], mutation_id: int, resolution: str) -> Also:
    """Marks the conflict resolved inside the booking's transaction.  Resolved meanwhile
    (by another process on this store): refused, so the booking is rolled back too."""

    def mark(session: Session) -> None:
        if not mark_resolved(session.connection(), mutation_id, resolution, now()):
            raise MutationError("That conflict was resolved meanwhile; nothing was booked.")

    return mark


def _series_args(service: Writer, args: dict[str, Any], moves: dict[int, str]) -> dict:
    occurrences = []
    for index, occ in enumerate(args.get("occurrences") or []):
        start = moves.get(index, occ.get("start"))
        occurrences.append(
            {"appointment_id": new_id(), "day": occ.get("day"), "start": start}
            if start
            else {**occ, "appointment_id": new_id()}
        )
    return {
        **args,
        "series_id": new_id(),
        "occurrences": occurrences,
        "at": service.now().isoformat(),
        "horizon_days": service.booking_horizon_days,
    }


def reapply(service: Writer, mutation_id: int) -> dict[str, Any]:
    """Run the refused edit again on the record as it is now, then resolve "reapplied"."""
    found = _open(service, mutation_id)
    if not found.can_reapply:
        raise MutationError("Only an edit can be re-applied; rebook or accept this one.")
    args = found.args
    record = service.patient(str(args.get("patient_id")))
    if record is None:
        raise MutationError("The patient is not on this workstation any more.")
    if record.merged_into:
        raise MutationError("This record was merged into another; edit that one instead.")
    result = service.update_patient(record.id, record.base_version, dict(args.get("changes") or {}))
    _resolve(service, mutation_id, "reapplied")
    return {**result, "resolution": "reapplied"}
