import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.status import (
    ACTIVE,
    NEEDS_REASON,
    TRANSITIONS,
    Status,
    StatusEvent,
    TransitionError,
    can_transition,
    check_transition,
    undo_target,
)


def test_happy_path_is_allowed():
    assert can_transition(Status.BOOKED, Status.ARRIVED)
    assert can_transition(Status.ARRIVED, Status.IN_ROOM)
    assert can_transition(Status.IN_ROOM, Status.DONE)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.DONE, Status.ARRIVED),
        (Status.BOOKED, Status.DONE),
        (Status.BOOKED, Status.IN_ROOM),
        (Status.NO_SHOW, Status.ARRIVED),
        (Status.CANCELLED, Status.BOOKED),
        (Status.IN_ROOM, Status.NO_SHOW),
    ],
)
def test_illegal_transitions_are_refused_with_a_message(current, target):
    with pytest.raises(TransitionError) as info:
        check_transition(current, target, reason="x")
    assert "Cannot change" in str(info.value)


def test_terminal_refusal_suggests_undo():
    with pytest.raises(TransitionError, match="undo"):
        check_transition(Status.DONE, Status.ARRIVED)


def test_same_status_is_refused():
    with pytest.raises(TransitionError, match="Already arrived"):
        check_transition(Status.ARRIVED, Status.ARRIVED)


@pytest.mark.parametrize("target", sorted(NEEDS_REASON))
def test_cancel_and_error_need_a_reason(target):
    with pytest.raises(TransitionError, match="reason"):
        check_transition(Status.BOOKED, target, reason="  ")
    check_transition(Status.BOOKED, target, reason="patient request")


def test_terminal_states_have_no_exits():
    for status in (
        Status.DONE,
        Status.NO_SHOW,
        Status.CANCELLED,
        Status.LEFT,
        Status.ENTERED_IN_ERROR,
    ):
        assert not TRANSITIONS[status]


def test_every_status_reachable_from_booked():
    seen, frontier = {Status.BOOKED}, [Status.BOOKED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(Status)


def test_active_statuses():
    assert Status.CANCELLED not in ACTIVE and Status.BOOKED in ACTIVE


def _ev(i, a, b, corrects=None):
    return StatusEvent(f"e{i}", a, b, i, corrects)


def test_undo_walks_back_one_step_at_a_time():
    history = [_ev(1, Status.BOOKED, Status.ARRIVED), _ev(2, Status.ARRIVED, Status.IN_ROOM)]
    assert undo_target(history).id == "e2"
    history.append(_ev(3, Status.IN_ROOM, Status.ARRIVED, corrects="e2"))
    assert undo_target(history).id == "e1"
    history.append(_ev(4, Status.ARRIVED, Status.BOOKED, corrects="e1"))
    assert undo_target(history) is None


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_random_walks_only_follow_allowed_edges(targets):
    """Whatever is pressed, the status only ever moves along allowed edges."""
    status = Status.BOOKED
    for target in targets:
        try:
            check_transition(status, target, reason="r")
        except TransitionError:
            continue
        assert target in TRANSITIONS[status]
        status = target
    assert status in set(Status)


def test_on_the_day_statuses_only_on_the_visits_day_and_no_show_after_its_start():
    from datetime import date

    from coordtui.domain.status import ON_THE_DAY, not_now

    today = date(2026, 11, 27)
    for target in Status:
        tomorrow = not_now(target, date(2026, 11, 28), today, starts_in_future=True)
        assert (tomorrow is not None) == (target in ON_THE_DAY)
    assert "tomorrow" in not_now(Status.ARRIVED, date(2026, 11, 28), today, True)
    assert "Thu 26 Nov" in not_now(Status.DONE, date(2026, 11, 26), today, False)
    assert not_now(Status.ARRIVED, today, today, starts_in_future=True) is None
    assert not_now(Status.NO_SHOW, today, today, starts_in_future=True) is not None
    assert not_now(Status.NO_SHOW, today, today, starts_in_future=False) is None
    assert not_now(Status.CANCELLED, date(2026, 12, 25), today, True) is None
