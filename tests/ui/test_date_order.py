"""Issue 10, reproduction 12: a US clinic reads 03/08/1974 as 8 March unless the config
says otherwise, and the patient form takes every date form Lookup takes.

Real keys on the real form, the stored row read back.
"""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from coordtui.service import Service
from tests.builders import StoreBuilder
from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text


@pytest.fixture
def ada(builder) -> str:  # the builder's clinic has phone region US
    return builder.patient("Ada", "Lovelace", record_number="MRN1", dob=date(1980, 3, 14))


async def _edit_dob(db_path, typed: str, **config) -> str:
    """Find Ada in Lookup, edit her date of birth to ``typed``, save; the stored DOB."""
    app = make_app(db_path, **config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await pilot.press(*"MRN1")
        await wait_for(pilot, lambda: "LOVELACE" in screen_text(app).upper())
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        app.screen.query_one("#f-dob").value = ""
        app.screen.query_one("#f-dob").focus()
        await pilot.press(*typed)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
    app.service.close()
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT dob FROM patient WHERE record_number = 'MRN1'").fetchone()[0]


async def test_a_us_clinic_reads_month_first(db_path, ada):
    assert await _edit_dob(db_path, "03/08/1974") == "1974-03-08"


async def test_the_configured_order_wins(db_path, ada):
    assert await _edit_dob(db_path, "03/08/1974", date_order="DMY") == "1974-08-03"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("14.3.80", "1980-03-14"), ("3-14-1980", "1980-03-14"), ("1980/3/14", "1980-03-14")],
)
async def test_the_form_takes_what_lookup_takes(db_path, ada, typed, stored):
    assert await _edit_dob(db_path, typed) == stored


def test_the_service_default_follows_the_store_clinics_region(tmp_path):
    for region, order in (("US", "MDY"), ("GB", "DMY"), ("JP", "YMD")):
        path = tmp_path / f"{region}.db"
        StoreBuilder(path).close()
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE clinic SET phone_region = ?", (region,))
        service = Service(path, actor="t")
        assert service.date_order == order
        service.date_order = "DMY"
        assert service.date_order == "DMY"
        service.close()
