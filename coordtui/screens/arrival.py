"""The arrival step (`a` on a booked queue row while the coverage check is on).

Shows the coverage on file (payer, member id, copay due, last verified) and
takes the copay collected.  Enter checks in (still one key past the dialog);
Ctrl+T records "coverage verified today" and checks in; Esc leaves with
nothing saved.  Keys that act are Ctrl keys or Enter, so typing in the amount
field never triggers one.  Everything is saved as one ``check_in`` mutation
(coordtui.mutations), run by the dialog itself through the app's writer: a
refusal lands next to its field, what was typed stays, and the dialog closes
only once saved.  What it verifies is exactly what it showed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static

from coordtui.domain.coverage import (
    AMOUNT_HINT,
    METHODS,
    coverage_due,
    format_money,
    verified_when,
)
from coordtui.domain.days import local
from coordtui.domain.patient import read_money_cents
from coordtui.domain.text import clean
from coordtui.read_models.coverage import VisitCoverage
from coordtui.read_models.queue import QueueRow
from coordtui.screens.dialog import SavingDialog
from coordtui.widgets.safe_input import SafeInput


class ArrivalScreen(SavingDialog):
    """Dismisses with the check_in result (``row``: the queue row as committed), or None."""

    CSS_PATH = "arrival.tcss"
    BINDINGS = [
        Binding("ctrl+s", "check_in(False)", "Check in", id="arrival.check_in"),
        Binding("ctrl+t", "check_in(True)", "Verified today + check in", id="arrival.verify"),
        Binding("escape", "cancel", "Back", id="arrival.cancel"),
    ]
    FIELD_WIDGETS = {"amount_cents": "amount", "method": "method"}

    def __init__(self, row: QueueRow, who: Text, privacy: bool = False):
        super().__init__(save=self._job)
        self.row = row
        self.who = who
        self.privacy = privacy
        self.visit: VisitCoverage | None = None

    def compose(self) -> ComposeResult:
        service = self.app.service
        self.visit = service.visit_coverage(self.row.id)  # a few indexed rows
        left = self.visit.copay_left if self.visit else 0
        with Vertical(id="dialog"):
            title = Text("Check in: ", style="bold")
            title.append_text(self.who)
            yield Label(title, id="title")
            yield Label(self._visit_line(), id="visit")
            yield Static(self._coverage_text(), id="coverage")
            yield Horizontal(
                Label("Copay now"),
                SafeInput(format_money(left), id="amount", compact=True, max_length=16),
                classes="row",
            )
            yield Label("", id="e-amount", classes="error")
            yield Horizontal(
                Label("Method"),
                Select(
                    [(label, key) for key, label in METHODS.items()],
                    id="method",
                    value="cash",
                    compact=True,
                    allow_blank=False,
                ),
                classes="row",
            )
            yield Label("", id="e-method", classes="error")
            yield Label("", id="error", classes="error")
            yield Label(self._keys_text(), id="keys")

    def on_mount(self) -> None:
        self.query_one("#amount").focus()

    # ------------------------------------------------------------ painting

    def _visit_line(self) -> Text:
        zone = self.app.service.zone
        line = Text(f"{local(self.row.start, zone):%H:%M} ")
        line.append(clean(self.row.provider))
        line.append(f" · {clean(self.row.type)}")
        if not self.privacy:
            line.append(f" · {clean(self.row.record_number)}")
        return line

    def _coverage_text(self) -> Text:
        visit = self.visit
        if visit is None:
            return Text("This appointment was not found (removed elsewhere?). Esc closes.")
        if not visit.on_file:
            text = Text("No coverage on file.", style="bold reverse")
            text.append("\nEnter checks in anyway; add the payer on the patient card.")
            return text
        service = self.app.service
        today, zone = service.today(), service.zone
        text = Text()
        for label, value in (("Payer", visit.payer), ("Member id", visit.member_id or "-")):
            text.append(f"{label:<11}", style="bold")
            text.append(clean(value) + "\n")
        text.append(f"{'Copay due':<11}", style="bold")
        text.append(format_money(visit.copay_cents))
        if visit.collected_cents:
            text.append(f"   already taken this visit: {format_money(visit.collected_cents)}")
        text.append(f"\n{'Verified':<11}", style="bold")
        check = visit.last_check
        text.append(verified_when(check.at if check else None, today, zone))
        if check is not None:
            text.append(" by ")
            text.append(clean(check.actor))
        days = self.app.config.coverage_check_days
        if coverage_due(True, check.at if check else None, today, zone, days):
            text.append("  $ due", style="bold reverse")
        return text

    def _keys_text(self) -> Text:
        keys = "Enter check in   "
        if self.visit is not None and self.visit.on_file:
            keys += "Ctrl+T verified today + check in   "
        return Text(keys + "Esc back", style="bold")

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check_in":
            if self.visit is None:
                return None
            if parameters and parameters[0] and not self.visit.on_file:
                return None  # nothing on file to verify: greyed, the dialog says why
        return True

    def on_input_submitted(self, event: SafeInput.Submitted) -> None:
        event.stop()
        self.action_check_in(False)

    def action_check_in(self, verify: bool) -> None:
        if self.visit is None or (verify and not self.visit.on_file):
            return
        cents = read_money_cents(self.query_one("#amount", SafeInput).value)
        if isinstance(cents, str):
            self.show_error(f"Copay now must be {AMOUNT_HINT}.", "amount_cents")
            return
        self.submit(self.visit if verify else None, cents, str(self.query_one("#method").value))

    def _job(self, seen: VisitCoverage | None, cents: int, method: str):
        service, row = self.app.service, self.row
        self._said = "Checked in"
        if seen is not None:
            self._said += ", coverage verified"
        if cents:
            self._said += f", copay {format_money(cents)} {METHODS[method].lower()}"

        def job() -> dict:
            result = service.check_in(row.id, seen, cents, method)
            # Read back on the writer: the queue shows what was committed.
            return {**result, "row": service.queue_row(row.id)}

        return job

    def saved(self, result) -> None:
        self.app.notify(self._said + ".", markup=False, timeout=3)
