"""The Textual application: modes, global keys, themes, idle lock, the writer thread.

Every screen is a mode so each keeps its state.  Writes from any screen go to
one writer thread, in the order the keys were pressed; results come back to
the screen that asked on the event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from time import monotonic
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from coordtui.config import Config
from coordtui.screens.help import HelpEntry, HelpScreen
from coordtui.screens.lock import LockScreen
from coordtui.screens.queue import QueueScreen
from coordtui.service import Service
from coordtui.sync.runner import Outcome, SyncRunner
from coordtui.themes import ALL as EXTRA_THEMES
from coordtui.themes import THEME_NAMES

# Screens other than the queue load when first opened (start-up pays only for the queue),
# and are imported in the background once the first frame is up (``on_ready``).
LAZY_SCREENS = {
    "lookup": ("coordtui.screens.lookup", "LookupScreen"),
    "book": ("coordtui.screens.book", "BookScreen"),
    "calls": ("coordtui.screens.calls", "CallsScreen"),
    "sync": ("coordtui.screens.sync", "SyncScreen"),
}


def _holds_work(screen: Screen) -> bool:
    """A form with something typed that is not saved yet."""
    check = getattr(screen, "has_unsaved_work", None)
    return bool(check and check())


def _typing_here(screen: Screen) -> bool:
    """Printable keys belong to the form: a form screen, or a form control with the focus."""
    from textual.widgets import Checkbox, Input, Select, TextArea

    if getattr(screen, "IS_FORM", False):
        return True
    focused = screen.focused
    if focused is None:
        return False
    return any(
        isinstance(node, Input | Select | Checkbox | TextArea)
        for node in focused.ancestors_with_self
    )


def _lazy(module: str, name: str) -> Callable[[], Screen]:
    def make() -> Screen:
        return getattr(importlib.import_module(module), name)()

    return make


class WriteFailure(str):
    """A refused write: reads as its message, and carries field -> message for forms."""

    def __new__(cls, message: str, errors: dict | None = None, alternatives: list | None = None):
        obj = super().__new__(cls, message)
        obj.errors = dict(errors or {})
        obj.alternatives = list(alternatives or [])
        return obj


class CoordApp(App):
    TITLE = "coordtui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere work
    # Only the queue is imported up front; the other screens load when first opened.
    MODES = {"queue": QueueScreen} | {mode: _lazy(*where) for mode, where in LAZY_SCREENS.items()}
    DEFAULT_MODE = "queue"
    # F-keys always work; their printable mirrors (1-5, /, ?) only where no form field has
    # the focus, so that typing never navigates away (see check_action).
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding(
            "question_mark", "key_help", "Help", show=False, key_display="?", id="app.help_alt"
        ),
        Binding("f2", "go('queue')", "Queue", show=False, id="app.queue"),
        Binding("1", "jump('queue')", "Queue", show=False, id="app.queue_alt"),
        Binding("f3", "go('lookup')", "Lookup", show=False, id="app.lookup"),
        Binding(
            "slash", "jump('lookup')", "Lookup", show=False, key_display="/", id="app.lookup_slash"
        ),
        Binding("2", "jump('lookup')", "Lookup", show=False, id="app.lookup_alt"),
        Binding("f4", "go('book')", "Book", show=False, id="app.book"),
        Binding("3", "jump('book')", "Book", show=False, id="app.book_alt"),
        Binding("f5", "go('calls')", "Calls", show=False, id="app.calls"),
        Binding("4", "jump('calls')", "Calls", show=False, id="app.calls_alt"),
        Binding("f6", "go('sync')", "Sync", show=False, id="app.sync"),
        Binding("5", "jump('sync')", "Sync", show=False, id="app.sync_alt"),
        Binding("ctrl+l", "lock", "Lock", show=False, id="app.lock"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
    ]

    def __init__(self, service: Service, config: Config):
        super().__init__()
        self.service = service
        self.config = config
        if config.date_order:  # set explicitly: wins over the clinic region's custom
            service.date_order = config.date_order
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coordtui-writer")
        self._last_input = monotonic()
        self.writes_in_flight = 0
        # Background sync with the clinic server (a thread of its own; idle when not enrolled).
        self.sync_outcome: Outcome | None = None  # the latest round this session
        self.sync_runner = SyncRunner(
            service.sync_connected,
            service.sync_client,
            lambda outcome: self.post_message(self.SyncDone(outcome)),
            config.sync_seconds,
        )

    # ----------------------------------------------------------- navigation

    async def action_go(self, mode: str) -> None:
        """F2-F6: that screen itself, not a card or list left open on it earlier.

        What was opened on top of the mode's screen is closed, except a form with
        unsaved typing (``has_unsaved_work``), which is where the person left off.
        """
        if self.current_mode != mode:
            await self.switch_mode(mode)
        while len(self.screen_stack) > 1 and not _holds_work(self.screen):
            await self.pop_screen()

    def unsaved_forms(self) -> list[Screen]:
        """Every open form, on any screen's stack, with typing that is not saved."""
        stacks = getattr(self, "_screen_stacks", {}) or {"": self.screen_stack}
        return [screen for stack in stacks.values() for screen in stack if _holds_work(screen)]

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, but ask first if a form holds typing that would be lost."""
        unsaved = self.unsaved_forms()
        if not unsaved:
            await super().action_quit()
            return
        self.ask(
            "Quit? What you typed is not saved.",
            f"{len(unsaved)} form(s) hold unsaved typing; n or Esc goes back.",
            lambda yes: yes and self.exit(),
        )

    def ask(self, question: str, detail: str, then: Callable[[bool], Any]) -> None:
        """A yes/no question over what is on show (y, n, Esc); ``then(answer)``.

        Dialogs ask through here (leaving unsaved typing), so that screens/dialog.py, the
        base of ConfirmScreen, need not import screens/confirm.py."""
        from coordtui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question, detail), then)

    async def action_jump(self, mode: str) -> None:
        await self.action_go(mode)

    def action_key_help(self) -> None:
        self.action_help()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides the binding and lets the key go to the field: never navigate away.
        return not (action in ("jump", "key_help") and _typing_here(self.screen))

    @property
    def shown_screen(self) -> Screen | None:
        """The screen on show, or None while the app is closing (no screens left).

        The writer and sync threads post results that may arrive after the last
        screen has gone; ``self.screen`` would raise then."""
        # Closing: Textual empties each mode's stack while messages still arrive.
        if not self.is_running or not self.screen_stack or not self.screen.is_attached:
            return None
        return self.screen

    @property
    def colour(self) -> bool:
        return not (self.no_color or self.config.theme == "monochrome")

    def on_mount(self) -> None:
        for theme in EXTRA_THEMES:
            self.register_theme(theme)
        theme = "monochrome" if "NO_COLOR" in os.environ else self.config.theme
        self.theme = THEME_NAMES.get(theme, "textual-dark")
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        if self.config.idle_lock_minutes:
            self.set_interval(5, self._check_idle)
        self._store_version = self.service.data_version()
        self.set_interval(self.config.refresh_seconds, self._watch_store)

    def on_ready(self) -> None:
        """First frame is on screen: now, off the event loop, load the ORM for writes and
        the other screens' modules (so F3-F6 need not import them), then run the full garbage
        collection that start-up (the ORM import above all) has made due, while idle:
        left alone it lands on the first busy key, such as F5 (60-200 ms measured)."""

        def warm_up() -> None:
            import gc

            self.service.warm_up()
            for module, _ in LAZY_SCREENS.values():
                importlib.import_module(module)

            gc.collect()

        self.run_worker(warm_up, thread=True, group="warm-up")
        self.sync_runner.start()

    # ------------------------------------------------------- store changes

    def _watch_store(self) -> None:
        self.run_worker(self._read_store_version, thread=True, exclusive=True, group="store")

    def _read_store_version(self) -> None:
        """Another process (a second SSH session, the sync thread) committed: tell the screen.

        ``PRAGMA data_version`` costs microseconds; only a change costs a reload."""
        version = self.service.data_version()
        if version != self._store_version:
            self._store_version = version
            self.call_from_thread(self.store_changed)

    def store_changed(self) -> None:
        """What the screen on show displays may have changed: it reloads (``store_changed``).

        Screens not on show check the store when they are shown again, and a screen
        still being built (pushed, not yet mounted: its widgets may not exist) reads
        the store in its own on_mount, after this change."""
        screen = self.shown_screen
        if screen is None or not screen.is_mounted:
            return
        hook = getattr(screen, "store_changed", None)
        if hook is not None:
            hook()

    # ------------------------------------------------------------- writes

    def write(self, job: Callable[[], Any], done: Callable[[Any, str | None], None]) -> None:
        """Run a mutation on the writer thread; ``done(result, error_message)`` on the loop."""
        self.writes_in_flight += 1

        def run() -> None:
            from coordtui.mutations import MutationError

            try:
                result, error = job(), None
            except MutationError as exc:
                result, error = (
                    None,
                    WriteFailure(str(exc), exc.errors, getattr(exc, "alternatives", [])),
                )
            except Exception as exc:  # never show internals (they may hold patient data)
                self.log.error(f"write failed: {type(exc).__name__}")
                result, error = (
                    None,
                    WriteFailure("Could not save: the database is busy or unavailable. Try again."),
                )
            self.call_from_thread(self._write_done, done, result, error)

        self._writer.submit(run)

    def _write_done(self, done, result, error) -> None:
        self.writes_in_flight -= 1
        if error is None:
            self.sync_runner.poke()  # send it soon
        done(result, error)
        self.refresh_pending()

    def refresh_pending(self) -> None:
        from coordtui.widgets.clinic_header import ClinicHeader

        screen = self.shown_screen
        if screen is None:
            return  # the app is closing: messages from the writer or sync thread arrive late
        pending, overdue = self.service.pending_count(), self.service.overdue_count()
        badge = self.sync_badge()
        for header in screen.query(ClinicHeader):
            header.pending = pending
            header.overdue = overdue
            header.sync = badge

    # ---------------------------------------------------------------- sync

    class SyncDone(Message):
        """A background sync round finished (posted from the sync thread)."""

        def __init__(self, outcome: Outcome) -> None:
            super().__init__()
            self.outcome = outcome

    def sync_badge(self):
        """The header's sync state: stored status, corrected by this session's latest round."""
        from coordtui.widgets.clinic_header import SyncBadge

        status = self.service.sync_status()
        online, busy = status.online, False
        outcome = self.sync_outcome
        if status.connected and outcome is not None and outcome.connected:
            online, busy = outcome.ok, not outcome.ok and outcome.busy > 0
        return SyncBadge(
            status.connected, online, status.last_ok, self.service.conflict_count(), busy
        )

    def sync_now(self) -> None:
        self.sync_runner.run_now()

    def on_coord_app_sync_done(self, message: SyncDone) -> None:
        if not self.is_running:
            # Closing: Textual empties each mode's screen stack while this loop still
            # handles what is queued (the sync thread stops only at unmount), so
            # ``self.screen`` may raise ScreenStackError.  Nothing is left to update.
            return
        outcome = message.outcome
        self.sync_outcome = outcome
        self.refresh_pending()
        screen = self.shown_screen
        hook = getattr(screen, "on_sync_round", None)
        if hook is not None:
            hook(outcome)
        elif outcome.rows:
            self.store_changed()  # data_version would notice too; this spares the wait

    async def _on_exit_app(self) -> None:
        # Wait off the event loop: a write's last step hands its answer to this loop
        # (call_from_thread), so blocking the loop on the writer would wait for ever.
        await asyncio.to_thread(self._writer.shutdown, wait=True)  # a confirmed write finishes
        await asyncio.to_thread(self.sync_runner.stop, 3.0)  # rounds are transactional
        await super()._on_exit_app()

    def on_unmount(self) -> None:
        self.sync_runner.stop(timeout=3.0)  # however the app ends (tests end it without quit)

    async def book_for(
        self,
        patient_id: str,
        given: str,
        family: str,
        record_number: str,
        recall_id: str | None = None,
        recall_due: date | None = None,
    ) -> None:
        """`b` anywhere: open Book with this patient chosen (from the recall list: for a
        recall, which the booking then closes)."""
        from coordtui.screens.book import BookScreen, PatientRef

        await self.action_go("book")
        if isinstance(self.screen, BookScreen):
            self.screen.start_over()
            self.screen.set_patient(
                PatientRef(patient_id, given, family, record_number),
                recall_id=recall_id,
                recall_due=recall_due,
            )

    async def book_from_waitlist(self, entry) -> None:
        """`b` on the waitlist: Book for that patient, type and provider from the entry's
        earliest date; the booking closes the entry."""
        from coordtui.screens.book import BookScreen

        await self.action_go("book")
        if isinstance(self.screen, BookScreen):
            self.screen.start_over()
            self.screen.set_waitlist_entry(entry)

    # ----------------------------------------------------------- idle lock

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_input = monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        idle = monotonic() - self._last_input
        if idle >= self.config.idle_lock_minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        if not isinstance(self.screen, LockScreen):
            self.push_screen(LockScreen())

    # ---------------------------------------------------------------- help

    def help_entries(self, screen: Screen) -> list[HelpEntry]:
        """The keys that work here, from the live bindings: this screen's first, then the
        lists', then the app's.  Only coordtui's own bindings (they all have an id, which
        the keymap uses); a greyed one says why, when the screen can tell."""
        from coordtui.screens.why import split

        entries: dict[str, HelpEntry] = {}
        why = getattr(screen, "why_disabled", None)
        # The whole chain, not only the key's first taker: Enter in Lookup's box is the
        # box's own, yet Enter in the results list is ours and belongs in the list.
        for node, bindings in screen._modal_binding_chain:
            for key, binding in bindings:
                if not binding.id or f"{binding.id}:{key}" in entries:
                    continue  # Textual's own (scrolling, copy, its palette key): not ours
                state = self._check_action_state(binding.action, node)
                if state is False:
                    continue  # hidden here, not merely greyed
                enabled = bool(state)
                reason = (why(*split(binding)) or "") if not enabled and why else ""
                entries[f"{binding.id}:{key}"] = HelpEntry(
                    self.get_key_display(binding),
                    binding.description or binding.action,
                    binding.id,
                    enabled,
                    reason,
                )
        entries["palette"] = HelpEntry("ctrl+p", "Command palette (every action)", "", True)

        def rank(entry: HelpEntry) -> int:
            if entry.binding_id.startswith("app.") or not entry.binding_id:
                return 2
            return 1 if entry.binding_id.startswith(("table.", "search.")) else 0

        return sorted(entries.values(), key=rank)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen | LockScreen):
            return
        notes = [
            *getattr(self.screen, "HELP_NOTES", ()),
            "Remap keys in the config file's [keymap] (coordtui config path).",
        ]
        self.push_screen(
            HelpScreen(
                getattr(
                    self.screen, "HELP_TITLE", self.screen.__class__.__name__.removesuffix("Screen")
                ),
                self.help_entries(self.screen),
                notes,
            )
        )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action bound on the current screen, plus themes."""
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or binding.action in seen or not binding.description:
                continue
            if not binding.id:
                continue  # a text box's editing keys and Textual's own are not commands
            seen.add(binding.action)
            namespace = active.node

            def run(action=binding.action, node=namespace) -> None:
                self.call_later(self.run_action, action, node)

            yield SystemCommand(binding.description, f"key: {self.get_key_display(binding)}", run)
        for label, name in THEME_NAMES.items():
            yield SystemCommand(
                f"Theme: {label}", "switch colour theme", lambda n=name: setattr(self, "theme", n)
            )
        yield from super().get_system_commands(screen)
