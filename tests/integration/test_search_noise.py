"""A floor under sound-alike matches: noise finds nothing, real sound-alikes still do.

Metaphone alone puts "zzz" with every name that starts with an S sound, so a
nonsense query listed 20 "sounds like" names (issue 10, reproduction 9).  A
sound-alike must now also share most of its letters with what was typed
(``SOUND_FLOOR``).  Both sides of the floor are shown here on real store
files; every pair below has the same metaphone code, so it is the floor,
not the phonetic code, that decides.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import jellyfish
import pytest
from rapidfuzz.distance import Indel

from coordtui.demo.clinic import generate_demo
from coordtui.store.search import SOUND_FLOOR, search

TODAY = date.today()
NOISE = ["zzz", "qqqq", "xkcd", "zzzz", "sss", "xxx", "kkkk", "qwrtp"]


def find(path: Path, query: str, **kw):
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        return search(conn, query, TODAY, **kw)


@pytest.fixture
def names(builder):
    """Short names that share a metaphone code with the noise above, and sound-alike pairs."""
    people = [
        ("Zoë", "Sue"), ("Xue", "Seo"), ("Sosa", "Sasso"), ("Kiki", "Kaku"), ("Cook", "Kirk"),
        ("Zaza", "Ziss"), ("Sky", "Sikes"), ("Cass", "Keyes"), ("Kay", "Kirk"),
        ("Mohammed", "Haddad"), ("Muhammad", "Ali"), ("John", "Smith"), ("Jon", "Smyth"),
        ("Phillip", "Carter"), ("Katherine", "Moore"), ("Steven", "Moore"),
    ]  # fmt: skip
    return {f"{g} {f}": builder.patient(g, f) for g, f in people}


@pytest.mark.parametrize("query", NOISE)
def test_noise_finds_nothing(db_path, names, query):
    assert find(db_path, query) == []


@pytest.mark.parametrize("query", NOISE)
def test_noise_finds_nothing_in_the_demo_clinic(demo, query):
    assert find(demo, query) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("zzz", "zoe"),  # the reproduction: same code "S", 1 letter in 6 shared
        ("zzz", "sue"),
        ("zzz", "xue"),
        ("sss", "seo"),
        ("xxx", "cass"),  # KS
        ("kkkk", "kay"),  # K
        ("jon", "jean"),  # Jean: 0.57, below the floor (Jon itself is exact)
    ],
)
def test_below_the_floor_same_sound_is_not_enough(db_path, builder, typed, stored):
    assert jellyfish.metaphone(typed) == jellyfish.metaphone(stored)
    assert Indel.normalized_similarity(typed, stored) < SOUND_FLOOR
    builder.patient(stored.title(), "Noise")
    assert all(h.given_name.lower().replace("ë", "e") != stored for h in find(db_path, typed))


@pytest.mark.parametrize(
    ("typed", "stored_name", "kind"),
    [
        ("muhammad", "Mohammed Haddad", "sounds_like"),
        ("mohammed", "Muhammad Ali", "sounds_like"),
        ("jon", "John Smith", "sounds_like"),
        ("filip", "Phillip Carter", "sounds_like"),
        ("catherine", "Katherine Moore", "typo"),
        ("stephen", "Steven Moore", "sounds_like"),
        ("smyth", "John Smith", "typo"),
        ("smoth", "John Smith", "typo"),  # one typo forgiven
        ("jhon", "John Smith", "typo"),  # a transposition is one typo
    ],
)
def test_above_the_floor_real_sound_alikes_are_found(db_path, names, typed, stored_name, kind):
    hits = find(db_path, typed)
    wanted = names[stored_name]
    assert wanted in [h.patient_id for h in hits], (typed, [h.given_name for h in hits])
    hit = next(h for h in hits if h.patient_id == wanted)
    assert kind in hit.matched
    if kind == "sounds_like":
        assert Indel.normalized_similarity(typed, stored_name.split()[0].lower()) >= SOUND_FLOOR


def test_exact_and_prefix_matches_rank_above_sound_alikes(db_path, names):
    hits = find(db_path, "jon")
    order = [f"{h.given_name} {h.family_name}" for h in hits]
    assert order[0] == "Jon Smyth" and "John Smith" in order
    assert hits[0].score > next(h.score for h in hits if h.given_name == "John")
    assert [h.given_name for h in find(db_path, "moham")][:1] == ["Mohammed"]  # a prefix
    hits = find(db_path, "mohammed")
    assert [h.given_name for h in hits] == ["Mohammed", "Muhammad"]
    assert hits[0].matched == ("name",) and hits[1].matched == ("name", "sounds_like")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    generate_demo(path, now=datetime(2026, 3, 2, 15, 0))
    return path
