"""Parsing what is typed in the Lookup box: names, dates, phones, record numbers, S1234."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordtui.domain.query import (
    MAX_IDENTIFIERS,
    MAX_NAME_TOKENS,
    name_pieces,
    name_words,
    parse_date,
    parse_query,
)

TODAY = date(2026, 11, 27)


def parse(text: str, order: str = "DMY"):
    return parse_query(text, order, TODAY)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("smi jo", ("smi", "jo")),
        ("smith, john", ("smith", "john")),
        ("Smith,John", ("smith", "john")),
        ("JOHN   smith", ("john", "smith")),
        ("José", ("jose",)),
        ("Jose\u0301", ("jose",)),  # typed decomposed (NFD)
        ("O'Brien", ("obrien",)),
        ("O’Brien", ("obrien",)),  # typographic apostrophe
        ("anne-marie smith-jones", ("anne", "marie", "smith", "jones")),
        ("García Márquez", ("garcia", "marquez")),
        ("王伟", ("王伟",)),
        # Cyrillic, Greek and Arabic words are searched by their romanisation, which
        # the index also holds for names written in those scripts (й is read before folding).
        ("Дмитрий", ("dmitriy",)),
        ("Παπαδόπουλος", ("papadopoulos",)),
        ("محمد", ("mhmd",)),
        ("Шевченко-Smith", ("shevchenko", "smith")),
        ("Müller", ("muller",)),
    ],
)
def test_names_are_folded_words_in_typed_order(text, names):
    q = parse(text)
    assert q.names == names
    assert q.dob is None and q.identifiers == ()


def test_repeated_words_count_once():
    assert parse("john john smith").names == ("john", "smith")


@pytest.mark.parametrize(
    ("text", "order", "dob"),
    [
        ("1980-03-14", "DMY", date(1980, 3, 14)),
        ("1980/3/14", "MDY", date(1980, 3, 14)),  # year first is ISO whatever the order
        ("14/03/1980", "DMY", date(1980, 3, 14)),
        ("03/14/1980", "MDY", date(1980, 3, 14)),
        ("14.3.80", "DMY", date(1980, 3, 14)),
        ("3.14.80", "MDY", date(1980, 3, 14)),
        ("80.3.14", "YMD", date(1980, 3, 14)),
        ("14-03-1980", "DMY", date(1980, 3, 14)),
        ("04/03/1980", "DMY", date(1980, 3, 4)),
        ("04/03/1980", "MDY", date(1980, 4, 3)),
        ("1.2.15", "DMY", date(2015, 2, 1)),  # two-digit year: the most recent past one
        ("1.2.27", "DMY", date(1927, 2, 1)),  # 2027 would be in the future
        ("27.11.26", "DMY", date(2026, 11, 27)),  # today is not the future
        ("28.11.26", "DMY", date(1926, 11, 28)),
        ("29.2.00", "DMY", date(2000, 2, 29)),
        ("03/14/1980", "DMY", date(1980, 3, 14)),  # only one reading is a date
    ],
)
def test_dates_in_common_forms(text, order, dob):
    q = parse(text, order)
    assert q.dob == dob
    assert q.names == () and q.identifiers == ()


@pytest.mark.parametrize("text", ["31/02/1980", "14/03/123", "99.99.99", "0.0.0"])
def test_impossible_dates_are_not_dates(text):
    assert parse_date(text, "DMY", TODAY) is None
    assert parse(text).dob is None


def test_unknown_date_order_falls_back_to_dmy():
    assert parse_date("04/03/1980", "XYZ", TODAY) == date(1980, 3, 4)


def test_name_with_date():
    q = parse("smith 14/03/1980")
    assert q.names == ("smith",)
    assert q.dob == date(1980, 3, 14)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("(617) 253-1000", "6172531000"),
        ("617.253.1000", "6172531000"),
        ("617 253 1000", "6172531000"),
        ("+1 617 253 1000", "16172531000"),
        ("+16172531000", "16172531000"),
        ("1000", "1000"),
        ("٦١٧٢٥٣١٠٠٠", "6172531000"),  # Arabic-Indic digits
    ],
)
def test_phone_numbers_in_any_format(text, digits):
    q = parse(text)
    assert q.phone == digits
    assert q.record == digits  # the same digits may be a record number
    assert q.names == ()


def test_three_digits_are_too_few_for_a_phone():
    q = parse("123")
    assert q.phone == "" and q.record == "123"


@pytest.mark.parametrize(
    ("text", "record"),
    [("MRN1000123", "mrn1000123"), ("mrn100", "mrn100"), ("MRN-1000123", "mrn1000123")],
)
def test_record_numbers_fold_case_and_punctuation(text, record):
    q = parse(text)
    assert q.record == record
    assert q.phone == ""
    assert q.names == ()


@pytest.mark.parametrize(
    ("text", "key"), [("S1234", "s1234"), ("s1234", "s1234"), ("王1234", "王1234")]
)
def test_initial_and_last_four(text, key):
    q = parse(text)
    assert q.initial_last4 == key
    assert q.record == key  # could also be the start of a record number


def test_longer_codes_are_not_initial_last4():
    assert parse("S12345").initial_last4 == ""
    assert parse("SM1234").initial_last4 == ""


def test_name_and_phone_tail():
    q = parse("garcia 9876")
    assert q.names == ("garcia",)
    assert q.phone == "9876"


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        "%_%",
        '"; DROP TABLE patient; --',
        "NEAR(a b) AND c* OR d:e ^f",
        "[bold]x[/bold]",
        "\x1b[2J\x1b]0;t\x07",
        "\u202eevil",
        "",
        "   ",
        "\x00",
    ],
)
def test_hostile_text_parses_to_plain_tokens(text):
    q = parse(text)
    for token in q.names:
        assert all(unicodedata.category(c)[0] == "L" for c in token)
    for ident in q.identifiers:
        assert ident.record.isalnum()
        assert ident.phone == "" or ident.phone.isdigit()


def test_limits_keep_a_pasted_document_small():
    q = parse(" ".join(f"name{chr(97 + i % 26)}x" for i in range(500)))
    assert len(q.names) <= MAX_NAME_TOKENS
    assert len(q.identifiers) <= MAX_IDENTIFIERS
    assert parse("a" * 10_000).names == ("a" * 40,)


def test_name_pieces_keep_apostrophes_inside():
    assert name_pieces("O'Brien-Smith") == ("o'brien", "smith")
    assert name_words("O'Brien-Smith") == ("obrien", "smith")
    assert name_words("d'") == ("d",)


def test_empty():
    assert parse("").empty
    assert parse(" , ; ").empty
    assert not parse("a").empty


@given(st.text(max_size=300), st.sampled_from(["DMY", "MDY", "YMD", "bogus"]))
def test_parse_never_raises(text, order):
    q = parse_query(text, order, TODAY)
    assert q.raw == text
    assert all(q.names)
    if q.dob is not None:
        assert q.dob <= TODAY or q.dob.year >= 1800


@given(st.text(alphabet=st.characters(categories=("L", "M", "Zs", "Pd", "Po")), max_size=60))
def test_nfc_and_nfd_parse_alike(text):
    nfc = parse_query(unicodedata.normalize("NFC", text), today=TODAY)
    nfd = parse_query(unicodedata.normalize("NFD", text), today=TODAY)
    assert nfc.names == nfd.names


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Choi Seo-yeon", (("choi",), ("seo",), ("yeon",))),  # Latin: each word is itself
        ("Шевченко-Smith", (("шевченко",), ("smith",))),  # romanised word by word
        ("الحسن محمد", (("الحسن",), ("الحسن",), ("محمد",))),  # al, hsn: one word typed
        ("مُحَمَّد", (("محمد",),)),  # vowel marks do not cut a word
    ],
)
def test_each_name_word_keeps_what_was_typed_for_it(text, written):
    q = parse(text)
    assert q.written == written and len(q.names) == len(written)
