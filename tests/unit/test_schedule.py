"""Weekly templates, exceptions, availability and wall-clock resolution around DST."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordtui.domain.days import day_bounds_utc
from coordtui.domain.schedule import (
    DAY_KEYS,
    AmbiguousTime,
    Closure,
    ExtraSession,
    Interval,
    LocalTimeError,
    NonexistentTime,
    ScheduleError,
    Session,
    WeeklyTemplate,
    availability,
    availability_span,
    expand_series,
    format_clock,
    local_sessions,
    parse_clock,
    parse_template,
    resolve_local,
)

NY = ZoneInfo("America/New_York")
NAIROBI = ZoneInfo("Africa/Nairobi")
SPRING = date(2026, 3, 8)  # America/New_York: 02:00 -> 03:00
FALL = date(2026, 11, 1)  # America/New_York: 02:00 -> 01:00
MONDAY = date(2026, 6, 1)
STANDARD = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "13:00"]]}
ALL_DAY = {key: [["00:00", "24:00"]] for key in DAY_KEYS}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def problems(raw) -> list[str]:
    with pytest.raises(ScheduleError) as info:
        parse_template(raw)
    return info.value.problems


# ------------------------------------------------------------ clock text


@pytest.mark.parametrize(
    ("text", "minutes"), [("08:30", 510), ("8:30", 510), (" 23:59 ", 1439), ("00:00", 0)]
)
def test_parse_clock_accepts_hh_mm(text, minutes):
    assert parse_clock(text) == minutes


def test_24_00_is_an_end_only():
    assert parse_clock("24:00", end=True) == 1440
    with pytest.raises(ScheduleError, match="use 00:00 to 23:59"):
        parse_clock("24:00")


@pytest.mark.parametrize(
    "text", ["", "8", "0830", "08:5", "08:60", "25:00", "-1:00", "ab:cd", "08:30:00"]
)
def test_parse_clock_rejects_junk_with_a_hint(text):
    with pytest.raises(ScheduleError, match="00|HH:MM"):
        parse_clock(text)


def test_parse_clock_rejects_non_text():
    with pytest.raises(ScheduleError, match="is not a time"):
        parse_clock(830)  # type: ignore[arg-type]


@given(st.integers(0, 1440))
def test_format_and_parse_clock_round_trip(minutes):
    assert parse_clock(format_clock(minutes), end=True) == minutes


# --------------------------------------------------------------- templates


def test_parse_template_sorts_sessions_and_keeps_days_off_empty():
    t = parse_template({"mon": [["13:00", "17:00"], ["08:00", "12:00"]]})
    assert t.days[0] == (Session(480, 720), Session(780, 1020))
    assert all(day == () for day in t.days[1:])
    assert t.sessions_on(MONDAY) == t.days[0]


def test_parse_template_accepts_json_text_full_day_names_and_blank():
    assert parse_template(json.dumps(STANDARD)) == parse_template(STANDARD)
    assert parse_template({"Tuesday": [["09:00", "13:00"]]}).days[1] == (Session(540, 780),)
    assert parse_template("") == parse_template("{}") == WeeklyTemplate(((),) * 7)


def test_end_before_start_names_the_day_and_session():
    assert problems({"tue": [["13:00", "12:00"]]}) == ["Tuesday 13:00-12:00: end before start"]


def test_empty_session_is_refused():
    assert problems({"wed": [["09:00", "09:00"]]}) == [
        "Wednesday 09:00-09:00: starts and ends at the same time"
    ]


def test_overlapping_sessions_are_refused_but_touching_ones_are_fine():
    assert problems({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}) == [
        "Monday 08:00-12:00 overlaps 11:00-13:00"
    ]
    t = parse_template({"mon": [["08:00", "12:00"], ["12:00", "13:00"]]})
    assert len(t.days[0]) == 2


def test_every_problem_is_reported_at_once():
    found = problems(
        {
            "tue": [["13:00", "12:00"]],
            "xyz": [],
            "fri": [["8am", "12:00"]],
            "sat": "mornings",
            "sun": [["09:00"]],
        }
    )
    assert found == [
        "Tuesday 13:00-12:00: end before start",
        "'xyz' is not a day: use mon, tue, wed, thu, fri, sat, sun",
        "Friday: '8am' is not a time: use HH:MM, for example 08:30",
        'Saturday: give a list of sessions like [["08:00", "12:00"]]',
        "Sunday ['09:00']: a session is a start and an end, like 08:00-12:00",
    ]


def test_a_day_given_twice_is_refused():
    assert problems({"mon": [["08:00", "09:00"]], "Monday": [["10:00", "11:00"]]}) == [
        "Monday is given twice"
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must map days to sessions"),
        (42, "must map days to sessions"),
    ],
)
def test_malformed_templates(raw, message):
    assert message in problems(raw)[0]


def test_24_00_start_is_refused_in_a_template():
    assert problems({"mon": [["24:00", "24:00"]]}) == [
        "Monday: '24:00' is not a time of day: use 00:00 to 23:59"
    ]


def test_session_constructor_validates():
    with pytest.raises(ScheduleError, match="end before start"):
        Session(600, 540)
    with pytest.raises(ScheduleError, match="outside the day"):
        Session(-5, 60)
    assert Session.parse("08:00", "24:00").label == "08:00-24:00"


sessions_strategy = st.lists(st.tuples(st.integers(0, 1439), st.integers(1, 600)), max_size=4).map(
    lambda pairs: [
        [format_clock(s), format_clock(min(1440, s + length))] for s, length in sorted(pairs)
    ]
)


@given(st.dictionaries(st.sampled_from(DAY_KEYS), sessions_strategy))
def test_template_validation_matches_a_simple_reference(raw):
    """Valid iff no two sessions of a day overlap; valid ones round-trip through JSON."""

    def overlapping(pairs):
        spans = sorted((parse_clock(a), parse_clock(b, end=True)) for a, b in pairs)
        return any(nxt[0] < cur[1] for cur, nxt in zip(spans, spans[1:], strict=False))

    if any(overlapping(v) for v in raw.values()):
        with pytest.raises(ScheduleError):
            parse_template(raw)
        return
    t = parse_template(raw)
    assert parse_template(t.to_json()) == t
    for day in t.days:
        assert list(day) == sorted(day)


# -------------------------------------------------------------- exceptions


def test_whole_day_closure_removes_the_day():
    t = parse_template(STANDARD)
    assert local_sessions(t, [Closure(MONDAY, reason="Holiday")], MONDAY) == []
    assert availability(t, [Closure(MONDAY)], MONDAY, NY) == []


def test_partial_closure_cuts_a_hole():
    t = parse_template(STANDARD)
    cut = Closure(MONDAY, session=Session.parse("10:00", "14:00"), reason="Training")
    assert [s.label for s in local_sessions(t, [cut], MONDAY)] == ["08:00-10:00", "14:00-17:00"]


def test_closure_range_covers_each_day_inclusive():
    t = parse_template(ALL_DAY)
    leave = Closure(MONDAY, MONDAY + timedelta(days=2), reason="Leave")
    assert [bool(local_sessions(t, [leave], MONDAY + timedelta(days=i))) for i in range(-1, 4)] == [
        True,
        False,
        False,
        False,
        True,
    ]


def test_closure_ending_before_it_starts_is_refused():
    with pytest.raises(ScheduleError, match=r"Leave ends \(2026-05-31\) before it starts"):
        Closure(MONDAY, MONDAY - timedelta(days=1))


def test_extra_sessions_add_and_merge():
    t = parse_template(STANDARD)
    extras = [
        ExtraSession(MONDAY, Session.parse("12:00", "13:00"), "Cover lunch"),
        ExtraSession(MONDAY, Session.parse("18:00", "20:00"), "Evening clinic"),
        ExtraSession(MONDAY + timedelta(days=5), Session.parse("09:00", "12:00"), "Saturday"),
    ]
    assert [s.label for s in local_sessions(t, extras, MONDAY)] == ["08:00-17:00", "18:00-20:00"]
    assert [s.label for s in local_sessions(t, extras, MONDAY + timedelta(days=5))] == [
        "09:00-12:00"
    ]


def test_an_extra_session_on_a_holiday_is_worked():
    t = parse_template(STANDARD)
    exceptions = [
        ExtraSession(MONDAY, Session.parse("09:00", "11:00"), "Emergency clinic"),
        Closure(MONDAY, reason="Holiday"),
    ]
    assert [s.label for s in local_sessions(t, exceptions, MONDAY)] == ["09:00-11:00"]


# ------------------------------------------------------------ availability


def test_availability_is_aware_utc_for_the_local_day():
    got = availability(parse_template(STANDARD), [], MONDAY, NY)  # EDT, UTC-4
    assert got == [
        Interval(utc(2026, 6, 1, 12), utc(2026, 6, 1, 16)),
        Interval(utc(2026, 6, 1, 17), utc(2026, 6, 1, 21)),
    ]
    assert all(iv.start.tzinfo is UTC for iv in got)
    winter = availability(parse_template(STANDARD), [], date(2026, 1, 5), NY)  # EST, UTC-5
    assert winter[0].start == utc(2026, 1, 5, 13)


def test_availability_in_a_zone_without_dst():
    got = availability(parse_template(STANDARD), [], MONDAY, NAIROBI)  # UTC+3
    assert got[0] == Interval(utc(2026, 6, 1, 5), utc(2026, 6, 1, 9))


def test_spring_forward_day_is_23_hours_and_fall_back_day_25():
    t = parse_template(ALL_DAY)
    (spring,) = availability(t, [], SPRING, NY)
    (fall,) = availability(t, [], FALL, NY)
    assert spring.duration == timedelta(hours=23)
    assert fall.duration == timedelta(hours=25)
    assert (spring.start, spring.end) == day_bounds_utc(SPRING, NY)
    assert (fall.start, fall.end) == day_bounds_utc(FALL, NY)


def test_sessions_spanning_the_change_keep_their_wall_clock_times():
    t = parse_template({"sun": [["01:00", "04:00"], ["08:00", "12:00"]]})
    spring = availability(t, [], SPRING, NY)
    assert spring[0] == Interval(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))  # 01:00 EST-04:00 EDT
    assert spring[0].duration == timedelta(hours=2)
    fall = availability(t, [], FALL, NY)
    assert fall[0] == Interval(utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))  # 01:00 EDT-04:00 EST
    assert fall[0].duration == timedelta(hours=4)
    for iv, day in ((spring[1], SPRING), (fall[1], FALL)):  # after the change: plain 08:00-12:00
        assert iv.start.astimezone(NY).replace(tzinfo=None) == datetime(
            day.year, day.month, day.day, 8
        )
        assert iv.duration == timedelta(hours=4)


def test_template_boundaries_in_the_gap_clamp_to_the_change():
    t = parse_template({"sun": [["01:00", "02:30"], ["02:40", "02:50"], ["02:55", "05:00"]]})
    got = availability(t, [], SPRING, NY)
    change = utc(2026, 3, 8, 7)  # 02:00 EST == 03:00 EDT
    assert got == [
        Interval(utc(2026, 3, 8, 6), change),  # ends when the clocks jump
        Interval(change, utc(2026, 3, 8, 9)),  # starts when they land; 02:40-02:50 is gone
    ]


def test_a_half_hour_gap_is_found_exactly():
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # 02:00 -> 02:30 on 2026-10-04
    t = parse_template({"sun": [["02:10", "04:00"]]})
    (got,) = availability(t, [], date(2026, 10, 4), lord_howe)
    assert got.start.astimezone(lord_howe).strftime("%H:%M") == "02:30"
    assert got.duration == timedelta(minutes=90)


def test_a_change_at_midnight():
    santiago = ZoneInfo("America/Santiago")  # 2026-09-06 starts at 01:00
    (got,) = availability(parse_template(ALL_DAY), [], date(2026, 9, 6), santiago)
    assert got.duration == timedelta(hours=23)
    with pytest.raises(NonexistentTime, match="choose 01:30 or 23:30 on 2026-09-05"):
        resolve_local(date(2026, 9, 6), time(0, 30), santiago)


def test_availability_span_applies_exceptions_per_day():
    t = parse_template(STANDARD)
    got = availability_span(
        t,
        [
            Closure(MONDAY, reason="Holiday"),
            ExtraSession(MONDAY + timedelta(days=2), Session(600, 660)),
        ],
        MONDAY - timedelta(days=7),
        MONDAY + timedelta(days=2),
        NY,
    )
    days = [iv.start.astimezone(NY).date() for iv in got]
    assert days == [
        MONDAY - timedelta(days=7),
        MONDAY - timedelta(days=7),
        MONDAY - timedelta(days=6),
        MONDAY + timedelta(days=1),
        MONDAY + timedelta(days=2),
    ]


ZONES = [NY, NAIROBI, ZoneInfo("Europe/London"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]


@settings(max_examples=200)
@given(
    st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    st.sampled_from(ZONES),
    st.dictionaries(st.sampled_from(DAY_KEYS), sessions_strategy),
)
def test_availability_stays_inside_the_local_day_sorted_and_disjoint(day, zone, raw):
    try:
        t = parse_template(raw)
    except ScheduleError:
        return
    got = availability(t, [], day, zone)
    lo, hi = day_bounds_utc(day, zone)
    for iv in got:
        assert lo <= iv.start < iv.end <= hi
    for a, b in zip(got, got[1:], strict=False):
        assert a.end <= b.start
    if lo + timedelta(hours=24) == hi:  # no clock change: exact wall-clock times
        labels = [
            f"{iv.start.astimezone(zone):%H:%M}-{(iv.end - timedelta(minutes=1)).astimezone(zone):%H:%M}"
            for iv in got
        ]
        want = [
            f"{format_clock(s.start)}-{format_clock(s.end - 1)}" for s in local_sessions(t, [], day)
        ]
        assert labels == want


def test_interval_rules():
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="before it starts"):
        Interval(utc(2026, 1, 2), utc(2026, 1, 1))
    iv = Interval(datetime(2026, 6, 1, 8, tzinfo=NY), datetime(2026, 6, 1, 9, tzinfo=NY))
    assert iv.start == utc(2026, 6, 1, 12) and iv.start.tzinfo is UTC
    other = Interval(utc(2026, 6, 1, 12, 59), utc(2026, 6, 1, 14))
    assert iv.overlaps(other) and not iv.contains(other)
    assert not iv.overlaps(Interval(utc(2026, 6, 1, 13), utc(2026, 6, 1, 14)))  # touching


# ------------------------------------------------------- resolving typed times


def test_an_ordinary_time_resolves_to_utc():
    assert resolve_local(MONDAY, time(9, 15), NY) == utc(2026, 6, 1, 13, 15)
    assert resolve_local(MONDAY, time(9, 15), NY, fold=1) == utc(2026, 6, 1, 13, 15)


def test_a_time_in_the_spring_gap_is_refused_with_choices():
    with pytest.raises(NonexistentTime) as info:
        resolve_local(SPRING, time(2, 30), NY)
    assert str(info.value) == (
        "02:30 does not exist on 2026-03-08 in America/New_York (clocks go forward); "
        "choose 03:30 or 01:30"
    )
    assert info.value.suggestions == (utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 6, 30))
    for fold in (0, 1):  # a fold cannot make a missing time exist
        with pytest.raises(NonexistentTime):
            resolve_local(SPRING, time(2, 0), NY, fold=fold)
    assert resolve_local(SPRING, time(3, 0), NY) == utc(2026, 3, 8, 7)
    assert resolve_local(SPRING, time(1, 59), NY) == utc(2026, 3, 8, 6, 59)


def test_a_time_in_the_fall_fold_asks_which_one():
    with pytest.raises(AmbiguousTime) as info:
        resolve_local(FALL, time(1, 30), NY)
    assert info.value.options == (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))
    assert str(info.value) == (
        "01:30 happens twice on 2026-11-01 in America/New_York (clocks go back): "
        "first 01:30 EDT (05:30 UTC), then 01:30 EST (06:30 UTC); choose first or second"
    )
    assert resolve_local(FALL, time(1, 30), NY, fold=0) == utc(2026, 11, 1, 5, 30)
    assert resolve_local(FALL, time(1, 30), NY, fold=1) == utc(2026, 11, 1, 6, 30)
    assert resolve_local(FALL, time(2, 0), NY) == utc(2026, 11, 1, 7)  # after the fold: one


def test_resolve_local_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fold"):
        resolve_local(MONDAY, time(9), NY, fold=2)
    with pytest.raises(ValueError, match="no zone"):
        resolve_local(MONDAY, time(9, tzinfo=UTC), NY)


@settings(max_examples=300)
@given(
    st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    st.times(),
    st.sampled_from(ZONES),
    st.sampled_from([None, 0, 1]),
)
def test_resolve_local_round_trips_or_says_why(day, at, zone, fold):
    naive = datetime.combine(day, at)
    try:
        got = resolve_local(day, at, zone, fold)
    except NonexistentTime as exc:
        later, earlier = exc.suggestions
        assert earlier < later
        for moment in exc.suggestions:  # both suggestions are real, and miss the typed time
            assert moment.astimezone(zone).replace(tzinfo=None) != naive
        return
    except AmbiguousTime as exc:
        assert fold is None
        first, second = exc.options
        assert first < second
        for moment in exc.options:
            assert moment.astimezone(zone).replace(tzinfo=None) == naive
        return
    assert got.tzinfo is UTC
    back = got.astimezone(zone)
    assert back.replace(tzinfo=None) == naive
    if fold is not None:  # the other reading: the same instant, or the other side of the fold
        other = resolve_local(day, at, zone, 1 - fold)
        assert other == got or (got < other) == (fold == 0)


# --------------------------------------------------------------- series


def test_weekly_series_keeps_wall_clock_time_across_the_change():
    got = expand_series(date(2026, 2, 22), time(9, 0), NY, every_weeks=1, count=4)
    assert [o.day for o in got] == [date(2026, 2, 22) + timedelta(weeks=i) for i in range(4)]
    assert all(o.ok for o in got)
    assert [o.start.hour for o in got] == [14, 14, 13, 13]  # 09:00 EST, then 09:00 EDT


def test_series_reports_each_occurrence_in_the_gap_or_fold():
    spring = expand_series(date(2026, 2, 22), time(2, 30), NY, 1, 3)
    assert [o.ok for o in spring] == [True, True, False]
    assert isinstance(spring[2].problem, NonexistentTime) and spring[2].start is None
    assert "choose 03:30 or 01:30" in str(spring[2].problem)

    fall = expand_series(date(2026, 10, 25), time(1, 30), NY, 1, 2)
    assert isinstance(fall[1].problem, AmbiguousTime)
    chosen = expand_series(date(2026, 10, 25), time(1, 30), NY, 1, 2, fold=1)
    assert chosen[1].start == utc(2026, 11, 1, 6, 30)


def test_series_every_n_weeks():
    got = expand_series(MONDAY, time(10), NY, every_weeks=3, count=3)
    assert [o.day for o in got] == [
        MONDAY,
        MONDAY + timedelta(weeks=3),
        MONDAY + timedelta(weeks=6),
    ]


@pytest.mark.parametrize(
    ("every", "count", "message"),
    [(0, 3, "Repeat every 1 to 52 weeks"), (53, 3, "Repeat every"), (1, 0, "1 to 104 occurrences"),
     (1, 105, "occurrences"), (1.5, 3, "Repeat every")],
)  # fmt: skip
def test_series_limits(every, count, message):
    with pytest.raises(ValueError, match=message):
        expand_series(MONDAY, time(10), NY, every, count)


def test_local_time_errors_are_value_errors():
    assert issubclass(NonexistentTime, LocalTimeError)
    assert issubclass(AmbiguousTime, LocalTimeError)
    assert issubclass(LocalTimeError, ValueError)
