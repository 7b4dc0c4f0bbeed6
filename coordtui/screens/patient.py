"""The patient card: who this is, how to reach them, coverage, appointments, history.

Everything on it comes from the store, so every value is rendered as Text
through ``clean``; nothing typed by anyone is ever read as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from coordtui.domain.coverage import format_money, verified_when
from coordtui.domain.days import format_dob, local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.status import LABELS, SYMBOLS, Status
from coordtui.domain.text import clean
from coordtui.screens.confirm import ConfirmScreen
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.key_footer import KeyFooter

EVENT_LABELS = {
    "registered": "Registered",
    "updated": "Edited",
    "merged_in": "Merged in record",
    "merged_away": "Merged into record",
}


class PatientScreen(Screen):
    CSS_PATH = "patient.tcss"
    BINDINGS = [
        Binding("e", "edit", "Edit", id="patient.edit"),
        Binding("m", "merge", "Merge duplicate", id="patient.merge"),
        Binding("b", "book", "Book", id="patient.book"),
        Binding("c", "log_call", "Call", id="patient.call"),
        Binding("F", "recall", "Recall", key_display="F", id="patient.recall"),
        Binding("escape", "back", "Back", id="patient.back"),
    ]

    def __init__(self, patient_id: str):
        super().__init__()
        self.patient_id = patient_id
        self.record = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        with VerticalScroll(id="card"):
            yield Static(id="identity")
            yield Static(id="contact", classes="section")
            yield Static(id="coverage", classes="section")
            yield Static(id="appointments", classes="section")
            yield Static(id="calls", classes="section")
            yield Static(id="history", classes="section")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#card").focus()
        self.refresh_card()

    def store_changed(self) -> None:
        """A sync or another desk changed the store: the card shows what is stored now."""
        self.refresh_card()

    def on_screen_resume(self) -> None:
        self.refresh_card()  # back from a form, a dialog or another screen

    def check_action(self, action: str, parameters) -> bool | None:
        if (
            action in ("edit", "merge", "book", "recall")
            and self.record is not None
            and self.record.merged_into
        ):
            return None  # a merged record is a pointer now; act on the survivor
        return True

    def refresh_card(self) -> None:
        service = self.app.service
        record = service.patient(self.patient_id)
        self.record = record
        if record is None:
            self.query_one("#identity", Static).update(Text("This patient record was not found."))
            return
        today, zone, region = service.today(), service.zone, service.clinic.phone_region
        ident = Text()
        ident.append(clean(record.family_name).upper(), style="bold")
        ident.append(", ")
        ident.append(clean(record.given_name), style="bold")
        if record.preferred_name:
            ident.append(f" ({clean(record.preferred_name)})")
        ident.append(f"   {record.sex}   {format_dob(record.dob, today)}   ")
        ident.append(clean(record.record_number), style="bold")
        if record.merged_into:
            ident.append("\nMERGED: this record now points to ", style="bold reverse")
            survivor = service.patient(record.merged_into)
            if survivor:
                ident.append(
                    clean(
                        f"{survivor.family_name}, {survivor.given_name} {survivor.record_number}"
                    ),
                    style="bold reverse",
                )
        self.query_one("#identity", Static).update(ident)

        contact = Text.assemble(("Contact\n", "bold"))
        contact.append(f"  Phone {phone_display(record.phone, region) or '-'}")
        if record.phone_alt:
            contact.append(f"   alt {phone_display(record.phone_alt, region)}")
        contact.append(f"\n  Email {clean(record.email) or '-'}")
        contact.append(f"\n  Address {clean(record.address) or '-'}")
        language = clean(record.preferred_language) or "-"
        contact.append(f"\n  Language {language}")
        if record.interpreter_needed:
            contact.append("   INTERPRETER NEEDED", style="bold")
        if record.flags:
            contact.append("\n  Flags ")
            contact.append(clean(record.flags), style="bold")
        self.query_one("#contact", Static).update(contact)

        coverage = Text.assemble(("Coverage\n", "bold"))
        coverage.append(
            f"  Payer {clean(record.payer) or '-'}   Member id "
            f"{clean(record.member_id) or '-'}   Copay {format_money(record.copay_cents)}"
        )
        check = service.last_coverage_check(self.patient_id)
        coverage.append(f"\n  Verified {verified_when(check.at if check else None, today, zone)}")
        if check is not None:
            coverage.append(f" by {clean(check.actor)}")
        self.query_one("#coverage", Static).update(coverage)

        now = service.now()
        visits = service.patient_appointments(self.patient_id)
        upcoming = [a for a in reversed(visits) if a.start >= now][:5]
        past = [a for a in visits if a.start < now][:10]
        block = Text.assemble(("Upcoming\n", "bold"))
        for a in upcoming or []:
            block.append_text(self._visit_line(a, zone))
        if not upcoming:
            block.append("  none\n", style="dim")
        for recall in service.patient_recalls(self.patient_id):
            block.append(f"  Recall due {recall.due_date:%a %d %b %Y}", style="bold")
            block.append(f"  {clean(recall.reason) or 'follow-up'}\n")
        block.append("Past\n", style="bold")
        for a in past:
            block.append_text(self._visit_line(a, zone))
        if not past:
            block.append("  none\n", style="dim")
        self.query_one("#appointments", Static).update(block)

        calls = Text.assemble(("Calls\n", "bold"))
        for call in service.patient_calls(self.patient_id)[:10]:
            calls.append(
                f"  {local(call.at, zone):%Y-%m-%d %H:%M}  "
                f"{call.direction:<3}  "
                f"{clean(call.outcome)}: "
            )
            if call.amends:
                calls.append("amendment: ", style="italic")
            calls.append(clean(call.note) or "-")
            calls.append(f"  by {clean(call.actor)}\n", style="dim")
        self.query_one("#calls", Static).update(calls)

        history = Text.assemble(("History\n", "bold"))
        for event in service.patient_history(self.patient_id):
            history.append(
                f"  {local(event.at, zone):%Y-%m-%d %H:%M}  "
                f"{EVENT_LABELS.get(event.kind, event.kind)}"
            )
            detail = event.detail
            if detail.get("fields"):
                history.append(f": {', '.join(detail['fields'])}")
            if detail.get("other_record"):
                history.append(f" {clean(detail['other_record'])}")
            if "appointments_moved" in detail:
                history.append(f", {detail['appointments_moved']} appointment(s) moved")
            if detail.get("duplicates_overridden"):
                history.append(
                    f" (created despite {len(detail['duplicates_overridden'])} "
                    "possible duplicate(s))"
                )
            history.append(f"  by {clean(event.actor)}\n", style="dim")
        self.query_one("#history", Static).update(history)
        self.refresh_bindings()

    @staticmethod
    def _visit_line(a, zone) -> Text:
        status = Status(a.status)
        line = Text(f"  {local(a.start, zone):%a %d %b %Y %H:%M}  ")
        line.append(f"{SYMBOLS[status]} {LABELS[status]:<9} ")
        line.append(clean(f"{a.provider}  {a.type}"))
        if a.reason:
            line.append(f"  {clean(a.reason)}", style="dim")
        line.append("\n")
        return line

    def action_log_call(self) -> None:
        from coordtui.screens.log_call import log_call_for

        if self.record is not None:
            name = Text(clean(f"{self.record.family_name}, {self.record.given_name}"))
            log_call_for(self.app, self.record.id, name, None, self.refresh_card)

    def action_recall(self) -> None:
        """F: put this patient on the recall list (follow-up due by a date)."""
        from coordtui.screens.recall_form import RecallFormScreen

        if self.record is not None:
            name = Text(clean(f"{self.record.family_name}, {self.record.given_name}"))
            self.app.push_screen(
                RecallFormScreen(self.record.id, name), lambda _due: self.refresh_card()
            )

    async def action_book(self) -> None:
        record = self.record
        if record is not None:
            self.dismiss()
            await self.app.book_for(
                record.id, record.given_name, record.family_name, record.record_number
            )

    def action_back(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        from coordtui.screens.patient_form import PatientFormScreen

        if self.record is not None:
            self.app.push_screen(PatientFormScreen(self.record), lambda _r: self.refresh_card())

    def action_merge(self) -> None:
        from coordtui.screens.pick_patient import PickPatientScreen

        if self.record is None:
            return
        title = Text("Merge which duplicate INTO ")
        title.append(
            clean(
                f"{self.record.family_name}, {self.record.given_name} {self.record.record_number}"
            ),
            style="bold",
        )
        title.append("?")
        self.app.push_screen(PickPatientScreen(title, exclude=self.patient_id), self._merge_chosen)

    def _merge_chosen(self, hit) -> None:
        if hit is None:
            return
        survivor = self.record
        today = self.app.service.today()
        question = Text("Merge these two records of one person?\n", style="bold")
        for role, person, number in (
            ("merged away", hit, hit.record_number),
            ("survives   ", survivor, survivor.record_number),
        ):
            question.append(f"  {role}  ")
            question.append(clean(number), style="bold")
            question.append(f"  {format_dob(person.dob, today)}  ")
            question.append(clean(f"{person.family_name}, {person.given_name}"))
            question.append("\n")
        detail = (
            "Appointments move to the surviving record; the merged record stays as a "
            "pointer to it, and both histories record the merge."
        )
        self.app.push_screen(
            ConfirmScreen(
                question,
                detail,
                save=lambda: (
                    lambda: self.app.service.merge_patients(self.patient_id, hit.patient_id)
                ),
            ),
            self._merged,
        )

    def _merged(self, result) -> None:
        if result is not None:
            self.app.notify(
                f"Merged; {result['appointments_moved']} appointment(s) moved.", markup=False
            )
            self.refresh_card()
