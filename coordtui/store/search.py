"""Patient search for the Lookup screen, on plain sqlite3 (no SQLAlchemy: the UI reads here).

Design, and why
---------------
*Results come out of the index already in display order.*  ``jo`` matches
tens of thousands of people in a million, and the page shows 50 of them
sorted by (folded family name, folded given name, id).  Scoring and sorting
every match would cost tens of milliseconds, so each patient gets a
``rank``, an integer whose order *is* that tie-break order.  The FTS5 table
uses ``rank`` as its rowid, and FTS5 walks doclists in rowid order lazily,
so ``MATCH ... ORDER BY rowid LIMIT 50`` stops after the first 50 hits
however many there are.  Ranks are spaced ``GAP`` apart by a rebuild; a
patient registered or renamed later takes the midpoint between its
neighbours (found by binary search over the rank space); a used-up gap is
fixed by spreading a small window of rows, and when the whole index has
grown too crowded for that (about 32-fold since the last rebuild, e.g. a
store that started empty) all ranks are renumbered.  This is the classic
order-maintenance trick, amortised O(1) rows moved per insert.

*Ranking by tiers.*  Each part of the query is a clause (a name word, the
date of birth, an identifier) that matches at a quality level.  A name word
scores 3 when it is a whole word where a name starts (first word of the
family, given or preferred name), 2 for a prefix of such a word or a whole
inner word ("smith" in Bouchard-Smith), 1 for a prefix of an inner word or
a word one typo away or sounding alike; so "smi" lists Smith before
Bouchard-Smith.  A word typed in Cyrillic, Greek or Arabic script scores
those levels as written, and one level lower through its romanisation, so
each spelling lists its own script first.  Identifiers score 3 (phone ends
with the digits, record number equal, a merged-away record's number equal,
initial + last 4) or 2 (record number starts with it); a DOB 3.
A tier is a sum of levels (up to three clauses; beyond that, the lowest
level), and with two or more name words each tier first lists the patients
whose whole name the words cover (a ``9n`` word-count token), so "smoth
john" puts John Smith above John Bouchard-Smith.  Whole-name exact matches
come first of all.  The search runs one lazy FTS5 query per tier, best
first, until the page is full; a patient seen in an earlier tier is skipped,
which is correct because a later tier is only reached once every earlier one
is exhausted.  When the whole query matches fewer than ``SMALL_SET``
patients (a DOB or a full name typed), they are fetched once and sorted in
Python by the same rules instead (``_tier_of``), since many tier queries
that find nothing cost more than sorting a few hundred rows; a test keeps
the two paths in agreement.

*One FTS5 table, tokenized in Python.*  ``patient_fts`` (external content
``patient_search``) has two columns: ``lead`` (the words names start with,
and joined forms: "smithjones", "obrien", 王伟 for family+given written
without a space) and ``rest`` (inner words, apostrophe parts "o"/"brien",
romanised names, and marker tokens).  What one patient's entry holds, the
markers (``9d`` DOB, ``9p`` reversed phone digits so that "ends with 1234"
is the prefix query ``9p4321*``, ``9r`` record number, ``9i`` S1234, ``9n``
word count, ``9m``/``9j``/``9x`` merged-away records) included, is decided
in coordtui.store.search_docs.  Folding (case, accents, NFC/NFD) is
done by coordtui.domain.query for the index and the query alike, so the
FTS ``ascii`` tokenizer only splits at spaces and never alters a token, and
FTS syntax typed into the box never reaches FTS5: every term in a MATCH is
a quoted token made here.  ``prefix='1 2 3'`` keeps 1-3 letter prefixes
(the type-ahead case) lazy; a longer prefix would make FTS5 merge every
matching doclist before the first row, so it is spelled out as an OR of the
indexed words starting with it.  ``detail=column`` stores which column a
word is in and no positions (nothing here needs phrases).  No trigram
table: prefixes, one-typo and sound-alike matching cover how names are
mistyped, at a fraction of the size.  External content (rather than
``contentless_delete``, which needs SQLite 3.43) is what lets a changed row
be deleted from the index: FTS5 needs the old tokens to remove them.

*Typos and sound-alikes* come from a vocabulary of indexed name words:
``search_typo`` holds every word and its one-letter deletions (SymSpell),
so the words one edit from a typed word are a few key lookups away and are
confirmed with rapidfuzz (OSA distance 1, so the transposition ``jhon``
finds ``john``); ``search_vocab.sound`` holds the jellyfish metaphone code,
and a sound-alike must also share ``SOUND_FLOOR`` of its letters with the
typed word, or "zzz" would list every name that starts with an S sound.
``search_vocab.skel`` holds the consonant frame (coordtui.domain.translit),
by which a Latin spelling meets the romanisation of an Arabic-script name
(``abjad``), which writes few vowels: Mohammed, Muhammad -> mhmd <- محمد.

Upkeep: ``index_patient`` / ``remove_patient`` run inside the caller's
transaction (the mutation's, or a sync page's), so the index never disagrees
with committed rows; ``rebuild_index`` rebuilds everything in bulk
(migration, seeding, imports, a first sync).  A merged-away patient has no
entry of its own: the record it leads to (the end of its merge chain)
carries its record number, so the old number finds the survivor.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz.distance import OSA, Indel

from coordtui.domain.days import db_text, parse_db
from coordtui.domain.query import Identifier, ParsedQuery, parse_query
from coordtui.domain.translit import is_abjad, skeleton
from coordtui.read_models.patients import Hit
from coordtui.store.search_docs import (
    PATIENT_COLUMNS,
    Doc,
    absorbed,
    all_absorbed,
    chunks,
    doc_of,
    name_doc,
    patient_doc,
    pointer_marker,
    sort_key,
    sound,
    survivor,
    variants,
)

GAP = 1 << 10  # rank spacing after a rebuild: room for 10 inserts at one spot
MAX_LIMIT = 500
MAX_FUZZY = 24  # typo/sound-alike words tried per query word
MAX_EXPANSION = 64  # words a 4+ letter prefix is spelled out as (see _prefix_expr)
MAX_RECORD_PREFIX = 5000  # record numbers a typed prefix may list (see _record_prefix)
MAX_WINDOW = 4096  # rows one relabelling may move before the whole index is renumbered
SMALL_SET = 256  # fewer matches than this are sorted in Python in one go (see _ranked)
TYPO_MIN = 4  # shorter words have too many one-edit neighbours to be useful
SOUND_MIN = 3
SOUND_FLOOR = 0.6  # a sound-alike shares at least this much of its letters (see _fuzzy)
SKELETON_MIN = 2  # consonant frames shorter than this meet too many words (see _fuzzy)
_BATCH = 20_000

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS patient_search (
        rank INTEGER PRIMARY KEY,       -- FTS rowid; ascending rank = (family, given, id)
        patient_id TEXT NOT NULL,
        lead TEXT NOT NULL,             -- words the names start with
        rest TEXT NOT NULL              -- other name words, then marker tokens
    )""",
    # A separate index (not UNIQUE in the table) so a rebuild can drop it and sort it in at the end.
    "CREATE UNIQUE INDEX IF NOT EXISTS ix_patient_search_patient ON patient_search (patient_id)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS patient_fts USING fts5(
        lead, rest, content='patient_search', content_rowid='rank',
        tokenize='ascii', prefix='1 2 3', detail='column', columnsize=0
    )""",
    # Read-only view of the FTS terms, to see how many record numbers a prefix covers.
    "CREATE VIRTUAL TABLE IF NOT EXISTS patient_fts_terms USING fts5vocab(patient_fts, 'row')",
    """CREATE TABLE IF NOT EXISTS search_vocab (
        word TEXT PRIMARY KEY,
        sound TEXT NOT NULL,            -- jellyfish.metaphone, '' for non-Latin words
        skel TEXT NOT NULL DEFAULT '',  -- translit.skeleton: consonant frame
        abjad INTEGER NOT NULL DEFAULT 0 -- 1: the romanisation of an Arabic-script word
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_search_vocab_sound ON search_vocab (sound)",
    "CREATE INDEX IF NOT EXISTS ix_search_vocab_skel ON search_vocab (skel, abjad)",
    """CREATE TABLE IF NOT EXISTS search_typo (
        variant TEXT NOT NULL,          -- the word, or the word less one letter
        word TEXT NOT NULL,
        PRIMARY KEY (variant, word)
    ) WITHOUT ROWID""",
    # Next appointment per hit: one index seek instead of a scan of the patient's rows.
    "CREATE INDEX IF NOT EXISTS ix_appointment_patient_start ON appointment (patient_id, start_utc)",
    # The records merged into a patient, for the pointers its entry carries (partial: few rows).
    "CREATE INDEX IF NOT EXISTS ix_patient_merged_into ON patient (merged_into) "
    "WHERE merged_into IS NOT NULL",
)
# The tables SCHEMA makes (their indexes go with them), for a migration that changes
# the index's shape: it drops them and builds the index again.
_OWN_TABLES = ("patient_fts_terms", "patient_fts", "patient_search", "search_vocab", "search_typo")

# A patient's next visit: one still to come or under way (not done, missed or cancelled).
_NEXT_STATUSES = ("booked", "arrived", "in_room")

Progress = Callable[[int, int], None]


def create_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        conn.execute(statement)


def drop_schema(conn: sqlite3.Connection) -> None:
    """Drop the index's own tables (for a migration that changes their shape).

    The workstation-only index is derived data: ``create_schema`` and
    ``rebuild_index`` make it again from the ``patient`` table.
    """
    for name in _OWN_TABLES:
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')


# ------------------------------------------------------------ vocabulary


def _add_vocabulary(
    conn: sqlite3.Connection,
    words: Iterable[str],
    abjad: Iterable[str] = (),
    check: bool = True,
) -> None:
    """Add name words (metaphone, skeleton, one-deletion variants); mark Arabic-derived ones."""
    words = sorted(set(words))
    abjad = sorted(set(abjad))
    if check and abjad:
        for chunk in chunks(abjad, 500):  # a word first met in Latin script, now also Arabic
            marks = ",".join("?" * len(chunk))
            conn.execute(
                f"UPDATE search_vocab SET abjad = 1 WHERE abjad = 0 AND word IN ({marks})", chunk
            )
    if check and words:
        known: set[str] = set()
        for chunk in chunks(words, 500):
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0]
                for r in conn.execute(
                    f"SELECT word FROM search_vocab WHERE word IN ({marks})", chunk
                )
            )
        words = [w for w in words if w not in known]
    if not words:
        return
    arabic = set(abjad)
    conn.executemany(
        "INSERT OR IGNORE INTO search_vocab (word, sound, skel, abjad) VALUES (?, ?, ?, ?)",
        ((w, sound(w), skeleton(w), int(w in arabic)) for w in words),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO search_typo (variant, word) VALUES (?, ?)",
        sorted((v, w) for w in words if len(w) >= TYPO_MIN - 1 for v in variants(w)),
    )


# ----------------------------------------------------------- maintenance


def _fts_insert(conn: sqlite3.Connection, rank: int, doc: Doc) -> None:
    conn.execute("INSERT INTO patient_fts (rowid, lead, rest) VALUES (?, ?, ?)", (rank, *doc))


def _fts_delete(conn: sqlite3.Connection, rank: int, doc: Doc) -> None:
    # External content: FTS5 needs the old text to find the entries to remove.
    conn.execute(
        "INSERT INTO patient_fts (patient_fts, rowid, lead, rest) VALUES ('delete', ?, ?, ?)",
        (rank, *doc),
    )


def _store(conn: sqlite3.Connection, rows: Sequence[tuple[int, str, Doc]]) -> None:
    """Write (rank, patient_id, doc) rows to the content table and the FTS index."""
    conn.executemany(
        "INSERT INTO patient_search (rank, patient_id, lead, rest) VALUES (?, ?, ?, ?)",
        [(rank, pid, *doc) for rank, pid, doc in rows],
    )
    conn.executemany(
        "INSERT INTO patient_fts (rowid, lead, rest) VALUES (?, ?, ?)",
        [(rank, *doc) for rank, _, doc in rows],
    )


def _key_at(conn: sqlite3.Connection, sql: str, rank: int) -> tuple[int, str] | None:
    row = conn.execute(sql, (rank,)).fetchone()
    if row is None:
        return None
    return row[0], sort_key(row[1], row[2], row[3])


_FIRST_FROM = (
    "SELECT s.rank, p.family_name, p.given_name, p.id FROM patient_search s "
    "JOIN patient p ON p.id = s.patient_id WHERE s.rank >= ? ORDER BY s.rank LIMIT 1"
)
_LAST_BEFORE = (
    "SELECT s.rank, p.family_name, p.given_name, p.id FROM patient_search s "
    "JOIN patient p ON p.id = s.patient_id WHERE s.rank < ? ORDER BY s.rank DESC LIMIT 1"
)


def _neighbours(conn: sqlite3.Connection, key: str) -> tuple[int | None, int | None]:
    """Ranks of the rows just before and just after ``key`` in sort order.

    Binary search over the rank space: "the first row at or after rank x
    sorts after key" turns from false to true exactly once as x grows.
    """
    top = conn.execute("SELECT max(rank) FROM patient_search").fetchone()[0]
    if top is None:
        return None, None
    lo, hi = 1, top + 1
    while lo < hi:
        mid = (lo + hi) // 2
        found = _key_at(conn, _FIRST_FROM, mid)
        if found is None or found[1] > key:
            hi = mid
        else:
            lo = found[0] + 1
    after = _key_at(conn, _FIRST_FROM, lo)
    before = _key_at(conn, _LAST_BEFORE, lo)
    return (before[0] if before else None), (after[0] if after else None)


def _free_rank(conn: sqlite3.Connection, key: str) -> int:
    before, after = _neighbours(conn, key)
    low = before or 0
    if after is None:
        return low + GAP
    if after - low >= 2:
        return (low + after) // 2
    if _relabel(conn, before, after):
        return _free_rank(conn, key)
    _renumber(conn)
    return _free_rank(conn, key)


_WINDOW = (
    "SELECT rank, patient_id, lead, rest FROM patient_search WHERE rank {op} ? "
    "ORDER BY rank {order} LIMIT ?"
)


def _move(conn: sqlite3.Connection, rows: list[tuple], ranks: Sequence[int]) -> None:
    """Give rows (rank, patient_id, lead, rest) new ranks, in the index too."""
    for rank, _, lead, rest in rows:
        _fts_delete(conn, rank, (lead, rest))
    for chunk in chunks([r[0] for r in rows], 500):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM patient_search WHERE rank IN ({marks})", chunk)
    _store(conn, [(rank, r[1], (r[2], r[3])) for rank, r in zip(ranks, rows, strict=True)])


def _relabel(conn: sqlite3.Connection, before: int | None, after: int) -> bool:
    """Spread the rows around a used-up gap so that it has room again.

    The window doubles until its rows can be spaced at least ``GAP // 32``
    apart; if that takes more than ``MAX_WINDOW`` rows the whole index is
    crowded (it grew far beyond its last renumbering) and False is returned.
    """
    radius = 8
    while radius <= MAX_WINDOW:
        left = conn.execute(_WINDOW.format(op="<=", order="DESC"), (before or 0, radius))
        left = left.fetchall()[::-1]
        right = conn.execute(_WINDOW.format(op=">=", order="ASC"), (after, radius)).fetchall()
        first = left[0][0] if left else after
        lo = conn.execute("SELECT max(rank) FROM patient_search WHERE rank < ?", (first,))
        lo = lo.fetchone()[0] or 0
        hi = conn.execute("SELECT min(rank) FROM patient_search WHERE rank > ?", (right[-1][0],))
        hi = hi.fetchone()[0]
        count = len(left) + len(right) + 1  # the rows and the newcomer
        if hi is None:
            hi = lo + (count + 1) * GAP  # at the end the rank space is open
        step = (hi - lo) // (count + 1)
        if step >= max(2, GAP // 32):
            slots = [lo + (i + 1) * step for i in range(count)]
            slots.pop(len(left))  # the newcomer's place, left free
            _move(conn, left + right, slots)
            return True
        radius *= 2
    return False


def _renumber(conn: sqlite3.Connection) -> None:
    """Space every rank ``GAP`` apart again, keeping the order.

    Needed only once the index has grown about 32-fold since it was last
    built or renumbered (e.g. a clinic that started empty), so its cost,
    linear in the table, is paid rarely.
    """
    rows = conn.execute("SELECT rank, patient_id, lead, rest FROM patient_search ORDER BY rank")
    rows = rows.fetchall()
    conn.execute("DELETE FROM patient_search")
    conn.executemany(
        "INSERT INTO patient_search (rank, patient_id, lead, rest) VALUES (?, ?, ?, ?)",
        [((i + 1) * GAP, pid, lead, rest) for i, (_, pid, lead, rest) in enumerate(rows)],
    )
    conn.execute("INSERT INTO patient_fts (patient_fts) VALUES ('rebuild')")


def index_patient(conn: sqlite3.Connection, patient_id: str) -> None:
    """Bring one patient's index entry in line with its ``patient`` row.

    Call it after the row is written, on the same connection and inside the
    same transaction (from a mutation: ``session.flush()`` first, then pass
    ``session.connection().connection.driver_connection``).  A merged or
    deleted patient is taken out of the index, and the record it now leads
    to (the end of its merge chain) is indexed again so that it carries the
    merged record's number; so is any record whose entry pointed at this one
    (a merge undone, or a chain that moved on).
    """
    conn.execute("SAVEPOINT search_index")
    try:
        targets = [patient_id, *_holders(conn, patient_id)]
        if (end := survivor(conn, patient_id)) is not None:
            targets.append(end)
        for target in dict.fromkeys(targets):
            _index_one(conn, target)
    except BaseException:
        conn.execute("ROLLBACK TO search_index")
        conn.execute("RELEASE search_index")
        raise
    conn.execute("RELEASE search_index")


def _holders(conn: sqlite3.Connection, patient_id: str) -> list[str]:
    """Patients whose entry carries ``patient_id`` as a merged-away record."""
    term = "rest : " + _q(pointer_marker(patient_id))
    ranks = [
        r
        for (r,) in conn.execute("SELECT rowid FROM patient_fts WHERE patient_fts MATCH ?", (term,))
    ]
    if not ranks:
        return []
    marks = ",".join("?" * len(ranks))
    return sorted(
        pid
        for (pid,) in conn.execute(
            f"SELECT patient_id FROM patient_search WHERE rank IN ({marks})", ranks
        )
    )


def _index_one(conn: sqlite3.Connection, patient_id: str) -> None:
    old = conn.execute(
        "SELECT rank, lead, rest FROM patient_search WHERE patient_id = ?", (patient_id,)
    ).fetchone()
    row = conn.execute(f"SELECT {PATIENT_COLUMNS} FROM patient WHERE id = ?", (patient_id,))
    row = row.fetchone()
    if row is None or row[-1] is not None:
        if old:
            _drop(conn, old[0], (old[1], old[2]))
        return
    doc, name = doc_of(row, absorbed(conn, patient_id))
    key = sort_key(row[2], row[1], row[0])
    _add_vocabulary(conn, name.words, name.abjad)
    if old:
        rank, old_doc = old[0], (old[1], old[2])
        before = _key_at(conn, _LAST_BEFORE, rank)
        after = _key_at(conn, _FIRST_FROM, rank + 1)
        if (before is None or before[1] < key) and (after is None or key < after[1]):
            if doc != old_doc:  # still in order: keep the rank, swap the tokens
                _fts_delete(conn, rank, old_doc)
                conn.execute(
                    "UPDATE patient_search SET lead = ?, rest = ? WHERE rank = ?", (*doc, rank)
                )
                _fts_insert(conn, rank, doc)
            return
        _drop(conn, rank, old_doc)
    _store(conn, [(_free_rank(conn, key), patient_id, doc)])


def _drop(conn: sqlite3.Connection, rank: int, doc: Doc) -> None:
    _fts_delete(conn, rank, doc)
    conn.execute("DELETE FROM patient_search WHERE rank = ?", (rank,))


def remove_patient(conn: sqlite3.Connection, patient_id: str) -> None:
    """Take a patient out of the index (in the caller's transaction)."""
    old = conn.execute(
        "SELECT rank, lead, rest FROM patient_search WHERE patient_id = ?", (patient_id,)
    ).fetchone()
    if old:
        _drop(conn, old[0], (old[1], old[2]))


def rebuild_index(conn: sqlite3.Connection, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the ``patient`` table; returns patients indexed.

    Runs in the caller's transaction if there is one (a migration, the
    seeder), else in its own.  Documents are made in Python, sorted once to
    assign ranks, and written in rank order, so FTS5 only ever appends.
    ``progress(done, total)`` is called per batch; ``total`` is twice the
    patient count (making documents, then writing them).
    """
    report = progress or (lambda done, total: None)
    create_schema(conn)
    conn.execute("SAVEPOINT search_rebuild")
    try:
        total = conn.execute("SELECT count(*) FROM patient WHERE merged_into IS NULL").fetchone()[0]
        report(0, 2 * total)
        conn.execute("DROP INDEX ix_patient_search_patient")
        conn.execute("DELETE FROM patient_search")
        conn.execute("INSERT INTO patient_fts (patient_fts) VALUES ('delete-all')")
        conn.execute("DELETE FROM search_vocab")
        conn.execute("DELETE FROM search_typo")
        entries: list[tuple[str, str, Doc]] = []
        vocabulary: set[str] = set()
        arabic: set[str] = set()
        pointers = all_absorbed(conn)
        cursor = conn.execute(f"SELECT {PATIENT_COLUMNS} FROM patient WHERE merged_into IS NULL")
        while rows := cursor.fetchmany(_BATCH):
            for row in rows:
                doc, name = doc_of(row, pointers.get(row[0], ()))
                vocabulary.update(name.words)
                arabic.update(name.abjad)
                entries.append((sort_key(row[2], row[1], row[0]), row[0], doc))
            report(len(entries), 2 * total)
        entries.sort(key=itemgetter(0))
        for begin in range(0, len(entries), _BATCH):
            batch = entries[begin : begin + _BATCH]
            _store(
                conn, [((begin + i + 1) * GAP, pid, doc) for i, (_, pid, doc) in enumerate(batch)]
            )
            report(len(entries) + begin + len(batch), 2 * total)
        create_schema(conn)  # the patient_id index again, built by one sort
        _add_vocabulary(conn, vocabulary, arabic, check=False)
        report(2 * total, 2 * total)
    except BaseException:
        conn.execute("ROLLBACK TO search_rebuild")
        conn.execute("RELEASE search_rebuild")
        raise
    conn.execute("RELEASE search_rebuild")
    return len(entries)


# ---------------------------------------------------------------- search


def _q(token: str) -> str:
    """An FTS5 string literal: the only way typed text reaches MATCH."""
    return '"' + token.replace('"', '""') + '"'


def _any(exprs: Sequence[str]) -> str:
    return exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")"


@dataclass
class _Clause:
    """One part of the query; ``levels`` maps a match quality to its FTS5 expression.

    Name words: 3 = a whole word where a name starts; 2 = a prefix of such a
    word, or a whole inner word (Bouchard-*Smith*); 1 = a prefix of an inner
    word, or a typo / sound-alike / Arabic-script skeleton.  Identifiers:
    3 = phone ends with it, record number (or a merged record's number)
    equals it, or initial+last 4; 2 = record number starts with it.  Date
    of birth: 3.
    """

    kind: str  # name | dob | id
    levels: dict[int, str]
    token: str = ""  # name: the folded word; dob: the 9d token
    fuzzy: frozenset[str] = frozenset()  # typos | translit | sound-alikes
    typos: frozenset[str] = frozenset()
    translit: frozenset[str] = frozenset()  # same consonant frame across scripts
    written: tuple[str, ...] = ()  # name: what was typed for it, when romanised
    ident: Identifier | None = None
    record_prefix: bool = False

    def level(self, lead: set[str], rest: set[str]) -> int:
        """The best level a document (its two token sets) meets: the Python twin of ``levels``."""
        t = self.token
        if self.kind == "name" and self.written:
            # Typed in Cyrillic, Greek or Arabic: the name as written ranks as any
            # name does; a match through the romanisation ``t`` one level lower.
            written = self.written
            if any(w in lead for w in written):
                return 3
            if (
                t in lead
                or any(w in rest for w in written)
                or any(x.startswith(w) for x in lead for w in written)
            ):
                return 2
            if (
                t in rest
                or self.fuzzy & (lead | rest)
                or any(x.startswith(w) for x in lead | rest for w in (t, *written))
            ):
                return 1
            return 0
        if self.kind == "name":
            if t in lead:
                return 3
            if t in rest or any(w.startswith(t) for w in lead):
                return 2
            if self.fuzzy & (lead | rest) or any(w.startswith(t) for w in rest):
                return 1
            return 0
        if self.kind == "dob":
            return 3 if t in rest else 0
        return max(self.readings(rest).values(), default=0)

    def readings(self, rest: set[str]) -> dict[str, int]:
        """Identifier: which readings a document meets, and at what level."""
        ident = self.ident
        out: dict[str, int] = {}
        if ident is None:
            return out
        if ident.phone:
            tail = "9p" + ident.phone[::-1]
            if any(w.startswith(tail) for w in rest):
                out["phone"] = 3
        if ident.record:
            term = "9r" + ident.record
            if term in rest:
                out["record"] = 3
            elif self.record_prefix and any(w.startswith(term) for w in rest):
                out["record"] = 2
        if ident.initial_last4 and "9i" + ident.initial_last4 in rest:
            out["initial_last4"] = 3
        if any(t in rest for t in _merged_terms(ident)):
            out["merged_record"] = 3
        return out


def _merged_terms(ident: Identifier) -> tuple[str, ...]:
    """The tokens a merged-away record's number has when ``ident`` names it."""
    terms = ("9m" + ident.record if ident.record else "",)
    terms += ("9j" + ident.initial_last4 if ident.initial_last4 else "",)
    return tuple(t for t in terms if t)


class _Fuzzy(NamedTuple):
    typos: frozenset[str]
    translit: frozenset[str]
    sounds: frozenset[str]


def _fuzzy(conn: sqlite3.Connection, token: str, arabic: bool = False) -> _Fuzzy:
    """Indexed words one edit from ``token``, across scripts from it, or sounding like it.

    Sound-alikes (same metaphone code) must also clear ``SOUND_FLOOR``: the
    share of letters the two words have in common (Indel similarity).
    Metaphone alone puts "zzz" with every name that starts with an S sound
    (Zoë, Sue, Xue, Seo-yeon); the floor keeps Muhammad ~ Mohammed (0.75),
    Filip ~ Phillip (0.67), Jon ~ John (0.86) and drops that noise.
    Across scripts: a Latin word meets the romanisations of Arabic-script
    words with its consonant frame (``skeleton``: Mohammed -> mhmd ->
    محمد), and a word typed in Arabic script (``arabic``) meets the Latin
    words with its frame.
    """
    typos: set[str] = set()
    if len(token) >= TYPO_MIN:
        tried = sorted(variants(token))
        marks = ",".join("?" * len(tried))
        for (word,) in conn.execute(
            f"SELECT DISTINCT word FROM search_typo WHERE variant IN ({marks})", tried
        ):
            if word != token and OSA.distance(token, word, score_cutoff=1) <= 1:
                typos.add(word)
    across: set[str] = set()
    frame = skeleton(token)
    if len(frame) >= (SKELETON_MIN + 1 if arabic else SKELETON_MIN):
        sql = "SELECT word FROM search_vocab WHERE skel = ?" + ("" if arabic else " AND abjad = 1")
        across = {w for (w,) in conn.execute(sql + " LIMIT 200", (frame,)) if w != token}
    sounds: set[str] = set()
    code = sound(token) if len(token) >= SOUND_MIN else ""
    if code:
        sounds = {
            w
            for (w,) in conn.execute(
                "SELECT word FROM search_vocab WHERE sound = ? LIMIT 200", (code,)
            )
            if w != token and Indel.normalized_similarity(token, w) >= SOUND_FLOOR
        }
    # Words the prefix levels already cover add nothing; keep the closest few.
    typos = {w for w in typos if not w.startswith(token)}
    across = {w for w in across if not w.startswith(token)} - typos
    sounds = {w for w in sounds if not w.startswith(token)} - typos - across
    keep = [
        *sorted(typos),
        *sorted(across, key=lambda w: (abs(len(w) - len(token)), w)),
        *sorted(sounds, key=lambda w: (abs(len(w) - len(token)), w)),
    ][:MAX_FUZZY]
    return _Fuzzy(
        frozenset(w for w in keep if w in typos),
        frozenset(w for w in keep if w in across),
        frozenset(w for w in keep if w in sounds),
    )


def _upper(prefix: str) -> str:
    """The least string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1])
    return prefix[:-1] + chr(last + 1) if last < 0x10FFFF else prefix + "\U0010ffff"


def _words_from(conn: sqlite3.Connection, prefix: str, cap: int) -> list[str]:
    """Indexed name words starting with ``prefix`` (at most ``cap + 1``)."""
    return [
        w
        for (w,) in conn.execute(
            "SELECT word FROM search_vocab WHERE word >= ? AND word < ? ORDER BY word LIMIT ?",
            (prefix, _upper(prefix), cap + 1),
        )
    ]


def _prefix_expr(token: str, words: list[str]) -> str:
    """FTS5 for "a word starting with token".

    Up to 3 letters FTS5 has a prefix index and walks it lazily.  Longer
    prefixes would make FTS5 merge every matching doclist in full before
    the first row (2 ms for "maria*" at a million), so they are spelled out
    as an OR of the indexed words, which FTS5 walks lazily too.
    """
    if len(token) <= 3 or len(words) > MAX_EXPANSION:
        return _q(token) + "*"
    return _any([_q(w) for w in words])


def _name_clause(conn: sqlite3.Connection, token: str, written: tuple[str, ...] = ()) -> _Clause:
    """A typed name word; ``written`` holds what was typed when ``token`` romanises it."""
    written = () if written == (token,) else written
    near = _fuzzy(conn, token, arabic=any(is_abjad(w) for w in written))
    fuzzy = near.typos | near.translit | near.sounds
    exact: list[str] = []
    good: list[str] = []
    weak: list[str] = []
    for word in written or (token,):  # as typed: the usual levels
        words = _words_from(conn, word, MAX_EXPANSION)
        if words:
            prefix = _prefix_expr(word, words)
            if word in words:
                exact.append("lead : " + _q(word))
            good += [f"lead : {prefix}", f"rest : {_q(word)}"]
            weak.append("rest : " + prefix)
    if written and (words := _words_from(conn, token, MAX_EXPANSION)):
        # Through the romanisation: one level lower (an exact match counts as a prefix).
        prefix = _prefix_expr(token, words)
        if token in words:
            good.append("lead : " + _q(token))
        weak.append(prefix)  # either column, whole or prefix
    weak += [_q(w) for w in sorted(fuzzy)]
    levels = {lvl: _any(exprs) for lvl, exprs in ((3, exact), (2, good), (1, weak)) if exprs}
    return _Clause(
        "name",
        levels,
        token=token,
        fuzzy=fuzzy,
        typos=near.typos,
        translit=near.translit,
        written=written,
    )


def _record_prefix(conn: sqlite3.Connection, key: str) -> str | None:
    """FTS5 for record numbers starting with ``key``, or None when too many do.

    A prefix shared by a hundred thousand records ("MRN1") would cost FTS5 a
    full merge of their doclists; such a list is no use on a screen anyway,
    so it waits until more is typed.
    """
    term = "9r" + key
    count = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM patient_fts_terms WHERE term >= ? AND term < ? "
        "LIMIT ?)",
        (term, _upper(term), MAX_RECORD_PREFIX + 1),
    ).fetchone()[0]
    return _q(term) + "*" if count <= MAX_RECORD_PREFIX else None


def _id_clause(conn: sqlite3.Connection, ident: Identifier) -> _Clause:
    exact = []
    if ident.phone:
        exact.append(_q("9p" + ident.phone[::-1]) + "*")  # ends with the typed digits
    if ident.record:
        exact.append(_q("9r" + ident.record))
    if ident.initial_last4:
        exact.append(_q("9i" + ident.initial_last4))
    exact += [_q(t) for t in _merged_terms(ident)]  # a merged-away record leads to its survivor
    levels = {3: _any(exact)}
    prefix = _record_prefix(conn, ident.record) if ident.record else None
    if prefix:
        levels[2] = _any([e for e in exact if not e.startswith('"9r')] + [prefix])
    return _Clause("id", levels, ident=ident, record_prefix=prefix is not None)


@dataclass(frozen=True)
class _Tier:
    score: float
    expr: str
    full: bool = False  # the whole-name tier
    total: int = 0  # sum (up to 3 clauses) or floor (more) of the clause levels
    covered: bool = False  # the query has as many name words as the patient's name


def _tiers(clauses: list[_Clause], words: int) -> list[_Tier]:
    """The tiers of a query, best first; each is one lazy FTS5 query in rank order.

    First the whole-name matches (every typed word is a word of the name and
    the name has no others).  Then, up to three clauses, a tier is a sum of
    levels (so "john sm" puts John Sm* above Johnny Sm*); with more,
    combinations would explode, so a tier is the lowest level every clause
    reaches.  With two or more name words, each tier first lists the
    patients whose whole name the words cover.
    """
    tiers: list[_Tier] = []
    names = [c for c in clauses if c.kind == "name"]
    cover = _q(f"9n{words}") if words else ""
    if names and all(3 in c.levels for c in names):
        top = [
            _any([_q(w) for w in c.written or (c.token,)])
            if c.kind == "name"
            else c.levels[max(c.levels)]
            for c in clauses
        ]
        tiers.append(_Tier(1.0, " AND ".join([*top, cover]), full=True))
    levels: list[tuple[int, str]] = []
    if len(clauses) <= 3:
        by_sum: dict[int, list[str]] = {}
        for combo in itertools.product(*(sorted(c.levels, reverse=True) for c in clauses)):
            parts = [c.levels[lvl] for c, lvl in zip(clauses, combo, strict=True)]
            expr = " AND ".join(parts)
            by_sum.setdefault(sum(combo), []).append(f"({expr})" if len(parts) > 1 else expr)
        levels = [(total, _any(by_sum[total])) for total in sorted(by_sum, reverse=True)]
        best = 3 * len(clauses)
    else:
        for floor in (3, 2, 1):
            parts = []
            for c in clauses:
                usable = [c.levels[lvl] for lvl in sorted(c.levels, reverse=True) if lvl >= floor]
                if not usable:
                    break
                parts.append(_any(usable))
            else:
                levels.append((floor, " AND ".join(parts)))
        best = 3
    split = words > 1
    for total, expr in levels:
        if split:
            score = 0.9 * (total + 0.4) / (best + 0.4)
            tiers.append(_Tier(score, f"({expr}) AND {cover}", total=total, covered=True))
        tiers.append(_Tier(0.9 * total / (best + 0.4 * split), expr, total=total))
    return tiers


def _tier_of(clauses: list[_Clause], tiers: list[_Tier], words: int, doc: Doc) -> int:
    """Index of the first tier a document belongs to (the Python twin of the tier queries)."""
    lead, rest = set(doc[0].split()), set(doc[1].split())
    levels = [c.level(lead, rest) for c in clauses]
    covered = f"9n{words}" in rest
    whole = (
        covered
        and all(
            any(w in lead or w in rest for w in c.written or (c.token,))
            for c in clauses
            if c.kind == "name"
        )
        and all(
            lvl == max(c.levels) for c, lvl in zip(clauses, levels, strict=True) if c.kind != "name"
        )
    )
    total = sum(levels) if len(clauses) <= 3 else min(levels)
    for i, tier in enumerate(tiers):
        if tier.full:
            if whole:
                return i
        elif tier.total <= total and (covered or not tier.covered):
            return i
    return len(tiers)


def _clauses(conn: sqlite3.Connection, parsed: ParsedQuery) -> list[_Clause] | None:
    written = parsed.written or tuple((t,) for t in parsed.names)
    clauses = [
        _name_clause(conn, token, typed) for token, typed in zip(parsed.names, written, strict=True)
    ]
    if parsed.dob:
        token = "9d" + parsed.dob.strftime("%Y%m%d")
        clauses.append(_Clause("dob", {3: _q(token)}, token=token))
    clauses += [_id_clause(conn, ident) for ident in parsed.identifiers]
    if any(not c.levels for c in clauses):
        return None  # a word nothing indexed starts with, or sounds like
    return clauses


_MATCH = "SELECT rowid FROM patient_fts WHERE patient_fts MATCH ? ORDER BY rowid LIMIT ?"


def _ranked(conn: sqlite3.Connection, clauses: list[_Clause], names: Sequence[str], need: int):
    """The first ``need`` (rank, score) pairs in result order."""
    tiers = _tiers(clauses, len(names))
    found: list[tuple[int, float]] = []
    seen: set[int] = set()

    def run(tier: _Tier) -> None:
        for (rank,) in conn.execute(_MATCH, (tier.expr, need)):
            if rank not in seen:
                seen.add(rank)
                found.append((rank, tier.score))

    run(tiers[0])  # often enough alone: "smith john" has its whole-name matches
    if len(found) >= need:
        return found[:need]
    if len(tiers) > 2:
        # Few matches in all (the usual case once a DOB or a rare name is
        # typed): fetch them once and sort them here, instead of one FTS5
        # query per tier, most of which would find nothing.
        broad = " AND ".join(_any([c.levels[k] for k in sorted(c.levels)]) for c in clauses)
        ranks = [r for (r,) in conn.execute(_MATCH, (broad, SMALL_SET))]
        if len(ranks) < SMALL_SET:
            marks = ",".join("?" * len(ranks))
            docs = conn.execute(
                f"SELECT rank, lead, rest FROM patient_search WHERE rank IN ({marks})", ranks
            ).fetchall()
            order = sorted(
                (_tier_of(clauses, tiers, len(names), (lead, rest)), rank)
                for rank, lead, rest in docs
            )
            return [(rank, tiers[t].score) for t, rank in order if t < len(tiers)][:need]
    for tier in tiers[1:]:
        run(tier)
        if len(found) >= need:
            break
    return found[:need]


_HYDRATE = """
SELECT s.rank, s.lead, s.rest, p.id, p.record_number, p.given_name, p.family_name,
       p.preferred_name, p.dob, p.phone,
       (SELECT a.start_utc FROM appointment a
         WHERE a.patient_id = p.id AND a.end_utc >= ? AND a.status IN (?, ?, ?)
         ORDER BY a.start_utc LIMIT 1)
FROM patient_search s JOIN patient p ON p.id = s.patient_id
WHERE p.merged_into IS NULL AND s.rank IN ({marks})
"""


def _written_level(c: _Clause, lead: set[str], rest: set[str]) -> int:
    """The level a name clause reaches on an entry's names as written (no romanisation)."""
    if not c.written:
        return c.level(lead, rest)
    return max((_Clause("name", {}, token=w).level(lead, rest) for w in c.written), default=0)


def _matched(clauses: list[_Clause], doc: Doc, names: tuple[str, str, str]) -> tuple[str, ...]:
    """Which kinds of match put a patient in the list, for the screen.

    ``names`` (given, family, preferred) tell a match made across scripts
    ("transliterated": Shevchenko for Шевченко, or the reverse) from one
    made by spelling.
    """
    lead, rest = set(doc[0].split()), set(doc[1].split())
    written: tuple[set[str], set[str]] | None = None
    out: dict[str, None] = {}
    for c in clauses:
        if c.kind == "name":
            out["name"] = None
            level = c.level(lead, rest)
            if written is None:
                plain = name_doc(*(n or "" for n in names), roman=False)
                written = set(plain.lead.split()), set(plain.rest.split())
            if _written_level(c, *written) < level:
                out["transliterated"] = None
            elif level == 1 and not any(w.startswith(c.token) for w in rest):
                hits = c.fuzzy & (lead | rest)
                out["typo" if hits & c.typos else "sounds_like"] = None
        elif c.kind == "dob":
            out["dob"] = None
        else:
            out.update(dict.fromkeys(c.readings(rest)))
    return tuple(out)


def _merged_record(conn: sqlite3.Connection, survivor_id: str, terms: set[str]) -> str:
    """The stored number of the record merged into ``survivor_id`` that the query named."""
    family = conn.execute("SELECT family_name FROM patient WHERE id = ?", (survivor_id,))
    family = (family.fetchone() or ("",))[0] or ""
    for pointer in absorbed(conn, survivor_id):
        (_, rest), _ = patient_doc("", family, "", None, (), "", (pointer,))
        if terms & set(rest.split()):
            return pointer[1]
    return ""


def search(
    conn: sqlite3.Connection,
    query: str,
    today: date,
    date_order: str = "DMY",
    limit: int = 50,
    offset: int = 0,
    *,
    now: datetime | None = None,
) -> list[Hit]:
    """Patients matching what was typed, best first, one page of them.

    Never raises on odd text: anything that is not a name, date or number is
    ignored, and what remains reaches FTS5 only as quoted tokens.  ``limit``
    is capped at ``MAX_LIMIT``.  ``now`` (default: the clock) decides which
    appointment is the next one.
    """
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    parsed = parse_query(query if isinstance(query, str) else "", date_order, today)
    if parsed.empty or limit == 0:
        return []
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one snapshot for every statement below
    try:
        clauses = _clauses(conn, parsed)
        if clauses is None:
            return []
        page = _ranked(conn, clauses, parsed.names, offset + limit)[offset:]
        if not page:
            return []
        moment = now or datetime.now(UTC)
        rows = conn.execute(
            _HYDRATE.format(marks=",".join("?" * len(page))),
            (db_text(moment), *_NEXT_STATUSES, *(rank for rank, _ in page)),
        ).fetchall()
        terms = {t for c in clauses if c.ident for t in _merged_terms(c.ident)}
        merged = {
            row[3]: _merged_record(conn, row[3], terms)
            for row in rows
            if terms and not terms.isdisjoint(row[2].split())
        }
    finally:
        if began:
            conn.execute("COMMIT")
    by_rank = {row[0]: row for row in rows}
    hits = []
    for rank, score in page:
        row = by_rank.get(rank)
        if row is None:  # the index is ahead of a row that just went away
            continue
        hits.append(
            Hit(
                patient_id=row[3],
                record_number=row[4],
                given_name=row[5],
                family_name=row[6],
                preferred_name=row[7] or "",
                dob=date.fromisoformat(row[8]) if row[8] else None,
                phone=row[9] or "",
                score=round(score, 4),
                matched=_matched(clauses, (row[1], row[2]), (row[5], row[6], row[7])),
                next_appointment=parse_db(row[10]),
                merged_record=merged.get(row[3], ""),
            )
        )
    return hits


# --------------------------------------------------------------- baseline


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def naive_search(conn: sqlite3.Connection, query: str, limit: int = 50) -> list[tuple]:
    """The finder a typical web EHR runs: ``LIKE '%term%'`` per term, no index.

    Kept as the benchmark baseline (bench/lookup.py), never used by the app.
    """
    terms = [t for t in (query or "").replace(",", " ").split() if t][:8]
    if not terms:
        return []
    where, params = [], []
    for term in terms:
        like = "%" + _escape_like(term) + "%"
        where.append(
            "(given_name LIKE ? ESCAPE '\\' OR family_name LIKE ? ESCAPE '\\' "
            "OR record_number LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\' "
            "OR dob LIKE ? ESCAPE '\\')"
        )
        params += [like] * 5
    sql = (
        "SELECT id, record_number, given_name, family_name, dob, phone FROM patient "
        f"WHERE merged_into IS NULL AND {' AND '.join(where)} LIMIT ?"
    )
    return conn.execute(sql, (*params, limit)).fetchall()
