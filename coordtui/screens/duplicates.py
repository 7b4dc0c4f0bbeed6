"""Possible duplicates before a registration is saved: use one, or create anyway.

Each candidate says why it may be the same person (same DOB, same phone,
similar name); the line below the list says it in full for the highlighted one.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from coordtui.domain.days import format_dob
from coordtui.domain.text import clean
from coordtui.widgets.columns import Column
from coordtui.widgets.row_table import RowTable

COLUMNS = (
    Column("Name", 22, least=16, flex=True),
    Column("DOB", 16),
    Column("Record", 10),
    Column("Score", 5, least=0, yields=2),
    Column("Why", 26, least=12, yields=1),
)


class DuplicatesScreen(ModalScreen):
    """Dismisses with a patient id (use it), "create" (create anyway) or None (back)."""

    DEFAULT_CSS = """
    DuplicatesScreen { align: center middle; }
    DuplicatesScreen #dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    DuplicatesScreen RowTable { height: auto; max-height: 12; }
    DuplicatesScreen Label { width: 100%; }
    """
    BINDINGS = [
        Binding("enter", "use", "Use this record", id="duplicates.use", priority=True),
        Binding("c", "create", "Create anyway", id="duplicates.create"),
        Binding("escape", "back", "Back to form", id="duplicates.back"),
    ]

    def __init__(self, candidates: list):
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                Text(f"{len(self.candidates)} existing record(s) may be this person", style="bold")
            )
            yield RowTable(COLUMNS, id="candidates")
            yield Label("", id="why")
            yield Label(
                Text(
                    "Enter = use the highlighted record   c = create a new record anyway "
                    "(recorded)   Esc = back to the form",
                    style="bold",
                )
            )

    def on_mount(self) -> None:
        today = self.app.service.today()

        def cells(c) -> tuple[Text, ...]:
            return (
                Text(clean(f"{c.family_name}, {c.given_name}")),
                Text(format_dob(c.dob, today)),
                Text(clean(c.record_number)),
                Text(str(c.score)),
                Text(", ".join(c.reasons)),
            )

        table = self.query_one(RowTable)
        table.show(self.candidates, cells, key=lambda c: c.patient_id)
        table.focus()

    @on(RowTable.Highlighted)
    def _explain(self) -> None:
        c = self.query_one(RowTable).selected
        why = Text()
        if c is not None:
            why.append(clean(f"{c.family_name}, {c.given_name} {c.record_number}"), style="bold")
            why.append(f": {', '.join(c.reasons)} (score {c.score})")
        self.query_one("#why", Label).update(why)

    def action_use(self) -> None:
        chosen = self.query_one(RowTable).selected
        if chosen is not None:
            self.dismiss(chosen.patient_id)

    def action_create(self) -> None:
        self.dismiss("create")

    def action_back(self) -> None:
        self.dismiss(None)
