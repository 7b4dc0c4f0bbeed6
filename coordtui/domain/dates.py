"""Dates as people type them (pure): one reader for Lookup and every form.

The Lookup box and every date field read typed dates with ``read_date``, so
whatever finds a patient by date of birth also registers one: ISO
(``1980-03-14``, ``1980/3/14``) whatever the clinic's order, and day, month
and year in the clinic's order with ``/``, ``.`` or ``-`` (``14/03/1980``,
``14.3.80``; ``03/14/1980`` in an MDY clinic).  When the clinic's order gives
no valid date but swapping day and month does (``03/14/1980`` in a DMY
clinic), that is what was meant; in a year-first clinic, a date that cannot
be year-first (``27/11/2026``) is read day first, then month first.

Two-digit years: a date of birth (``past=True``) is never in the future, so
``14.3.27`` is the most recent 14 March of a year ending in 27 on or before
today (1927 in 2026); a date ahead (a recall, a leave day; ``past=False``)
takes the year nearest today (2027).

The clinic's order defaults from its phone region: month first where that is
the custom (the United States and the places that write dates its way), year
first in East Asia, Hungary and Lithuania, day first everywhere else.  The
config's ``date_order`` wins when it is set.
"""

from __future__ import annotations

import re
from datetime import date

DATE_ORDERS = ("DMY", "MDY", "YMD")

# United States and its territories, the Freely Associated States, the Philippines.
MDY_REGIONS = frozenset({"US", "AS", "GU", "MP", "PR", "UM", "VI", "FM", "MH", "PW", "PH"})
# Year first is the everyday order here (2026/11/27, 2026.11.27.).
YMD_REGIONS = frozenset({"CN", "TW", "JP", "KR", "KP", "MN", "HU", "LT"})

# Dates stand alone: at the start or after a space, comma or semicolon; the same
# separator twice: 1-4 digits, 1-2 digits, 1-4 digits.
DATE = re.compile(r"(?<![^\s,;])(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?![^\s,;])")
MIN_YEAR = 1800


def default_date_order(region: str) -> str:
    """The order a clinic in ``region`` (ISO 3166 alpha-2, its phone region) types dates in."""
    code = (region or "").strip().upper()
    if code in MDY_REGIONS:
        return "MDY"
    if code in YMD_REGIONS:
        return "YMD"
    return "DMY"


def _two_digit_year(yy: int, month: int, day: int, today: date, past: bool) -> date | None:
    """The year ending in ``yy``: the latest on or before today (past), or the nearest."""
    base = today.year - ((today.year - yy) % 100)  # the latest such year <= today.year
    candidates = (base, base - 100) if past else (base + 100, base, base - 100)
    found = []
    for year in candidates:
        try:
            moment = date(year, month, day)
        except ValueError:
            continue
        if past and moment <= today:
            return moment
        found.append(moment)
    if past or not found:
        return None
    return min(found, key=lambda d: (abs(d.toordinal() - today.toordinal()), -d.toordinal()))


def _in_order(parts: tuple[str, str, str], order: str, today: date, past: bool) -> date | None:
    a, b, c = parts
    if len(a) == 4 or order == "YMD":
        ys, ms, ds = a, b, c  # a year first is ISO-like whatever the clinic's order
    elif order == "MDY":
        ms, ds, ys = a, b, c
    else:
        ds, ms, ys = a, b, c
    if len(ys) not in (2, 4) or len(ms) > 2 or len(ds) > 2:
        return None
    year, month, day = int(ys), int(ms), int(ds)
    if len(ys) == 2:
        return _two_digit_year(year, month, day, today, past)
    if year < MIN_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def read_date(text: str, order: str, today: date, *, past: bool = True) -> date | None:
    """A typed date, or None if ``text`` (stripped) is not one.

    ``order`` is DMY, MDY or YMD (anything else reads as DMY); ``today`` is the
    clinic's, for two-digit years; ``past`` (a date of birth) reads them as on
    or before today, else as the nearest.  A whole date after today is still
    returned: whether it is allowed is the field's rule.  Never raises.
    """
    m = DATE.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    parts = (m.group(1), m.group(3), m.group(4))
    order = order if order in DATE_ORDERS else "DMY"
    found = _in_order(parts, order, today, past)
    if found is None and len(parts[0]) != 4:
        for other in {"DMY": ("MDY",), "MDY": ("DMY",), "YMD": ("DMY", "MDY")}[order]:
            found = found or _in_order(parts, other, today, past)
    return found
