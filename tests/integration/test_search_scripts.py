"""Names in Cyrillic, Greek and Arabic script are found by their Latin spelling, and back.

"Shevchenko" did not find "Шевченко" (issue 10, reproduction 9).  Each pair
below is how the demo clinic (and a real one) writes the same name in both
scripts; the Latin spelling must bring the record written in the other
script onto the first page, marked "transliterated".  Real store files.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date

import pytest

from coordtui.service import Service
from coordtui.store.search import search

TODAY = date.today()

PAIRS = [
    # Cyrillic
    ("Шевченко", "Shevchenko"), ("Иванов", "Ivanov"), ("Иванова", "Ivanova"),
    ("Смирнов", "Smirnov"), ("Кузнецова", "Kuznetsova"), ("Попов", "Popov"),
    ("Соколов", "Sokolov"), ("Волкова", "Volkova"), ("Ольга", "Olga"),
    ("Наталья", "Natalya"), ("Елена", "Elena"), ("Татьяна", "Tatyana"), ("Юлия", "Yulia"),
    ("Светлана", "Svetlana"), ("Дмитрий", "Dmitry"), ("Алексей", "Aleksey"),
    ("Сергей", "Sergey"), ("Андрей", "Andrey"), ("Михаил", "Mikhail"), ("Николай", "Nikolay"),
    # Greek
    ("Παπαδόπουλος", "Papadopoulos"), ("Παπαδοπούλου", "Papadopoulou"),
    ("Νικολάου", "Nikolaou"), ("Γεωργίου", "Georgiou"), ("Οικονόμου", "Oikonomou"),
    ("Καραγιάννης", "Karagiannis"), ("Μαρία", "Maria"), ("Ελένη", "Eleni"),
    ("Κατερίνα", "Katerina"), ("Σοφία", "Sofia"), ("Δέσποινα", "Despoina"),
    ("Αλέξανδρος", "Alexandros"), ("Γιώργος", "Giorgos"), ("Νίκος", "Nikos"),
    ("Δημήτρης", "Dimitris"), ("Κώστας", "Kostas"),
    # Arabic
    ("محمد", "Mohammed"), ("محمد", "Muhammad"), ("محمد", "Mohamed"), ("أحمد", "Ahmed"),
    ("علي", "Ali"), ("عمر", "Omar"), ("يوسف", "Youssef"), ("خالد", "Khaled"),
    ("حسن", "Hassan"), ("فاطمة", "Fatima"), ("عائشة", "Aisha"), ("مريم", "Maryam"),
    ("نور", "Nour"), ("ليلى", "Layla"), ("زينب", "Zainab"), ("هدى", "Huda"),
    ("حداد", "Haddad"), ("منصور", "Mansour"), ("خوري", "Khoury"), ("نصر", "Nasr"),
    ("سليمان", "Suleiman"), ("الحسن", "Al-Hassan"), ("السيد", "El-Sayed"),
    ("عبد الله", "Abdullah"),
]  # fmt: skip


def find(path, query: str, **kw):
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        return search(conn, query, TODAY, **kw)


@pytest.fixture
def clinic(builder):
    """Each written form once, as a family name, beside Latin names that look alike."""
    ids = {}
    for written, _ in PAIRS:
        if written not in ids:
            ids[written] = builder.patient("Test", written)
    for given, family in (("Anna", "Shevchuk"), ("Mary", "Moore"), ("Ali", "Lee"), ("Jon", "Ivy")):
        builder.patient(given, family)
    return ids


@pytest.mark.parametrize(("written", "latin"), PAIRS)
def test_the_latin_spelling_finds_the_name_as_written(db_path, clinic, written, latin):
    hits = find(db_path, latin)
    found = [h.patient_id for h in hits]
    assert clinic[written] in found, (latin, [h.family_name for h in hits])
    hit = hits[found.index(clinic[written])]
    assert "transliterated" in hit.matched


@pytest.mark.parametrize(
    ("typed", "latin"),
    [("Шевченко", "Shevchenko"), ("ИВАНОВ", "Ivanov"), ("Παπαδόπουλος", "Papadopoulos"),
     ("محمد", "Mohammed"), ("يوسف", "Youssef"), ("خالد", "Khaled")],
)  # fmt: skip
def test_each_spelling_lists_its_own_script_first_then_the_other(db_path, builder, typed, latin):
    latin_id = builder.patient("Test", latin)
    written_id = builder.patient("Test", typed)
    for query, first, second in ((typed, written_id, latin_id), (latin, latin_id, written_id)):
        hits = find(db_path, query)
        assert [h.patient_id for h in hits] == [first, second], query
        assert hits[0].score > hits[1].score
        assert "transliterated" not in hits[0].matched
        assert "transliterated" in hits[1].matched


def test_a_romanised_name_is_a_whole_name_and_a_prefix(db_path, builder):
    taras = builder.patient("Тарас", "Шевченко")
    shevchuk = builder.patient("Taras", "Shevchuk")
    hits = find(db_path, "shevchenko taras")
    assert hits[0].patient_id == taras and hits[0].score == 1.0  # the whole name, exactly
    assert [h.patient_id for h in find(db_path, "shev")] == [shevchuk, taras]
    assert [h.patient_id for h in find(db_path, "taras shevch")] == [shevchuk, taras]
    assert [h.patient_id for h in find(db_path, "шевч")] == [taras, shevchuk]


def test_latin_words_of_one_hyphenated_name_stay_separate(db_path, builder):
    """Seo-yeon is two words: Seo-jun has one of them, so it is not a whole-name match."""
    yeon = builder.patient("Seo-yeon", "Choi")
    jun = builder.patient("Seo-jun", "Choi")
    hits = find(db_path, "Choi Seo-yeon")
    assert [h.patient_id for h in hits[:1]] == [yeon] and hits[0].score == 1.0
    assert all(h.score < 1.0 for h in hits if h.patient_id == jun)


def test_s1234_works_with_the_latin_initial(db_path, builder):
    pid = builder.patient("Тарас", "Шевченко", phone="+16172531234", record_number="AB-1861")
    assert [h.patient_id for h in find(db_path, "S1234")] == [pid]
    assert [h.patient_id for h in find(db_path, "S1861")] == [pid]
    assert [h.patient_id for h in find(db_path, "Ш1234")] == [pid]  # as written, too


def test_latin_names_are_not_read_as_arabic_frames(db_path, clinic):
    """Consonant frames match only romanised Arabic: Mary (mr) is neither Omar (0mr) nor Moore."""
    hits = find(db_path, "mary")
    assert [h.family_name for h in hits] == ["Moore", "Μαρία"]  # Maria sounds like Mary
    assert "transliterated" in hits[1].matched
    assert [h.family_name for h in find(db_path, "omar")] == ["عمر"]
    assert [h.family_name for h in find(db_path, "lee")] == ["Lee"]  # not علي (0l)


def test_registered_and_renamed_through_mutations(db_path, builder):
    builder.provider()
    svc = Service(db_path, actor="desk")
    try:
        pid = svc.register_patient({"given_name": "Αλέξανδρος", "family_name": "Παπαδόπουλος"})[
            "patient_id"
        ]
        assert svc.search_patients("alexandros papadopoulos")[0].patient_id == pid
        svc.update_patient(pid, None, {"family_name": "Шевченко"})
        assert svc.search_patients("shevchenko")[0].patient_id == pid
        assert svc.search_patients("papadopoulos") == []
    finally:
        svc.close()
