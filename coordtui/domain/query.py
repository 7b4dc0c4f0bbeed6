"""What a person types in the Lookup box, taken apart (pure: no I/O).

One box serves every way a front desk finds a patient, so the parser sorts
the typed text into kinds instead of asking which field to search:

* dates (``1980-03-14``, ``14/03/1980``, ``14.3.80``) read in the clinic's
  date order by ``coordtui.domain.dates.read_date``, the reader the forms
  use too (two-digit years: the most recent past year);
* identifiers: anything with a digit that is not a date.  One typed
  identifier may be a phone number (any format, or its last 4+ digits), a
  record number (exact or prefix) or ``S1234`` (family-name initial + last 4
  digits of a phone or record number, the VistA habit); the search tries
  all readings of it, so ``Identifier`` keeps them side by side;
* everything else is name words, folded (case, accents, NFC/NFD alike);
  a word in Cyrillic, Greek or Arabic script is searched by its romanisation
  (coordtui.domain.translit), which the index holds for names written in
  those scripts, so Шевченко finds Shevchenko and Шевченко alike.

The same name tokenizer (``name_pieces`` / ``name_words``) builds the search
index, so a query word and an indexed word are equal exactly when a person
would call them equal.  Nothing here raises on any text: odd input just
yields fewer tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from coordtui.domain.dates import DATE, read_date
from coordtui.domain.text import fold
from coordtui.domain.translit import has_romanizable, romanize

MAX_QUERY_CHARS = 200  # longer pastes are cut: nobody types more into a search box
MAX_NAME_TOKENS = 8
MAX_IDENTIFIERS = 4
MAX_TOKEN_CHARS = 40

_APOSTROPHES = "'’‘ʼ`´′ʹ＇"
_TO_APOSTROPHE = str.maketrans(dict.fromkeys(_APOSTROPHES, "'"))

# Dates and numbers stand alone: at the start or after a space, comma or semicolon.
_ALONE_BEFORE, _ALONE_AFTER = r"(?<![^\s,;])", r"(?![^\s,;])"
# A phone-like run: digits with the separators people put in numbers, spaces included.
_NUMBER_RUN = re.compile(_ALONE_BEFORE + r"\+?\(?\d[\d\s().\-/]*(?<=[\d)])" + _ALONE_AFTER)
_CHUNKS = re.compile(r"[^\s,;]+")
_INITIAL_LAST4 = re.compile(r"([^\W\d_])(\d{4})")


@dataclass(frozen=True)
class Identifier:
    """One typed identifier and its readings; a patient matches if any reading does."""

    text: str  # as typed
    phone: str = ""  # digits, when it can be a whole phone number or its last 4+
    record: str = ""  # folded letters and digits: a record number, exact or prefix
    initial_last4: str = ""  # e.g. "s1234"


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    names: tuple[str, ...] = ()  # folded name words, in typed order (romanised: see module)
    # Per name word, the folded words of what was typed for it (itself, unless romanised).
    written: tuple[tuple[str, ...], ...] = ()
    dob: date | None = None
    identifiers: tuple[Identifier, ...] = ()

    @property
    def phone(self) -> str:
        return next((i.phone for i in self.identifiers if i.phone), "")

    @property
    def record(self) -> str:
        return next((i.record for i in self.identifiers if i.record), "")

    @property
    def initial_last4(self) -> str:
        return next((i.initial_last4 for i in self.identifiers if i.initial_last4), "")

    @property
    def empty(self) -> bool:
        return not (self.names or self.dob or self.identifiers)


# ------------------------------------------------------------------ names


@lru_cache(maxsize=65536)
def name_pieces(text: str) -> tuple[str, ...]:
    """Folded pieces of a name, split at spaces, hyphens, digits and punctuation.

    Apostrophes stay inside a piece ("o'brien") so callers can both join and
    split there.  Letters are kept; marks that fold() leaves (spacing vowel
    signs) are dropped rather than splitting a word.  Cached: the index
    build folds a million rows, and names repeat.
    """
    folded = fold(text.translate(_TO_APOSTROPHE))
    pieces, current = [], []
    for ch in folded:
        kind = unicodedata.category(ch)[0]
        if kind == "L" or ch == "'":
            current.append(ch)
        elif kind == "M":
            continue
        elif current:
            pieces.append("".join(current))
            current = []
    if current:
        pieces.append("".join(current))
    out = []
    for piece in pieces:
        piece = piece.strip("'")
        if piece:
            out.append(piece[:MAX_TOKEN_CHARS])
    return tuple(out)


def _typed_words(text: str) -> list[str]:
    """``text`` cut where ``name_pieces`` would cut it, but not folded (for romanising)."""
    words, current = [], []
    for ch in text.translate(_TO_APOSTROPHE):
        if ch == "'" or unicodedata.category(ch)[0] in "LM":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def name_words(text: str) -> tuple[str, ...]:
    """The words of a name as people type them whole: "O'Brien-Smith" -> obrien, smith."""
    return tuple(w for w in (p.replace("'", "") for p in name_pieces(text)) if w)


# ------------------------------------------------------------------ dates


def parse_date(text: str, date_order: str = "DMY", today: date | None = None) -> date | None:
    """A typed date of birth, or None: ``coordtui.domain.dates.read_date``, the
    reader every date field uses too."""
    return read_date(text, date_order, today or date.today(), past=True)


# ------------------------------------------------------------------ query


def _digits(text: str) -> str:
    """ASCII digits of any script's digits ('١٢' -> '12')."""
    return "".join(str(unicodedata.digit(c, 0)) for c in text if c.isdigit())


def _identifier(text: str) -> Identifier | None:
    """The readings of one typed identifier (it contains at least one digit)."""
    alnum = "".join(c for c in fold(text) if c.isalnum())[:MAX_TOKEN_CHARS]
    digits = _digits(alnum)
    if not digits:
        return None
    only_number = all(c.isdigit() or c in "+()-./ \t" for c in text.strip())
    m = _INITIAL_LAST4.fullmatch(alnum)
    return Identifier(
        text=text,
        phone=digits if only_number and len(digits) >= 4 else "",
        record=digits
        if only_number
        else "".join(c if not c.isdigit() else str(unicodedata.digit(c, 0)) for c in alnum),
        initial_last4=m.group(1) + _digits(m.group(2)) if m else "",
    )


def parse_query(text: str, date_order: str = "DMY", today: date | None = None) -> ParsedQuery:
    """Take typed text apart into name words, a date of birth and identifiers.

    Only the first date counts as the date of birth; at most a few
    identifiers and name words are kept (a search box, not a document).
    """
    raw = text if isinstance(text, str) else str(text)
    work = raw[:MAX_QUERY_CHARS]
    today = today or date.today()
    dob: date | None = None
    identifiers: list[Identifier] = []

    def keep(ident: Identifier | None) -> None:
        if ident and len(identifiers) < MAX_IDENTIFIERS and ident not in identifiers:
            identifiers.append(ident)

    def take_date(m: re.Match[str]) -> str:
        nonlocal dob
        found = parse_date(m.group(0), date_order, today)
        if found is None:
            return m.group(0)  # not a date after all: read as a number below
        dob = dob or found
        return " "

    def take_number(m: re.Match[str]) -> str:
        keep(_identifier(m.group(0)))
        return " "

    work = DATE.sub(take_date, work)
    work = _NUMBER_RUN.sub(take_number, work)
    names: dict[str, tuple[str, ...]] = {}
    for chunk in _CHUNKS.findall(work):
        if any(c.isdigit() for c in chunk):
            keep(_identifier(chunk))  # a record number like MRN-1000123, or S1234
            continue
        for piece in _typed_words(chunk):
            if not has_romanizable(piece):
                for word in name_words(piece):
                    names.setdefault(word, (word,))
                continue
            written = name_words(piece)  # one word as typed; its romanisation may be two
            for word in name_words(romanize(piece)):  # (الحسن -> al hsn)
                names.setdefault(word, written)
    unique = tuple(names)[:MAX_NAME_TOKENS]
    return ParsedQuery(
        raw=raw,
        names=unique,
        dob=dob,
        identifiers=tuple(identifiers),
        written=tuple(names[w] for w in unique),
    )
