"""Set a recall (follow-up due by a date) for one patient: F on the card or a queue row.

The form saves itself (``SavingDialog``), so a refusal lands next to the
field it concerns and what was typed stays; it closes only once saved.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from coordtui.domain.calls import REASON_MAX
from coordtui.domain.days import format_day
from coordtui.domain.patient import read_typed_date
from coordtui.screens.dialog import SavingDialog
from coordtui.widgets.safe_input import SafeInput

MAX_YEARS_AHEAD = 10  # a recall further out is a typo (2062 for 2026)
FORMS = {"MDY": "%m/%d/%Y", "YMD": "%Y/%m/%d"}  # how each order writes a date; else day first


def _example(order: str, today: date) -> str:
    """A date six weeks ahead, as typed in ISO and in the clinic's order: an example the
    form would accept (a fixed one soon lies in the past)."""
    sample = today + timedelta(weeks=6)
    return f"{sample.isoformat()} or {sample.strftime(FORMS.get(order, '%d/%m/%Y'))}"


class RecallFormScreen(SavingDialog):
    """Dismisses with the mutation's result once saved, or None when left with Escape."""

    CSS_PATH = "recall_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="recall_form.save"),
        Binding("escape", "cancel", "Back", id="recall_form.cancel"),
    ]
    FIELD_WIDGETS = {"due_date": "due"}

    def __init__(self, patient_id: str, who: Text, appointment_id: str | None = None):
        super().__init__(save=self._job)
        self.patient_id = patient_id
        self.who = who
        self.appointment_id = appointment_id  # the visit that asked for the follow-up
        self._due_saved: date | None = None

    def compose(self) -> ComposeResult:
        example = _example(self.app.service.date_order, self.app.service.today())
        with Vertical(id="dialog"):
            title = Text("Recall (follow-up due) for ", style="bold")
            title.append_text(self.who)
            yield Label(title, id="title")
            yield Horizontal(
                Label("Due date"),
                SafeInput(id="due", compact=True, placeholder=f"e.g. {example}"),
                classes="row",
            )
            yield Label("", id="e-due", classes="error")
            yield Horizontal(
                Label("Reason"),
                SafeInput(
                    id="reason",
                    compact=True,
                    max_length=REASON_MAX,
                    placeholder="e.g. 6-week review",
                ),
                classes="row",
            )
            yield Label("", id="e-reason", classes="error")
            yield Label("", id="error")
            yield Label(Text("Tab next field   Ctrl+S save   Esc back", style="bold"))

    def on_mount(self) -> None:
        self.query_one("#due").focus()

    def on_input_submitted(self, event: SafeInput.Submitted) -> None:
        event.stop()
        if event.input.id == "due":
            self.query_one("#reason").focus()
        else:
            self.action_save()

    def _due(self) -> date | str:
        """The typed due date, or the message for the field."""
        typed = self.query_one("#due", SafeInput).value
        order, today = self.app.service.date_order, self.app.service.today()
        if not typed.strip():
            return "Type the date the follow-up is due."
        try:
            due = date.fromisoformat(read_typed_date(typed, order, today, past=False))
        except ValueError:
            return f"Not a date: type {_example(order, self.app.service.today())}."
        if due < today:
            return f"That date has passed: choose {format_day(today)} or later."
        if due > today + timedelta(days=365 * MAX_YEARS_AHEAD):
            return f"Too far ahead: within {MAX_YEARS_AHEAD} years."
        return due

    def action_save(self) -> None:
        due = self._due()
        if isinstance(due, str):
            self.show_error(due, "due")
            return
        self.submit(due, self.query_one("#reason", SafeInput).value.strip())

    def _job(self, due: date, reason: str):
        service, patient_id, visit = self.app.service, self.patient_id, self.appointment_id
        self._due_saved = due
        return lambda: service.set_recall(patient_id, due, reason, visit)

    def saved(self, result) -> None:
        self.app.notify(f"Recall set for {format_day(self._due_saved)}.", markup=False, timeout=3)
