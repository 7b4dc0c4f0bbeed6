"""Register a new patient or edit one: every field checked, errors beside the field.

Ctrl+S saves; Escape leaves (asking first if anything was typed).  A new
registration is first compared with existing records; possible duplicates
are shown before anything is saved, and creating anyway is recorded.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select

from coordtui.domain.patient import (
    SEXES,
    guess_from_search,
    read_money_cents,
    read_typed_date,
    validate_patient,
)
from coordtui.domain.phones import display as phone_display
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.duplicates import DuplicatesScreen
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.safe_input import SafeInput
from coordtui.widgets.yes_no import YesNo

# (field, label, kind); kinds: text, date, phone, sex, bool, money
FIELDS = (
    ("family_name", "Family name *", "text"),
    ("given_name", "Given name *", "text"),
    ("preferred_name", "Preferred name", "text"),
    ("dob", "Date of birth", "date"),
    ("sex", "Sex", "sex"),
    ("phone", "Phone", "phone"),
    ("phone_alt", "Other phone", "phone"),
    ("email", "Email", "text"),
    ("address", "Address", "text"),
    ("preferred_language", "Language (e.g. es)", "text"),
    ("interpreter_needed", "Interpreter needed", "bool"),
    ("flags", "Flags (e.g. wheelchair)", "text"),
    ("payer", "Insurance / payer", "text"),
    ("member_id", "Member id", "text"),
    ("copay_cents", "Copay (e.g. 20.00)", "money"),
)


class PatientFormScreen(Screen):
    CSS_PATH = "patient_form.tcss"
    IS_FORM = True  # printable keys are for the fields: 1-5, / and ? never navigate away
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, record=None, prefill: str = ""):
        super().__init__()
        self.record = record  # None: a new registration
        self.prefill = prefill
        self._initial: dict[str, object] = {}
        self._saving = False

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        title = "New patient" if self.record is None else "Edit patient"
        yield Label(
            Text(f"{title}   Ctrl+S save   Esc cancel   * required", style="bold"), id="title"
        )
        with VerticalScroll(id="form"):
            for name, label, kind in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label, classes="label")
                    if kind == "sex":
                        yield Select(
                            [(s, s) for s in SEXES],
                            id=f"f-{name}",
                            allow_blank=False,
                            value="unknown",
                            compact=True,
                        )
                    elif kind == "bool":
                        yield YesNo(id=f"f-{name}", compact=True)
                    else:
                        yield SafeInput(
                            id=f"f-{name}",
                            max_length=200,
                            compact=True,
                            placeholder=self._placeholder(kind),
                        )
                yield Label("", id=f"e-{name}", classes="error")
        yield KeyFooter()

    def _placeholder(self, kind: str) -> str:
        order = {"DMY": "DD/MM/YYYY", "MDY": "MM/DD/YYYY"}.get(
            self.app.service.date_order, "YYYY/MM/DD"
        )
        return {
            "date": f"YYYY-MM-DD or {order}",
            "phone": "e.g. 617 253 1000",
            "money": "0.00",
        }.get(kind, "")

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        if self.record is not None:
            self._fill(self.record.editable())
        elif self.prefill:
            service = self.app.service
            self._fill(guess_from_search(self.prefill, service.date_order, service.today()))
        self._initial = self._typed()
        self.query_one("#f-family_name", Input).focus()

    def _fill(self, values: dict[str, object]) -> None:
        region = self.app.service.clinic.phone_region
        for name, _label, kind in FIELDS:
            if name not in values or values[name] in (None, ""):
                continue
            value = values[name]
            widget = self.query_one(f"#f-{name}")
            if kind == "sex":
                widget.value = value if value in SEXES else "unknown"
            elif kind == "bool":
                widget.value = bool(value)
            elif kind == "money":
                widget.value = f"{int(value) // 100}.{int(value) % 100:02d}"
            elif kind == "phone":
                widget.value = phone_display(str(value), region)
            else:
                widget.value = str(value)

    def _typed(self) -> dict[str, object]:
        """Exactly what is in the widgets now."""
        typed: dict[str, object] = {}
        for name, _label, _kind in FIELDS:
            typed[name] = self.query_one(f"#f-{name}").value
        return typed

    def _values(self) -> dict[str, object]:
        """What was typed, read into the validator's terms (dates, cents)."""
        values = {}
        for name, _label, kind in FIELDS:
            raw = self.query_one(f"#f-{name}").value
            if kind == "date":
                raw = read_typed_date(raw, self.app.service.date_order)
            elif kind == "money":
                raw = read_money_cents(raw)
            values[name] = raw
        return values

    def _show_errors(self, errors: dict[str, str]) -> None:
        first = None
        for name, _label, _kind in FIELDS:
            message = errors.get(name, "")
            label = self.query_one(f"#e-{name}", Label)
            label.update(Text(message))
            label.display = bool(message)
            if message and first is None:
                first = name
        if first:
            widget = self.query_one(f"#f-{first}")
            widget.focus()
            widget.scroll_visible()

    # ------------------------------------------------------------- actions

    def action_save(self) -> None:
        if self._saving:
            return
        service = self.app.service
        values = self._values()
        checked = validate_patient(
            values, service.today(), service.clinic.phone_region, partial=self.record is not None
        )
        self._show_errors(checked.errors)
        if not checked.ok:
            self.app.notify(
                "Please correct the fields marked in the form.", severity="warning", markup=False
            )
            return
        if self.record is None:
            self._saving = True
            self._check_duplicates(values)
        else:
            current = validate_patient(
                self.record.editable(), service.today(), service.clinic.phone_region, partial=True
            ).values
            changes = {k: values[k] for k, v in checked.values.items() if current.get(k) != v}
            if not changes:
                self.dismiss(self.record.id)
                return
            self._saving = True
            self.app.write(
                lambda: service.update_patient(self.record.id, self.record.base_version, changes),
                self._written,
            )

    @work(thread=True, exclusive=True, group="duplicates")
    def _check_duplicates(self, values: dict) -> None:
        candidates = self.app.service.find_duplicates(values)
        self.app.call_from_thread(self._duplicates_found, values, candidates)

    def _duplicates_found(self, values: dict, candidates: list) -> None:
        if not candidates:
            self._register(values, [])
            return

        def answer(choice) -> None:
            if choice is None:
                self._saving = False  # back to the form, all typed values intact
            elif choice == "create":
                self._register(values, [c.patient_id for c in candidates])
            else:
                self.dismiss(choice)  # use the existing record

        self.app.push_screen(DuplicatesScreen(candidates), answer)

    def _register(self, values: dict, overridden: list[str]) -> None:
        service = self.app.service
        self.app.write(
            lambda: service.register_patient(values, duplicates_overridden=overridden),
            self._written,
        )

    def _written(self, result, error) -> None:
        self._saving = False
        if error:
            self._show_errors(getattr(error, "errors", {}))
            self.app.notify(str(error), title="Not saved", severity="error", markup=False)
            return
        self.app.notify("Saved.", markup=False, timeout=2)
        self.dismiss(result["patient_id"])

    def has_unsaved_work(self) -> bool:
        """F2-F6 come back to this form, not past it, while something typed is unsaved."""
        return self._typed() != self._initial

    def action_cancel(self) -> None:
        if self._typed() == self._initial:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmScreen("Discard the changes you typed?"), lambda yes: yes and self.dismiss(None)
        )
