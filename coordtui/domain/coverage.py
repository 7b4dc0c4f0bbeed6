"""Coverage at check-in: when a patient's coverage needs checking, and copay amounts.

A front desk confirms a patient's payer, member id and copay when they
arrive, at most every ``coverage_check_days`` days (config; 0 turns the
check off).  Coverage is *on file* when a payer is recorded (an insurer, or
"Self-pay": both are answers); a verification is a recorded fact (who, when,
what was seen), never a call to an insurer.  A copay collected is recorded
with its method; no payment is processed.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from coordtui.domain.days import format_day, local

DEFAULT_CHECK_DAYS = 30  # re-verify monthly: a common front-desk policy
MAX_CHECK_DAYS = 3650
MAX_COPAY_CENTS = 10_000_000  # 100,000.00: anything larger is a typing slip
# Stored value -> label; no payment is processed, the method is only recorded.
METHODS: dict[str, str] = {
    "cash": "Cash",
    "card": "Card",
    "cheque": "Cheque / check",
    "mobile": "Mobile money",
    "other": "Other",
}
AMOUNT_HINT = "an amount like 20 or 20.50"  # what coordtui.domain.patient.read_money_cents reads


def format_money(cents: int) -> str:
    """1234 -> '12.34' (no currency: the clinic's is implied, as on the patient form)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def copay_errors(amount_cents: object, method: object) -> dict[str, str]:
    """Field -> message for a copay as it travels in a mutation's args (cents, method)."""
    errors: dict[str, str] = {}
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        errors["amount_cents"] = f"Copay collected must be {AMOUNT_HINT}."
    elif amount_cents <= 0:
        errors["amount_cents"] = "Copay collected must be more than 0 (leave it at 0 to skip)."
    elif amount_cents > MAX_COPAY_CENTS:
        errors["amount_cents"] = (
            f"Copay collected must be at most {format_money(MAX_COPAY_CENTS)}: check the amount."
        )
    if method not in METHODS:
        errors["method"] = f"Method must be one of: {', '.join(METHODS)}."
    return errors


def verified_day(verified_at: datetime | None, zone: tzinfo) -> date | None:
    return None if verified_at is None else local(verified_at, zone).date()


def coverage_due(
    on_file: bool, verified_at: datetime | None, today: date, zone: tzinfo, days: int
) -> bool:
    """Missing, never verified, or last verified ``days`` or more days ago (0: never due).

    Counted in clinic-local days: verified today is fresh for ``days`` days,
    so with 30 it is due again on the 30th day after.
    """
    if days <= 0:
        return False
    day = verified_day(verified_at, zone)
    return not on_file or day is None or (today - day).days >= days


def coverage_note(
    on_file: bool, verified_at: datetime | None, today: date, zone: tzinfo, days: int
) -> str:
    """The queue's detail-line words for a due check ("" when nothing is due)."""
    if not coverage_due(on_file, verified_at, today, zone, days):
        return ""
    if not on_file:
        return "$ no coverage on file"
    day = verified_day(verified_at, zone)
    if day is None:
        return "$ coverage never verified"
    return f"$ coverage verified {(today - day).days}d ago"


def verified_when(verified_at: datetime | None, today: date, zone: tzinfo) -> str:
    """'never', 'today', or 'Mon 02 Mar 2026 (40d ago)'."""
    day = verified_day(verified_at, zone)
    if day is None:
        return "never"
    return "today" if day == today else f"{format_day(day)} ({(today - day).days}d ago)"
