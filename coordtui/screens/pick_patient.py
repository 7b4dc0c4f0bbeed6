"""Choose a patient in a modal (for merge now; booking and calls later)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from coordtui.widgets.patient_search import PatientSearch


class PickPatientScreen(ModalScreen):
    DEFAULT_CSS = """
    PickPatientScreen { align: center middle; }
    PickPatientScreen #dialog {
        width: 100%; height: 100%; max-width: 120; max-height: 30;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PickPatientScreen #error { color: $error; text-style: bold; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick.cancel")]

    def __init__(self, title: Text, exclude: str | None = None):
        super().__init__()
        self.title_text = title
        self.exclude = exclude

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text)
            yield PatientSearch(id="search")
            yield Label("", id="error")
            yield Label(
                Text("Enter = choose (the first, or Down to pick)   Esc = back", style="bold")
            )

    def on_mount(self) -> None:
        self.query_one(PatientSearch).focus_query()

    @on(PatientSearch.Chosen)
    def _chosen(self, event: PatientSearch.Chosen) -> None:
        event.stop()
        if event.hit.patient_id == self.exclude:
            self.query_one("#error", Label).update(
                Text("That is this same record: choose the duplicate.")
            )
            return
        self.dismiss(event.hit)

    def action_cancel(self) -> None:
        self.dismiss(None)
