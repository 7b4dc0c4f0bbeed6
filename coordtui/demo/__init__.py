"""Deterministic demo clinic and scale-data generators.

``generate_demo`` (clinic.py) builds a small, lifelike clinic for trying the
app, screenshots and UI tests; ``seed_store`` (seed.py) builds a large store
for performance work.  Both share one patient factory (people.py, from the
name corpus in names.py), one visit planner (visits.py, histories.py) and
one raw writer (writer.py).

Both lay the day out relative to ``now``.  Callers that run at any hour use
a mid-day clock (``demo_clock``, coordtui.clock): outside 11:00-15:00 clinic
time it is the real clock shifted to 11:30 today, and the app then runs on
that same clock, so the board is a live mid-day one whatever the hour.  The
instant a store was laid out for is kept in ``meta`` (``laid_out_at``), so a
benchmark can run on the clock its store was made for (coordtui.clock.store_clock).

Both are deterministic for a given ``seed`` and ``now``: every random choice
comes from one ``random.Random(seed)`` and ids come from a seeded, counter
based generator (ids.py), so two runs write byte-for-byte identical rows.
"""

from coordtui.demo.clinic import DEFAULT_TIMEZONE, DemoSummary, demo_clock, generate_demo
from coordtui.demo.seed import SeedSummary, seed_plan, seed_store

__all__ = [
    "DEFAULT_TIMEZONE",
    "DemoSummary",
    "SeedSummary",
    "demo_clock",
    "generate_demo",
    "seed_plan",
    "seed_store",
]
