"""Possible duplicates of a patient about to be registered, on plain sqlite3.

Scoring every patient would take seconds at a million records, so candidates
are first gathered by a few narrow, indexed lookups, each able to find a kind
of duplicate the others miss:

* the same record number (unique index);
* the same phone as anyone's main or other number;
* the same date of birth, and (names only) dates one digit or a day/month
  swap away, kept only if the name is close;
* the name: family and given name starting with the same two letters (as
  typed, capitalised or in capitals), straight and swapped, through
  ``ix_patient_family_given`` alone.  Two letters rather than the whole name
  so accents and typos later in the name still meet ("Garcia" finds
  "García"); with a DOB to go on, only records without one are taken here,
  the DOB lookups already cover the rest.

Name-only rows are pre-filtered with one cheap rapidfuzz ratio before the
full rows are read and scored by ``coordtui.domain.duplicates``.  Merged
records are never offered.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from rapidfuzz import fuzz

from coordtui.domain.duplicates import norm_name, score_candidate
from coordtui.domain.patient import MAX_AGE_YEARS, age_on
from coordtui.domain.phones import PhoneError, to_e164
from coordtui.domain.text import nfc
from coordtui.read_models.patients import Candidate

_PER_LOOKUP = 300  # rows one exact lookup may bring (a DOB shared by many, a family phone)
_PER_NAME_RANGE = 2000  # index entries one name range may bring, names only
_SCORED_BY_NAME = 150  # name-only rows kept for full scoring after the cheap pre-filter
_NAME_PREFILTER = 60  # cheap whole-name ratio a row needs to be scored at all

NAME_INDEX = "ix_patient_family_given"  # from the models
DOB_INDEX = "ix_patient_dob_names"

_COLUMNS = (
    "rowid, id, record_number, given_name, family_name, preferred_name, dob, phone, "
    "phone_alt, email"
)


def ensure_indexes(conn: sqlite3.Connection) -> None:
    """Plain indexes the lookups need; idempotent, for a schema migration to call.

    The DOB index carries the names so DOB lookups never touch the table and
    records without a DOB are found by name directly; ``phone_alt`` is indexed
    only where set (most patients have none).
    """
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {DOB_INDEX} ON patient (dob, family_name, given_name)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ix_patient_phone ON patient (phone)")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS ix_patient_phone_alt ON patient (phone_alt) "
        "WHERE phone_alt != ''"
    )


def find_duplicates(
    conn: sqlite3.Connection, fields: dict, today: date, limit: int = 10
) -> list[Candidate]:
    """Existing, unmerged patients that may be the person in ``fields``, best first.

    ``fields`` are registration values as typed (dob as a date or ISO text,
    phones in any format the clinic's region reads).
    """
    probe = _probe(conn, fields, today)
    rowids: dict[int, None] = {}  # insertion-ordered set

    def take(sql: str, params: tuple) -> None:
        for (rowid,) in conn.execute(sql, params):
            rowids[rowid] = None

    if probe["record_number"]:
        take("SELECT rowid FROM patient WHERE record_number = ?", (probe["record_number"],))
    phones = tuple(p for p in (probe["phone"], probe["phone_alt"]) if p)
    if phones:
        marks = ",".join("?" * len(phones))
        take(f"SELECT rowid FROM patient WHERE phone IN ({marks}) LIMIT {_PER_LOOKUP}", phones)
        take(
            f"SELECT rowid FROM patient WHERE phone_alt IN ({marks}) AND phone_alt != '' "
            f"LIMIT {_PER_LOOKUP}",
            phones,
        )
    dob = probe["dob"]
    if dob:
        take(f"SELECT rowid FROM patient WHERE dob = ? LIMIT {_PER_LOOKUP}", (dob.isoformat(),))

    named = _name_rows(conn, probe, today)
    target = _full_name(probe["given_name"], probe["family_name"])
    swapped = _full_name(probe["family_name"], probe["given_name"])
    ranked = sorted(
        ((max(fuzz.ratio(target, n), fuzz.ratio(swapped, n)), r) for r, n in named.items()),
        reverse=True,
    )
    for quick, rowid in ranked[:_SCORED_BY_NAME]:
        if quick < _NAME_PREFILTER:
            break
        rowids[rowid] = None
    if not rowids:
        return []

    found = []
    ids = list(rowids)
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        sql = (
            f"SELECT {_COLUMNS} FROM patient WHERE rowid IN ({','.join('?' * len(chunk))}) "
            "AND merged_into IS NULL"
        )
        for row in conn.execute(sql, chunk):
            existing = {
                "record_number": row[2],
                "given_name": row[3],
                "family_name": row[4],
                "preferred_name": row[5],
                "dob": row[6],
                "phone": row[7],
                "phone_alt": row[8],
                "email": row[9],
            }
            match = score_candidate(probe, existing, today)
            if match:
                found.append(
                    Candidate(
                        patient_id=row[1],
                        record_number=row[2],
                        given_name=row[3],
                        family_name=row[4],
                        dob=_date(row[6]),
                        phone=row[7] or "",
                        score=match.score,
                        reasons=match.reasons,
                    )
                )
    found.sort(key=lambda c: (-c.score, c.family_name, c.given_name, c.record_number))
    return found[:limit]


# --------------------------------------------------------------- helpers


def _probe(conn: sqlite3.Connection, fields: dict, today: date) -> dict:
    """The typed fields made comparable: NFC text, a real date, E.164 phones."""
    row = conn.execute("SELECT phone_region FROM clinic LIMIT 1").fetchone()
    region = row[0] if row else "US"
    probe = {
        key: nfc(str(fields.get(key) or "")).strip()
        for key in ("given_name", "family_name", "preferred_name", "email", "record_number")
    }
    for key in ("phone", "phone_alt"):
        try:
            probe[key] = to_e164(str(fields.get(key) or ""), region)
        except PhoneError:
            probe[key] = ""
    probe["dob"] = _plausible_dob(fields.get("dob"), today)
    return probe


def _plausible_dob(value: object, today: date) -> date | None:
    if isinstance(value, date):
        dob = value
    else:
        try:
            dob = date.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    if dob > today or age_on(dob, today) > MAX_AGE_YEARS:
        return None
    return dob


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _full_name(given: str, family: str) -> str:
    return f"{norm_name(given)} {norm_name(family)}".strip()


def _near_dobs(dob: date, today: date) -> list[str]:
    """Dates one digit, one adjacent-digit swap or a day/month swap away (valid, past)."""
    digits = dob.strftime("%Y%m%d")
    variants = set()
    for i in range(8):
        for d in "0123456789":
            if d != digits[i]:
                variants.add(digits[:i] + d + digits[i + 1 :])
        if i < 7:
            variants.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    variants.add(f"{dob.year:04d}{dob.day:02d}{dob.month:02d}")
    variants.discard(digits)
    out = []
    oldest = today - timedelta(days=366 * (MAX_AGE_YEARS + 1))
    for text in variants:
        try:
            candidate = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if oldest <= candidate <= today:
            out.append(candidate.isoformat())
    return sorted(out)


def _prefix_ranges(name: str) -> list[tuple[str, str]]:
    """[low, high) ranges of stored names starting like ``name``'s first two letters."""
    prefix = name[:2]
    if not prefix:
        return []
    forms = {prefix, prefix.capitalize(), prefix.upper(), prefix.lower(), prefix.title()}
    return [(p, p[:-1] + chr(ord(p[-1]) + 1)) for p in sorted(forms)]


def _name_rows(conn: sqlite3.Connection, probe: dict, today: date) -> dict[int, str]:
    """rowid -> normalised 'given family' of rows whose names could match, names only."""
    out: dict[int, str] = {}
    given, family = probe["given_name"], probe["family_name"]
    dob = probe["dob"]
    by_dob = _has_index(conn, DOB_INDEX)
    hint = f"INDEXED BY {DOB_INDEX} " if by_dob else ""

    def collect(sql: str, params: tuple | list) -> None:
        for rowid, g, f in conn.execute(sql, params):
            if rowid not in out:
                out[rowid] = _full_name(g, f)

    if dob:
        near = _near_dobs(dob, today)
        if near:
            marks = ",".join("?" * len(near))
            collect(
                f"SELECT rowid, given_name, family_name FROM patient {hint}WHERE dob IN ({marks})",
                near,
            )
    # With a DOB, rows that have one were reached by the DOB lookups: only rows
    # without one are wanted, and (dob, family_name, given_name) finds them directly.
    if dob:
        where = "dob IS NULL AND " if by_dob else ""
        tail = "" if by_dob else " AND dob IS NULL"
        index = hint
    else:
        where, tail, index = "", "", f"INDEXED BY {NAME_INDEX} "
    givens = [g for g in (given, probe["preferred_name"]) if g]
    pairs = [(family, g) for g in givens] + ([(given, family)] if given and family else [])
    seen: set[tuple] = set()
    for fam, giv in pairs:
        for f_low, f_high in _prefix_ranges(fam):
            for g_low, g_high in _prefix_ranges(giv):
                if (f_low, g_low) in seen:
                    continue
                seen.add((f_low, g_low))
                collect(
                    f"SELECT rowid, given_name, family_name FROM patient {index}"
                    f"WHERE {where}family_name >= ? AND family_name < ? "
                    f"AND given_name >= ? AND given_name < ?{tail} LIMIT {_PER_NAME_RANGE}",
                    (f_low, f_high, g_low, g_high),
                )
    return out


def _has_index(conn: sqlite3.Connection, name: str) -> bool:
    """Stores not yet migrated lack our index; the lookups then run without it."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).fetchone()
    return row is not None
