"""Fields keep a steady cursor: no blink repainting them twice a second (bytes over SSH,
and a screen that changes by itself cannot be compared with what a person saw)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from coordtui.widgets.safe_input import SafeInput


class _OneField(App):
    def compose(self) -> ComposeResult:
        yield SafeInput(id="field")


async def test_a_focused_field_shows_its_cursor_and_does_not_blink():
    app = _OneField()
    async with app.run_test() as pilot:
        field = app.query_one(SafeInput)
        field.focus()
        await pilot.press(*"ada")
        seen = set()
        for _ in range(8):  # 1.2 s: two blink periods and more
            await pilot.pause(0.15)
            seen.add(field._cursor_visible)
        assert seen == {True}
        assert field.value == "ada"
