"""Lookup (F3 or /): which patient is this caller or the person in front of me?"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from coordtui.screens.patient import PatientScreen
from coordtui.screens.patient_form import PatientFormScreen
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.patient_search import PatientSearch


class LookupScreen(Screen):
    CSS_PATH = "lookup.tcss"
    BINDINGS = [
        Binding("ctrl+n", "register", "New patient", id="lookup.register"),
        Binding("escape", "clear", "Clear", id="lookup.clear"),
    ]

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield PatientSearch(id="search")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one(PatientSearch).focus_query()

    def on_screen_resume(self) -> None:
        search = self.query_one(PatientSearch)
        search.refresh_results()  # a patient edited or merged meanwhile shows as stored
        search.focus_query()

    def store_changed(self) -> None:
        self.query_one(PatientSearch).refresh_results()

    @on(PatientSearch.Chosen)
    def _chosen(self, event: PatientSearch.Chosen) -> None:
        self.app.push_screen(PatientScreen(event.hit.patient_id))

    def action_register(self) -> None:
        typed = self.query_one(PatientSearch).query_text
        self.app.push_screen(PatientFormScreen(None, prefill=typed), self._registered)

    def _registered(self, patient_id: str | None) -> None:
        if patient_id:
            self.app.push_screen(PatientScreen(patient_id))

    def action_clear(self) -> None:
        search = self.query_one(PatientSearch)
        search.query_one("#query").value = ""
        search.focus_query()
