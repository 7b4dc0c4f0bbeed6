"""How likely is an existing patient the same person as one being registered?

OpenEMR's "dupscore" idea, made explainable: each agreeing field adds
points, and the reasons are kept so the desk sees *why* a record is offered
("same DOB", "same phone", "name 92% similar") and decides itself; nothing
here merges anything.  A same record number is certain.  Names are compared
folded (case, accents, apostrophes and hyphens ignored) with rapidfuzz, and
also swapped (given <-> family), against the preferred name, with one typo
allowed, and by sound (metaphone) so "Muhammad" meets "Mohammed".

Weights: name up to 40, DOB 30, phone 20, e-mail 10.  A DOB alone (30) is
below the threshold: hundreds share one at a large clinic.  Two DOBs that
are both known and clearly differ take 15 off, because an exact name with
another birthday is usually another person.  Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from coordtui.domain.patient import MAX_AGE_YEARS, age_on
from coordtui.domain.text import fold, nfc

NAME_POINTS = 40
DOB_POINTS = 30
DOB_NEAR_POINTS = 12
PHONE_POINTS = 20
EMAIL_POINTS = 10
DOB_DIFFERS_POINTS = -15
THRESHOLD = 35  # below this a candidate is not worth the desk's attention
CERTAIN = 100  # only a same record number scores this
LIKELY_MAX = 99

# Name similarity (0-100) at which name points start; 100 gives all of them.
_NAME_FLOOR = 60
_TYPO = 90  # one inserted, deleted, changed or swapped letter
_SOUND = 85  # same metaphone code
_PART = 85  # one name is part of a multi-part name ("García" in "García Márquez")
_PUNCT = re.compile(r"['’`ʼ.]")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_,]+")


@dataclass(frozen=True)
class Match:
    score: int  # 0-100
    reasons: tuple[str, ...]  # most telling first


@lru_cache(maxsize=65536)
def norm_name(value: str) -> str:
    """Comparable form: NFC, folded, apostrophes gone, hyphens/spaces single spaces.

    Cached: a clinic's names repeat a lot, and a duplicate check folds hundreds.
    """
    text = _PUNCT.sub("", fold(nfc(value)))
    return " ".join(part for part in _SEPARATORS.split(text) if part)


@lru_cache(maxsize=65536)
def _sound(value: str) -> str:
    """Metaphone of a normalised Latin-letter name ('' for other scripts)."""
    if not value or not value.isascii():
        return ""
    return jellyfish.metaphone(value)


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """Similarity 0-100 of two normalised name parts and what made it ('' = plain)."""
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 100.0, ""
    best, how = fuzz.ratio(a, b), ""
    if min(len(a), len(b)) >= 4 and best < _TYPO and OSA.distance(a, b) == 1:
        best, how = float(_TYPO), "typo"
    if best < _PART and (" " in a or " " in b) and fuzz.token_set_ratio(a, b) == 100:
        best, how = float(_PART), "part"
    if best < _SOUND:
        sa = _sound(a)
        if sa and sa == _sound(b):
            best, how = float(_SOUND), "sound"
    return best, how


def _given_forms(person: dict[str, Any]) -> list[tuple[str, bool]]:
    """(normalised given-like name, is it the preferred name) for one person."""
    forms = [(norm_name(str(person.get("given_name") or "")), False)]
    preferred = norm_name(str(person.get("preferred_name") or ""))
    if preferred and preferred != forms[0][0]:
        forms.append((preferred, True))
    return forms


def compare_names(new: dict[str, Any], existing: dict[str, Any]) -> tuple[float, list[str]]:
    """Best name similarity 0-100 over straight, preferred and swapped readings."""
    new_family = norm_name(str(new.get("family_name") or ""))
    old_family = norm_name(str(existing.get("family_name") or ""))
    family, family_how = name_similarity(new_family, old_family)
    best_given, given_how, via_preferred = 0.0, "", False
    for a, a_pref in _given_forms(new):
        for b, b_pref in _given_forms(existing):
            sim, how = name_similarity(a, b)
            if sim > best_given:
                best_given, given_how, via_preferred = sim, how, a_pref or b_pref
    straight = (family + best_given) / 2
    new_given = norm_name(str(new.get("given_name") or ""))
    old_given = norm_name(str(existing.get("given_name") or ""))
    cross_a, how_a = name_similarity(new_given, old_family)
    cross_b, how_b = name_similarity(new_family, old_given)
    swapped = (cross_a + cross_b) / 2
    if swapped > straight:
        hows = {how_a, how_b} - {""}
        return swapped, ["given and family swapped", *_how_reasons(hows)]
    notes = []
    if via_preferred and best_given == 100:
        notes.append("preferred name matches")
    return straight, [*notes, *_how_reasons({family_how, given_how} - {""})]


def _how_reasons(hows: set[str]) -> list[str]:
    labels = {"typo": "one typo in name", "sound": "names sound alike", "part": "part of name"}
    return [labels[h] for h in ("typo", "sound", "part") if h in hows]


def _dob(value: object, today: date) -> date | None:
    """A plausible date of birth, or None (bad text and future dates are no evidence)."""
    if isinstance(value, date):
        dob = value
    elif isinstance(value, str) and value.strip():
        try:
            dob = date.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if dob > today or age_on(dob, today) > MAX_AGE_YEARS:
        return None
    return dob


def _phones(person: dict[str, Any]) -> set[str]:
    """Digits of the person's numbers with their leading '+', if any."""
    out = set()
    for key in ("phone", "phone_alt"):
        raw = str(person.get(key) or "").strip()
        digits = "".join(c for c in raw if c.isdigit())
        if len(digits) >= 7:
            out.add(("+" if raw.startswith("+") else "") + digits)
    return out


def _same_phone(a: set[str], b: set[str]) -> bool:
    """E.164 must be equal; a number typed without '+' may match by its last 10 digits."""
    for x in a:
        for y in b:
            if x == y:
                return True
            if x.startswith("+") and y.startswith("+"):
                continue
            dx, dy = x.lstrip("+"), y.lstrip("+")
            short, long_ = sorted((dx, dy), key=len)
            if len(short) >= 10 and long_.endswith(short):
                return True
    return False


def _dob_near(a: date, b: date) -> bool:
    """One digit wrong, two adjacent digits swapped, or day and month swapped."""
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    return OSA.distance(a.strftime("%Y%m%d"), b.strftime("%Y%m%d")) == 1


def score_candidate(new: dict[str, Any], existing: dict[str, Any], today: date) -> Match | None:
    """Score ``existing`` as a possible duplicate of ``new``; None when below THRESHOLD.

    Both are dicts of patient fields (given_name, family_name, preferred_name,
    dob as date or ISO text, phone, phone_alt, email, record_number); missing
    fields are simply no evidence.  ``today`` bounds plausible dates of birth.
    """
    reasons: list[str] = []
    points = 0.0
    new_mrn = str(new.get("record_number") or "").strip().casefold()
    certain = (
        bool(new_mrn) and new_mrn == str(existing.get("record_number") or "").strip().casefold()
    )
    if certain:
        reasons.append("same record number")

    new_dob, old_dob = _dob(new.get("dob"), today), _dob(existing.get("dob"), today)
    dob_note = ""
    if new_dob and old_dob:
        if new_dob == old_dob:
            points += DOB_POINTS
            reasons.append("same DOB")
        elif _dob_near(new_dob, old_dob):
            points += DOB_NEAR_POINTS
            dob_note = "DOB nearly the same"
        else:
            points += DOB_DIFFERS_POINTS
            dob_note = "different DOB"

    if _same_phone(_phones(new), _phones(existing)):
        points += PHONE_POINTS
        reasons.append("same phone")

    similarity, name_notes = compare_names(new, existing)
    if similarity > _NAME_FLOOR:
        points += NAME_POINTS * (similarity - _NAME_FLOOR) / (100 - _NAME_FLOOR)
        if similarity == 100:
            reasons.extend(name_notes or ["same name"])
        else:
            reasons.append(f"name {int(similarity)}% similar")
            reasons.extend(name_notes)

    new_email = str(new.get("email") or "").strip().casefold()
    if new_email and new_email == str(existing.get("email") or "").strip().casefold():
        points += EMAIL_POINTS
        reasons.append("same email")
    if dob_note:
        reasons.append(dob_note)

    if certain:
        return Match(CERTAIN, tuple(reasons))
    score = max(0, min(LIKELY_MAX, round(points)))
    if score < THRESHOLD:
        return None
    return Match(score, tuple(reasons))
