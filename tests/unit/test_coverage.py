"""Coverage at check-in, the pure rules: when a check is due, copay amounts and methods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.coverage import (
    MAX_COPAY_CENTS,
    METHODS,
    copay_errors,
    coverage_due,
    coverage_note,
    format_money,
    verified_when,
)
from coordtui.domain.patient import read_money_cents

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 3, 2)


def _at(day: date, hour: int, zone=NY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("on_file", "days_ago", "days", "due"),
    [
        (False, None, 30, True),  # nothing on file
        (True, None, 30, True),  # never verified
        (True, 0, 30, False),  # today
        (True, 29, 30, False),
        (True, 30, 30, True),  # the 30th day after: due again
        (True, 0, 1, False),  # "every day": fresh only on the day
        (True, 1, 1, True),
        (False, None, 0, False),  # the check is off: nothing is ever due
        (True, 400, 0, False),
    ],
)
def test_when_a_check_is_due(on_file, days_ago, days, due):
    verified = None if days_ago is None else _at(TODAY - timedelta(days=days_ago), 9)
    assert coverage_due(on_file, verified, TODAY, NY, days) is due
    assert bool(coverage_note(on_file, verified, TODAY, NY, days)) is due


def test_days_are_the_clinic_s_days_not_utc_ones():
    late = _at(TODAY - timedelta(days=1), 21)  # 21:00 in New York is already "today" in UTC
    assert late.date() == TODAY
    assert verified_when(late, TODAY, NY).endswith("(1d ago)")
    assert coverage_due(True, late, TODAY, NY, 1)
    assert verified_when(_at(TODAY, 23), TODAY, NY) == "today"
    assert verified_when(None, TODAY, NY) == "never"


def test_the_detail_line_words():
    assert coverage_note(False, None, TODAY, NY, 30) == "$ no coverage on file"
    assert coverage_note(True, None, TODAY, NY, 30) == "$ coverage never verified"
    old = _at(TODAY - timedelta(days=40), 10)
    assert coverage_note(True, old, TODAY, NY, 30) == "$ coverage verified 40d ago"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("20", 2000), ("20.5", 2050), ("$20.50", 2050), ("1,200.00", 120000), ("", 0), ("0", 0)],
)
def test_amounts_as_typed(typed, cents):
    assert read_money_cents(typed) == cents


@pytest.mark.parametrize("typed", ["12.3x", "-5", "20.505", "abc", "1e3", "20..5"])
def test_what_is_not_an_amount_comes_back_as_typed(typed):
    assert read_money_cents(typed) == typed


@given(st.integers(0, MAX_COPAY_CENTS))
def test_money_round_trips_through_what_the_dialog_shows(cents):
    assert read_money_cents(format_money(cents)) == cents


@pytest.mark.parametrize(
    ("amount", "method", "fields"),
    [
        (2000, "cash", set()),
        (MAX_COPAY_CENTS, "other", set()),
        (0, "cash", {"amount_cents"}),
        (-1, "cash", {"amount_cents"}),
        (MAX_COPAY_CENTS + 1, "card", {"amount_cents"}),
        ("2000", "cash", {"amount_cents"}),
        (20.0, "cash", {"amount_cents"}),
        (True, "cash", {"amount_cents"}),
        (2000, "Cash", {"method"}),
        (2000, None, {"method"}),
        (None, "", {"amount_cents", "method"}),
    ],
)
def test_copay_fields(amount, method, fields):
    assert set(copay_errors(amount, method)) == fields


def test_every_method_has_a_label():
    assert set(METHODS) == {"cash", "card", "cheque", "mobile", "other"}
    assert all(METHODS.values())
