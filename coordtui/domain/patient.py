"""Patient field rules: what a registration or an edit may contain.

``validate_patient`` returns normalised values plus a field -> message map,
so a form can show each message beside its field and keep what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from coordtui.domain.dates import read_date
from coordtui.domain.phones import PhoneError, to_e164
from coordtui.domain.text import has_unsafe, nfc

MAX_AGE_YEARS = 130
SEXES = ("female", "male", "other", "unknown")
TEXT_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "email",
    "address",
    "preferred_language",
    "flags",
    "payer",
    "member_id",
    "record_number",
)
EDITABLE = (*TEXT_FIELDS, "dob", "sex", "phone", "phone_alt", "interpreter_needed", "copay_cents")
MAX_LEN = 200


@dataclass
class Validated:
    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def age_on(dob: date, today: date) -> int:
    years = today.year - dob.year
    if (today.month, today.day) < (dob.month, dob.day):
        years -= 1
    return years


def parse_dob(raw: object, today: date) -> date | None:
    """Accept a date or ISO text; raise ValueError with a user-facing message."""
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        dob = raw
    else:
        try:
            dob = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError("Date of birth must be a date like 1980-03-14.") from None
    if dob > today:
        raise ValueError("Date of birth cannot be in the future.")
    if age_on(dob, today) > MAX_AGE_YEARS:
        raise ValueError(f"Date of birth is more than {MAX_AGE_YEARS} years ago.")
    return dob


def read_typed_date(
    text: str, date_order: str = "DMY", today: date | None = None, *, past: bool = True
) -> str:
    """What a person typed in a date field, as ISO text for the mutation.

    Reads exactly what the Lookup box reads (``coordtui.domain.dates.read_date``):
    ISO, or day/month/year in the clinic's order with / . or -, two-digit years
    included (``past``: a date of birth, never after ``today``; otherwise the
    nearest year).  Anything else is returned as typed so the validator reports
    it at the field.
    """
    raw = text.strip()
    found = read_date(raw, date_order, today or date.today(), past=past)
    return found.isoformat() if found else raw


def read_money_cents(text: str) -> int | str:
    """'20', '20.5' or '$20.50' -> cents; anything else returned as typed for the validator."""
    raw = text.strip().lstrip("$").replace(",", "")
    if not raw:
        return 0
    whole, _, frac = raw.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        return text
    return int(whole) * 100 + int((frac + "00")[:2])


def validate_patient(
    fields: dict[str, object], today: date, region: str, partial: bool = False
) -> Validated:
    """Check and normalise patient fields.

    ``partial`` is for edits: only the given fields are checked, but a name
    that is present must still not be blank.
    """
    out = Validated()
    for name, raw in fields.items():
        if name not in EDITABLE:
            out.errors[name] = f"Unknown field {name!r}."
            continue
        try:
            out.values[name] = _one(name, raw, today, region)
        except (ValueError, PhoneError) as exc:
            out.errors[name] = str(exc)
    if not partial:
        for required in ("given_name", "family_name"):
            if required not in fields:
                out.errors.setdefault(required, "Required.")
    return out


def _one(name: str, raw: object, today: date, region: str) -> object:
    if name in TEXT_FIELDS:
        text = nfc(str(raw or "")).strip()
        if has_unsafe(text):
            raise ValueError("Remove control characters (pasted from elsewhere?).")
        if len(text) > MAX_LEN:
            raise ValueError(f"At most {MAX_LEN} characters.")
        if name in ("given_name", "family_name") and not text:
            raise ValueError("Required.")
        if name == "email" and text and ("@" not in text or " " in text):
            raise ValueError("Email must look like name@example.org.")
        return text
    if name == "dob":
        return parse_dob(raw, today)
    if name in ("phone", "phone_alt"):
        return to_e164(str(raw or ""), region)
    if name == "sex":
        value = str(raw or "unknown").strip().lower()
        if value not in SEXES:
            raise ValueError("Sex must be female, male, other or unknown.")
        return value
    if name == "interpreter_needed":
        return bool(raw)
    if name == "copay_cents":
        try:
            cents = int(cast(Any, raw) or 0)  # whatever the form held; refused below
        except (TypeError, ValueError):
            raise ValueError("Copay must be an amount like 20 or 20.50.") from None
        if cents < 0:
            raise ValueError("Copay cannot be negative.")
        return cents
    raise ValueError(f"Unknown field {name!r}.")


def initials(given: str, family: str) -> str:
    """Privacy mask for the waiting-room-visible board."""
    parts = [p for p in (given.strip(), family.strip()) if p]
    return ".".join(p[0].upper() for p in parts) + ("." if parts else "")


def guess_from_search(text: str, date_order: str, today: date) -> dict[str, object]:
    """What was typed in Lookup, carried into a new registration: the names, a date of
    birth and a phone number where they can be told apart.

    "Smith, John 3/14/1978" -> family Smith, given John, dob 1978-03-14; "Smith John
    617 253 1000" -> the phone too.  A word that is neither stays in the names.
    """
    from coordtui.domain.dates import read_date

    names: list[str] = []
    out: dict[str, object] = {}
    digits: list[str] = []
    for word in text.replace(",", " , ").split():
        found = read_date(word, date_order, today, past=True) if "dob" not in out else None
        if found is not None and found <= today:
            out["dob"] = found.isoformat()
        elif word.strip("+()-.").replace("-", "").isdigit():
            digits.append(word)
        else:
            names.append(word)
    number = "".join(ch for ch in "".join(digits) if ch.isdigit())
    if len(number) >= 7:
        out["phone"] = " ".join(digits)
    joined = " ".join(names)
    if "," in joined:
        family, _, given = joined.partition(",")
    else:
        family, _, given = joined.partition(" ")
    family, given = family.strip(), given.strip().strip(",").strip()
    if family:
        out["family_name"] = family
    if given:
        out["given_name"] = given
    return out
