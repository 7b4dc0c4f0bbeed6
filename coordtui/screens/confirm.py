"""A yes/no question that answers to y, n and Escape."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(self, question: Text | str, detail: Text | str = ""):
        super().__init__()
        self.question = question if isinstance(question, Text) else Text(question)
        self.detail = detail if isinstance(detail, Text) else Text(detail)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="question")
            if self.detail:
                yield Label(self.detail, id="detail")
            yield Label(Text("y = yes    n / Esc = no", style="bold"), id="keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
