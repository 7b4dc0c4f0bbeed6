"""Pure call rules: validation, the note cap, callback states and the day summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordtui.domain.calls import (
    NOTE_MAX,
    ApptFact,
    CallbackFact,
    CallFact,
    callback_state,
    cap_note,
    day_summary,
    validate_call,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _form(**over):
    base = {
        "direction": "in",
        "who_kind": "patient",
        "who_name": "",
        "reason": "Results",
        "outcome": "resolved",
        "note": "Told them results are normal.",
    }
    return {**base, **over}


def test_a_good_call_passes_and_keeps_control_characters():
    values, errors = validate_call(_form(note="line1\nline2\x1b[31m"))
    assert errors == {}
    assert values["note"] == "line1\nline2\x1b[31m" and values["capped"] is False


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"who_kind": "neighbour"}, "who_kind"),
        ({"who_kind": "pharmacy", "who_name": " "}, "who_name"),
        ({"reason": ""}, "reason"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "callback needed", "note": ""}, "note"),
    ],
)
def test_bad_fields_are_named(over, field):
    _, errors = validate_call(_form(**over))
    assert field in errors


def test_empty_resolved_note_needs_the_clinic_setting():
    assert "note" in validate_call(_form(note="  "), allow_empty_resolved=False)[1]
    assert validate_call(_form(note=""), allow_empty_resolved=True)[1] == {}
    # A missed call has nothing to say.
    assert validate_call(_form(note="", outcome="no answer"))[1] == {}


def test_reasons_can_be_limited_to_the_clinic_categories():
    assert "reason" in validate_call(_form(reason="Gossip"), reasons=("Results",))[1]
    assert validate_call(_form(), reasons=("Results",))[1] == {}


def test_cap_note_keeps_the_first_4000_characters():
    text, capped = cap_note("x" * (1024 * 1024))
    assert capped is True and len(text) == NOTE_MAX == 4000
    assert cap_note("short") == ("short", False)
    assert cap_note("y" * NOTE_MAX) == ("y" * NOTE_MAX, False)


def test_callback_states():
    minute = timedelta(minutes=1)
    assert callback_state(NOW - minute, None, None, NOW) == "overdue"
    assert callback_state(NOW, None, None, NOW) == "due"
    assert callback_state(NOW + 15 * minute, None, None, NOW) == "due"
    assert callback_state(NOW + 16 * minute, None, None, NOW) == "later"
    assert callback_state(NOW - minute, NOW, None, NOW) == "done"
    # Snoozing moves it later; an old snooze never brings it earlier.
    assert callback_state(NOW - minute, None, NOW + 60 * minute, NOW) == "later"
    assert callback_state(NOW + 60 * minute, None, NOW - minute, NOW) == "later"


def _t(hh, mm=0):
    return datetime(2026, 3, 2, hh, mm, tzinfo=UTC)


def test_day_summary_hand_computed():
    """Dr A: 6 booked; Dr B: 2.  Waits: A 10 and 30 (room), 20 (done, no room step); B 5."""
    a, b = ("pa", "Dr A"), ("pb", "Dr B")
    appointments = [
        ApptFact(*a, "done", _t(9), _t(9, 10), _t(9, 30)),  # wait 10
        ApptFact(*a, "in_room", _t(10), _t(10, 30)),  # wait 30
        ApptFact(*a, "done", _t(11), None, _t(11, 20)),  # wait 20 (to done)
        ApptFact(*a, "arrived", _t(12)),  # still waiting: no wait yet
        ApptFact(*a, "no_show"),
        ApptFact(*a, "cancelled"),
        ApptFact(*a, "entered_in_error"),  # not counted at all
        ApptFact(*b, "done", _t(9), _t(9, 5), _t(9, 20)),  # wait 5
        ApptFact(*b, "booked"),
    ]
    calls = [CallFact(_t(9)), CallFact(_t(10)), CallFact(_t(10, 5), amends="x")]
    callbacks = [
        CallbackFact(NOW - timedelta(hours=1)),  # overdue
        CallbackFact(NOW + timedelta(hours=2)),  # later
    ]
    s = day_summary(appointments, calls, callbacks, NOW)
    pa, pb = s.providers
    assert (pa.provider, pa.booked, pa.arrived, pa.seen, pa.no_show, pa.cancelled) == (
        "Dr A", 6, 4, 2, 1, 1,
    )  # fmt: skip
    assert pa.avg_wait == 20.0 and pa.max_wait == 30.0
    assert pa.no_show_rate == round(1 / 5, 3)
    assert (pb.booked, pb.arrived, pb.seen, pb.avg_wait, pb.max_wait) == (2, 1, 1, 5.0, 5.0)
    t = s.total
    assert (t.booked, t.arrived, t.seen, t.no_show, t.cancelled) == (8, 5, 3, 1, 1)
    assert t.avg_wait == round(65 / 4, 1) and t.max_wait == 30.0
    assert s.calls_logged == 2
    assert s.callbacks_outstanding == 2 and s.callbacks_overdue == 1


def test_empty_day():
    s = day_summary([], [], [], NOW)
    assert s.providers == () and s.total.avg_wait is None and s.total.no_show_rate is None
