"""What the patient search index holds for one patient (plain sqlite3, no SQLAlchemy).

coordtui.store.search keeps the index in order and answers queries; this
module decides the tokens of one patient's entry, because that is where the
search's promises start: a name is found as written, folded and romanised,
by its date of birth, phones, record number, S1234, and by the record
numbers of the records merged into it.

An entry is two FTS5 columns (see coordtui.store.search): ``lead`` holds the
words a name starts with, ``rest`` the inner words and the marker tokens.
Markers contain a digit, which name words never do:

========  ==========================================================
``9n``    how many words the whole name has
``9d``    date of birth, YYYYMMDD
``9p``    phone digits, reversed (so "ends with 1234" is a prefix query)
``9r``    record number, folded (and its digits alone)
``9i``    family initial + last 4 digits of a phone or the record number
``9m``    record number of a record merged into this one (and its digits)
``9j``    family initial + last 4 of a merged record's number
``9x``    id of a record merged into this one (to find this entry again
          when that record changes)
========  ==========================================================

Names in Cyrillic, Greek and Arabic script are indexed as written (in
``lead`` and ``rest`` like any name) and romanised (coordtui.domain.translit)
in ``rest`` only: a name matched through its romanisation ranks below one
matched as written, so "ivanov" lists Ivanov before Иванов, and "иванов"
lists Иванов before Ivanov.  The romanisations of Arabic-script words are
kept apart in the vocabulary (``abjad``): they are consonant frames, matched
by skeleton rather than spelling.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import jellyfish

from coordtui.domain.query import name_pieces
from coordtui.domain.text import fold
from coordtui.domain.translit import has_romanizable, is_abjad, romanize

Doc = tuple[str, str]  # (lead, rest): the two FTS columns
Pointer = tuple[str, str, str]  # a merged-away record: (id, record number, family name)
MAX_CHAIN = 64  # merges followed from one record (a chain longer than this is an error)

PATIENT_COLUMNS = (
    "id, given_name, family_name, preferred_name, dob, phone, phone_alt, record_number, merged_into"
)


class NameDoc(NamedTuple):
    lead: str  # the lead column
    rest: str  # the name part of the rest column
    words: frozenset[str]  # every name word, for the vocabulary
    initials: tuple[str, ...]  # family initial as written, and romanised
    abjad: frozenset[str]  # the words that romanise an Arabic-script word


def _is_cjk(text: str) -> bool:
    """Scripts written without spaces between family and given name."""
    return any(
        0x3040 <= (o := ord(c)) <= 0x30FF
        or 0x3400 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or o >= 0x20000
        for c in text
    )


@lru_cache(maxsize=65536)
def part_tokens(part: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words, extra tokens) of one name field.

    Words are what a person types whole ("o'brien" -> "obrien"); extras are
    the apostrophe parts ("o", "brien") and the joined form of a name of
    several words ("smith-jones" -> "smithjones", "de la cruz" -> "delacruz").
    """
    pieces = name_pieces(part)
    words = tuple(w for w in (p.replace("'", "") for p in pieces) if w)
    extra = [s for p in pieces if "'" in p for s in p.split("'") if s]
    if len(words) > 1:
        extra.append("".join(words))
    return words, tuple(extra)


_NO_ROMAN: tuple[tuple[str, ...], tuple[str, ...], frozenset[str]] = ((), (), frozenset())


@lru_cache(maxsize=65536)
def _romanized(part: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """(words, extras, Arabic-derived words) of a name field's romanisation; empty if Latin."""
    if not has_romanizable(part):
        return _NO_ROMAN
    words, extra = part_tokens(romanize(part))
    abjad: frozenset[str] = frozenset()
    if is_abjad(part):
        arabic = "".join(c if is_abjad(c) else " " for c in part)
        a_words, a_extra = part_tokens(romanize(arabic))
        abjad = frozenset(a_words + a_extra)
    return words, extra, abjad


@lru_cache(maxsize=65536)
def name_doc(given: str, family: str, preferred: str, roman: bool = True) -> NameDoc:
    """The name part of a patient's entry.  Cached: names repeat across a clinic.

    ``lead`` holds the words a name starts with (first word of the family,
    given and preferred names, and joined forms), so that "smi" lists
    Smith before Bouchard-Smith.  ``roman=False`` leaves out the
    romanisations: the entry as written, which tells a match made by
    transliteration from one made by spelling.
    """
    fields = (family, given, preferred)  # family first: its initial is the S in S1234
    written = [part_tokens(f) for f in fields]
    romans = [_romanized(f) if roman else _NO_ROMAN for f in fields]
    lead: dict[str, None] = {}
    for words, extra in written:
        if words:
            lead[words[0]] = None
            if len(words) > 1:
                lead[extra[-1]] = None  # the joined form
    (f_words, _), (g_words, _), (p_words, _) = written
    # How many words the whole name has: with every typed word found in the
    # name, it tells a whole-name match (John Smith for "smith john") from a
    # partial one (John Bouchard-Smith).  A romanisation may split a word
    # (الحسن -> al hsn), so its own count is there too.
    counts: set[int] = set()
    for fam, giv, pref in (
        (f_words, g_words, p_words),
        tuple(r[0] or w[0] for r, w in zip(romans, written, strict=True)),
    ):
        counts |= {len(giv) + len(fam)} | ({len(pref) + len(fam)} if pref else set())
    counts.discard(0)
    if g_words and f_words and _is_cjk(given + family):
        lead["".join(f_words) + "".join(g_words)] = None  # 王伟: family first, no space
        counts.add(1)
    markers = [f"9n{n}" for n in sorted(counts)]
    everything = itertools.chain(
        *(w for w, _ in written), *(e for _, e in written), *(r[0] + r[1] for r in romans)
    )
    rest = dict.fromkeys(w for w in everything if w not in lead)
    initials = dict.fromkeys(ws[0][0] for ws in (f_words, romans[0][0]) if ws)
    return NameDoc(
        lead=" ".join(lead),
        rest=" ".join(itertools.chain(rest, markers)),
        words=frozenset(itertools.chain(lead, rest)),
        initials=tuple(initials),
        abjad=frozenset().union(*(r[2] for r in romans)),
    )


_NOT_DIGIT = re.compile(r"[^0-9]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def ascii_digits(text: str) -> str:
    if text.isascii() and text.isdigit():
        return text
    return _NOT_DIGIT.sub("", text)


def record_key(record: str) -> str:
    """Record numbers compare by ASCII letters and digits, case-insensitively."""
    if record.isascii():
        return record.lower() if record.isalnum() else _NOT_ALNUM.sub("", record.lower())
    return "".join(c for c in fold(record) if c.isalnum() and c.isascii())


def _record_markers(prefix: str, record: str) -> tuple[list[str], str]:
    """Markers for a record number (folded, and its digits alone), and its last 4 digits."""
    key = record_key(record) if record else ""
    if not key:
        return [], ""
    markers = [prefix + key]
    digits = ascii_digits(key)
    if digits and digits != key:
        markers.append(prefix + digits)
    return markers, digits[-4:] if len(digits) >= 4 else ""


def patient_doc(
    given: str,
    family: str,
    preferred: str,
    dob: str | None,
    phones: Sequence[str],
    record: str,
    merged: Sequence[Pointer] = (),
) -> tuple[Doc, NameDoc]:
    """The indexed document of one patient, and its name part (for the vocabulary)."""
    name = name_doc(given or "", family or "", preferred or "")
    markers = [name.rest] if name.rest else []
    if dob:
        markers.append("9d" + dob.replace("-", ""))
    last4s = []
    for phone in phones:
        if phone:
            digits = ascii_digits(phone[1:] if phone[0] == "+" else phone)
            if digits:
                markers.append("9p" + digits[::-1])
                last4s.append(digits[-4:])
    own, last4 = _record_markers("9r", record)
    markers += own
    last4s.append(last4)
    for last4 in dict.fromkeys(last4s):
        if len(last4) == 4:
            markers += ["9i" + initial + last4 for initial in name.initials]
    for absorbed_id, old_record, old_family in merged:
        # The old number leads here; S1234 of it too, with either record's family initial.
        old, last4 = _record_markers("9m", old_record)
        markers += old
        if last4:
            initials = dict.fromkeys(name.initials + name_doc("", old_family or "", "").initials)
            markers += ["9j" + initial + last4 for initial in initials]
        markers.append(pointer_marker(absorbed_id))
    return (name.lead, " ".join(dict.fromkeys(markers))), name


def pointer_marker(patient_id: str) -> str:
    """The token an entry carries for a record merged into it."""
    return "9x" + record_key(patient_id or "")


def doc_of(row: tuple, merged: Sequence[Pointer] = ()) -> tuple[Doc, NameDoc]:
    """``patient_doc`` of a row selected with ``PATIENT_COLUMNS``."""
    _, given, family, preferred, dob, phone, phone_alt, record, _ = row
    return patient_doc(given, family, preferred, dob, (phone, phone_alt), record, merged)


@lru_cache(maxsize=65536)
def _folded(name: str) -> str:
    return fold(name).replace("\x00", "")


def sort_key(family: str, given: str, patient_id: str) -> str:
    """Tie-break order of results: folded family name, folded given name, id.

    One string (NUL-separated, NULs dropped from the names) so it compares
    like the tuple would, and a million of them sort twice as fast.
    """
    return f"{_folded(family or '')}\x00{_folded(given or '')}\x00{patient_id}"


# ----------------------------------------------------------------- merges

# The columns travel in the recursion: joining the chain back to ``patient`` at the end
# would let the planner scan the whole table.
_ABSORBED = """
WITH RECURSIVE chain(id, record, family, depth) AS (
    SELECT id, record_number, family_name, 1 FROM patient WHERE merged_into = ?
    UNION ALL
    SELECT p.id, p.record_number, p.family_name, chain.depth + 1
      FROM chain JOIN patient p ON p.merged_into = chain.id
     WHERE chain.depth < ?
)
SELECT id, record, family FROM chain ORDER BY id
"""


def absorbed(conn: sqlite3.Connection, survivor_id: str) -> tuple[Pointer, ...]:
    """Every record merged into ``survivor_id``, directly or through a chain (A -> B -> C)."""
    rows = conn.execute(_ABSORBED, (survivor_id, MAX_CHAIN)).fetchall()
    return tuple(dict.fromkeys((r[0], r[1] or "", r[2] or "") for r in rows))


def survivor(conn: sqlite3.Connection, patient_id: str) -> str | None:
    """The live record a merged one leads to (the end of its chain), or None."""
    seen: set[str] = set()
    current: str | None = patient_id
    while current is not None and current not in seen and len(seen) < MAX_CHAIN:
        seen.add(current)
        row = conn.execute("SELECT merged_into FROM patient WHERE id = ?", (current,)).fetchone()
        if row is None:
            return None
        if row[0] is None:
            return current
        current = row[0]
    return None


def all_absorbed(conn: sqlite3.Connection) -> dict[str, list[Pointer]]:
    """Survivor id -> the records merged into it, for the whole table (a rebuild)."""
    rows = conn.execute(
        "SELECT id, merged_into, record_number, family_name FROM patient "
        "WHERE merged_into IS NOT NULL ORDER BY id"
    ).fetchall()
    into = {r[0]: r[1] for r in rows}
    out: dict[str, list[Pointer]] = {}
    for absorbed_id, _, record, family in rows:
        current, steps = absorbed_id, 0
        while current in into and steps <= MAX_CHAIN:
            current, steps = into[current], steps + 1
        if current not in into:  # a cycle has no survivor
            out.setdefault(current, []).append((absorbed_id, record or "", family or ""))
    return out


# ------------------------------------------------------------ vocabulary


def sound(word: str) -> str:
    if not word.isascii():
        return ""
    try:
        return jellyfish.metaphone(word)
    except Exception:  # metaphone is for Latin letters; anything odd just has no sound
        return ""


def variants(word: str) -> set[str]:
    """The word and every way of deleting one letter from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
