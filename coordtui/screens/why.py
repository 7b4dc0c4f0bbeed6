"""Greyed keys say why (contract 1: what the state machine does not allow is greyed, and F1
says why).

A screen's ``check_action`` returns None for a key that cannot apply here (the
footer greys it).  With ``why_disabled(action, parameters)`` the screen also
says why, in F1 and when the key is pressed anyway (a notice instead of
silence): "Done cannot become Arrived: u undoes the last change".
"""

from __future__ import annotations

from textual import events
from textual.actions import parse
from textual.binding import Binding


def split(binding: Binding) -> tuple[str, tuple[object, ...]]:
    """The action's name and parameters: ``status('arrived')`` -> ("status", ("arrived",))."""
    _target, name, parameters = parse(binding.action)
    return name, parameters


class ExplainsDisabledKeys:
    """Mixin for a Screen: a press on a greyed key of this screen shows why."""

    _keys_state: object = None

    def keys_depend_on(self, state: object) -> None:
        """Refresh the footer's keys only when ``state`` (what check_action reads) changed.

        refresh_bindings rebuilds the whole footer; after every cursor move or reload a
        busy machine spends its time rebuilding it, and shows no keys meanwhile."""
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def why_disabled(self, action: str, parameters: tuple[object, ...]) -> str | None:
        return None

    def why_key_disabled(self, key: str) -> str | None:
        for binding in self._bindings.key_to_bindings.get(key, ()):  # this screen's own keys
            name, parameters = split(binding)
            if self.check_action(name, parameters) is None:
                return self.why_disabled(name, parameters)
        return None

    def on_key(self, event: events.Key) -> None:
        why = self.why_key_disabled(event.key)
        if why:
            event.stop()
            self.app.notify(why, title="Not now", markup=False, timeout=5)
