"""Add a walk-in: find the patient, pick a provider, say why; Ctrl+S saves.

Returns the chosen values; the queue screen runs the mutation, so this form
never writes.  Errors appear beside their field and nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from coordtui.domain.days import format_dob
from coordtui.domain.text import clean
from coordtui.store.reads import PatientBrief, ProviderInfo
from coordtui.widgets.safe_input import SafeInput


@dataclass(frozen=True)
class WalkInRequest:
    patient_id: str
    provider_id: str
    priority: str
    reason: str


class WalkInScreen(ModalScreen[WalkInRequest | None]):
    CSS_PATH = "walk_in.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="walk_in.save"),
        Binding("escape", "cancel", "Cancel", id="walk_in.cancel"),
        Binding("ctrl+r", "toggle_urgent", "Urgent", id="walk_in.urgent"),
    ]

    def __init__(self, providers: list[ProviderInfo], default_provider: str | None = None):
        super().__init__()
        self.providers = providers
        self.default_provider = default_provider
        self.results: list[PatientBrief] = []
        self.chosen: PatientBrief | None = None
        self.urgent = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Add walk-in", style="bold"))
            yield SafeInput(placeholder="Patient: name or record number", id="patient")
            yield Label("", id="patient-error", classes="error")
            yield OptionList(id="matches")
            yield Select(
                [(clean(p.short_name), p.id) for p in self.providers],
                prompt="Provider",
                id="provider",
                value=self.default_provider if self.default_provider else Select.NULL,
            )
            yield Label("", id="provider-error", classes="error")
            yield SafeInput(placeholder="Reason for visit (optional)", id="reason", max_length=200)
            with Horizontal(id="bar"):
                yield Label("", id="priority")
                yield Label(Text("Ctrl+S save  Ctrl+R urgent  Esc cancel", style="bold"))

    def on_mount(self) -> None:
        self._show_priority()
        self.query_one("#patient", Input).focus()

    def _show_priority(self) -> None:
        label = "Priority: URGENT (!)  " if self.urgent else "Priority: routine  "
        self.query_one("#priority", Label).update(Text(label, style="bold" if self.urgent else ""))

    def action_toggle_urgent(self) -> None:
        self.urgent = not self.urgent
        self._show_priority()

    @on(Input.Changed, "#patient")
    def _patient_changed(self, event: Input.Changed) -> None:
        if self.chosen and event.value != self._chosen_label():
            self.chosen = None
        self.query_one("#patient-error", Label).update("")
        self._search(event.value)

    @work(thread=True, exclusive=True, group="walk-in-search")
    def _search(self, text: str) -> None:
        results = self.app.service.find_patients(text, limit=8)
        self.app.call_from_thread(self._show_results, text, results)

    def _show_results(self, text: str, results: list[PatientBrief]) -> None:
        if text != self.query_one("#patient", Input).value:
            return  # a newer keystroke is already searching
        self.results = results
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        today = self.app.service.today()
        for p in results:
            label = Text(clean(f"{p.family_name}, {p.given_name}"))
            label.append(f"  {format_dob(p.dob, today)}  {clean(p.record_number)}", style="dim")
            matches.add_option(Option(label, id=p.id))
        if results:
            matches.highlighted = 0

    @on(Input.Submitted, "#patient")
    def _patient_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self.query_one("#matches", OptionList)
        if self.results:
            index = matches.highlighted or 0
            self._choose(self.results[index])

    @on(OptionList.OptionSelected, "#matches")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self.results[event.option_index])

    def _chosen_label(self) -> str:
        return f"{self.chosen.family_name}, {self.chosen.given_name}" if self.chosen else ""

    def _choose(self, patient: PatientBrief) -> None:
        self.chosen = patient
        self.query_one("#patient", Input).value = self._chosen_label()
        self.query_one("#patient-error", Label).update(Text(f"✓ {clean(patient.record_number)}"))
        self.query_one("#provider", Select).focus()

    @on(Select.Changed, "#provider")
    def _provider_changed(self) -> None:
        self.query_one("#provider-error", Label).update("")

    @on(Input.Submitted, "#reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        provider = self.query_one("#provider", Select).value
        ok = True
        if self.chosen is None:
            self.query_one("#patient-error", Label).update(
                Text("Choose a patient: type a name, then Enter to take the first match.")
            )
            ok = False
        if provider is Select.NULL or provider is None:
            self.query_one("#provider-error", Label).update(Text("Choose a provider."))
            ok = False
        if not ok:
            return
        reason = self.query_one("#reason", Input).value.strip()
        self.dismiss(
            WalkInRequest(
                self.chosen.id, str(provider), "urgent" if self.urgent else "routine", clean(reason)
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
