"""F1: every binding of the screen underneath, with its id for remapping."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    binding_id: str
    enabled: bool


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("f1", "close", "Close", show=False, id="help.close_f1"),
        Binding("q", "close", "Close", show=False, id="help.close_q"),
    ]

    def __init__(self, title: str, entries: list[HelpEntry], notes: list[str] | None = None):
        super().__init__()
        self.title_text = title
        self.entries = entries
        self.notes = notes or []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Help: {self.title_text}", style="bold"), id="title")
            table = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            table.add_columns(Text("Key"), Text("Action"), Text("Id (for [keymap])"))
            for e in self.entries:
                style = "" if e.enabled else "dim"
                table.add_row(
                    Text(e.keys, style=f"bold {style}"),
                    Text(e.description, style=style),
                    Text(e.binding_id, style="dim"),
                )
            yield table
            for note in self.notes:
                yield Label(Text(note), classes="note")
            yield Label(Text("Esc / F1 = close", style="bold"), id="close")

    def action_close(self) -> None:
        self.dismiss(None)
