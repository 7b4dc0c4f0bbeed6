"""The base of every list in the app: a header line, one line per row, a row cursor.

Keys, paging, and the rule that the highlighted row is always fully on screen
are the same for every list (queue_table, row_table).  The number of rows on
screen is the scrollable region's height less the header line: the vertical
scrollbar takes columns, never a line, because these tables never scroll
sideways (their columns are fitted to the width, see coordtui.widgets.columns).
Subclasses provide ``row_count`` and ``move_cursor`` (which may post their own
message) and call ``_keep_cursor_visible`` after moving.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.scroll_view import ScrollView
from textual.strip import Strip


class CursorLines(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    CursorLines {
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """
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

    # ------------------------------------------------------------ geometry

    @property
    def rows_on_screen(self) -> int:
        """How many rows fit below the header (at least one, even before layout)."""
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def line_width(self) -> int:
        """Cells a line may use: the widget's width less the vertical scrollbar."""
        return self.scrollable_content_region.width

    def _keep_cursor_visible(self) -> None:
        visible = self.rows_on_screen
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def on_resize(self, _event: events.Resize) -> None:
        """A resize (the first layout included) may leave the cursor below the fold."""
        self._resized()
        self.call_after_refresh(self._keep_cursor_visible)

    def _resized(self) -> None:
        """Subclasses drop cached lines here."""

    # ---------------------------------------------------------------- keys

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.rows_on_screen - 1))

    def action_edge(self, end: int) -> None:
        self.move_cursor(self.row_count - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(int(self.scroll_offset.y) + event.y - 1)

    # ------------------------------------------------------------- drawing

    def row_index(self, y: int) -> int:
        """The row shown on line ``y`` of the widget (line 0 is the header)."""
        return int(self.scroll_offset.y) + y - 1

    def _strip(
        self, cells: Sequence[Text], widths: Sequence[int], width: int, style: Style
    ) -> Strip:
        """One line: a space, then each cell cut or padded to its width and a space."""
        line = Text(" ", no_wrap=True, end="")
        for cell, cell_width in zip(cells, widths, strict=False):
            if cell_width <= 0:
                continue  # a column the width could not afford
            part = cell.copy()
            part.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(part)
            line.append(" ")
        strip = Strip(list(line.render(self.app.console))).apply_style(style)
        return strip.crop_extend(0, width, style)
