"""F1: every key of the screen underneath, from its live bindings, with its id for remapping.

A greyed key is listed dimmed; the line below the list says why it does not apply
here when it is highlighted (and a greyed key pressed on its screen says the same).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from coordtui.widgets.columns import Column
from coordtui.widgets.row_table import RowTable

COLUMNS = (
    Column("Key", 10),
    Column("Action", 30, least=20, flex=True),
    Column("Id (for [keymap])", 24, least=0, yields=1),
)


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    binding_id: str
    enabled: bool
    why: str = ""  # why a greyed key does not apply here


def entry_cells(entry: HelpEntry) -> tuple[Text, ...]:
    style = "" if entry.enabled else "dim"
    action = Text(entry.description, style=style)
    if not entry.enabled:
        action.append(" (not now)", style="dim")  # why: on the line below the list
    return (
        Text(entry.keys, style=f"bold {style}"),
        action,
        Text(entry.binding_id, style="dim"),
    )


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
            yield RowTable(COLUMNS, id="keys")
            yield Label("", id="why")
            for note in self.notes:
                yield Label(Text(note), classes="note")
            yield Label(Text("Esc / F1 / q = close", style="bold"), id="close")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.show(self.entries, entry_cells, key=lambda e: (e.binding_id, e.keys))
        table.focus()

    @on(RowTable.Highlighted)
    def _why(self) -> None:
        """A greyed key: why it does not apply here, in full."""
        entry = self.query_one(RowTable).selected
        text = Text()
        if entry is not None and not entry.enabled:
            text.append(f"{entry.keys} ", style="bold")
            text.append(f"not now: {entry.why}" if entry.why else "not available here now")
        self.query_one("#why", Label).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
