"""Ask for one short text before a change: a cancellation reason, a hand-off note, who takes
a callback, an amendment.

Each use says what it is for in its own words (title, the record it acts on,
the placeholder, what Enter and Esc do, what is missing), so a hand-off
never reads like a cancellation.  It saves itself (``SavingDialog``): a
refusal stays in the dialog with the text typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList

from coordtui.domain.text import clean
from coordtui.screens.dialog import Job, SavingDialog
from coordtui.widgets.safe_input import SafeInput

MAX_REASON = 200


@dataclass(frozen=True)
class Wording:
    """What the dialog says: placeholder, the message when empty, what Enter and Esc do."""

    placeholder: str = "Type a reason, or pick one below"
    missing: str = "A reason is required: type one or pick one below."
    enter: str = "save"
    escape: str = "back, nothing changes"


CANCEL = Wording(enter="cancel the appointment", escape="keep it")
IN_ERROR = Wording(enter="mark it entered in error", escape="keep it")
HAND_OFF = Wording(
    placeholder="Note for the care team, or pick one below",
    missing="Type the note for the care team, or pick one below.",
    enter="save the note",
)
REASSIGN = Wording(
    placeholder="Who takes it: a name, or pick one below",
    missing="Say who takes the callback, or pick one below.",
    enter="reassign",
)
AMEND = Wording(
    placeholder="The correction or addition (the original stays)",
    missing="Type the amendment.",
    enter="save the amendment",
)

# Common reasons offered for a cancellation and for an entry made in error.
CANCEL_REASONS = [
    "Patient request",
    "Patient unwell / in hospital",
    "Provider unavailable",
    "Booked in error",
    "Rescheduled",
]
ERROR_REASONS = ["Wrong patient", "Duplicate booking", "Test entry"]


class ReasonScreen(SavingDialog):
    """Enter saves (a typed text, or the highlighted common one); Escape goes back."""

    CSS_PATH = "reason.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="reason.cancel"),
        Binding("ctrl+s", "save", "Save", id="reason.save"),
        Binding("down", "to_list", "Common choices", show=False, id="reason.list"),
    ]

    def __init__(
        self,
        title: Text | str,
        presets: list[str],
        subject: Text | None = None,
        wording: Wording = Wording(),  # noqa: B008 (frozen)
        save: Callable[[str], Job] | None = None,
    ):
        super().__init__(save)
        self.title_text = title if isinstance(title, Text) else Text(title)
        self.subject = subject
        self.presets = presets
        self.wording = wording

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="title")
            if self.subject is not None:
                yield Label(self.subject, id="subject")
            yield SafeInput(
                placeholder=self.wording.placeholder,
                id="reason",
                max_length=MAX_REASON,
                compact=True,
            )
            yield Label("", id="error")
            if self.presets:
                yield OptionList(*[Text(p) for p in self.presets], id="presets", compact=True)
            keys = f"Enter = {self.wording.enter}   Esc = {self.wording.escape}"
            if self.presets:
                keys += "   Down = common choices"
            yield Label(Text(keys, style="bold"), id="keys")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def action_to_list(self) -> None:
        if self.presets:
            self.query_one("#presets", OptionList).focus()

    def action_save(self) -> None:
        self._submit(self.query_one("#reason", Input).value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A common choice: saved at once, or, if something was typed, added to it in the
        box (Enter then saves both): picking never throws away what was typed."""
        event.stop()
        preset = self.presets[event.option_index]
        box = self.query_one("#reason", Input)
        typed = box.value.rstrip()
        if not typed:
            self._submit(preset)
            return
        joined = f"{typed} {preset}" if typed[-1] in ",;:-" else f"{typed}; {preset}"
        box.value = joined[:MAX_REASON]
        box.cursor_position = len(box.value)
        box.focus()

    def _submit(self, value: str) -> None:
        reason = value.strip()
        if not reason:
            self.show_error(self.wording.missing)
            self.query_one("#reason", Input).focus()
            return
        self.submit(clean(reason))
