"""What Book changes: a booking (for a recall, or from a waitlist entry, which it closes),
a move (r, then Enter on a free time), a cancellation (x, which may offer the freed
slot to the waitlist), and the forms that put the patient on the waitlist (W) or book
a series (S).

A mixin of BookScreen (screens/book.py).  Writes go through the app's writer; a
refused booking (someone took the slot first) lists the nearest free times instead.
"""

from __future__ import annotations

from rich.text import Text

from coordtui.domain.days import local
from coordtui.domain.instants import instant
from coordtui.domain.text import clean
from coordtui.screens.book_forms import SeriesForm, WaitlistForm
from coordtui.screens.naming import visit_text
from coordtui.screens.reason import CANCEL, CANCEL_REASONS, ReasonScreen
from coordtui.screens.waitlist_offer import offer_waitlist


class BookWrites:
    """The writes of BookScreen, from its keys and forms."""

    def action_book(self) -> None:
        current = self._current()
        if current is None:
            return
        kind, item = current
        if kind == "appt":
            return
        if self.moving is not None:
            moving = self.moving
            self._write(
                lambda: self.service.reschedule(moving.id, item.start, item.provider_id), "Moved."
            )
            self.moving = None
            self._render_who()
            return
        if self.patient is None:
            self._say("Choose the patient first: press P.")
            self.action_pick_patient()
            return
        patient_id = self.patient.patient_id
        type_name = self.type_name
        recall_id = self.recall_id
        note = (
            f"Booked {local(item.start, self.service.zone):%a %d %b %H:%M} with "
            f"{self._provider_name(item.provider_id)}."
        )
        entry = self.waitlist_entry
        if entry is not None and kind == "slot" and type_name == entry.type_name:
            self.waitlist_entry = None
            self._write(
                lambda: self.service.book_from_waitlist(entry.id, item),
                note + " The waitlist entry is closed.",
            )
            return
        self._write(
            lambda: self.service.book(
                patient_id, item.provider_id, item.start, type_name, recall_id=recall_id
            ),
            note,
            then=(lambda result: self._booked_for_recall(recall_id, result)) if recall_id else None,
        )

    def _booked_for_recall(self, recall_id: str, result: dict) -> str:
        """The booking closed the recall in the same transaction (unless it was no longer open)."""
        if self.recall_id == recall_id:  # not already replaced by another recall's b
            self.recall_id = self.recall_due = None
        if result.get("recall_closed"):
            return "The recall is closed."
        return "The recall had already been closed elsewhere; it was left as it was."

    def _subject(self, provider_id: str | None) -> Text:
        """Whom a form is for: patient, type and provider, as the form will save them."""
        subject = Text("For ")
        subject.append(
            clean(f"{self.patient.family_name}, {self.patient.given_name}"), style="bold"
        )
        subject.append(f" {clean(self.patient.record_number)} · {clean(self.type_name)} · ")
        subject.append(self._provider_name(provider_id) if provider_id else "any provider")
        return subject

    def action_waitlist(self) -> None:
        if self.patient is None:
            self._say("Choose the patient first: press P.")
            return
        patient_id, type_name, provider_id = (
            self.patient.patient_id,
            self.type_name,
            self.provider_id,
        )

        def save(request):
            return lambda: self.service.waitlist_add(
                patient_id,
                type_name,
                provider_id,
                request.earliest,
                request.latest,
                request.priority,
                request.note,
            )

        self.app.push_screen(
            WaitlistForm(self._subject(provider_id), save=save),
            lambda result: result is not None and self._say("Added to the waitlist."),
        )

    def action_series(self) -> None:
        if self.patient is None:
            self._say("Choose the patient first: press P.")
            return
        provider_id = self.provider_id or (
            self.grid.provider_id if self.grid_mode and self.grid else None
        )  # in the grid, the provider whose day is shown
        if provider_id is None:
            self._say("A series needs one provider: choose it in the Provider list.")
            return
        patient_id, type_name = self.patient.patient_id, self.type_name

        def save(request):
            return lambda: self.service.book_series(
                patient_id,
                provider_id,
                request.first_day,
                request.at,
                request.every_weeks,
                request.count,
                type_name,
            )

        def saved(result) -> None:
            if result is not None:
                count = len(result.get("appointment_ids") or []) or "the"
                self._say(f"Booked a series of {count}.")
                self.refresh_slots()

        self.app.push_screen(SeriesForm(self._subject(provider_id), save=save), saved)

    def action_reschedule(self) -> None:
        current = self._current()
        if current and current[0] == "appt":
            self.moving = current[1]
            self._render_who()
            self._say("Choose the new time (any day with [ ]) and press Enter.")

    def action_stop_moving(self) -> None:
        self.moving = None
        self._render_who()

    def action_cancel_appointment(self) -> None:
        current = self._current()
        if not current or current[0] != "appt":
            return
        appt = current[1]
        subject = visit_text(
            f"{appt.family_name}, {appt.given_name}",
            appt.start,
            appt.provider,
            self.service.zone,
            appt.end,
        )
        self.app.push_screen(
            ReasonScreen(
                "Cancel this appointment? Why:",
                CANCEL_REASONS,
                subject,
                CANCEL,
                save=lambda reason: lambda: self.service.cancel(appt.id, reason),
            ),
            self._cancelled,
        )

    def _cancelled(self, result: dict | None) -> None:
        if result is None:
            return
        self._say("Cancelled.")
        self.refresh_slots()
        if result.get("offers"):
            self._ask_waitlist(result["freed"], result["offers"][0])

    def _ask_waitlist(self, slot, entry) -> None:
        def after(result) -> None:
            if result is not None:
                self._say("Booked from the waitlist; the entry is closed.")
                self.refresh_slots()

        offer_waitlist(self.app, slot, entry, after)

    def _write(self, job, note: str, offer: bool = False, then=None) -> None:
        def done(result, error) -> None:
            if error:
                self.app.notify(str(error), title="Not booked", severity="error", markup=False)
                alternatives = [_slot(a) for a in getattr(error, "alternatives", [])]
                if alternatives and not self.grid_mode:
                    self._token += 1  # drop any search still running
                    self.slots = alternatives
                    self._render_table()
                    self._say(f"{error} The nearest free times are listed: Enter books one.")
                    return
                self._say(str(error))
            else:
                if self.grid_mode and (result or {}).get("appointment_id"):
                    self._land_on = ("appt", result["appointment_id"])  # the visit just made
                warnings = (result or {}).get("warnings") or []
                if then is not None:
                    warnings = [then(result or {}), *warnings]
                self._say(" ".join([note, *warnings]))
                self.app.notify(note, markup=False, timeout=3)
                if offer and result.get("offers"):
                    self._ask_waitlist(result["freed"], result["offers"][0])
            self.refresh_slots()

        self.app.write(job, done)


def _slot(raw):
    """Alternatives arrive as dicts (from the mutation) or Slots."""
    from coordtui.domain.slots import Slot

    if isinstance(raw, Slot):
        return raw
    return Slot(raw["provider_id"], instant(raw["start"]), instant(raw["end"]))
