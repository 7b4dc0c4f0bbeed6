"""Add a walk-in: find the patient, the provider is usually already right, say why; Enter saves.

The common case is four keys around the name: ``w``, the name, ``Enter`` (the
first match), ``Enter`` (no reason needed).  The provider comes filled in
when it is clear: the queue's provider filter, the clinic's only provider, or
the provider this patient saw last.  The chosen patient stays named in full
(name, DOB, record number, phone) so two "Smith, John" are told apart.

It saves itself (``SavingDialog``): a refusal keeps the dialog and what was
typed, with the message at its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from coordtui.domain.days import format_dob
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.read_models.queue import ProviderInfo
from coordtui.screens.dialog import Job, SavingDialog
from coordtui.widgets.safe_input import SafeInput

MATCHES = 6


@dataclass(frozen=True)
class WalkInRequest:
    patient_id: str
    provider_id: str
    priority: str
    reason: str


class WalkInScreen(SavingDialog):
    CSS_PATH = "walk_in.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="walk_in.save"),
        Binding("escape", "cancel", "Back", id="walk_in.cancel"),
        Binding("ctrl+r", "toggle_urgent", "Urgent", id="walk_in.urgent"),
        Binding("down", "to_matches", "Matches", show=False, id="walk_in.matches"),
        Binding("ctrl+n", "register", "New patient", id="walk_in.register"),
    ]
    FIELD_WIDGETS = {"patient_id": "patient", "provider_id": "provider", "reason": "reason"}

    def __init__(
        self,
        providers: list[ProviderInfo],
        default_provider: str | None = None,
        save: Callable[[WalkInRequest], Job] | None = None,
    ):
        super().__init__(save)
        self.providers = providers
        if default_provider is None and len(providers) == 1:
            default_provider = providers[0].id  # a one-provider clinic: nothing to choose
        self.default_provider = default_provider
        self.results: list = []
        self.chosen = None  # a search hit
        self.urgent = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Add a walk-in (arrives now)", style="bold"))
            yield Horizontal(
                Label("Patient"),
                SafeInput(
                    placeholder="name, DOB, phone or record number", id="patient", compact=True
                ),
                classes="row",
            )
            yield OptionList(id="matches", compact=True)
            yield Label("", id="chosen")
            yield Label("", id="e-patient", classes="error")
            yield Horizontal(
                Label("Provider"),
                Select(
                    [(clean(p.short_name), p.id) for p in self.providers],
                    prompt="choose",
                    id="provider",
                    compact=True,
                    value=self.default_provider if self.default_provider else Select.NULL,
                ),
                classes="row",
            )
            yield Label("", id="e-provider", classes="error")
            yield Horizontal(
                Label("Reason"),
                SafeInput(
                    placeholder="optional; Enter saves", id="reason", max_length=200, compact=True
                ),
                classes="row",
            )
            yield Label("", id="error", classes="error")
            with Horizontal(id="bar"):
                yield Label("", id="priority")
                yield Label(Text("Ctrl+S save  Ctrl+R urgent  Ctrl+N new  Esc back", style="bold"))

    def on_mount(self) -> None:
        self.query_one("#matches").display = False
        self._show_priority()
        self.query_one("#patient", Input).focus()

    def _show_priority(self) -> None:
        label = "Priority: URGENT (!)  " if self.urgent else "Priority: routine  "
        self.query_one("#priority", Label).update(Text(label, style="bold" if self.urgent else ""))

    def action_toggle_urgent(self) -> None:
        self.urgent = not self.urgent
        self._show_priority()

    # ----------------------------------------------------------- patient

    @on(Input.Changed, "#patient")
    def _patient_changed(self, event: Input.Changed) -> None:
        if self.chosen is not None and event.value == self._chosen_label():
            return  # the box was filled in by choosing: keep the choice
        self.chosen = None
        self.query_one("#chosen", Label).update("")
        self.clear_error("patient_id")
        self._search(event.value)

    @work(thread=True, exclusive=True, group="walk-in-search")
    def _search(self, text: str) -> None:
        service = self.app.service
        results = service.search_patients(text, limit=MATCHES) if text.strip() else []
        self.app.call_from_thread(self._show_results, text, results)

    def _show_results(self, text: str, results: list) -> None:
        if text != self.query_one("#patient", Input).value or self.chosen is not None:
            return  # a newer keystroke is already searching, or a patient was chosen
        self.results = results
        matches = self.query_one("#matches", OptionList)
        matches.clear_options()
        today = self.app.service.today()
        for hit in results:
            label = Text(clean(f"{hit.family_name}, {hit.given_name}"))
            label.append(f"  {format_dob(hit.dob, today)}  {clean(hit.record_number)}", style="dim")
            matches.add_option(Option(label, id=hit.patient_id))
        matches.display = bool(results)
        if results:
            matches.highlighted = 0
        elif text.strip():
            self.show_error(
                "No match: check the spelling, or Ctrl+N registers a new patient.",
                "patient_id",
                focus=False,
            )

    @on(Input.Submitted, "#patient")
    def _patient_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.chosen is not None:
            self._next_field()
        elif self.results:
            matches = self.query_one("#matches", OptionList)
            self._choose(self.results[matches.highlighted or 0])

    def action_register(self) -> None:
        """Someone not on file: register them (what was typed is carried in), then choose."""
        from coordtui.screens.patient_form import PatientFormScreen

        typed = self.query_one("#patient", Input).value
        self.app.push_screen(PatientFormScreen(None, prefill=typed), self._registered)

    def _registered(self, patient_id: str | None) -> None:
        record = self.app.service.patient(patient_id) if patient_id else None
        if record is not None:
            self._choose(
                SimpleNamespace(
                    patient_id=record.id,
                    family_name=record.family_name,
                    given_name=record.given_name,
                    dob=record.dob,
                    record_number=record.record_number,
                    phone=record.phone,
                )
            )

    def action_to_matches(self) -> None:
        """Down in the patient box moves into the matches."""
        if self.focused is self.query_one("#patient") and self.results and self.chosen is None:
            self.query_one("#matches", OptionList).focus()

    @on(OptionList.OptionSelected, "#matches")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self.results[event.option_index])

    def _chosen_label(self) -> str:
        return clean(f"{self.chosen.family_name}, {self.chosen.given_name}") if self.chosen else ""

    def _choose(self, hit) -> None:
        self.chosen = hit
        self.query_one("#patient", Input).value = self._chosen_label()
        self.query_one("#matches").display = False
        service = self.app.service
        line = Text("✓ ", style="bold")
        line.append(self._chosen_label(), style="bold")
        line.append(f"  {format_dob(hit.dob, service.today())}  {clean(hit.record_number)}")
        phone = phone_display(hit.phone, service.clinic.phone_region)
        if phone:
            line.append(f"  {phone}")
        self.query_one("#chosen", Label).update(line)
        self.clear_error("patient_id")
        if self._provider() is None:
            self._usual_provider(hit.patient_id)
        self._next_field()

    @work(thread=True, exclusive=True, group="walk-in-provider")
    def _usual_provider(self, patient_id: str) -> None:
        """The provider this patient saw last, if still working here."""
        service = self.app.service
        active = {p.short_name: p.id for p in self.providers}
        now = service.now()
        for visit in service.patient_appointments(patient_id):
            if visit.start <= now and visit.provider in active:
                self.app.call_from_thread(self._suggest_provider, active[visit.provider])
                return

    def _suggest_provider(self, provider_id: str) -> None:
        select = self.query_one("#provider", Select)
        if self._provider() is None:
            select.value = provider_id
            if self.focused is select:
                self.query_one("#reason").focus()

    def _provider(self) -> str | None:
        value = self.query_one("#provider", Select).value
        return None if value in (Select.NULL, None) else str(value)

    def _next_field(self) -> None:
        self.query_one("#reason" if self._provider() else "#provider").focus()

    @on(Select.Changed, "#provider")
    def _provider_changed(self) -> None:
        self.clear_error("provider_id")
        if self._provider() and self.chosen is not None:
            self.query_one("#reason").focus()

    # -------------------------------------------------------------- save

    @on(Input.Submitted, "#reason")
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        provider = self._provider()
        if provider is None:
            self.show_error("Choose a provider.", "provider_id")
        if self.chosen is None:  # last, so that the focus goes to the patient box
            self.show_error(
                "Choose a patient: type a name, then Enter takes the first match.", "patient_id"
            )
        if provider is None or self.chosen is None:
            return
        reason = self.query_one("#reason", Input).value.strip()
        self.submit(
            WalkInRequest(
                self.chosen.patient_id,
                provider,
                "urgent" if self.urgent else "routine",
                clean(reason),
            )
        )
