"""The README's key tables tell the truth: every key they list is bound on that screen.

Each `| key | action |` table of README.md belongs to a screen (by its section, and
its order within the section).  The app is opened on each screen for real and
the keys bound there (the screen's, its widgets', the app's) are compared with
the table's first column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app
from tests.ui.snapshot_clinic import NOW, build

README = Path(__file__).resolve().parents[2] / "README.md"

# (section title, table number in the section) -> how to reach the screen, its class name
SCREENS = {
    ("Using the queue", 0): ((), "QueueScreen"),
    ("Coverage at check-in", 0): (("down", "down", "down", "a"), "ArrivalScreen"),
    ("Finding and registering patients", 0): (("f3",), "LookupScreen"),
    ("Booking", 0): (("f4",), "BookScreen"),
    ("Booking", 1): (("f4", "L"), "WaitlistScreen"),
    ("Calls and callbacks", 0): (("f5",), "CallsScreen"),
    ("Sync screen (F6) and the header badge", 0): (("f6",), "SyncScreen"),
}
NAMES = {
    "enter": "enter",
    "esc": "escape",
    "down": "down",
    "up": "up",
    "pgdn": "pagedown",
    "pgup": "pageup",
    "tab": "tab",
    "?": "question_mark",
    "[": "left_square_bracket",
    "]": "right_square_bracket",
    "/": "slash",
}


def key_name(token: str) -> str:
    """README spelling -> Textual key name: `Ctrl+P` -> ctrl+p, `F1` -> f1, `[` -> ..."""
    if len(token) == 1 and token.isalnum():
        return token  # letters keep their case (A is shift+a), digits as they are
    lowered = token.lower()
    if lowered in NAMES:
        return NAMES[lowered]
    return lowered  # f1, ctrl+p, ctrl+s


def readme_tables() -> dict[tuple[str, int], list[str]]:
    """(section, n) -> the keys in the first column of the n-th key table of that section."""
    tables: dict[tuple[str, int], list[str]] = {}
    section, count, in_table = "", 0, False
    for line in README.read_text().splitlines():
        heading = re.match(r"#{2,3} (.+)", line)
        if heading:
            section, count, in_table = heading.group(1).strip(), 0, False
            continue
        if re.match(r"\|\s*key\s*\|\s*action\s*\|", line):
            in_table = True
            tables[(section, count)] = []
            count += 1
            continue
        if in_table and line.startswith("|"):
            first = line.split("|")[1]
            if set(first.strip()) <= {"-"}:
                continue
            tables[(section, count - 1)] += [key_name(t) for t in re.findall(r"`([^`]+)`", first)]
        elif in_table:
            in_table = False
    return tables


def test_every_key_table_of_the_readme_is_checked():
    assert set(readme_tables()) == set(SCREENS), "a key table without a screen, or gone"


def _bound_keys(app) -> set[str]:
    screen = app.screen
    keys = set(screen.active_bindings)
    for node in (app, screen, *screen.query("*")):
        keys |= set(node._bindings.key_to_bindings)
    return keys | {"ctrl+p"}  # the command palette


@pytest.mark.parametrize("where", list(SCREENS), ids=[f"{s}#{n}" for s, n in SCREENS])
async def test_readme_keys_are_bound(tmp_path, where):
    path = tmp_path / "clinic.db"
    build(path)
    keys_to_reach, screen_name = SCREENS[where]
    app = make_app(path, clock=lambda: NOW, coverage_check_days=30)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press(*keys_to_reach)
        await wait_for(pilot, lambda: type(app.screen).__name__ == screen_name)
        bound = _bound_keys(app)
        listed = readme_tables()[where]
        missing = [k for k in listed if k not in bound]
        assert listed and not missing, f"README lists {missing} for {screen_name}; not bound"
    app.service.close()
