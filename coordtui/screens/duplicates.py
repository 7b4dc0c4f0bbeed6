"""Possible duplicates before a registration is saved: use one, or create anyway."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from coordtui.domain.days import format_dob
from coordtui.domain.text import clean


class DuplicatesScreen(ModalScreen):
    """Dismisses with a patient id (use it), "create" (create anyway) or None (back)."""

    DEFAULT_CSS = """
    DuplicatesScreen { align: center middle; }
    DuplicatesScreen #dialog {
        width: 100%; max-width: 110; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    DuplicatesScreen DataTable { height: auto; max-height: 12; }
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
            table = DataTable(id="candidates", cursor_type="row")
            table.add_columns(Text("Name"), Text("DOB"), Text("Record"), Text("Score"), Text("Why"))
            today = self.app.service.today()
            for c in self.candidates:
                table.add_row(
                    Text(clean(f"{c.family_name}, {c.given_name}")),
                    Text(format_dob(c.dob, today)),
                    Text(clean(c.record_number)),
                    Text(str(c.score)),
                    Text(", ".join(c.reasons)),
                )
            yield table
            yield Label(
                Text(
                    "Enter = use the highlighted record   c = create a new record "
                    "anyway (recorded)   Esc = back to the form",
                    style="bold",
                )
            )

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_use(self) -> None:
        row = self.query_one(DataTable).cursor_row
        self.dismiss(self.candidates[row].patient_id)

    def action_create(self) -> None:
        self.dismiss("create")

    def action_back(self) -> None:
        self.dismiss(None)
