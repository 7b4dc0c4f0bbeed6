"""What the queue changes on a visit: the status keys (with the dialog a status asks for),
undo, the hand-off note, a walk-in.

A mixin of QueueScreen (screens/queue.py).  Each write runs on the app's
writer thread and reads the committed row back (``_job``); the screen shows
it when its ``Written`` message comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from coordtui.domain.status import LABELS, NEEDS_CONFIRM, TRANSITIONS, Status
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.naming import visit_text
from coordtui.screens.reason import (
    CANCEL,
    CANCEL_REASONS,
    ERROR_REASONS,
    HAND_OFF,
    IN_ERROR,
    ReasonScreen,
)
from coordtui.screens.waitlist_offer import offer_waitlist
from coordtui.screens.walk_in import WalkInScreen
from coordtui.widgets.queue_table import patient_label

if TYPE_CHECKING:
    from coordtui.read_models.queue import QueueRow


class QueueWrites:
    """The writes of QueueScreen, from its keys and dialogs."""

    def _visit(self, row: QueueRow) -> Text:
        """Whose visit, when, with whom: every dialog that acts on a row names it so."""
        return visit_text(
            Text(patient_label(row, self.privacy)),
            row.start,
            row.provider,
            self.service.zone,
            row.end,
        )

    def action_status(self, target: str) -> None:
        row = self._selected()
        status = Status(target)
        if row is None or status not in TRANSITIONS[Status(row.status)]:
            return
        if self._not_now(row, status):
            return
        if status in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
            cancel = status == Status.CANCELLED
            self.app.push_screen(
                ReasonScreen(
                    "Cancel this appointment? Why:" if cancel else "Mark entered in error? Why:",
                    CANCEL_REASONS if cancel else ERROR_REASONS,
                    self._visit(row),
                    CANCEL if cancel else IN_ERROR,
                    save=lambda reason: self._status_job(row, status, reason),
                ),
                lambda result: self._written(result, f"{LABELS[status]}."),
            )
        elif status in NEEDS_CONFIRM:
            self.app.push_screen(
                ConfirmScreen(
                    f"Mark {LABELS[status].lower()}?",
                    self._visit(row),
                    save=lambda: self._status_job(row, status, ""),
                ),
                lambda result: self._written(result, f"{LABELS[status]}."),
            )
        elif status == Status.ARRIVED and self._coverage_on():
            self._arrival_step(row, Text(patient_label(row, self.privacy)))
        else:
            self._write(self._status_job(row, status, ""), f"{LABELS[status]}.")

    def _coverage_on(self) -> bool:
        """Arrival goes through the coverage step unless the clinic turned it off (0)."""
        return self.config.coverage_check_days > 0

    def _arrival_step(self, row: QueueRow, name: Text) -> None:
        """`a` with the coverage check on: the dialog saves the arrival itself (check_in)."""
        from coordtui.screens.arrival import ArrivalScreen

        self.app.push_screen(
            ArrivalScreen(row, name, self.privacy), lambda result: self._written(result, "")
        )

    def _status_job(self, row: QueueRow, status: Status, reason: str):
        if status == Status.CANCELLED:  # a freed slot may go to the waitlist
            return self._job(row.id, lambda: self._cancel_and_offer(row.id, reason))
        return self._job(row.id, lambda: self.service.set_status(row.id, status.value, reason))

    def _cancel_and_offer(self, appointment_id: str, reason: str) -> dict:
        result = self.service.cancel(appointment_id, reason)
        if result.get("offers"):
            self.app.call_from_thread(
                offer_waitlist,
                self.app,
                result["freed"],
                result["offers"][0],
                lambda _result: self.reload(),
            )
        return result

    def action_undo(self) -> None:
        row = self._selected()
        if row is not None:
            self._write(
                self._job(row.id, lambda: self.service.undo_status(row.id)),
                "Undone (recorded as a correction).",
            )

    def _job(self, appointment_id: str | None, fn):
        """A write for the writer thread that reads the committed row back, so the screen
        shows what was stored."""

        def run() -> dict:
            result = fn()
            changed = result.get("appointment_id") or appointment_id
            return {**result, "row": self.service.queue_row(changed) if changed else None}

        return run

    def _write(self, job, note: str) -> None:
        """Run a job (from ``_job``) on the writer thread; then show the committed row."""

        def done(result: dict | None, error: str | None) -> None:
            if error:
                self.post_message(self.Written(None, error, None))
            else:
                self._written(result, note)

        self.app.write(job, done)

    def _written(self, result: dict | None, note: str) -> None:
        """A dialog or a key saved: show it (None: the dialog was left, nothing changed)."""
        if result is not None:
            self.post_message(self.Written(result.get("row"), None, note))

    def action_hand_off(self) -> None:
        """A short note for the care team on this visit ("needs interpreter", "wheelchair")."""
        row = self._selected()
        if row is None:
            return
        presets = ["Needs interpreter", "Wheelchair", "Hard of hearing", "Bring to room 2"]
        self.app.push_screen(
            ReasonScreen(
                "Hand-off note for the care team",
                presets,
                self._visit(row),
                HAND_OFF,
                save=lambda note: self._job(
                    row.id, lambda: self.service.add_hand_off(row.id, note)
                ),
            ),
            lambda result: self._written(result, "Hand-off noted."),
        )

    def action_walk_in(self) -> None:
        self.app.push_screen(
            WalkInScreen(
                self.service.providers(),
                self.provider_filter,
                save=lambda request: self._job(
                    None,
                    lambda: self.service.add_walk_in(
                        request.patient_id, request.provider_id, request.reason, request.priority
                    ),
                ),
            ),
            self._walk_in_added,
        )

    def _walk_in_added(self, result: dict | None) -> None:
        if result is None:
            return
        self._land_on = result.get("appointment_id")  # the cursor goes to the new row
        if self.day != self.service.today():
            self._go_to(self.service.today())
        self._written(result, "Walk-in added to today's queue.")
