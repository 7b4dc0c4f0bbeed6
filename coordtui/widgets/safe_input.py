"""An Input that never holds control or bidi characters, whatever was pasted.

Typing cannot produce ESC, but a paste (or a value set from data) can; an
Input echoes its value to the terminal, so the value is cleaned on the way in.

Its cursor does not blink: a blink repaints the field twice a second, which is
bytes on a slow SSH link and work on an old PC for nothing, and a screen that
changes by itself cannot be compared with what a person (or a snapshot) saw.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Input

from coordtui.domain.text import strip_unsafe


class SafeInput(Input):
    cursor_blink = reactive(False, init=False)

    def validate_value(self, value: str) -> str:
        return strip_unsafe(value)
