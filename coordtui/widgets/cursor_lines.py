"""Row-cursor keys for the Line-API tables (queue_table, row_table).

A header line, then one line per row: the keys, paging and the scroll that
keeps the cursor on screen are the same for every such table.  Subclasses
provide ``row_count`` and ``move_cursor`` (which may post their own message).
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.scroll_view import ScrollView


class CursorLines(ScrollView, can_focus=True):
    # Shared ids: one keymap entry ("table.up" = ...) remaps every table.
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home", "edge(0)", "First", show=False, id="table.first"),
        Binding("end", "edge(1)", "Last", show=False, id="table.last"),
    ]
    cursor_row: int

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def move_cursor(self, row: int) -> None:
        raise NotImplementedError

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)  # the header line is not a row
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.move_cursor(self.row_count - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(int(self.scroll_offset.y) + event.y - 1)
