"""Sync (F6): are we online, what is waiting to be sent, what did the server refuse?

Conflicts (changes the clinic server refused) stay listed until a person acts:
r rebooks a refused booking into one of the free times the server offered,
a accepts the server's version (asks first), e re-applies a refused edit on
the record as it is now.  h shows the resolved ones too; s syncs now.
Everything from the store is shown as rich Text, cleaned, never markup.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static

from coordtui.domain.days import local
from coordtui.domain.text import clean
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.dialog import SavingDialog
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable

PENDING_SHOWN = 200
RESTORE_SHOWN = timedelta(days=7)  # how long the status says the server was restored
# (label, width): sized for 80 columns; the flex column takes what is left.
CONFLICT_COLUMNS = (
    Column("", 1),
    Column("When", 9),
    Column("Change", 14, least=10, yields=1),
    Column("What", 24, least=16, flex=True),
    Column("Reason", 20, least=10, yields=2),
)
PENDING_COLUMNS = (
    Column("#", 5),
    Column("When", 9),
    Column("Change", 22, flex=True),
    Column("By", 16, least=8, yields=1),
)


def _when(moment: datetime | None, zone) -> str:
    return local(moment, zone).strftime("%a %H:%M") if moment else ""


def conflict_cells(c, zone) -> tuple[Text, ...]:
    if c.resolved_at is None:
        mark, state = Text("!", style="bold reverse"), Text(clean(c.reason))
    else:
        mark = Text("✓")
        state = Text(f"✓ {clean(c.resolution)} {_when(c.resolved_at, zone)}")
    return (
        mark,
        Text(_when(c.client_time, zone)),
        Text(clean(c.label)),
        Text(clean(c.what)),
        state,
    )


def pending_cells(p, zone) -> tuple[Text, ...]:
    return (
        Text(str(p.mutation_id)),
        Text(_when(p.client_time, zone)),
        Text(clean(p.label)),
        Text(clean(p.actor)),
    )


def option_text(option, zone) -> Text:
    start, end = local(option.start, zone), local(option.end, zone)
    text = Text(f"{start:%a %d %b %H:%M}–{end:%H:%M}  ")
    text.append(clean(option.provider))
    if option.moves:
        text = Text(f"Refused dates moved ({len(option.moves)}), first: ")
        text.append(f"{start:%a %d %b %H:%M}  ")
        text.append(clean(option.provider))
    return text


class ChooseSlotScreen(SavingDialog):
    """Pick one of the offered times: Enter on the highlighted one, or its digit; Esc goes back.

    With ``save`` (given the option's index) it books there itself and closes once saved."""

    CSS_PATH = "sync.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="rebook.cancel"),
        *[
            Binding(str(n), f"choose({n - 1})", f"Time {n}", show=False, id=f"rebook.choose_{n}")
            for n in range(1, 10)
        ],
    ]

    def __init__(self, title: Text, options: list[Text], save=None):
        super().__init__(save)
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="title")
            numbered = []
            for i, option in enumerate(self.options, 1):
                line = Text(f"{i}  " if i < 10 else "   ")
                line.append_text(option)
                numbered.append(line)
            yield OptionList(*numbered, id="options")
            yield Label("", id="error")
            yield Label(
                Text("Enter or 1-9 = book that time   Esc = back, nothing changes", style="bold"),
                id="keys",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.submit(event.option_index)

    def action_choose(self, index: int) -> None:
        if 0 <= index < len(self.options):
            self.submit(index)


class SyncScreen(Screen):
    CSS_PATH = "sync.tcss"
    BINDINGS = [
        Binding("s", "sync_now", "Sync now", id="sync.now"),
        Binding("r", "rebook", "Rebook", id="sync.rebook"),
        Binding("a", "accept", "Accept server's", id="sync.accept"),
        Binding("e", "reapply", "Re-apply edit", id="sync.reapply"),
        Binding("h", "toggle_resolved", "Show resolved", id="sync.toggle_resolved"),
    ]

    class Loaded(Message):
        def __init__(self, status, conflicts: list, pending: list, pending_total: int) -> None:
            super().__init__()
            self.status, self.conflicts = status, conflicts
            self.pending, self.pending_total = pending, pending_total

    def __init__(self) -> None:
        super().__init__()
        self.status = None
        self.conflicts: list = []
        self.pending: list = []
        self.pending_total = 0
        self.show_resolved = False
        self._keys_for: object = None  # what the footer's greyed keys were worked out from

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Static("", id="status")
        yield Label("", classes="title", id="conflicts-title")
        yield RowTable(CONFLICT_COLUMNS, id="conflicts")
        yield Static("", id="detail")
        yield Label("", classes="title", id="pending-title")
        yield RowTable(PENDING_COLUMNS, id="pending")
        yield Label("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#conflicts").focus()
        self.set_interval(5, self._paint_status)  # "next try in", "last sync" stay current

    def on_screen_resume(self) -> None:
        self.reload()

    def store_changed(self) -> None:
        self.reload()

    def on_sync_round(self, _outcome) -> None:
        """The app calls this after each background round while this screen shows."""
        self.reload()

    # ------------------------------------------------------------- loading

    @work(thread=True, exclusive=True, group="sync-load")
    def reload(self) -> None:
        service = self.app.service
        self.post_message(
            self.Loaded(
                service.sync_status(),
                service.sync_conflicts(include_resolved=self.show_resolved),
                service.pending_changes(PENDING_SHOWN),
                service.pending_count(),
            )
        )

    def on_sync_screen_loaded(self, message: Loaded) -> None:
        self.status = message.status
        self.conflicts = message.conflicts
        self.pending, self.pending_total = message.pending, message.pending_total
        zone = self.app.service.zone
        self._paint_status()
        open_count = sum(1 for c in self.conflicts if c.resolved_at is None)
        title = Text("Conflicts: ", style="bold")
        if open_count:
            title.append(f"!{open_count} need a decision", style="bold reverse")
        else:
            title.append("none open")
        hint = "  (h hides resolved)" if self.show_resolved else "  (h shows resolved)"
        title.append(hint, style="dim")
        self.query_one("#conflicts-title", Label).update(title)
        self.query_one("#conflicts", RowTable).show(
            self.conflicts, lambda c: conflict_cells(c, zone), key=lambda c: c.mutation_id
        )
        waiting = Text("Pending: ", style="bold")
        if self.pending_total:
            waiting.append(
                f"{self.pending_total} change{'s' if self.pending_total != 1 else ''} "
                "waiting to be sent"
            )
            if self.pending_total > len(self.pending):
                waiting.append(f" (oldest {len(self.pending)} shown)")
        else:
            waiting.append("nothing waiting")
        self.query_one("#pending-title", Label).update(waiting)
        self.query_one("#pending", RowTable).show(
            self.pending, lambda p: pending_cells(p, zone), key=lambda p: p.mutation_id
        )
        self._paint_detail()
        self.app.refresh_pending()

    def _paint_status(self) -> None:
        status = self.status
        if status is None:
            return
        zone = self.app.service.zone
        outcome = getattr(self.app, "sync_outcome", None)
        line = Text(no_wrap=True, overflow="ellipsis")
        if not status.connected:
            line.append("● local only", style="italic")
            line.append("  not connected to a clinic server\n")
            line.append("Connect with: coordtui connect URL CODE (the code from the server).")
        else:
            online = status.online
            if outcome is not None and outcome.connected:
                online = outcome.ok
            if online:
                line.append("● online")
            else:
                line.append("○ offline", style="bold reverse")
            line.append("  ")
            line.append(clean(status.url))
            last = (
                local(status.last_ok, zone).strftime("%a %d %b %H:%M:%S")
                if status.last_ok
                else "never"
            )
            line.append(f"  last sync {last}\n")
            if status.last_error:
                line.append("Last error: ", style="bold")
                line.append(clean(status.last_error))
                if outcome is not None and not outcome.ok and outcome.retry_in:
                    line.append("  (retrying; s tries now)")
            else:
                seconds = self.app.config.sync_seconds
                every = f"every {seconds:g} s and " if seconds else ""
                line.append(f"Syncs {every}soon after each change; s syncs now.", style="dim")
            since = status.recovered_at and self.app.service.now() - status.recovered_at
            if since is not None and since < RESTORE_SHOWN:
                line.append("\n")
                line.append("Server restored from a backup", style="bold")
                line.append(local(status.recovered_at, zone).strftime(" %a %d %b %H:%M"))
                n = status.recovered
                line.append(f"; {n} change{'s' if n != 1 else ''} it lost sent again.")
        self.query_one("#status", Static).update(line)

    def _selected(self):
        table = self.query_one("#conflicts", RowTable)
        if not self.conflicts or not 0 <= table.cursor_row < len(self.conflicts):
            return None
        return self.conflicts[table.cursor_row]

    @on(RowTable.Highlighted, "#conflicts")
    def _paint_detail(self) -> None:
        """Four lines, each cut to the width: what, why, the free times, the keys."""
        c = self._selected()
        lines: list[Text] = []
        if c is None:
            lines.append(Text("Nothing refused.", style="bold"))
            lines.append(Text("A change the clinic server refuses stays here until someone acts."))
        else:
            zone = self.app.service.zone
            what = Text(f"{clean(c.label)}: ", style="bold")
            what.append(clean(c.what))
            what.append(f" · {clean(c.actor)} {_when(c.client_time, zone)}")
            why = Text("Refused: ", style="bold")
            why.append(clean(c.reason))
            lines += [what, why]
            if c.resolved_at is not None:
                lines.append(
                    Text(f"✓ Resolved: {clean(c.resolution)}, {_when(c.resolved_at, zone)}")
                )
            else:
                if c.options:
                    shown = c.options[:5]
                    same = len({o.provider_id for o in shown}) == 1
                    free = Text("Free instead", style="bold")
                    if same:
                        free.append(f" ({clean(shown[0].provider)})", style="bold")
                    free.append(": ", style="bold")
                    for i, option in enumerate(shown, 1):
                        free.append(f"{i}) {local(option.start, zone):%a %H:%M}  ")
                        if not same:
                            free.append(f"{clean(option.provider)}  ")
                    lines.append(free)
                keys = []
                if c.can_rebook:
                    keys.append("r rebook")
                if c.can_reapply:
                    keys.append("e re-apply your edit")
                keys.append("a accept the server's version")
                lines.append(Text("  ·  ".join(keys), style="bold"))
        detail = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
        self.query_one("#detail", Static).update(detail)
        # This runs after every sync round (each second), and refresh_bindings rebuilds
        # the footer: only when what check_action reads has changed, or on a busy
        # machine the footer is being rebuilt most of the time and shows no keys.
        keys_for = (c.can_rebook, c.can_reapply, c.resolved_at is None) if c else None
        if keys_for != self._keys_for:
            self._keys_for = keys_for
            self.refresh_bindings()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters) -> bool | None:
        c = self._selected() if action in ("rebook", "accept", "reapply") else None
        if action == "rebook":
            return True if c and c.can_rebook else None
        if action == "reapply":
            return True if c and c.can_reapply else None
        if action == "accept":
            return True if c and c.resolved_at is None else None
        return True

    def _say(self, message: str | Text) -> None:
        self.query_one("#message", Label).update(
            message if isinstance(message, Text) else Text(message)
        )

    def action_sync_now(self) -> None:
        if self.status is not None and not self.status.connected:
            self._say("Not connected to a clinic server.")
            return
        self._say("Syncing…")
        self.app.sync_now()

    def action_toggle_resolved(self) -> None:
        self.show_resolved = not self.show_resolved
        self.reload()

    def action_rebook(self) -> None:
        c = self._selected()
        if c is None or not c.can_rebook:
            return
        zone = self.app.service.zone
        title = Text("Rebook ", style="bold")
        title.append(clean(c.what))
        title.append("\nat one of these free times:")

        chosen: list[int] = []

        def save(index: int):
            chosen[:] = [index]
            return lambda: self.app.service.rebook_conflict(c.mutation_id, index)

        def saved(result) -> None:
            if result is not None:
                when = option_text(c.options[chosen[0]], zone).plain
                self._say(f"Rebooked: {when}. It goes to the server with the next sync.")
                self.reload()

        self.app.push_screen(
            ChooseSlotScreen(title, [option_text(o, zone) for o in c.options], save=save), saved
        )

    def action_accept(self) -> None:
        c = self._selected()
        if c is None or c.resolved_at is not None:
            return
        question = Text("Accept the server's version and drop this change?\n")
        question.append(f"{clean(c.label)}: ", style="bold")
        question.append(clean(c.what))
        self._confirm_write(
            question,
            "Nothing is redone; it stays listed as accepted (h shows resolved).",
            lambda: self.app.service.accept_conflict(c.mutation_id),
            "Accepted the server's version.",
        )

    def action_reapply(self) -> None:
        c = self._selected()
        if c is None or not c.can_reapply:
            return
        question = Text("Apply your edit again to the record as it is now?\n")
        question.append(clean(c.what))
        self._confirm_write(
            question,
            "Your values replace what is there now for those fields.",
            lambda: self.app.service.reapply_conflict(c.mutation_id),
            "Edit re-applied; it goes to the server with the next sync.",
        )

    def _confirm_write(self, question: Text, detail: str, job, note: str) -> None:
        """Ask first; on yes the dialog runs ``job`` (a refusal stays in it); then say ``note``."""

        def saved(result) -> None:
            if result is not None:
                self._say(note)
                self.reload()

        self.app.push_screen(ConfirmScreen(question, detail, save=lambda: job), saved)
