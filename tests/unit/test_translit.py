"""Romanising Cyrillic, Greek and Arabic names, and the consonant frame Arabic is matched by."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.translit import has_romanizable, is_abjad, romanize, skeleton


@pytest.mark.parametrize(
    ("written", "latin"),
    [
        ("Шевченко", "shevchenko"),
        ("Иванов", "ivanov"),
        ("Иванова", "ivanova"),
        ("Дмитрий", "dmitriy"),  # й before folding: y, not the и that fold() would leave
        ("Сергей", "sergey"),
        ("Михаил", "mikhail"),
        ("Кузнецов", "kuznetsov"),
        ("Наталья", "natalya"),
        ("Щукин", "shchukin"),
        ("Їжак", "yizhak"),  # Ukrainian
        ("Ђорђевић", "djordjevic"),  # Serbian
        ("Παπαδόπουλος", "papadopoulos"),
        ("Παπαδοπούλου", "papadopoulou"),
        ("Γιώργος", "giorgos"),
        ("Ευαγγελία", "evangelia"),
        ("Χριστοδούλου", "christodoulou"),
        ("Μπακογιάννης", "bakogiannis"),  # μπ at the start of a word is b
        ("Αντώνης", "antonis"),  # ντ inside a word stays nt
        ("Νικολάου", "nikolaou"),
        ("محمد", "mhmd"),
        ("مُحَمَّد", "mhmd"),  # short vowels and shadda are marks: dropped
        ("ﻣﺤﻤﺪ", "mhmd"),  # presentation forms read as the letters
        ("أحمد", "ahmd"),
        ("علي", "ali"),  # word-initial ain is written with a vowel in Latin
        ("يوسف", "yusf"),  # ي at the start is y, و between consonants is u
        ("خالد", "khald"),
        ("الحسن", "al-hsn"),  # the article, typed as its own word
        ("عبد الله", "abd al-lh"),
        ("فاطمة", "fatma"),
        ("إبراهيم", "ibrahim"),
        ("Шевченко-Smith", "shevchenko-smith"),  # other scripts pass through
        ("王伟", "王伟"),
        ("O'Brien", "o'brien"),
        ("", ""),
    ],
)
def test_names_romanise_the_way_they_are_written_in_latin(written, latin):
    assert romanize(written) == latin


def test_nfc_and_nfd_romanise_alike():
    for name in ("Дмитрий", "Фёдор", "Παπαδόπουλος", "Ευαγγελία"):
        assert romanize(unicodedata.normalize("NFD", name)) == romanize(name)


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("Mohammed", "محمد"),
        ("Muhammad", "محمد"),
        ("Mohamed", "محمد"),
        ("Ahmed", "أحمد"),
        ("Ali", "علي"),
        ("Omar", "عمر"),
        ("Youssef", "يوسف"),
        ("Khaled", "خالد"),
        ("Hassan", "حسن"),
        ("Fatima", "فاطمة"),
        ("Aisha", "عائشة"),
        ("Maryam", "مريم"),
        ("Nour", "نور"),
        ("Layla", "ليلى"),
        ("Zainab", "زينب"),
        ("Huda", "هدى"),
        ("Mansour", "منصور"),
        ("Khoury", "خوري"),
        ("Haddad", "حداد"),
        ("Nasr", "نصر"),
        ("Suleiman", "سليمان"),
        ("Ibrahim", "إبراهيم"),
        ("Yasmin", "ياسمين"),
    ],
)
def test_the_usual_latin_spelling_has_the_arabic_names_frame(latin, arabic):
    assert skeleton(latin) == skeleton(romanize(arabic)) != ""


@pytest.mark.parametrize(
    ("a", "b"),
    [("omar", "mary"), ("ali", "lee"), ("mohammed", "mary"), ("zzz", "sue")],
)
def test_different_names_have_different_frames(a, b):
    assert skeleton(a) != skeleton(b)


def test_skeleton_of_non_letters_is_empty():
    assert skeleton("") == skeleton("o'brien") == skeleton("иванов") == skeleton("x1") == ""


# The Unicode blocks of the three scripts, plus what separates words in a name.
BLOCKS = [
    (0x0370, 0x03FF), (0x1F00, 0x1FFF),  # Greek, Greek Extended
    (0x0400, 0x052F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F),  # Cyrillic
    (0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF),  # Arabic
    (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),  # Arabic presentation forms
]  # fmt: skip
SCRIPTS = st.one_of(
    *(st.characters(min_codepoint=lo, max_codepoint=hi) for lo, hi in BLOCKS),
    st.sampled_from(" -'"),
)


@given(st.text(SCRIPTS, max_size=40))
def test_cyrillic_greek_and_arabic_text_comes_out_ascii(text):
    assert romanize(text).isascii()


@given(st.text(max_size=80))
def test_romanize_never_raises_and_keeps_other_text(text):
    out = romanize(text)
    assert isinstance(out, str)
    if not has_romanizable(text):
        assert out == unicodedata.normalize("NFC", text).lower()


@given(st.text(max_size=40))
def test_skeleton_never_raises_and_is_ascii(text):
    frame = skeleton(text)
    assert frame == "" or (frame.isascii() and frame.isalnum())


def test_which_text_is_romanised():
    assert has_romanizable("Smith Шевченко") and has_romanizable("Νίκος") and has_romanizable("علي")
    assert not has_romanizable("Smith") and not has_romanizable("王伟") and not has_romanizable("")
    assert is_abjad("علي") and is_abjad("ﻣﺤﻤﺪ") and not is_abjad("Шевченко")
