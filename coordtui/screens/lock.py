"""Idle lock: hides every patient detail until someone presses Enter.

Sign-in does not exist yet, so unlocking needs only a deliberate key; the
point today is that an unattended screen in the waiting room shows nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import ModalScreen
from textual.widgets import Label


class LockScreen(ModalScreen[None]):
    CSS_PATH = "lock.tcss"
    BINDINGS = [Binding("enter", "unlock", "Unlock", id="lock.unlock")]

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Label(
                Text("coordtui is locked\n\nPress Enter to unlock", justify="center"), id="message"
            )

    def action_unlock(self) -> None:
        self.dismiss(None)
