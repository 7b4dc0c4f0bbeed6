"""Contract 4 (80x24 first): a snapshot of every screen and every dialog, and what must show.

Each case opens a screen or dialog of the frozen clinic (tests/ui/snapshot_clinic.py)
with real keys, checks that its key information is on screen in full (names,
times, record numbers, counts, the key to leave), then compares the picture
with the stored SVG (update with `uv run pytest tests/ui/test_snapshots.py
--snapshot-update`, then look at the pictures: `uv run python -m tests.ui.snapshot_png`).
The queue, Lookup and Book are also taken at 160x48 and in monochrome.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text
from tests.ui.snapshot_clinic import NOW, build

Steps = Callable[[object], Awaitable[None]]


def _on(name: str) -> Callable:
    return lambda app: type(app.screen).__name__ == name


def go(*keys: str, until: str | None = None, ready: Callable | None = None) -> Steps:
    """Press ``keys``; wait for the screen ``until`` (and ``ready(app)``)."""

    async def steps(pilot) -> None:
        await pilot.press(*keys)
        if until:
            await wait_for(pilot, lambda: _on(until)(pilot.app))
        if ready:
            await wait_for(pilot, lambda: ready(pilot.app))
        await pilot.pause(0.1)

    return steps


def then(*parts: Steps) -> Steps:
    async def steps(pilot) -> None:
        for part in parts:
            await part(pilot)

    return steps


def _rows(attr: str) -> Callable:
    return lambda app: bool(getattr(app.screen, attr, None))


@dataclass(frozen=True)
class Case:
    name: str
    steps: Steps
    shows: tuple[str, ...]  # each must be on screen, whole
    sizes: tuple[tuple[int, int], ...] = ((80, 24),)
    monochrome: bool = False
    leave: str = "Esc"  # the key to leave, as the screen shows it
    extra: dict = field(default_factory=dict)


QUEUE_SHOWS = (
    "Lovelace, Ada", "10:00", "Smith-Jones, Jean-Luc", "≥20m", "MRN1004",
    "13:10-13:25 Dr Lin", "f1 Help",
)  # fmt: skip
to_lookup = go("f3", *"lov", until="LookupScreen", ready=lambda app: _search_done(app, "lov"))
on_booked = go("down", "down", "down")  # from van der Berg (in room) to Иванов (booked)


def _search_done(app, text: str) -> bool:
    search = app.screen.query("PatientSearch")
    return bool(search) and search.first().query_text == text and bool(search.first().hits)


to_card = go("f3", *"MRN1000", until="LookupScreen", ready=lambda app: _search_done(app, "MRN1000"))
to_card = then(to_card, go("enter", until="PatientScreen"))
to_book = go("f4", until="BookScreen", ready=_rows("slots"))


async def _choose_provider(pilot) -> None:
    """Book's provider list set to the first provider (a series needs one)."""
    from textual.widgets import Select

    book = pilot.app.screen
    book.query_one("#provider", Select).value = book.service.providers()[1].id
    await wait_for(pilot, lambda: book.provider_id is not None)


to_calls = go("f5", until="CallsScreen", ready=_rows("calls"))
to_sync = go("f6", until="SyncScreen", ready=_rows("conflicts"))

CASES = [
    # --------------------------------------------------------------- screens
    Case("queue", go(), (*QUEUE_SHOWS, "←1 left", "⊘1 canc."), monochrome=True, leave=""),
    Case(
        "queue",
        go(),
        (*QUEUE_SHOWS, "← Left 1", "⊘ Cancelled 1", "Follow-up [review]"),
        sizes=((160, 48),),
        leave="",
    ),
    Case("help", go("f1", until="HelpScreen"), ("Help: Queue", "Arrive", "queue.check_in")),
    Case(
        "lookup",
        to_lookup,
        ("Lovelace, Ada", "MRN1000", "MRN2000", "1950-01-10 (76y)", "(617) 555-1000", "Next appt"),
        sizes=((80, 24), (160, 48)),
        monochrome=True,
        leave="",
    ),
    Case("patient_card", to_card, ("LOVELACE, Ada", "MRN1000", "(617) 555-1000", "esc Back")),
    Case(
        "patient_form",
        then(to_card, go("e", until="PatientFormScreen")),
        ("Edit patient", "Family name", "Esc cancel"),
    ),
    Case(
        "book",
        to_book,
        ("Next free slots", "Fri 27 Nov 2026 14:15", "Dr Lin", "f1 Help"),
        sizes=((80, 24), (160, 48)),
        monochrome=True,
        leave="",
    ),
    Case(
        "book_grid",
        then(to_book, go("g", ready=lambda app: app.screen.grid is not None)),
        ("on Fri 27 Nov 2026", "Al-Sayed, Fatima", "· free", "f1 Help"),
        leave="",
    ),
    Case(
        "calls",
        to_calls,
        ("Hopper, Grace", "(617) 555-1008", "[bold]refill[/]", "Turing, Alan", "f1 Help"),
        leave="",
    ),
    Case(
        "reminders",
        then(to_calls, go("R", until="RemindersScreen", ready=_rows("rows"))),
        ("Turing, Alan", "(617) 555-1009", "0 of 3 called", "esc Back"),
    ),
    Case(
        "recalls",
        then(to_calls, go("L", until="RecallsScreen", ready=_rows("rows"))),
        ("Lovelace, Ada", "3d overdue", "BP check", "esc Back"),
    ),
    Case(
        "day_summary",
        go("S", until="DaySummaryScreen", ready=lambda app: app.screen.summary is not None),
        ("Dr Okafor", "Dr Lin", "All providers", "esc Back"),
    ),
    Case(
        "sync",
        to_sync,
        ("local only", "!1 need a decision", "Turing, Alan", "already booked", "f1 Help"),
        leave="",
    ),
    Case(
        "schedule",
        then(to_book, go("g", "h", until="ScheduleScreen")),
        ("Hours and leave: Dr Lin", "Monday", "Esc back"),
    ),
    Case(
        "waitlist",
        then(to_book, go("L", until="WaitlistScreen", ready=_rows("rows"))),
        ("Mensah, Kofi", "!1 urgent", "Turing, Alan", "esc Back"),
    ),
    Case("lock", go("ctrl+l", until="LockScreen"), ("coordtui is locked", "Enter"), leave=""),
    # --------------------------------------------------------------- dialogs
    Case(
        "walk_in",
        go("w", *"turing", until="WalkInScreen", ready=lambda app: app.screen.results),
        ("Add a walk-in", "Turing, Alan", "Esc back"),
    ),
    Case(
        "walk_in_chosen",
        go("w", *"turing", "enter", until="WalkInScreen", ready=lambda app: app.screen.chosen),
        ("✓ Turing, Alan  1995-10-10 (31y)  MRN1009  (617) 555-1009", "Esc back"),
    ),
    Case(
        "log_call",
        then(on_booked, go("c", until="LogCallScreen")),
        ("Log a call: Иванов, Dmitri", "inbound (they called)", "Their name", "Esc back"),
    ),
    Case(
        "log_call_refused",
        then(on_booked, go("c", "2", "ctrl+s", until="LogCallScreen")),
        ("Say what the callback is about.", "Esc back"),
    ),
    Case(
        "cancel",
        then(on_booked, go("x", until="ReasonScreen")),
        (
            "Cancel this appointment",
            "Иванов, Dmitri · Fri 27 Nov 14:15-14:30 · Dr Okafor",
            "Esc = keep it",
        ),  # fmt: skip
    ),
    Case(
        "hand_off",
        then(on_booked, go("o", until="ReasonScreen")),
        ("Hand-off note", "Иванов, Dmitri · Fri 27 Nov 14:15", "Esc = back"),
    ),
    Case(
        "confirm_left",
        go("down", "l", until="ConfirmScreen"),  # Smith-Jones, arrived 35 minutes ago
        ("Mark left?", "Smith-Jones, Jean-Luc · Fri 27 Nov 13:25-13:40 · Dr Okafor", "n / Esc"),
    ),
    Case(
        "arrival",
        then(on_booked, go("a", until="ArrivalScreen")),
        ("Check in: Иванов, Dmitri", "Acme Health PPO", "ACM123456789", "25.00", "Esc back"),
        extra={"coverage_check_days": 30},
    ),
    Case(
        "recall_form",
        then(on_booked, go("F", until="RecallFormScreen")),
        ("Recall (follow-up due) for Иванов, Dmitri", "Esc back"),
    ),
    Case(
        "pick_patient",
        then(
            to_card,
            go("m", *"lov", until="PickPatientScreen", ready=lambda a: _search_done(a, "lov")),
        ),
        ("Merge which duplicate INTO", "MRN2000", "Esc"),
        leave="",
    ),
    Case(
        "merge_confirm",
        then(
            to_card,
            go(
                "m",
                *"MRN2000",
                until="PickPatientScreen",
                ready=lambda a: _search_done(a, "MRN2000"),
            ),  # fmt: skip
            go("enter", until="ConfirmScreen"),
        ),
        ("merged away  MRN2000", "survives     MRN1000", "n / Esc"),
    ),
    Case(
        "duplicates",
        then(
            to_lookup,
            go("ctrl+n", until="PatientFormScreen"),
            go("tab", *"Ada", "tab", "tab", *"1950-01-10", "ctrl+s", until="DuplicatesScreen"),
        ),
        ("MRN1000", "MRN2000", "same DOB", "Esc = back to the form"),
    ),
    Case(
        "waitlist_form",
        then(
            to_book,
            go(
                "P", *"turing", until="PickPatientScreen", ready=lambda a: _search_done(a, "turing")
            ),  # fmt: skip
            go("enter", "W", until="WaitlistForm"),
        ),
        ("Add to the waitlist", "Turing, Alan MRN1009", "Esc back"),
    ),
    Case(
        "series_form",
        then(
            to_book,
            go(
                "P", *"turing", until="PickPatientScreen", ready=lambda a: _search_done(a, "turing")
            ),
            go("enter"),
            go(ready=lambda app: app.screen.patient is not None),
            _choose_provider,
            go("S", until="SeriesForm"),
        ),
        ("Recurring series", "Turing, Alan MRN1009", "Dr Okafor", "Esc back"),
    ),
    Case(
        "exception_form",
        then(to_book, go("g", "h", until="ScheduleScreen"), go("ctrl+n", until="ExceptionForm")),
        ("Leave, holiday or extra session for Dr Lin", "Extra session", "Esc back"),
    ),
    Case(
        "rebook",
        then(to_sync, go("r", until="ChooseSlotScreen")),
        ("Rebook Turing, Alan", "1  Fri 27 Nov 16:15", "Esc = back"),
    ),
    Case(
        "reassign",
        then(to_calls, go("A", until="ReasonScreen")),
        ("Reassign this callback", "Hopper, Grace · due Fri 27 Nov 13:30", "Esc = back"),
    ),
    Case(
        "amend",
        then(to_calls, go("tab", "m", until="ReasonScreen")),
        ("Amend the note", "D'Angelo, Maya · Fri 27 Nov 14:00", "Esc = back"),
    ),
]


def _params():
    for case in CASES:
        for size in case.sizes:
            yield pytest.param(case, size, False, id=f"{case.name}-{size[0]}x{size[1]}")
        if case.monochrome:
            yield pytest.param(case, (80, 24), True, id=f"{case.name}-80x24-mono")


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    build(path)
    return path


@pytest.mark.parametrize(("case", "size", "mono"), list(_params()))
def test_snapshot(snap_compare, clinic, case: Case, size, mono):
    config = {"theme": "monochrome"} if mono else {}
    config.update(case.extra)
    app = make_app(clinic, clock=lambda: NOW, user="desk1", **config)

    async def run_before(pilot) -> None:
        await case.steps(pilot)

        def settled() -> bool:
            text = screen_text(pilot.app)
            return all(w in text for w in case.shows) and case.leave.lower() in text.lower()

        # Workers and the footer settle after the keys; the assertions below say what is missing.
        with contextlib.suppress(AssertionError):
            await wait_for(pilot, settled)
        text = screen_text(pilot.app)
        lines = text.splitlines()
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        missing = [want for want in case.shows if want not in text]
        assert not missing, f"not on screen in full: {missing}\n{text}"
        if case.leave:
            assert case.leave.lower() in text.lower(), f"the key to leave is not shown\n{text}"

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# The screen each case shows: a new screen or dialog fails the test below until it has one.
COVERED = {
    "ArrivalScreen", "BookScreen", "CallsScreen", "ChooseSlotScreen", "ConfirmScreen",
    "DaySummaryScreen", "DuplicatesScreen", "ExceptionForm", "HelpScreen", "LockScreen",
    "LogCallScreen", "LookupScreen", "PatientFormScreen", "PatientScreen", "PickPatientScreen",
    "QueueScreen", "ReasonScreen", "RecallFormScreen", "RecallsScreen", "RemindersScreen",
    "ScheduleScreen", "SeriesForm", "SyncScreen", "WaitlistForm", "WaitlistScreen",
    "WalkInScreen",
}  # fmt: skip


def test_every_screen_and_dialog_has_a_snapshot():
    import importlib
    import pkgutil

    from textual.screen import Screen

    import coordtui.screens as package

    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"coordtui.screens.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Screen)
                and value.__module__ == module.__name__
                and not value.__name__.startswith("_")
                and value.__name__ != "SavingDialog"
            ):
                found.add(value.__name__)
    assert found == COVERED, f"without a snapshot case: {sorted(found - COVERED)}"
