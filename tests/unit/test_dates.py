"""Issue 10, reproduction 12: one date reader for Lookup and the forms, and a default
order that follows the clinic's region (a US receptionist's 03/08/1974 is 8 March)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.dates import DATE_ORDERS, default_date_order, read_date
from coordtui.domain.patient import read_typed_date
from coordtui.domain.query import parse_date, parse_query

TODAY = date(2026, 11, 27)
todays = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
orders = st.sampled_from(DATE_ORDERS)


def typed_forms(d: date, order: str, two_digit_year: bool) -> list[str]:
    """Ways a person types ``d`` that Lookup reads, in the clinic's ``order``."""
    year = f"{d.year % 100:02d}" if two_digit_year else str(d.year)
    forms = [] if two_digit_year else [d.isoformat(), f"{d.year}/{d.month}/{d.day}"]
    for sep in "/.-":
        for day, month in ((f"{d.day:02d}", f"{d.month:02d}"), (str(d.day), str(d.month))):
            parts = {"DMY": (day, month, year), "MDY": (month, day, year)}.get(
                order, (year, month, day)
            )
            forms.append(sep.join(parts))
    return forms


@given(d=st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)), order=orders)
def test_every_four_digit_form_reads_back(d, order):
    for text in typed_forms(d, order, two_digit_year=False):
        assert read_date(text, order, TODAY) == d, text
        assert read_typed_date(f"  {text} ", order, TODAY) == d.isoformat(), text


@given(today=todays, age_days=st.integers(0, 99 * 365), order=orders)
def test_a_two_digit_year_of_birth_is_the_latest_one_not_in_the_future(today, age_days, order):
    dob = today - timedelta(days=age_days)
    for text in typed_forms(dob, order, two_digit_year=True):
        assert read_date(text, order, today, past=True) == dob, text


@given(today=todays, ahead=st.integers(-40 * 365, 40 * 365), order=orders)
def test_a_two_digit_year_ahead_is_the_nearest_one(today, ahead, order):
    due = today + timedelta(days=ahead)
    for text in typed_forms(due, order, two_digit_year=True):
        assert read_date(text, order, today, past=False) == due, text


@given(text=st.text(max_size=40), order=st.sampled_from([*DATE_ORDERS, "bogus"]), today=todays)
def test_forms_read_every_date_lookup_reads_and_the_same_way(text, order, today):
    looked_up = parse_date(text, order, today)
    assert read_date(text, order, today) == looked_up
    typed = read_typed_date(text, order, today)
    assert typed == (looked_up.isoformat() if looked_up else text.strip())
    if looked_up:
        assert parse_query(text, order, today).dob == looked_up


@given(
    d=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    order=orders,
    sep=st.sampled_from("/.-"),
    two=st.booleans(),
)
def test_dates_lookup_finds_in_a_query_a_form_accepts(d, order, sep, two):
    text = typed_forms(d, order, two)[0].replace("/", sep)
    found = parse_query(f"smith {text}", order, TODAY).dob
    assert found is not None
    assert read_typed_date(text, order, TODAY) == found.isoformat()


@pytest.mark.parametrize(
    ("text", "order", "iso"),
    [
        ("03/08/1974", "MDY", "1974-03-08"),  # the US receptionist's 8 March
        ("03/08/1974", "DMY", "1974-08-03"),
        ("14.3.80", "DMY", "1980-03-14"),  # Lookup read it; the form used to refuse it
        ("3.14.80", "MDY", "1980-03-14"),
        ("80/3/14", "YMD", "1980-03-14"),
        ("14/03/1980", "MDY", "1980-03-14"),  # only one reading is a date
        ("27/11/1980", "YMD", "1980-11-27"),  # cannot be year first: day first
        ("1.2.27", "DMY", "1927-02-01"),  # a date of birth is never in the future
        ("31/02/1980", "DMY", "31/02/1980"),  # left as typed for the validator
        ("soon", "MDY", "soon"),
    ],
)
def test_typed_dates(text, order, iso):
    assert read_typed_date(text, order, TODAY) == iso


def test_a_due_date_with_a_two_digit_year_lies_ahead():
    assert read_typed_date("1.2.27", "DMY", TODAY, past=False) == "2027-02-01"


@pytest.mark.parametrize(
    ("region", "order"),
    [
        ("US", "MDY"),
        ("us", "MDY"),
        ("PR", "MDY"),
        ("PH", "MDY"),
        ("FM", "MDY"),
        ("JP", "YMD"),
        ("CN", "YMD"),
        ("KR", "YMD"),
        ("HU", "YMD"),
        ("GB", "DMY"),
        ("FR", "DMY"),
        ("IN", "DMY"),
        ("BR", "DMY"),
        ("", "DMY"),
        ("ZZ", "DMY"),
    ],
)
def test_the_default_order_follows_the_clinics_region(region, order):
    assert default_date_order(region) == order
