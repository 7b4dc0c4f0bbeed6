"""A checkbox whose words say its state.

Textual's checkbox shows the same mark checked or not, in another colour: on a
monochrome terminal (or to a colour-blind receptionist) the two look alike.
Here the label says "yes" or "no" as well.
"""

from __future__ import annotations

from textual.widgets import Checkbox


class YesNo(Checkbox):
    def __init__(self, value: bool = False, **kwargs) -> None:
        super().__init__(self._words(value), value, **kwargs)

    @staticmethod
    def _words(value: bool) -> str:
        return "yes" if value else "no"

    def watch_value(self) -> None:
        self.label = self._words(self.value)
        super().watch_value()
