"""Duplicate scoring: the same person scores high, look-alikes lower, strangers not at all."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordtui.domain.duplicates import (
    CERTAIN,
    THRESHOLD,
    Match,
    name_similarity,
    norm_name,
    score_candidate,
)

TODAY = date(2026, 3, 1)
MARY = {
    "given_name": "Mary",
    "family_name": "Smith",
    "dob": "1980-03-14",
    "phone": "+16175550101",
    "email": "mary.smith@example.org",
}


def score(new: dict, existing: dict) -> int:
    match = score_candidate(new, existing, TODAY)
    return match.score if match else 0


def test_same_person_scores_high_with_every_reason():
    match = score_candidate(MARY, dict(MARY), TODAY)
    assert match == Match(99, ("same DOB", "same phone", "same name", "same email"))


def test_same_record_number_is_certain_whatever_else_differs():
    match = score_candidate(
        {"given_name": "A", "family_name": "B", "record_number": "mrn001"},
        {"given_name": "Zed", "family_name": "Q", "record_number": "MRN001 "},
        TODAY,
    )
    assert match is not None and match.score == CERTAIN
    assert match.reasons[0] == "same record number"


def test_only_a_record_number_scores_100():
    assert score(MARY, dict(MARY)) < CERTAIN


def test_swapped_given_and_family_still_match():
    match = score_candidate(
        MARY, {**MARY, "given_name": "Smith", "family_name": "Mary", "email": ""}, TODAY
    )
    assert match is not None and match.score >= 80
    assert "given and family swapped" in match.reasons


def test_one_typo_in_the_family_name():
    match = score_candidate({**MARY, "family_name": "Smiht"}, MARY, TODAY)
    assert match is not None and match.score >= 80
    assert "one typo in name" in match.reasons
    assert any(r.startswith("name ") and r.endswith("% similar") for r in match.reasons)


def test_sound_alike_given_names():
    new = {"given_name": "Mohammed", "family_name": "Al-Hassan", "dob": "1975-01-02"}
    old = {"given_name": "Muhammad", "family_name": "Al Hassan", "dob": "1975-01-02"}
    match = score_candidate(new, old, TODAY)
    assert match is not None and "names sound alike" in match.reasons
    assert match.score >= 60


def test_preferred_name_matches_given_name():
    new = {"given_name": "Bill", "family_name": "Clark", "dob": "1970-01-02"}
    old = {"given_name": "William", "family_name": "Clark", "preferred_name": "Bill",
           "dob": "1970-01-02"}  # fmt: skip
    match = score_candidate(new, old, TODAY)
    assert match is not None and "preferred name matches" in match.reasons
    assert match.score == score(new, {**old, "given_name": "Bill"})


def test_accents_case_and_punctuation_do_not_matter():
    new = {"given_name": "jose", "family_name": "GARCIA MARQUEZ", "dob": "1990-05-05"}
    old = {"given_name": "José", "family_name": "García-Márquez", "dob": "1990-05-05"}
    match = score_candidate(new, old, TODAY)
    assert match is not None and "same name" in match.reasons
    assert norm_name("O'Brien") == norm_name("OBrien") == "obrien"


def test_dob_alone_is_weak():
    """Hundreds of patients share a birthday at a big clinic: DOB alone is not offered."""
    stranger = {"given_name": "Kwame", "family_name": "Mensah", "dob": MARY["dob"]}
    assert score_candidate(MARY, stranger, TODAY) is None


def test_phone_alone_is_weak():
    relative = {"given_name": "Kwame", "family_name": "Mensah", "phone": MARY["phone"]}
    assert score_candidate(MARY, relative, TODAY) is None


def test_twin_sibling_scores_lower_than_the_same_person():
    twin = {**MARY, "given_name": "Anna", "email": ""}
    same = {**MARY, "email": ""}
    twin_score, same_score = score(MARY, twin), score(MARY, same)
    assert 0 < twin_score < same_score
    assert same_score - twin_score >= 25


def test_same_name_other_birthday_is_probably_someone_else():
    other = {"given_name": "Mary", "family_name": "Smith", "dob": "1991-08-30"}
    assert score_candidate(MARY, other, TODAY) is None
    assert score_candidate({"given_name": "Mary", "family_name": "Smith"}, other, TODAY)


def test_dob_one_digit_off_or_day_month_swapped_counts_a_little():
    typo = score_candidate(MARY, {**MARY, "dob": "1980-03-15", "phone": "", "email": ""}, TODAY)
    swap = score_candidate(
        {**MARY, "dob": "1980-03-04"},
        {**MARY, "dob": "1980-04-03", "phone": "", "email": ""},
        TODAY,
    )
    exact = score(MARY, {**MARY, "phone": "", "email": ""})
    for match in (typo, swap):
        assert match is not None and "DOB nearly the same" in match.reasons
        assert match.score < exact


def test_phone_typed_without_country_code_matches_e164():
    assert "same phone" in score_candidate({**MARY, "phone": "(617) 555-0101"}, MARY, TODAY).reasons
    assert (
        "same phone"
        in score_candidate(
            MARY,
            {**MARY, "phone": "+16170000000", "phone_alt": "+16175550101"},
            TODAY,
        ).reasons
    )


def test_future_or_garbage_dob_is_no_evidence():
    assert score({**MARY, "dob": "2099-01-01"}, {**MARY, "dob": "2099-01-01"}) == score(
        {**MARY, "dob": ""}, {**MARY, "dob": ""}
    )
    assert score({**MARY, "dob": "not a date"}, MARY) > 0


def test_non_latin_names_compare_exactly():
    new = {"given_name": "伟", "family_name": "王", "dob": "1988-08-08"}
    assert "same name" in score_candidate(new, dict(new), TODAY).reasons
    assert score_candidate(new, {**new, "given_name": "强", "family_name": "李"}, TODAY) is None


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [("smith", "smyth", "typo"), ("catherine", "kathryn", "sound"),
     ("garcia", "garcia marquez", "part"), ("anna", "anna", "")],
)  # fmt: skip
def test_name_similarity_says_how(a, b, how):
    sim, said = name_similarity(a, b)
    assert said == how and sim >= 85


# ------------------------------------------------------------- properties

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=20
)
dobs = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2030, 1, 1)).map(date.isoformat))
phones = st.sampled_from(["", "+16175550101", "+16175550102", "617 555 0101", "+442079460000"])
people = st.fixed_dictionaries(
    {
        "given_name": names,
        "family_name": names,
        "preferred_name": names,
        "dob": dobs,
        "phone": phones,
        "email": st.sampled_from(["", "a@example.org", "b@example.org"]),
        "record_number": st.sampled_from(["", "MRN1", "MRN2"]),
    }
)


@settings(max_examples=300)
@given(people, people)
def test_score_is_bounded_symmetric_and_explained(a, b):
    one, two = score_candidate(a, b, TODAY), score_candidate(b, a, TODAY)
    assert (one is None) == (two is None)
    if one is not None:
        assert THRESHOLD <= one.score <= 100
        assert one.score == two.score
        assert one.reasons  # never a score without a reason


@settings(max_examples=200)
@given(people, people)
def test_a_shared_phone_never_lowers_the_score(a, b):
    before = score(a, {**b, "record_number": ""})
    after = score(
        {**a, "phone": "+16175550199"}, {**b, "phone": "+16175550199", "record_number": ""}
    )
    assert after >= before


letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñü", min_size=2, max_size=12)


@settings(max_examples=200)
@given(letters, letters, st.dates(date(1930, 1, 1), date(2020, 1, 1)))
def test_a_record_always_matches_itself_strongly(given_name, family_name, dob):
    person = {"given_name": given_name, "family_name": family_name, "dob": dob.isoformat()}
    match = score_candidate(person, dict(person), TODAY)
    assert match is not None and match.score == 70
    upper = {**person, "given_name": given_name.upper(), "family_name": family_name.upper()}
    assert score_candidate(upper, person, TODAY).score == 70
