"""Log a call in three keys: c, an outcome digit, Ctrl+S (a note is optional except "resolved").

Opens on the outcome list so digits pick the outcome; the note box follows.
Direction, who and reason have defaults (inbound, the patient, General) and
Tab reaches them.  The dialog saves itself through the ``save`` job it is given
(``log_call_for`` runs the mutation): a refusal stays in the dialog, with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, OptionList, Select

from coordtui.domain.calls import DEFAULT_REASONS as REASONS
from coordtui.domain.calls import OUTCOMES
from coordtui.screens.dialog import Job, SavingDialog
from coordtui.widgets.safe_input import SafeInput

WHO = (
    ("patient", "The patient"),
    ("relative", "Relative"),
    ("pharmacy", "Pharmacy"),
    ("other clinic", "Other clinic"),
    ("other", "Other"),
)


@dataclass(frozen=True)
class CallRequest:
    direction: str
    who_kind: str
    who_name: str
    reason: str
    outcome: str
    note: str
    callback_due: datetime | None


DIRECTIONS = {"in": "← inbound (they called)", "out": "→ outbound (we called)"}
WE_CALLED = frozenset({"left message", "no answer"})  # outcomes only an outgoing call has


class LogCallScreen(SavingDialog):
    """Saves itself: a refusal (no note for a callback, say) keeps everything typed."""

    DEFAULT_CSS = """
    LogCallScreen { align: center middle; }
    LogCallScreen #dialog { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; }
    LogCallScreen #outcomes { height: auto; max-height: 7; }
    LogCallScreen .row { height: 1; margin-top: 1; }
    LogCallScreen .row Label { width: 13; text-style: bold; }
    LogCallScreen .row Input, LogCallScreen .row Select { width: 1fr; }
    LogCallScreen .error { color: $error; text-style: bold; height: auto; }
    LogCallScreen #error { color: $error; text-style: bold; height: auto; }
    """
    BINDINGS = [
        *[
            Binding(
                str(i + 1), f"outcome({i})", o.capitalize(), show=False, id=f"call.outcome_{i + 1}"
            )
            for i, o in enumerate(OUTCOMES)
        ],
        Binding("ctrl+s", "save", "Save", id="call.save"),
        Binding("ctrl+o", "toggle_direction", "In/out", id="call.direction"),
        Binding("escape", "cancel", "Back", id="call.cancel"),
    ]
    FIELD_WIDGETS = {"callback_due": "due", "due_at": "due", "who_kind": "who"}

    def __init__(
        self,
        who: Text,
        now: datetime,
        save: Callable[[CallRequest], Job] | None = None,
    ):
        super().__init__(save)
        self.who = who
        self.now = now
        self.direction = "in"
        self.direction_chosen = False  # Ctrl+O pressed: the outcome no longer suggests it
        self.outcome = "resolved"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = Text("Log a call: ", style="bold")
            title.append_text(self.who)
            yield Label(title)
            yield Label("", id="direction")
            yield OptionList(
                *[Text(f"{i + 1}  {o}") for i, o in enumerate(OUTCOMES)],
                id="outcomes",
                compact=True,
            )
            yield Horizontal(
                Label("Note"),
                SafeInput(id="note", compact=True, placeholder="what was said / done"),
                classes="row",
            )
            yield Label("", id="e-note", classes="error")
            yield Horizontal(
                Label("Who"),
                Select(
                    [(label, key) for key, label in WHO],
                    id="who",
                    value="patient",
                    compact=True,
                    allow_blank=False,
                ),
                classes="row",
            )
            yield Horizontal(
                Label("Their name"),
                SafeInput(
                    id="who_name", compact=True, placeholder="if not the patient: daughter Ana"
                ),
                classes="row",
            )
            yield Label("", id="e-who_name", classes="error")
            yield Horizontal(
                Label("Reason"),
                Select(
                    [(r, r) for r in REASONS],
                    id="reason",
                    value=REASONS[0],
                    compact=True,
                    allow_blank=False,
                ),
                classes="row",
            )
            yield Horizontal(
                Label("Callback in"),
                SafeInput("60", id="due", compact=True, placeholder="minutes"),
                classes="row",
            )
            yield Label("", id="e-due", classes="error")
            yield Label("", id="error")
            yield Label(Text("1-5 outcome  Ctrl+S save  Ctrl+O in/out  Esc back", style="bold"))

    def on_mount(self) -> None:
        self._show_direction()
        self.query_one("#outcomes", OptionList).highlighted = 0
        self.query_one("#outcomes").focus()

    def _show_direction(self) -> None:
        text = Text("Direction: ")
        text.append(DIRECTIONS[self.direction], style="bold")
        text.append("  (Ctrl+O changes)", style="dim")
        self.query_one("#direction", Label).update(text)

    def action_toggle_direction(self) -> None:
        self.direction = "out" if self.direction == "in" else "in"
        self.direction_chosen = True
        self._show_direction()

    def action_outcome(self, index: int) -> None:
        self.outcome = OUTCOMES[index]
        if not self.direction_chosen:  # a message left or no answer: we were calling out
            self.direction = "out" if self.outcome in WE_CALLED else "in"
            self._show_direction()
        self.query_one("#outcomes", OptionList).highlighted = index
        self.query_one("#note").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_outcome(event.option_index)

    def action_save(self) -> None:
        due = None
        if self.outcome == "callback needed":
            raw = self.query_one("#due", SafeInput).value.strip() or "60"
            if not raw.isdigit() or not 0 <= int(raw) <= 60 * 24 * 30:
                self.show_error("Callback in: whole minutes from now, e.g. 60.", "due")
                return
            due = self.now + timedelta(minutes=int(raw))
        self.submit(
            CallRequest(
                self.direction,
                str(self.query_one("#who", Select).value),
                self.query_one("#who_name", SafeInput).value.strip(),
                str(self.query_one("#reason", Select).value),
                self.outcome,
                self.query_one("#note", SafeInput).value,
                due,
            )
        )


def log_call_for(app, patient_id: str, who: Text, appointment_id: str | None, after) -> None:
    """c from anywhere: the dialog saves itself (a refusal stays in it, with what was typed)."""

    def save(request):
        return lambda: app.service.log_call(
            patient_id,
            request.direction,
            request.who_kind,
            request.who_name,
            request.reason,
            request.outcome,
            request.note,
            appointment_id=appointment_id,
            callback_due=request.callback_due,
        )

    def saved(result) -> None:
        if result is None:
            return
        note = "Call logged."
        if result.get("capped"):
            note += " The note was very long and was cut to 4,000 characters."
        app.notify(note, markup=False)
        if after:
            after()

    app.push_screen(LogCallScreen(who, app.service.now(), save=save), saved)
