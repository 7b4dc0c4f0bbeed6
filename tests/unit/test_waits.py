from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.status import Status
from coordtui.domain.waits import compute_wait, format_minutes, minutes_between

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_arrived_counts_minutes_and_flags_long_waits():
    wait = compute_wait(Status.ARRIVED, T0, T0, T0 + timedelta(minutes=25), alert_minutes=20)
    assert wait.since_arrival == 25 and wait.in_status == 25 and wait.long


def test_short_wait_not_flagged():
    wait = compute_wait(Status.ARRIVED, T0, T0, T0 + timedelta(minutes=19, seconds=59), 20)
    assert wait.in_status == 19 and not wait.long


def test_in_room_is_never_a_long_wait_but_counts_time_in_status():
    wait = compute_wait(
        Status.IN_ROOM, T0, T0 + timedelta(minutes=30), T0 + timedelta(minutes=90), 20
    )
    assert wait.since_arrival == 90 and wait.in_status == 60 and not wait.long


def test_done_stops_the_visit_clock():
    wait = compute_wait(
        Status.DONE,
        T0,
        T0 + timedelta(minutes=40),
        T0 + timedelta(hours=5),
        20,
        finished_at=T0 + timedelta(minutes=40),
    )
    assert wait.since_arrival == 40


def test_not_arrived_has_no_wait():
    wait = compute_wait(Status.BOOKED, None, None, T0, 20)
    assert wait.since_arrival is None and not wait.long


def test_clock_skew_clamps_to_zero():
    assert minutes_between(T0, T0 - timedelta(minutes=5)) == 0


def test_format_minutes():
    assert format_minutes(None) == ""
    assert format_minutes(7) == "7m"
    assert format_minutes(65) == "1h05"


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=600))
def test_long_iff_waiting_at_least_threshold(minutes, alert):
    wait = compute_wait(Status.ARRIVED, T0, T0, T0 + timedelta(minutes=minutes), alert)
    assert wait.in_status == minutes
    assert wait.long == (minutes >= alert)
