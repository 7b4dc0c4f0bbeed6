from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.text import clean, fold, has_unsafe, nfc


def test_escape_sequences_are_made_visible():
    assert clean("\x1b[31mRed") == "␛[31mRed"
    assert clean("\x1b]0;title\x07") == "␛]0;title␇"
    assert clean("\x9b31m") == "\ufffd31m"  # C1 CSI


def test_bidi_overrides_are_neutralised():
    assert "\u202e" not in clean("abc\u202edef")


def test_newlines_and_tabs_become_spaces():
    assert clean("a\nb\tc") == "a b c"


def test_markup_is_left_as_text():
    assert clean("[bold]x[/]") == "[bold]x[/]"


def test_fold_ignores_case_and_accents():
    assert fold("José") == fold("JOSE") == "jose"
    assert fold(nfc("Zoe\u0308")) == "zoe"


def test_nfc_normalises_decomposed_input():
    assert nfc("Jose\u0301") == "José"


@given(st.text())
def test_clean_never_lets_a_control_character_through(value):
    out = clean(value)
    assert not has_unsafe(out)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
