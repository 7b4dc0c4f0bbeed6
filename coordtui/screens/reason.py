"""Ask for a reason (cancellation, entered in error) before a status change."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from coordtui.domain.text import clean
from coordtui.widgets.safe_input import SafeInput

MAX_REASON = 200


class ReasonScreen(ModalScreen[str | None]):
    """Enter saves (a typed reason, or the highlighted common one); Escape cancels."""

    CSS_PATH = "reason.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="reason.cancel"),
        Binding("ctrl+s", "save", "Save", id="reason.save"),
        Binding("down", "to_list", "Common reasons", show=False, id="reason.list"),
    ]

    def __init__(self, title: Text | str, presets: list[str]):
        super().__init__()
        self.title_text = title if isinstance(title, Text) else Text(title)
        self.presets = presets

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="title")
            yield SafeInput(
                placeholder="Type a reason, or pick one below", id="reason", max_length=MAX_REASON
            )
            yield Label("", id="error")
            yield OptionList(*[Text(p) for p in self.presets], id="presets")
            yield Label(
                Text("Enter = save   Esc = cancel   Down = common reasons", style="bold"), id="keys"
            )

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def action_to_list(self) -> None:
        self.query_one("#presets", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self._submit(self.query_one("#reason", Input).value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._submit(self.presets[event.option_index])

    def _submit(self, value: str) -> None:
        reason = value.strip()
        if not reason:
            error = self.query_one("#error", Label)
            error.update(Text("A reason is required: type one or pick one below.", style="bold"))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(clean(reason))
