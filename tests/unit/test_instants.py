"""coordtui.domain.instants: one home for instants (issue 12), property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.instants import instant, iso, iso_z, utc

moments = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(None)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@given(moments, offsets)
def test_utc_keeps_the_instant_and_says_utc(naive, zone):
    aware = naive.replace(tzinfo=zone)
    assert utc(aware) == aware and utc(aware).tzinfo is UTC
    assert utc(naive) == naive.replace(tzinfo=UTC)  # naive (as SQLite returns them) is UTC


@given(moments, offsets)
def test_iso_text_reads_back_as_the_same_instant(naive, zone):
    aware = naive.replace(tzinfo=zone)
    assert instant(iso(aware)) == aware
    assert iso(aware).endswith("+00:00")
    assert iso_z(aware).endswith("Z") and instant(iso_z(aware)) == aware
