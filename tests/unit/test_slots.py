"""Appointment types, booking conflict rules, the free-slot finder and DST bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordtui.domain.schedule import (
    AmbiguousTime,
    Interval,
    NonexistentTime,
    availability,
    availability_span,
    parse_template,
    resolve_local,
)
from coordtui.domain.slots import (
    DEFAULT_TYPES,
    AppointmentType,
    AppointmentTypeError,
    Booked,
    BookingRequest,
    Decision,
    Kind,
    Modality,
    Slot,
    appointment_type_problems,
    check_booking,
    free_slots,
    nearest_alternatives,
    retaken,
)
from coordtui.domain.status import ACTIVE, Status

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
NOW = datetime(2026, 5, 29, 15, 0, tzinfo=UTC)  # Friday before, 11:00 EDT
TEMPLATE = parse_template({"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})
HOURS = availability(TEMPLATE, [], MONDAY, NY)  # 12:00-16:00Z, 17:00-21:00Z
_ids = count()


def at(hh: int, mm: int = 0, day: date = MONDAY) -> datetime:
    """Clinic wall-clock time on ``day`` as aware UTC."""
    return resolve_local(day, time(hh, mm), NY)


def booked(start, end, provider="dr-a", patient="pat-1", status=Status.BOOKED, id=None):
    return Booked(id or f"appt-{next(_ids)}", provider, patient, start, end, status)


def request(start, end, provider="dr-a", patient="pat-9", kind=Kind.SCHEDULED, moving=None):
    return BookingRequest(provider, patient, start, end, kind, moving)


def check(req, existing=(), hours=HOURS, allowance=0, **kw) -> Decision:
    kw.setdefault("now", NOW)
    return check_booking(req, list(existing), hours, allowance, zone=NY, **kw)


# ------------------------------------------------------ appointment types


def test_appointment_type_defaults_and_normalization():
    t = AppointmentType("  Consultation ", 30, frozenset({"phone", "video"}))
    assert t.name == "Consultation"
    assert t.modalities == {Modality.PHONE, Modality.VIDEO}
    assert t.duration == timedelta(minutes=30)
    assert AppointmentType("Follow-up", 15).modalities == set(Modality)
    assert AppointmentType("Long procedure", 480).minutes == 480


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "more than 0 minutes"),
        (-15, "more than 0 minutes"),
        (485, "at most 8 hours"),
        (7, "multiple of 5 minutes"),
        ("30", "whole minutes"),
        (True, "whole minutes"),
        (12.5, "whole minutes"),
    ],
)
def test_appointment_type_duration_rules(minutes, message):
    with pytest.raises(AppointmentTypeError, match=message):
        AppointmentType("Consultation", minutes)


def test_appointment_type_reports_every_problem():
    found = appointment_type_problems(" ", 7, ["fax"])
    assert found == [
        "The appointment type needs a name",
        "The type: the duration must be a multiple of 5 minutes",
        "The type: 'fax' is not a modality: use in_person, phone or video",
    ]
    assert appointment_type_problems("Visit", 15, []) == [
        "Visit: allow at least one of in person, phone or video"
    ]


@given(st.integers(-100, 1000))
def test_appointment_type_duration_matches_the_rule(minutes):
    ok = 0 < minutes <= 480 and minutes % 5 == 0
    assert (appointment_type_problems("X", minutes, ["phone"]) == []) == ok


def test_modality_rules():
    vaccination = next(t for t in DEFAULT_TYPES if t.name == "Vaccination")
    assert vaccination.modality_problem("in_person") is None
    assert vaccination.modality_problem(Modality.PHONE) == "Vaccination is in person only"
    remote = AppointmentType("Results call", 10, frozenset({Modality.PHONE, Modality.VIDEO}))
    assert remote.modality_problem("in_person") == "Results call is by phone or by video only"
    assert {t.name for t in DEFAULT_TYPES} >= {"Follow-up", "Consultation", "Vaccination"}


# ------------------------------------------------------------ check_booking


def test_a_free_time_in_hours_is_booked():
    assert check(request(at(9), at(9, 30))) == Decision(True, [], [], False)


def test_end_must_be_after_start():
    for end in (at(9), at(8, 45)):
        d = check(request(at(9), end))
        assert not d.ok
        assert d.reasons == [
            f"The end ({end.astimezone(NY):%H:%M}) must be after the start (09:00)."
        ]


def test_longer_than_8_hours_is_refused():
    d = check(request(at(8), at(16, 5)), override=True)
    assert d.reasons == ["An appointment cannot be longer than 8 hours."]


def test_the_past_is_refused_for_bookings_but_not_walk_ins():
    hours = availability(TEMPLATE, [], date(2026, 5, 25), NY)
    start = datetime(2026, 5, 25, 13, tzinfo=UTC)
    d = check(request(start, start + timedelta(minutes=15)), hours=hours)
    assert d.reasons == [
        "09:00 on Mon 25 May 2026 has already passed; for a patient who is here now, use walk-in."
    ]
    assert check(request(start, start + timedelta(minutes=15), kind=Kind.WALK_IN), hours=hours).ok


def test_a_date_10_years_out_is_refused():
    day = date(2036, 6, 2)
    start = resolve_local(day, time(9), NY)
    d = check(
        request(start, start + timedelta(minutes=30)), hours=availability(TEMPLATE, [], day, NY)
    )
    assert d.reasons == [
        "Mon 02 Jun 2036 is too far ahead: bookings open 365 days ahead (until Sat 29 May 2027)."
    ]


def test_the_horizon_is_configurable_and_inclusive():
    edge = NOW + timedelta(days=3)
    hours = [Interval(edge - timedelta(hours=1), edge + timedelta(hours=2))]
    assert check(request(edge, edge + timedelta(minutes=15)), hours=hours, horizon_days=3).ok
    late = edge + timedelta(minutes=15)
    d = check(request(late, late + timedelta(minutes=15)), hours=hours, horizon_days=3)
    assert "too far ahead: bookings open 3 days ahead" in d.reasons[0]


def test_outside_hours_is_refused_with_the_hours():
    d = check(request(at(11, 45), at(12, 15)))  # runs into lunch
    assert d.reasons == [
        "Outside the provider's hours: on Mon 01 Jun 2026 they work 08:00-12:00, 13:00-17:00."
    ]
    d = check(request(at(7, 45), at(8, 15)))
    assert not d.ok


def test_a_day_off_says_so():
    tuesday = resolve_local(date(2026, 6, 2), time(9), NY)
    d = check(request(tuesday, tuesday + timedelta(minutes=15)))
    assert d.reasons == ["The provider is not working on Tue 02 Jun 2026."]


def test_supervisor_override_allows_outside_hours_and_is_flagged():
    d = check(request(at(12, 0), at(12, 30)), override=True)
    assert d.ok and d.override_used
    assert d.warnings == ["Outside the provider's hours: the supervisor override is recorded."]
    inside = check(request(at(9), at(9, 30)), override=True)
    assert inside.ok and not inside.override_used


def test_override_does_not_lift_other_rules():
    d = check(request(at(12), at(12, 30)), [booked(at(12), at(12, 15))], override=True)
    assert not d.ok and d.reasons == [
        "The provider is already booked 12:00-12:15 on Mon 01 Jun 2026."
    ]


def test_touching_availability_intervals_cover_a_booking_across_them():
    hours = [Interval(at(8), at(10)), Interval(at(10), at(12))]
    assert check(request(at(9, 45), at(10, 15)), hours=hours).ok


def test_provider_already_booked_is_refused():
    existing = [booked(at(9), at(9, 30)), booked(at(9, 30), at(10))]
    d = check(request(at(9, 15), at(9, 45)), existing)
    assert d.reasons == [
        "The provider is already booked 09:00-09:30 on Mon 01 Jun 2026 and 1 more."
    ]


def test_back_to_back_is_not_a_conflict():
    existing = [booked(at(9), at(9, 30)), booked(at(10), at(10, 30))]
    assert check(request(at(9, 30), at(10)), existing).ok


def test_inactive_appointments_do_not_block():
    inactive = [booked(at(9), at(9, 30), status=s) for s in Status if s not in ACTIVE]
    assert check(request(at(9), at(9, 30)), inactive).ok
    for status in ACTIVE:
        assert not check(request(at(9), at(9, 30)), [booked(at(9), at(9, 30), status=status)]).ok


def test_other_providers_appointments_do_not_block():
    assert check(request(at(9), at(9, 30)), [booked(at(9), at(9, 30), provider="dr-b")]).ok


def test_rescheduling_ignores_the_appointment_being_moved():
    mine = booked(at(9), at(9, 30), patient="pat-9", id="appt-moving")
    d = check(request(at(9, 15), at(9, 45), moving="appt-moving"), [mine])
    assert d.ok and d.warnings == []


def test_overbooking_allowance():
    one = [booked(at(9), at(9, 30))]
    d = check(request(at(9), at(9, 30)), one, allowance=1)
    assert d.ok
    assert d.warnings == [
        "Overbooked: the provider is already booked 09:00-09:30 on Mon 01 Jun 2026 "
        "(1 extra allowed at a time)."
    ]
    two = one + [booked(at(9, 15), at(9, 45))]
    d = check(request(at(9), at(9, 30)), two, allowance=1)
    assert d.reasons == [
        "The provider is already booked 09:00-09:30 on Mon 01 Jun 2026 and 1 more: overbooking "
        "allows 1 extra at a time, and this would make 3 at once."
    ]


def test_allowance_counts_simultaneous_not_total_overlaps():
    sequential = [booked(at(9), at(9, 15)), booked(at(9, 15), at(9, 30))]
    assert check(request(at(9), at(9, 30)), sequential, allowance=1).ok
    assert not check(request(at(9), at(9, 30)), sequential, allowance=0).ok


def test_patient_double_booked_elsewhere_is_a_warning():
    elsewhere = booked(at(9, 15), at(9, 45), provider="dr-b", patient="pat-9")
    d = check(request(at(9), at(9, 30)), [elsewhere, booked(at(9), at(9, 30), "dr-c", "pat-2")])
    assert d.ok
    assert d.warnings == [
        "The patient already has an appointment 09:15-09:45 on Mon 01 Jun 2026 with another provider."
    ]


def test_patient_with_the_same_provider_is_refused_and_warned():
    d = check(request(at(9), at(9, 30)), [booked(at(9), at(9, 30), patient="pat-9")])
    assert not d.ok
    assert d.warnings == [
        "The patient already has an appointment 09:00-09:30 on Mon 01 Jun 2026 with this provider."
    ]


def test_every_reason_is_given():
    start = datetime(2026, 5, 24, 12, tzinfo=UTC)  # Sunday, past, off
    d = check(request(start, start + timedelta(minutes=15)))
    assert len(d.reasons) == 2
    assert "already passed" in d.reasons[0] and "not working on Sun 24 May 2026" in d.reasons[1]


def test_programming_errors_raise():
    naive = datetime(2026, 6, 1, 13)
    with pytest.raises(ValueError, match="aware"):
        check(request(naive, naive + timedelta(minutes=15)))
    with pytest.raises(ValueError, match="aware"):
        check(request(at(9), at(9, 30)), now=datetime(2026, 5, 29))
    with pytest.raises(ValueError, match="kind"):
        check(request(at(9), at(9, 30), kind="drop_in"))
    with pytest.raises(ValueError, match="allowance"):
        check(request(at(9), at(9, 30)), allowance=-1)
    with pytest.raises(ValueError, match="aware"):
        Booked("x", "dr-a", "pat", naive, naive)


def test_booked_normalizes_to_utc():
    b = Booked(
        "x", "dr-a", "p", datetime(2026, 6, 1, 9, tzinfo=NY), datetime(2026, 6, 1, 10, tzinfo=NY)
    )
    assert b.start == at(9) and b.start.tzinfo is UTC


def test_kind_values_match_the_store():
    assert {k.value for k in Kind} == {"scheduled", "walk_in"}
    assert check(request(at(9), at(9, 30), kind="walk_in")).ok


# ----------------------------------------------------------------- DST


FALL, SPRING = date(2026, 11, 1), date(2026, 3, 8)
ALL_SUNDAY = parse_template({"sun": [["00:00", "24:00"]]})


def test_booking_at_02_30_on_the_spring_forward_day_is_refused():
    with pytest.raises(NonexistentTime, match="02:30 does not exist on 2026-03-08"):
        resolve_local(SPRING, time(2, 30), NY)
    with pytest.raises(NonexistentTime):
        resolve_local(SPRING, time(2, 30), NY, fold=1)


def test_booking_at_01_30_on_the_fall_back_day_asks_then_stores_the_right_utc():
    with pytest.raises(AmbiguousTime):
        resolve_local(FALL, time(1, 30), NY)
    hours = availability(ALL_SUNDAY, [], FALL, NY)
    assert hours[0].duration == timedelta(hours=25)
    now = datetime(2026, 10, 1, tzinfo=UTC)
    stored = []
    for fold, want in (
        (0, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (1, datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    ):
        start = resolve_local(FALL, time(1, 30), NY, fold=fold)
        assert start == want
        d = check(request(start, start + timedelta(minutes=30)), stored, hours=hours, now=now)
        assert d.ok, d.reasons  # 01:30 EDT and 01:30 EST are an hour apart: no conflict
        stored.append(booked(start, start + timedelta(minutes=30)))
        local = stored[-1].start.astimezone(NY)
        assert (local.hour, local.minute, local.fold) == (1, 30, fold)


def test_free_slots_on_change_days_follow_real_time():
    spring = availability(parse_template({"sun": [["00:00", "04:00"]]}), [], SPRING, NY)
    fall = availability(parse_template({"sun": [["00:00", "04:00"]]}), [], FALL, NY)
    spring_slots = free_slots({"dr-a": spring}, {}, 60, spring[0].start, 10, step=60)
    fall_slots = free_slots({"dr-a": fall}, {}, 60, fall[0].start, 10, step=60)

    def labels(slots):
        return [f"{s.start.astimezone(NY):%H:%M %Z}" for s in slots]

    assert labels(spring_slots) == ["00:00 EST", "01:00 EST", "03:00 EDT"]
    assert labels(fall_slots) == ["00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST", "03:00 EST"]


# ------------------------------------------------------------ free_slots


def slot(pid, start, minutes):
    return Slot(pid, start, start + timedelta(minutes=minutes))


def test_free_slots_in_time_order_ties_by_provider():
    hours = {"dr-b": HOURS, "dr-a": HOURS}
    got = free_slots(hours, {}, 15, at(8), limit=4)
    assert got == [
        slot("dr-a", at(8), 15),
        slot("dr-b", at(8), 15),
        slot("dr-a", at(8, 15), 15),
        slot("dr-b", at(8, 15), 15),
    ]


def test_free_slots_skip_booked_time_and_keep_the_grid():
    existing = {"dr-a": [booked(at(8, 5), at(8, 20)), booked(at(8, 30), at(9))]}
    got = free_slots({"dr-a": HOURS}, existing, 15, at(8), limit=3)
    assert [s.start for s in got] == [at(9), at(9, 15), at(9, 30)]


def test_the_grid_counts_from_the_session_start():
    hours = [Interval(at(8, 10), at(9))]
    got = free_slots({"dr-a": hours}, {}, 15, at(8, 12), limit=5)
    assert [s.start for s in got] == [at(8, 25), at(8, 40)]  # 08:55 would end after 09:00


def test_a_longer_visit_needs_room_before_the_next_booking():
    existing = {"dr-a": [booked(at(8, 30), at(8, 45))]}
    got = free_slots({"dr-a": HOURS}, existing, 30, at(8), limit=2)
    assert [s.start for s in got] == [at(8), at(8, 45)]
    assert got[0].end == at(8, 30)


def test_free_slots_skip_the_past_and_respect_per_provider_grid():
    hours = {"dr-a": HOURS, "dr-b": HOURS}
    got = free_slots(hours, {}, 20, at(8), limit=4, step={"dr-a": 20, "dr-b": 30}, now=at(8, 1))
    assert got == [
        slot("dr-a", at(8, 20), 20),
        slot("dr-b", at(8, 30), 20),
        slot("dr-a", at(8, 40), 20),
        slot("dr-a", at(9), 20),
    ]


def test_free_slots_ignore_inactive_appointments_and_honor_allowance():
    existing = {
        "dr-a": [booked(at(8), at(9), status=Status.CANCELLED), booked(at(8), at(9))],
        "dr-b": [booked(at(8), at(9))],
    }
    hours = {"dr-a": HOURS, "dr-b": HOURS}
    got = free_slots(hours, existing, 15, at(8), limit=2, allowance={"dr-b": 1})
    assert got == [slot("dr-b", at(8), 15), slot("dr-b", at(8, 15), 15)]
    assert free_slots(hours, existing, 15, at(8), limit=1) == [slot("dr-a", at(9), 15)]


def test_free_slots_edge_cases():
    assert free_slots({"dr-a": HOURS}, {}, 15, at(8), limit=0) == []
    assert free_slots({"dr-a": []}, {}, 15, at(8)) == []
    assert free_slots({"dr-a": HOURS}, {}, 15, at(17)) == []
    assert free_slots({"dr-a": HOURS}, {}, timedelta(hours=4), at(8), limit=5) == [
        slot("dr-a", at(8), 240),
        slot("dr-a", at(13), 240),
    ]
    with pytest.raises(ValueError, match="positive"):
        free_slots({"dr-a": HOURS}, {}, 0, at(8))
    with pytest.raises(ValueError, match="grid"):
        free_slots({"dr-a": HOURS}, {}, 15, at(8), step=0)
    with pytest.raises(ValueError, match="aware"):
        free_slots({"dr-a": HOURS}, {}, 15, datetime(2026, 6, 1, 12))


def test_nearest_alternatives_before_and_after_a_refused_time():
    existing = {"dr-a": [booked(at(9), at(10)), booked(at(10, 30), at(12))]}
    got = nearest_alternatives({"dr-a": HOURS}, existing, 30, at(10), limit=3)
    assert [s.start for s in got] == [at(8, 15), at(8, 30), at(10)]  # 105, 90, 0 minutes away
    got = nearest_alternatives({"dr-a": HOURS}, existing, 30, at(10, 15), limit=2)
    assert [s.start for s in got] == [at(8, 30), at(10)]  # 13:00 is 165 minutes away


def test_nearest_alternatives_never_offer_the_past():
    got = nearest_alternatives({"dr-a": HOURS}, {}, 15, at(9), limit=4, now=at(8, 50))
    assert [s.start for s in got] == [at(9), at(9, 15), at(9, 30), at(9, 45)]
    assert nearest_alternatives({"dr-a": HOURS}, {}, 15, at(9), limit=0) == []


# ---------------------------------------------- the finder against brute force

BASE = datetime(2026, 6, 1, tzinfo=UTC)


def m(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


@st.composite
def scenarios(draw):
    providers = {}
    for pid in draw(
        st.lists(st.sampled_from(["p1", "p2", "p3"]), min_size=1, max_size=3, unique=True)
    ):
        cuts = sorted(draw(st.lists(st.integers(0, 600), min_size=0, max_size=8, unique=True)))
        pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]
        if draw(st.booleans()) and len(pairs) > 1:  # some touching intervals
            pairs[1] = (pairs[0][1], max(pairs[1][1], pairs[0][1] + 5))
            pairs = [pairs[0], pairs[1]] + [p for p in pairs[2:] if p[0] >= pairs[1][1]]
        appts = [
            (s, s + length, draw(st.sampled_from(sorted(Status))))
            for s, length in draw(
                st.lists(st.tuples(st.integers(-60, 600), st.integers(1, 90)), max_size=10)
            )
        ]
        providers[pid] = (
            pairs,
            appts,
            draw(st.sampled_from([5, 10, 15, 30])),
            draw(st.integers(0, 2)),
        )
    return (
        providers,
        draw(st.sampled_from([5, 15, 20, 30, 45])),
        draw(st.integers(-30, 620)),
        draw(st.integers(1, 12)),
    )


def reference_slots(providers, duration, floor):
    """Every free grid slot, the slow obvious way (peak checked minute by minute)."""
    out = []
    for pid, (pairs, appts, step, allowance) in providers.items():
        active = [(s, e) for s, e, status in appts if status in ACTIVE]
        for a, z in pairs:
            s = a
            while s + duration <= z:
                if s >= floor:
                    peak = max(
                        sum(1 for x, y in active if x <= t < y) for t in range(s, s + duration)
                    )
                    if peak <= allowance:
                        out.append((s, pid))
                s += step
    return sorted(out)


def to_inputs(providers):
    hours = {
        pid: [Interval(m(a), m(b)) for a, b in pairs] for pid, (pairs, _, _, _) in providers.items()
    }
    existing = {
        pid: [
            Booked(f"{pid}-{i}", pid, "pat", m(s), m(e), status)
            for i, (s, e, status) in enumerate(appts)
        ]
        for pid, (_, appts, _, _) in providers.items()
    }
    steps = {pid: step for pid, (_, _, step, _) in providers.items()}
    allowances = {pid: allowance for pid, (_, _, _, allowance) in providers.items()}
    return hours, existing, steps, allowances


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_free_slots_match_brute_force(scenario):
    providers, duration, floor, limit = scenario
    hours, existing, steps, allowances = to_inputs(providers)
    got = free_slots(hours, existing, duration, m(floor), limit, step=steps, allowance=allowances)
    want = reference_slots(providers, duration, floor)[:limit]
    assert [(s.start, s.provider_id) for s in got] == [(m(t), pid) for t, pid in want]
    assert all(s.end - s.start == timedelta(minutes=duration) for s in got)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(-30, 300))
def test_nearest_alternatives_match_brute_force(scenario, now):
    providers, duration, around, limit = scenario
    hours, existing, steps, allowances = to_inputs(providers)
    got = nearest_alternatives(
        hours, existing, duration, m(around), limit, step=steps, allowance=allowances, now=m(now)
    )
    every = reference_slots(providers, duration, now)
    ranked = sorted(every, key=lambda item: (abs(item[0] - around), item[0] >= around, item[1]))
    want = sorted(ranked[:limit])
    assert [(s.start, s.provider_id) for s in got] == [(m(t), pid) for t, pid in want]


# ------------------------------------- operations never break the invariants

PROVIDERS = {"dr-a": 0, "dr-b": 1, "dr-c": 0}  # overbooking allowance
DAYS = [MONDAY + timedelta(days=i) for i in range(3)]
OP_NOW = at(10)
TEMPLATES = {
    "dr-a": parse_template(
        {k: [["08:00", "12:00"], ["13:00", "17:00"]] for k in ("mon", "tue", "wed")}
    ),
    "dr-b": parse_template({k: [["09:00", "13:00"]] for k in ("mon", "tue", "wed")}),
    "dr-c": parse_template({"mon": [["10:00", "18:00"]], "wed": [["07:00", "11:00"]]}),
}
OP_HOURS = {pid: availability_span(t, [], DAYS[0], DAYS[-1], NY) for pid, t in TEMPLATES.items()}

provider_ids = st.sampled_from(sorted(PROVIDERS))
patients = st.sampled_from(["pat-1", "pat-2", "pat-3", "pat-4"])
times = st.tuples(st.sampled_from(DAYS), st.integers(6 * 12, 19 * 12).map(lambda n: n * 5))
lengths = st.sampled_from([5, 15, 30, 45, 60])
operations = st.one_of(
    st.tuples(st.just("book"), provider_ids, patients, times, lengths, st.booleans()),
    st.tuples(st.just("walk_in"), provider_ids, patients, st.integers(-180, 60), lengths),
    st.tuples(st.just("reschedule"), st.integers(0, 50), times, lengths, st.booleans()),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("arrive"), st.integers(0, 50)),
)


def covered(hours, start, end) -> bool:
    minute, t = timedelta(minutes=1), start
    while t < end:
        if not any(iv.start <= t < iv.end for iv in hours):
            return False
        t += minute
    return True


def peak(spans) -> int:
    points = sorted({s for s, _ in spans})
    return max((sum(1 for s, e in spans if s <= p < e) for p in points), default=0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=40))
def test_random_operations_keep_the_books_consistent(ops):
    store: list[dict] = []  # the model of the appointment table
    for op in ops:
        if op[0] in ("cancel", "arrive"):
            live = [r for r in store if r["status"] == Status.BOOKED]
            if live:
                live[op[1] % len(live)]["status"] = (
                    Status.CANCELLED if op[0] == "cancel" else Status.ARRIVED
                )
            continue
        if op[0] == "book":
            _, pid, patient, (day, minute), length, override = op
            start = resolve_local(day, time(minute // 60, minute % 60), NY)
            row = {"id": f"a{len(store)}", "pid": pid, "patient": patient, "kind": "scheduled"}
        elif op[0] == "walk_in":
            _, pid, patient, offset, length = op
            start, override = OP_NOW + timedelta(minutes=offset), False
            row = {"id": f"a{len(store)}", "pid": pid, "patient": patient, "kind": "walk_in"}
        else:  # reschedule an active booking, keeping provider and patient
            live = [r for r in store if r["status"] in ACTIVE and r["kind"] == "scheduled"]
            if not live:
                continue
            _, index, (day, minute), length, override = op
            row = live[index % len(live)]
            start = resolve_local(day, time(minute // 60, minute % 60), NY)
        end = start + timedelta(minutes=length)
        existing = [
            Booked(r["id"], r["pid"], r["patient"], r["start"], r["end"], r["status"])
            for r in store
            if r["status"] in ACTIVE and (r["pid"] == row["pid"] or r["patient"] == row["patient"])
        ]
        req = BookingRequest(
            row["pid"], row["patient"], start, end, row["kind"],
            row["id"] if op[0] == "reschedule" else None,
        )  # fmt: skip
        decision = check_booking(
            req, existing, OP_HOURS[row["pid"]], PROVIDERS[row["pid"]],
            now=OP_NOW, override=override, zone=NY,
        )  # fmt: skip
        assert decision.ok == (not decision.reasons)
        if not decision.ok:
            continue
        outside = not covered(OP_HOURS[row["pid"]], start, end)
        assert decision.override_used == outside
        if op[0] != "reschedule":
            row["status"] = Status.BOOKED
            store.append(row)
        row.update(start=start, end=end, override=decision.override_used)

        for pid, allowance in PROVIDERS.items():
            spans = [
                (r["start"], r["end"]) for r in store if r["pid"] == pid and r["status"] in ACTIVE
            ]
            assert peak(spans) <= 1 + allowance
        for r in store:
            if r["status"] in ACTIVE and not r["override"]:
                assert covered(OP_HOURS[r["pid"]], r["start"], r["end"])


# ------------------------------------------ undoing a cancel: what took the time since


def _span(start_min: int, minutes: int) -> tuple[datetime, datetime]:
    start = at(10) + timedelta(minutes=start_min)
    return start, start + timedelta(minutes=minutes)


def test_overlaps_that_were_there_at_the_cancel_never_block_the_undo():
    restored = _span(0, 30)
    earlier = [_span(0, 15), _span(0, 30), _span(15, 15)]  # a double-booked slot, a walk-in
    assert not retaken(restored, earlier, [], allowance=0)


def test_a_later_booking_in_the_time_blocks_it_unless_the_allowance_has_room():
    restored = _span(0, 30)
    assert retaken(restored, [], [_span(10, 15)], allowance=0)
    assert not retaken(restored, [], [_span(10, 15)], allowance=1)
    assert retaken(restored, [_span(0, 15)], [_span(10, 15)], allowance=1)  # 3 at 10:10
    assert not retaken(restored, [_span(20, 10)], [_span(0, 15)], allowance=1)  # never 3
    assert not retaken(restored, [], [_span(30, 15), _span(-15, 15)], allowance=0)  # touching


spans = st.tuples(st.integers(-60, 90), st.integers(1, 60)).map(lambda t: _span(*t))


@given(
    earlier=st.lists(spans, max_size=4),
    later=st.lists(spans, max_size=4),
    allowance=st.integers(0, 2),
)
def test_retaken_matches_a_minute_by_minute_count(earlier, later, allowance):
    """Blocked iff at some minute of the span a later booking is in progress and the
    span would make more than allowance + 1 at once there."""
    start, end = restored = _span(0, 30)

    def on(spans, moment):
        return sum(1 for s, e in spans if s <= moment < e)

    minutes = [start + timedelta(minutes=m) for m in range(int((end - start).seconds // 60))]
    expected = any(
        on(later, m) and 1 + on(earlier, m) + on(later, m) > allowance + 1 for m in minutes
    )
    assert retaken(restored, earlier, later, allowance) == expected
