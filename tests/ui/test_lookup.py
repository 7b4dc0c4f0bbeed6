"""Lookup with real keys: name, DOB, phone fragment and S1234 each bring the right patient first."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_segment_texts, screen_text

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def directory(builder, db_path):
    builder.provider("Dr Okafor")
    ids = {
        "target": builder.patient(
            "Siobhán",
            "O'Brien-García",
            record_number="MRN4711",
            dob=date(1980, 3, 14),
            phone="+16172539876",
        ),
        "other": builder.patient(
            "Sean", "O'Brien", record_number="MRN4712", dob=date(1975, 6, 1), phone="+16172531111"
        ),
        "smith": builder.patient(
            "John", "Smith", record_number="MRN0001", dob=date(1990, 1, 2), phone="+14155550123"
        ),
        "hostile": builder.patient(
            "[bold]Eve\x1b[2J", "Mallory[/]", record_number="MRN6666", dob=date(1966, 6, 6)
        ),
    }
    return ids


def _first(app):
    search = app.screen.query_one("PatientSearch")
    return search.hits[0].patient_id if search.hits else None


async def _type(pilot, app, text):
    search = app.screen.query_one("PatientSearch")
    search.query_one("#query").value = ""
    await pilot.press(*text)
    await wait_for(pilot, lambda: search.query_text == text and search.hits)


@pytest.mark.parametrize(
    "query",
    [
        "o'brien-garcia sio",
        "garcia, siob",
        "14/03/1980",
        "1980-03-14",
        "9876",
        "617 253 9876",
        "O9876",
        "O4711",
        "MRN4711",
    ],
)
async def test_each_query_form_brings_the_patient_first(db_path, directory, query):
    app = make_app(db_path, date_order="DMY")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await _type(pilot, app, query)
        assert _first(app) == directory["target"], query
    app.service.close()


async def test_enter_opens_the_first_result(db_path, directory):
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await _type(pilot, app, "smith")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        assert "SMITH, John" in screen_text(app)
    app.service.close()


async def test_slash_types_into_the_search_box_once_there(db_path, directory):
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await pilot.press("1", "4", "slash")
        assert app.screen.query_one("PatientSearch").query_text == "14/"
    app.service.close()


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE patient; --", "%_%", '"NEAR(', "[bold]", "\x1b[2J", "*", "mallory[/]"]
)
async def test_hostile_queries_and_names_never_break_the_screen(db_path, directory, query):
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        search = app.screen.query_one("PatientSearch")
        search.query_one("#query").value = query
        await wait_for(pilot, lambda: "No match" in screen_text(app) or search.hits)
        for segment in screen_segment_texts(app):
            assert not FORBIDDEN.search(segment), repr(segment)
        if search.hits and search.hits[0].patient_id == directory["hostile"]:
            assert "Mallory[/], [bold]Eve␛[2J" in screen_text(app)
    app.service.close()


# ------------------------------------------------- issue 10, reproduction 9


async def _lookup(pilot, app):
    await pilot.press("f3")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
    return app.screen.query_one("PatientSearch")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_merged_records_number_opens_the_surviving_record(db_path, directory, size):
    """Sean O'Brien (MRN4712) was a duplicate, merged into Siobhán's record (MRN4711)."""
    app = make_app(db_path)
    app.service.merge_patients(directory["target"], directory["other"])
    async with app.run_test(size=size) as pilot:
        search = await _lookup(pilot, app)
        await pilot.press(*"MRN4712")
        await wait_for(pilot, lambda: search.query_text == "MRN4712" and search.hits)
        assert [h.patient_id for h in search.hits] == [directory["target"]]
        await wait_for(pilot, lambda: "MRN4712 was merged into MRN4711" in screen_text(app))
        assert "O'Brien-García, Siobhán" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        assert app.screen.patient_id == directory["target"]
    app.service.close()


@pytest.mark.parametrize("query", ["zzz", "qqqq", "xkcd"])
async def test_noise_says_no_match(db_path, directory, builder, query):
    for given, family in (("Zoë", "Sue"), ("Xue", "Seo"), ("Kay", "Cook"), ("Sky", "Sikes")):
        builder.patient(given, family)  # each shares a metaphone code with some noise
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        search = await _lookup(pilot, app)
        await pilot.press(*query)
        await wait_for(pilot, lambda: search.query_text == query and "No match" in screen_text(app))
        assert search.hits == []
    app.service.close()


async def test_a_latin_spelling_finds_a_cyrillic_name(db_path, directory, builder):
    pid = builder.patient("Тарас", "Шевченко", record_number="MRN1814", dob=date(1961, 3, 9))
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        search = await _lookup(pilot, app)
        await _type(pilot, app, "shevchenko taras")
        assert [h.patient_id for h in search.hits] == [pid]
        assert "transliterated" in search.hits[0].matched
        await wait_for(pilot, lambda: "Шевченко, Тарас" in screen_text(app))
    app.service.close()
