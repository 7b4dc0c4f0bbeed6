"""Queue keys beyond status: walk-in, days, filters, privacy, help, palette, lock, keymap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table


@pytest.fixture
def clinic(builder, db_path):
    okafor, lin = builder.provider("Dr Okafor"), builder.provider("Dr Lin")
    ada = builder.patient("Ada", "Lovelace", record_number="MRN1")
    alan = builder.patient("Alan", "Turing", record_number="MRN2")
    jose = builder.patient("José", "García", record_number="MRN3")
    builder.appointment(ada, okafor, start=builder.now + timedelta(minutes=10))
    builder.appointment(alan, lin, start=builder.now + timedelta(minutes=20))
    builder.appointment(jose, lin, start=builder.now + timedelta(days=1))
    return {"okafor": okafor, "lin": lin, "ada": ada, "alan": alan, "jose": jose}


async def test_walk_in_in_one_form(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing chosen yet
        await pilot.pause()
        text = screen_text(app)
        assert "Choose a patient" in text and "Choose a provider" in text
        await pilot.press(*"gar")
        await wait_for(pilot, lambda: "García, José" in screen_text(app))
        await pilot.press("enter")  # first match
        await pilot.pause()
        await pilot.press("enter", "down", "enter")  # open the provider list, pick one
        await pilot.pause()
        await pilot.press(*"fever", "ctrl+r", "ctrl+s")  # the reason has the focus now
        await wait_for(
            pilot, lambda: any(r.kind == "walk_in" for r in table(app).rows_by_id.values())
        )
        walk = next(r for r in table(app).rows_by_id.values() if r.kind == "walk_in")
        assert (walk.patient_id, walk.status, walk.priority, walk.reason) == (
            clinic["jose"],
            "arrived",
            "urgent",
            "fever",
        )
    app.service.close()


async def test_walk_in_escape_keeps_nothing(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w", *"ada", "escape")
        await pilot.pause(0.2)
        assert app.service.pending_count() == 0
    app.service.close()


async def test_day_navigation(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Lovelace" in screen_text(app) and "García" not in screen_text(app)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "García" in screen_text(app))
        assert "Lovelace" not in screen_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: "No appointments on this day" in screen_text(app))
        await pilot.press("t")
        await wait_for(pilot, lambda: "Lovelace" in screen_text(app))
        assert "(today)" in screen_text(app)
    app.service.close()


async def test_provider_and_text_filters(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        visible = {r.provider for r in table(app).rows_by_id.values()}
        assert len(visible) == 1 and "provider:" in screen_text(app)
        await pilot.press("p", "p")  # back to all
        await pilot.pause()
        assert len(table(app).rows_by_id) == 2
        await pilot.press("f", *"tur")
        await pilot.pause()
        assert [r.family_name for r in table(app).rows_by_id.values()] == ["Turing"]
        await pilot.press("enter", "a")  # back on the table, keys act on the filtered row
        await wait_for(
            pilot, lambda: table(app).rows_by_id[table(app).selected.id].status == "arrived"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert len(table(app).rows_by_id) == 2
    app.service.close()


async def test_privacy_masks_names(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "Lovelace" not in text and "A.L." in text and "[privacy]" in text
        await pilot.press("v")
        await pilot.pause()
        assert "Lovelace" in screen_text(app)
    app.service.close()


async def test_help_lists_every_binding_with_its_id(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        listed = {entry.binding_id for entry in app.screen.entries}
        assert "queue.check_in" in text  # the table shows ids on screen, top first
        for binding_id in (
            "queue.check_in",
            "queue.in_room",
            "queue.done",
            "queue.no_show",
            "queue.cancel",
            "queue.undo",
            "queue.walk_in",
            "queue.prev_day",
            "queue.next_day",
            "queue.today",
            "queue.provider",
            "queue.filter",
            "queue.privacy",
            "app.lock",
            "app.quit",
        ):
            assert binding_id in listed, binding_id
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Help: Queue" in screen_text(app)
    app.service.close()


async def test_palette_runs_a_queue_action(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"arrive")
        await wait_for(pilot, lambda: "Arrive" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: table(app).selected.status == "arrived")
    app.service.close()


async def test_lock_hides_everything_until_enter(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        text = screen_text(app)
        assert "locked" in text and "Lovelace" not in text
        await pilot.press("a")  # keys do nothing while locked
        await pilot.pause(0.2)
        assert app.service.pending_count() == 0
        await pilot.press("enter")
        await pilot.pause()
        assert "Lovelace" in screen_text(app)
    app.service.close()


async def test_idle_lock(db_path, clinic):
    app = make_app(db_path, idle_lock_minutes=1)
    async with app.run_test(size=(80, 24)) as pilot:
        app._last_input -= 61
        app._check_idle()
        await pilot.pause()
        assert "locked" in screen_text(app) and "Lovelace" not in screen_text(app)
    app.service.close()


async def test_keymap_from_config_remaps_a_key(db_path, clinic):
    app = make_app(db_path, keymap={"queue.check_in": "k"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause(0.2)
        assert table(app).selected.status == "booked"
        await pilot.press("k")
        await wait_for(pilot, lambda: table(app).selected.status == "arrived")
        await wait_for(pilot, lambda: "kArrive" in screen_text(app).replace(" ", ""))
    app.service.close()


async def test_no_color_uses_monochrome(db_path, clinic, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "coordtui-monochrome" and not app.colour
    app.service.close()


async def test_live_waits_update_without_moving_the_cursor(builder, db_path):
    from datetime import UTC, datetime

    dr = builder.provider("Dr Okafor")
    for i in range(5):
        pat = builder.patient(f"P{i}", "Wait")
        builder.appointment(
            pat,
            dr,
            start=builder.now + timedelta(minutes=i),
            status="arrived",
            arrived_at=builder.now,
            status_since=builder.now,
        )
    clock = {"now": datetime.now(UTC)}
    app = make_app(db_path, clock=lambda: clock["now"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down")
        before = table(app).cursor_row
        assert "!" not in table(app).cells_at(before)[-1].plain
        clock["now"] += timedelta(minutes=25)
        app.screen._tick()
        await pilot.pause()
        assert table(app).cursor_row == before
        assert table(app).cells_at(before)[-1].plain.startswith("!25m")
        assert "waiting ≥20m" in screen_text(app)
    app.service.close()
