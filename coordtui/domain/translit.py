"""Latin letters for names written in Cyrillic, Greek and Arabic script (pure: no I/O).

A desk in a diverse clinic hears "Shevchenko" on the phone while the record
says Шевченко, or reads Παπαδόπουλος off a passport and types Papadopoulos.
Lookup indexes each such name twice, as written and romanised, and romanises
a typed word in those scripts too, so either spelling finds the other.

Why tables and not a library: one romanisation per script, the one people
actually use on passports and at desks, is enough when the search forgives
one typo and sound-alikes on top (Дмитрий -> "dmitriy" is one letter from
"Dmitry").  The schemes, lowercase only:

* Cyrillic: Russian passport style (х kh, ц ts, ч ch, ш sh, щ shch, ы y,
  й y, ю yu, я ya, ь and ъ silent) plus the Ukrainian, Belarusian, Serbian,
  Macedonian and Kazakh letters;
* Greek: ELOT 743 / passport style, with the digraphs ου ou, αυ av, ευ ev,
  μπ b at the start of a word (mb inside), ντ d at the start (nt inside),
  γγ ng, γκ g at the start (ng inside); accents dropped;
* Arabic (and the Persian/Urdu letters): consonants as usually written in
  Latin (خ kh, ش sh, ث th, ذ dh, غ gh, ق q), ا a, و and ي as w/y at the
  start of a word or after a vowel and u/i elsewhere, ة a, ى a, word-initial
  ع a (Omar, Ali, Abd...), the article ال as a separate "al-" word.  Arabic
  writes few vowels, so its romanisation is only a consonant frame; the
  search compares it by ``skeleton`` (consonants only), which is how
  Mohammed, Muhammad and محمد meet.

Every function here is total: any text in, a string out, never an exception.
Letters of other scripts pass through unchanged; characters of these three
scripts that are not letters (diacritics, tatweel, punctuation) are dropped
or become the ASCII equivalent, so a word in these scripts comes out ASCII.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian, Belarusian
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
    # Serbian, Macedonian
    "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj",
    "ѕ": "dz",
    # Kazakh, Tatar, Bashkir and neighbours
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "җ": "zh", "ҙ": "z", "ҫ": "s", "ҡ": "k", "ӑ": "a", "ӗ": "e", "ӳ": "u", "ҷ": "j",
    "ӣ": "i", "ӯ": "u", "ҳ": "h",
}  # fmt: skip

_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o", "ϐ": "v", "ϑ": "th", "ϕ": "f", "ϖ": "p", "ϲ": "s", "ϳ": "j",
}  # fmt: skip
# Two letters read as one sound: (digraph) -> (at the start of a word, elsewhere).
_GREEK_PAIRS = {
    "ου": ("ou", "ou"), "αυ": ("av", "av"), "ευ": ("ev", "ev"), "ηυ": ("iv", "iv"),
    "μπ": ("b", "mb"), "ντ": ("d", "nt"), "γγ": ("ng", "ng"), "γκ": ("g", "ng"),
    "γξ": ("nx", "nx"), "γχ": ("nch", "nch"),
}  # fmt: skip

_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ب": "b", "ت": "t", "ث": "th",
    "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z", "س": "s",
    "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a", "ى": "a",
    "ء": "", "ؤ": "u", "ئ": "i",
    # Persian, Urdu, Kurdish, Pashto letters
    "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g", "ک": "k", "ی": "i", "ې": "e", "ۍ": "i",
    "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ہ": "h", "ھ": "h", "ۀ": "h", "ے": "e",
    "ڤ": "v", "ڨ": "g", "ۆ": "o", "ێ": "e", "ڵ": "l", "ڕ": "r", "ټ": "t", "ډ": "d",
    "ښ": "sh", "ږ": "zh", "ګ": "g", "ڼ": "n", "ڭ": "ng",
}  # fmt: skip
_ARABIC_YW = {"و": ("w", "u"), "ي": ("y", "i"), "ی": ("y", "i")}  # (consonant, vowel)
_ARABIC_PUNCT = {"،": ",", "؛": ";", "؟": "?", "٪": "%", "٫": ".", "٬": ","}
_ARABIC_VOWEL_OUT = frozenset("aiueo")

_CYRILLIC_RANGES = ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F))
_GREEK_RANGES = ((0x0370, 0x03FF), (0x1F00, 0x1FFF))
_ARABIC_RANGES = (
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x0870, 0x08FF),  # Arabic Extended-B and -A
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
)


def _script(ch: str) -> str:
    """'cyrillic', 'greek', 'arabic' or '' for one character."""
    o = ord(ch)
    if o < 0x0370:
        return ""
    for name, ranges in (
        ("cyrillic", _CYRILLIC_RANGES),
        ("greek", _GREEK_RANGES),
        ("arabic", _ARABIC_RANGES),
    ):
        if any(lo <= o <= hi for lo, hi in ranges):
            return name
    return ""


def has_romanizable(text: str) -> bool:
    """Whether ``text`` has any Cyrillic, Greek or Arabic character."""
    return isinstance(text, str) and any(_script(c) for c in text)


def is_abjad(text: str) -> bool:
    """Whether ``text`` has Arabic-script characters (written mostly without vowels)."""
    return isinstance(text, str) and any(_script(c) == "arabic" for c in text)


def _strip_marks(text: str) -> str:
    """Decompose and drop combining marks (Greek accents, Arabic short vowels and shadda)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _ascii_rest(ch: str) -> str:
    """A character of these scripts that no table names: a digit, ASCII, or nothing."""
    if ch.isdigit():
        return str(unicodedata.digit(ch, 0))
    return ch if ch.isascii() else ""


def _arabic_word(word: str) -> str:
    """One Arabic-script word, presentation forms already folded by NFKC."""
    out: list[str] = []
    if len(word) > 3 and word.startswith("ال"):
        out.append("al-")  # the article: "Al-Hassan" is typed as two words
        word = word[2:]
    for i, ch in enumerate(word):
        if ch in _ARABIC_YW:
            prev = out[-1][-1:] if out else ""
            consonant = i == 0 or prev in _ARABIC_VOWEL_OUT
            out.append(_ARABIC_YW[ch][0 if consonant else 1])
        elif ch == "ع" and i == 0:
            out.append("a")  # word-initial ain is written with a vowel: Omar, Ali, Abd
        elif ch in _ARABIC:
            out.append(_ARABIC[ch])
        elif ch in _ARABIC_PUNCT:
            out.append(_ARABIC_PUNCT[ch])
        else:
            out.append(_ascii_rest(ch))  # tatweel, signs and marks are dropped
    return "".join(out)


def _greek_word(word: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair in _GREEK_PAIRS:
            start = i == 0 or not word[i - 1].isalpha()
            out.append(_GREEK_PAIRS[pair][0 if start else 1])
            i += 2
            continue
        ch = word[i]
        out.append(_GREEK[ch] if ch in _GREEK else _ascii_rest(ch))
        i += 1
    return "".join(out)


def _cyrillic_char(ch: str) -> str:
    if ch in _CYRILLIC:
        return _CYRILLIC[ch]
    # A rarer letter of the script: its base letter if it has one, else nothing.
    base = _strip_marks(ch)
    return _CYRILLIC.get(base, "") if base != ch else _ascii_rest(ch)


def _runs(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into runs in and out of the three scripts.

    A combining mark stays with the run of the letter before it, so that
    и + breve composes to й, and a mark on an Arabic letter goes with it.
    """
    runs: list[tuple[bool, list[str]]] = []
    for ch in text:
        inside = bool(_script(ch)) or (
            bool(runs) and runs[-1][0] and unicodedata.combining(ch) != 0
        )
        if runs and runs[-1][0] == inside:
            runs[-1][1].append(ch)
        else:
            runs.append((inside, [ch]))
    return [(inside, "".join(chars)) for inside, chars in runs]


@lru_cache(maxsize=65536)
def romanize(text: str) -> str:
    """``text`` with its Cyrillic, Greek and Arabic letters in Latin, lowercase.

    Other characters (Latin, CJK, spaces, hyphens, apostrophes) are kept as
    they are, so ``romanize("Шевченко-Smith")`` is ``"shevchenko-smith"``.
    The case of other scripts is lowered too: the result is a search key,
    never shown.
    """
    if not isinstance(text, str) or not text:
        return ""
    out: list[str] = []
    word: list[str] = []
    kind = ""

    def flush() -> None:
        nonlocal kind
        if word:
            chunk = "".join(word)
            out.append(_arabic_word(chunk) if kind == "arabic" else _greek_word(chunk))
            word.clear()
        kind = ""

    for inside, run in _runs(text):
        # NFC so that й and ё (a letter and a mark in NFD) are looked up whole.
        normal = unicodedata.normalize("NFC", run).lower()
        if not inside:
            flush()
            out.append(normal)
            continue
        for ch in normal:
            script = _script(ch)
            if script == "cyrillic":
                flush()
                out.append(_cyrillic_char(ch))
            elif script:
                if kind != script:
                    flush()
                    kind = script
                compat = unicodedata.normalize("NFKC", ch)  # presentation forms -> letters
                # Greek loses its accents; Arabic keeps hamza letters (أ إ ؤ ئ) whole
                # and drops only the separate marks (short vowels, shadda).
                word.extend(
                    _strip_marks(compat)
                    if script == "greek"
                    else (c for c in compat if not unicodedata.combining(c))
                )
            else:  # a mark, or what NFC made of a sign of the script (· from ano teleia)
                flush()
                out.append(_ascii_rest(ch))
    flush()
    return "".join(out)


_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """The consonant frame of a Latin-letter word, for matching abjad romanisations.

    Doubled letters are merged, then vowels dropped (``y`` too, except as the
    first letter); ``q`` reads as ``k``.  A word that starts with a vowel
    keeps a leading ``0`` so that Omar (0mr) does not meet Mary (mr).  So
    Mohammed, Muhammad, Mohamed and محمد ("mhmd") all give ``mhmd``, and
    Hassan and حسن give ``hsn``.  Empty for a word with a non-ASCII or
    non-letter character.
    """
    if not isinstance(word, str) or not word or not (word.isascii() and word.isalpha()):
        return ""
    word = word.lower().replace("q", "k")
    merged = [c for i, c in enumerate(word) if i == 0 or c != word[i - 1]]
    frame = [c for i, c in enumerate(merged) if c not in _VOWELS and not (c == "y" and i > 0)]
    lead = "0" if merged[0] in _VOWELS else ""
    return lead + "".join(frame)
