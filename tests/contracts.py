"""Shared checks for the promises in ../shared/CONTRACTS.md.

A screen gets a contract checked by calling the helper, not by remembering the
rule.  Every helper looks at what the person sees (the composited screen),
not only at widget state.

- ``assert_cursor_visible`` / ``check_selection``: the highlighted row of a list
  is fully on screen, after start-up, End, Home, PageDown and 25 Downs, and it
  stays on the same record after a write or a refresh (contract 1).
- ``assert_refusal_keeps_work``: after a refused save the dialog is still there,
  everything typed is still in its fields, and the message is shown at the
  field it concerns, which has the focus (contract 3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from coordtui.widgets.columns import follow
from coordtui.widgets.cursor_lines import CursorLines


def _screen_lines(app) -> list:
    return list(app.screen._compositor.render_strips())


def cursor_line(app, table: CursorLines) -> str:
    """The text on screen where the table's highlighted row is; fails if it is not there.

    The row must fall inside the list's own area (below its header, above its
    bottom edge) and the screen must show, at that place, exactly the line the
    list renders for it, cursor style included: so it is neither scrolled away,
    hidden under a scrollbar, nor covered by anything else.
    """
    assert table.row_count > 0, "the list is empty: nothing is highlighted"
    y = table.cursor_row - int(table.scroll_offset.y) + 1  # line within the widget
    visible = table.scrollable_content_region.height
    assert 1 <= y < visible, (
        f"highlighted row {table.cursor_row} is off screen "
        f"(scroll {table.scroll_offset.y}, {visible - 1} rows fit)"
    )
    region = table.scrollable_content_region
    assert table.screen is app.screen, "the list is not on the screen being shown"
    lines = _screen_lines(app)
    screen_y = region.y + y
    assert 0 <= screen_y < len(lines), f"row would be on terminal line {screen_y}: off screen"
    shown = lines[screen_y]
    expected = table.render_line(y)
    segments = list(shown.crop(region.x, region.x + region.width))
    text = "".join(s.text for s in segments)
    assert text == expected.text, (
        f"terminal line {screen_y} shows\n  {text!r}\nbut the highlighted row renders as\n"
        f"  {expected.text!r}"
    )
    # The terminal may render dim text as a blended colour; the background is the cursor.
    cursor_backgrounds = {s.style.bgcolor for s in expected if s.style}
    shown_backgrounds = {s.style.bgcolor for s in segments if s.style}
    assert shown_backgrounds == cursor_backgrounds, "the row is there but not drawn highlighted"
    return text


def assert_cursor_visible(app, table: CursorLines, label: Callable[[Any], str]) -> None:
    """The highlighted row is on screen and shows the record the keys will act on."""
    text = cursor_line(app, table)
    item = table.selected
    want = label(item)
    assert want and want[:12] in text, f"the highlighted line {text!r} does not name {want!r}"


async def check_selection(
    pilot,
    table: Callable[[], CursorLines],
    key: Callable[[Any], Hashable],
    label: Callable[[Any], str],
    *,
    write: Callable[[Any], Awaitable[None]] | None = None,
    refresh: Callable[[Any], Awaitable[None]] | None = None,
    min_rows: int = 30,
) -> None:
    """Contract 1 for one list on the app ``pilot`` drives (call it at 80x24 and 160x48).

    ``table()`` finds the list (it must have focus, or ``pilot`` keys must reach
    it); ``key(item)`` is the record's identity; ``label(item)`` a text the row
    shows (a name, a time).  ``write(pilot)`` performs a write on the highlighted
    record and waits until it is shown; ``refresh(pilot)`` causes a reload (a
    sync, another process's commit) and waits for it.  After each, the cursor
    must be on the same record (or, if the write moved it out of the list, on a
    record that was its neighbour).
    """
    app = pilot.app
    rows = table().row_count
    assert rows >= min_rows, f"the list has {rows} rows: too few to test scrolling"

    async def check(after: str) -> None:
        await pilot.pause()
        try:
            assert_cursor_visible(app, table(), label)
        except AssertionError as exc:
            raise AssertionError(f"after {after}: {exc}") from None

    await check("start-up")
    for step, name in ((refresh, "a refresh"), (write, "a write")):
        if step is None:
            continue
        before_items = [key(i) for i in table().items]
        index = table().cursor_row
        before = key(table().selected)
        await step(pilot)
        await check(name)
        now = key(table().selected)
        after_items = [key(i) for i in table().items]
        if before in after_items:
            assert now == before, f"after {name} the cursor left its record"
        else:
            expected = after_items[follow(before_items, index, after_items)]
            assert now == expected, f"after {name} the cursor is not on the neighbour"
    for keys, what in (
        (["end"], "End"),
        (["home"], "Home"),
        (["pagedown"], "PageDown"),
        (["pagedown"], "PageDown twice"),
        (["home", *["down"] * 25], "Home and 25 Downs"),
        (["pageup"], "PageUp"),
    ):
        await pilot.press(*keys)
        await check(what)


async def assert_refusal_keeps_work(
    pilot, dialog, typed: dict[str, str], message: str, field: str | None = None
) -> None:
    """Contract 3, right after a save that must be refused (call it after the save key).

    ``typed``: widget id -> the value typed into it.  ``message``: (part of) the
    refusal, which must be on screen; ``field``: the widget id it concerns, whose
    ``#e-<field>`` label must hold it and which must have the focus.
    """
    from tests.conftest import wait_for
    from tests.ui.helpers import screen_text

    app = pilot.app
    await wait_for(pilot, lambda: message in screen_text(app) or app.screen is not dialog)
    assert app.screen is dialog, "the dialog closed on a refused save"
    for widget_id, value in typed.items():
        shown = dialog.query_one(f"#{widget_id}").value
        assert shown == value, f"{widget_id} holds {shown!r} after the refusal, not {value!r}"
    if field is not None:
        label = dialog.query_one(f"#e-{field}")
        assert message in str(label.render()), f"the message is not at the {field} field"
        assert app.focused is dialog.query_one(f"#{field}"), "the focus is not on that field"
