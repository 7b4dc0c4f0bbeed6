"""The footer, fitted to the width: F1 Help is always there.

Textual's footer lists every shown binding and cuts the row at the right
edge, so at 80 columns a busy screen lost its last keys, F1 among them.  Here
the later keys give way (F1 lists every key), and Help stays on the line.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

HELP_ACTIONS = ("help", "app.help")


class KeyFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        kwargs.setdefault("show_command_palette", False)
        super().__init__(**kwargs)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        width = self.app.size.width - 2  # slack: the row must never be cut at the edge
        helps = [k for k in keys if getattr(k, "action", None) in HELP_ACTIONS]
        # In the order the screen declares its keys (a key remapped from the config moves to
        # the end of Textual's order, and would be the first to give way).
        declared = {
            getattr(b, "action", None): i
            for i, b in enumerate(getattr(type(self.screen), "BINDINGS", ()))
        }
        others = sorted(
            (k for k in keys if k not in helps),
            key=lambda k: declared.get(getattr(k, "action", ""), len(declared)),
        )

        def cells(widgets) -> int:  # "key description", one space between keys
            return (
                sum(
                    len(getattr(w, "key_display", "")) + 1 + len(getattr(w, "description", "")) + 1
                    for w in widgets
                )
                - 1
            )

        while others and cells(others) + cells(helps) > width:
            others.pop()  # the last keys give way; F1 lists them all
        kept = others + helps
        yield from kept
