"""An Input that never holds control or bidi characters, whatever was pasted.

Typing cannot produce ESC, but a paste (or a value set from data) can; an
Input echoes its value to the terminal, so the value is cleaned on the way in.
"""

from __future__ import annotations

from textual.widgets import Input

from coordtui.domain.text import strip_unsafe


class SafeInput(Input):
    def validate_value(self, value: str) -> str:
        return strip_unsafe(value)
