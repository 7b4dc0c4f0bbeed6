"""A yes/no question that answers to y, n and Escape.

With ``save`` the question is the last step of a write ("Mark no-show: Smith,
John?"): y runs it, and the dialog closes only when it is committed; a refusal
is shown in the dialog, which stays until n or Escape.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label

from coordtui.screens.dialog import Job, SavingDialog


class ConfirmScreen(SavingDialog):
    """Dismisses True / False; with ``save``, the write's result or None."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Back", id="confirm.cancel"),
    ]

    def __init__(
        self,
        question: Text | str,
        detail: Text | str = "",
        save: Callable[[], Job] | None = None,
    ):
        super().__init__(save)
        self.question = question if isinstance(question, Text) else Text(question)
        self.detail = detail if isinstance(detail, Text) else Text(detail)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="question")
            if self.detail:
                yield Label(self.detail, id="detail")
            yield Label("", id="error")
            yield Label(Text("y = yes    n / Esc = no, nothing changes", style="bold"), id="keys")

    def action_answer(self, value: bool) -> None:
        if not value:
            self.dismiss(None if self.save else False)
        elif self.save is None:
            self.dismiss(True)
        else:
            self.submit()
