"""Make untrusted text safe to show in a terminal.

Names and notes come from people and from other systems.  Before they reach
the screen every control character (C0, C1, DEL), escape sequence and bidi
override is made visible as a placeholder, so nothing typed can move the
cursor, change colours or reorder what the user reads.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embedding/override/isolate controls and other invisible format chars
# that can reorder or hide text.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_WS = re.compile(r"[\t\n\r]+")


def _visible(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code == 0x1B:
        return "␛"
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures
    return "\ufffd"


def clean(value: object) -> str:
    """One-line display string: tabs/newlines become spaces, controls visible."""
    if value is None:
        return ""
    text = _WS.sub(" ", str(value))
    return _UNSAFE.sub(_visible, text)


def strip_unsafe(value: str) -> str:
    """For input boxes: line breaks and tabs become spaces, other controls are dropped."""
    return _UNSAFE.sub("", _WS.sub(" ", value))


def has_unsafe(value: str) -> bool:
    return bool(_UNSAFE.search(value))


def fold(value: str) -> str:
    """Case- and accent-insensitive key: 'José' and 'JOSE' fold alike."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def nfc(value: str) -> str:
    """Store text in NFC so equal names compare equal whatever the keyboard sent."""
    return unicodedata.normalize("NFC", value)
