"""Dialogs that save themselves, so a refused save never throws the work away (contract 3).

A dialog that only returned what was typed, for its caller to save after it
had closed, could only report a refusal once the typing was gone ("Not
saved: say what the callback is about", and the form with it).  A
``SavingDialog`` runs the write itself on the app's writer thread and closes
only when it is committed, dismissing with the mutation's result.  A refusal
keeps the dialog open with everything typed, and puts the message at the
field it concerns (a ``Label#e-<field>`` when the dialog has one, else its
``Label#error``), and moves the focus there.

Callers pass ``save``: given the dialog's values it returns the job to run on
the writer (a function of no arguments that calls the service).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Label

from coordtui.domain.text import clean

Job = Callable[[], Any]


class SavingDialog(ModalScreen):
    """Base for modal forms and questions whose answer is a write."""

    # A message line takes room only while it has something to say (80x24 is tight).
    DEFAULT_CSS = """
    SavingDialog .error, SavingDialog #error { display: none; }
    """

    # The field a refusal about a mutation argument concerns: {arg: widget id}; its
    # message goes in ``Label#e-<widget id>`` (else ``#error``) and the focus to the widget.
    FIELD_WIDGETS: dict[str, str] = {}

    def __init__(self, save: Callable[..., Job] | None = None) -> None:
        super().__init__()
        self.save = save
        self.saving = False

    def submit(self, *values: Any) -> None:
        """Save ``values`` through ``self.save``; close with the result once committed.

        Without ``save`` (a dialog used only to ask) it closes with the values.
        """
        if self.saving:
            return  # a second Ctrl+S while the first is being written
        self.clear_errors()
        if self.save is None:
            self.dismiss(values[0] if len(values) == 1 else values)
            return
        self.saving = True
        job = self.save(*values)

        def done(result: Any, error: str | None) -> None:
            self.saving = False
            if not self.is_attached:
                return  # closed meanwhile (the write, if any, is committed and will show)
            if error:
                self.show_refusal(error)
            else:
                result = result if result is not None else {}
                self.saved(result)
                self.dismiss(result)

        self.app.write(job, done)

    def saved(self, result: Any) -> None:
        """Committed, just before closing (e.g. to say so)."""

    # --------------------------------------------------- leaving unsaved

    def on_mount(self) -> None:
        """After the subclass has filled its fields (Textual calls it after theirs)."""
        self._typed_at_start = self._typed()

    def _typed(self) -> tuple:
        return tuple(getattr(w, "value", None) for w in self.query("Input, Select, Checkbox"))

    def has_unsaved_work(self) -> bool:
        """Something typed or chosen here that is not saved."""
        return self._typed() != getattr(self, "_typed_at_start", self._typed())

    def action_cancel(self) -> None:
        """Esc: leave; if something was typed, ask first (it would be lost)."""
        if not self.has_unsaved_work():
            self.dismiss(None)
            return
        # Asked through the app: the question is itself a SavingDialog (screens/confirm.py).
        self.app.ask(
            "Discard what you typed?",
            "n or Esc goes back to it.",
            lambda yes: yes and self.dismiss(None),
        )

    # ------------------------------------------------------------- errors

    def clear_errors(self) -> None:
        for label in self.query("Label.error, Label#error"):
            label.update("")
            label.display = False

    def clear_error(self, field: str) -> None:
        widget_id = self.FIELD_WIDGETS.get(field, field)
        for label in self.query(f"#e-{widget_id}"):
            label.update("")
            label.display = False

    def show_error(self, message: str, field: str | None = None, focus: bool = True) -> None:
        """The message beside ``field`` (its ``#e-`` label), else in ``#error``; focus it."""
        widget_id = self.FIELD_WIDGETS.get(field or "", field)
        labels = self.query(f"#e-{widget_id}") if widget_id else []
        label = labels[0] if labels else self.query_one("#error", Label)
        label.update(Text(clean(message)))
        label.display = True
        if widget_id and focus:
            with contextlib.suppress(NoMatches):
                self.query_one(f"#{widget_id}").focus()

    def show_refusal(self, error: str) -> None:
        """A refused write: field messages beside their fields, the rest in ``#error``."""
        errors = dict(getattr(error, "errors", {}) or {})
        shown_general = False
        for field, message in errors.items():
            has_label = bool(self.query(f"#e-{self.FIELD_WIDGETS.get(field, field)}"))
            if has_label:
                self.show_error(message, field)
            elif not shown_general:
                self.show_error(message, field)
                shown_general = True
        if not errors:
            self.show_error(str(error))
        elif not shown_general and str(error) not in errors.values():
            label = self.query_one("#error", Label)
            label.update(Text(clean(str(error))))
            label.display = True
