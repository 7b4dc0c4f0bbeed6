"""Deterministic demo clinic and scale-data generators.

``generate_demo`` builds a small, lifelike clinic (5 providers, ~2,000
patients, a busy "today") for trying the app, screenshots and UI tests.
``seed_store`` builds a large store (up to millions of patients) for
performance work.

Both lay the day out relative to ``now``.  Callers that run at any hour use
a mid-day clock (``demo_clock``, coordtui.clock): outside 11:00-15:00 clinic
time it is the real clock shifted to 11:30 today, and the app then runs on
that same clock, so the board is a live mid-day one whatever the hour.  The
instant a store was laid out for is kept in ``meta`` (``laid_out_at``), so a
benchmark can run on the clock its store was made for (coordtui.clock.store_clock).

Both are deterministic for a given ``seed`` and ``now``: every random choice
comes from one ``random.Random(seed)`` and ids come from a seeded, counter
based generator, so two runs write byte-for-byte identical rows.  Both write
through raw ``sqlite3`` ``executemany`` after ``open_store`` has created the
schema: that is far faster than SQLModel objects and lets the demo and the
seeder share one row builder.  Text formats match what SQLAlchemy writes on
SQLite (UTC datetimes without offset in ``coordtui.domain.days.DB_FORMAT``,
ISO dates, 0/1 booleans), so the app reads the rows exactly as if it had
written them.

Names are deliberately hard: diacritics, apostrophes, hyphens, multi-part
surnames, non-Latin scripts, and several patients sharing a name and a date
of birth, so that search, sorting, display width and duplicate checks are
exercised by default.  All text is stored in NFC.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from coordtui.clock import LAID_OUT_AT, Clock, midday_clock, real_clock
from coordtui.domain.days import local_today
from coordtui.domain.status import LABELS, Status
from coordtui.store.db import open_store
from coordtui.store.files import ensure_private_file
from coordtui.store.search import rebuild_index

ACTOR = "demo"  # StatusEvent.actor / created_by / updated_by of generated rows
DEFAULT_TIMEZONE = "America/New_York"
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    clinic_id: str
    providers: int
    patients: int
    appointments_today: int


@dataclass(frozen=True)
class SeedSummary:
    clinic_id: str
    providers: int
    patients: int
    appointments: int
    status_events: int
    days: int
    seconds: float


# --------------------------------------------------------------------- ids

_M64 = (1 << 64) - 1

# Id streams: one per table, so ids never collide across tables.
_S_CLINIC, _S_PROVIDER, _S_PATIENT, _S_APPT, _S_EVENT, _S_CHECK = 1, 2, 3, 4, 5, 6


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash of a counter."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class _Ids:
    """Deterministic UUIDv7-shaped ids: ``id(stream, n)`` is a pure function.

    The 48-bit time field is ``base + n`` milliseconds, so ids of one table
    increase with ``n`` (B-tree appends, like coordtui.ids); rand_a holds the
    stream (unique across tables) and rand_b a hash of (seed, stream, n).
    Being a pure function, a patient's id can be recomputed from its index
    instead of keeping a million strings in memory.
    """

    def __init__(self, seed: int, base: datetime) -> None:
        self._key = _mix64(seed & _M64)
        self._base_ms = int(base.replace(tzinfo=UTC).timestamp() * 1000)

    def __call__(self, stream: int, n: int) -> str:
        ms = (self._base_ms + n) & ((1 << 48) - 1)
        rand = _mix64(self._key ^ (stream << 56) ^ n) >> 2  # 62 bits
        value = (ms << 80) | (0x7 << 76) | ((stream & 0xFFF) << 64) | (0b10 << 62) | rand
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ------------------------------------------------------------ text formats


def _ts(moment: datetime) -> str:
    """A naive-UTC instant as SQLAlchemy stores it on SQLite (DB_FORMAT, always with micros)."""
    return moment.isoformat(" ", "microseconds")


def _ts_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else _ts(moment)


def _naive_utc(now: datetime) -> datetime:
    """`now` as naive UTC (naive input is taken to be UTC already)."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _slug(text: str) -> str:
    """ASCII letters of a Latin name, for e-mail addresses ('García Márquez' -> 'garciamarquez')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


# ------------------------------------------------------------- name pools


@dataclass(frozen=True)
class _Name:
    """One pool entry: how it is written natively and in Latin letters."""

    native_m: str
    native_f: str
    latin_m: str
    latin_f: str
    slug_m: str
    slug_f: str


def _entries(spec: str) -> tuple[_Name, ...]:
    """Parse 'native=Latin' items separated by ', '; 'masc/fem' where forms differ.

    E.g. 'Иванов/Иванова=Ivanov/Ivanova', '王=Wang', 'O'Brien'.
    """
    out = []
    for item in spec.split(", "):
        native, _, latin = _nfc(item.strip()).partition("=")
        latin = latin or native
        nm, _, nf = native.partition("/")
        lm, _, lf = latin.partition("/")
        nf, lf = nf or nm, lf or lm
        out.append(_Name(nm, nf, lm, lf, _slug(lm), _slug(lf)))
    return tuple(out)


@dataclass(frozen=True)
class _Culture:
    """A naming tradition with its own pools and languages.

    ``native_share`` of its patients are recorded in the native script
    (given and family alike); the rest in Latin letters.  ``languages`` is a
    cumulative table of (probability, BCP 47 tag); the rest speak English.
    """

    weight: float
    female: tuple[_Name, ...]
    male: tuple[_Name, ...]
    family: tuple[_Name, ...]
    languages: tuple[tuple[float, str], ...] = ()
    native_share: float = 0.0


def _culture(weight, female, male, family, languages=(), native_share=0.0) -> _Culture:
    cumulative, total = [], 0.0
    for tag, share in languages:
        total += share
        cumulative.append((total, tag))
    return _Culture(
        weight, _entries(female), _entries(male), _entries(family), tuple(cumulative), native_share
    )


# Weights roughly follow a diverse US city clinic; pools favour names that
# stress the UI (accents, apostrophes, hyphens, particles, other scripts).
_CULTURES: tuple[_Culture, ...] = (
    _culture(
        30,
        "Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, "
        "Emily, Olivia, Emma, Ava, Sophia, Zoë, Chloë, Abigail, Madison, Hannah, Grace, "
        "Ashley, Megan, Katherine, Margaret, Rebecca, Samantha, Mary-Kate, Anne-Marie, Renée",
        "James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles, "
        "Christopher, Daniel, Matthew, Anthony, Mark, Liam, Noah, Ethan, Mason, Logan, "
        "Tyler, Brandon, Connor, Patrick, Alexander, Billy-Ray, Jean-Luc, Kevin, Brian, Scott",
        "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, "
        "Thomas, Moore, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Walker, Young, "
        "Allen, King, Wright, Scott, Hill, Green, Adams, Baker, Nelson, Carter, Mitchell, "
        "O'Brien, O'Connor, O'Neill, McDonald, MacLeod, Smith-Jones, Taylor-Wright, "
        "Fitzgerald, Murphy, Kelly, Sullivan, Bouchard-Smith",
    ),
    _culture(
        12,
        "Aaliyah, Imani, Keisha, Latoya, Shanice, Ebony, Jasmine, Tamika, Destiny, Nia, "
        "Kiara, Aniyah, Brianna, Deja, Monique",
        "DeShawn, Jamal, Malik, Tyrone, Darnell, Marcus, Terrence, Andre, Jaylen, Darius, "
        "Isaiah, Xavier, Jerome, Reginald, D'Andre",
        "Washington, Jefferson, Jackson, Banks, Freeman, Robinson, Harris, Brooks, Coleman, "
        "Bryant, Simmons, Gaines, Battle, Richardson, Greene",
    ),
    _culture(
        20,
        "María, Guadalupe, Sofía, Valentina, Camila, Lucía, Ximena, Daniela, Ana, "
        "María José, Mónica, Inés, Begoña, Carmen, Rocío, Ana Sofía, Itzel, Yesenia",
        "José, Juan, Luis, Carlos, Jesús, Miguel, Alejandro, Diego, Andrés, Ángel, Óscar, "
        "Raúl, Iván, Juan Carlos, José Luis, Santiago, Héctor, Joaquín",
        "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, "
        "Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez, "
        "Jiménez, Muñoz, Núñez, Peña, de la Cruz, De León, García Márquez, del Valle, "
        "Fernández de Córdoba, Castillo Ruiz, Ibáñez, Mendoza-Ruiz",
        languages=(("es", 0.45),),
    ),
    _culture(
        6,
        "Zoë, Anaïs, Chloé, Hélène, Françoise, Marie-Claire, Anne-Sophie, Giulia, Małgorzata, "
        "Agnieszka, Ingrid, Siobhán, Aoife, Björg, Léa",
        "Jean-Luc, Jean-Pierre, François, Jürgen, Søren, Lukas, Matthias, Giuseppe, Łukasz, "
        "Piotr, Pieter, Niamh, Seán, Ciarán, Jörg",
        "Müller, Schäfer, Groß, Weiß, van der Berg, van Dijk, de Vries, van den Heuvel, "
        "Dupont, Lefèvre, Bérubé, D'Angelo, D'Amico, Di Stefano, De Luca, Rossi, "
        "Kowalski/Kowalska, Wiśniewski/Wiśniewska, Nowak, Østergaard, Björklund, Ó Súilleabháin",
        languages=(("fr", 0.04), ("de", 0.03), ("pl", 0.04), ("it", 0.03)),
    ),
    _culture(
        5,
        "Priya, Ananya, Lakshmi, Deepika, Sunita, Kavya, Aishwarya, Meera, Pooja, Divya",
        "Rahul, Arjun, Vikram, Rohan, Sanjay, Amit, Karthik, Siddharth, Rajesh, Venkatesh",
        "Patel, Shah, Singh, Kumar, Sharma, Gupta, Reddy, Iyer, Chatterjee, Banerjee, "
        "Venkataraman, D'Souza, Menon, Nair",
        languages=(("hi", 0.08), ("gu", 0.05), ("ta", 0.03)),
    ),
    _culture(
        5,
        "芳=Fang, 娜=Na, 秀英=Xiuying, 敏=Min, 静=Jing, 丽=Li, 艳=Yan, 娟=Juan, 霞=Xia, 秀兰=Xiulan, "
        "婷=Ting, 雪=Xue",
        "伟=Wei, 强=Qiang, 磊=Lei, 军=Jun, 洋=Yang, 杰=Jie, 涛=Tao, 明=Ming, 超=Chao, 刚=Gang, "
        "平=Ping, 浩然=Haoran",
        "王=Wang, 李=Li, 张=Zhang, 刘=Liu, 陈=Chen, 杨=Yang, 黄=Huang, 赵=Zhao, 吴=Wu, 周=Zhou, "
        "欧阳=Ouyang, 司马=Sima",
        languages=(("zh", 0.5),),
        native_share=0.35,
    ),
    _culture(
        3,
        "Thị Lan, Thị Hương, Ngọc Anh, Thu Trang, Mai, Thị Hồng, Bảo Châu, Phương Linh",
        "Văn An, Minh Tuấn, Quốc Bảo, Đức Anh, Hoàng, Văn Hùng, Thành Long, Gia Huy",
        "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ",
        languages=(("vi", 0.55),),
    ),
    _culture(
        2,
        "서연=Seo-yeon, 지민=Ji-min, 수빈=Su-bin, 민지=Min-ji, 하은=Ha-eun",
        "민준=Min-jun, 서준=Seo-jun, 지훈=Ji-hoon, 도윤=Do-yun, 현우=Hyun-woo",
        "김=Kim, 이=Lee, 박=Park, 최=Choi, 정=Jung, 강=Kang, 윤=Yoon",
        languages=(("ko", 0.4),),
        native_share=0.3,
    ),
    _culture(
        1,
        "花子=Hanako, 陽菜=Hina, 結衣=Yui, さくら=Sakura, 美咲=Misaki",
        "翔太=Shōta, 大翔=Hiroto, 健=Ken, 蓮=Ren, 拓海=Takumi",
        "佐藤=Satō, 鈴木=Suzuki, 高橋=Takahashi, 田中=Tanaka, 渡辺=Watanabe, 伊藤=Itō, "
        "山本=Yamamoto, 中村=Nakamura",
        languages=(("ja", 0.4),),
        native_share=0.3,
    ),
    _culture(
        3,
        "Ольга=Olga, Наталья=Natalya, Елена=Elena, Татьяна=Tatyana, Анна=Anna, Юлия=Yulia, "
        "Светлана=Svetlana",
        "Дмитрий=Dmitry, Алексей=Aleksey, Сергей=Sergey, Иван=Ivan, Андрей=Andrey, "
        "Михаил=Mikhail, Николай=Nikolay",
        "Иванов/Иванова=Ivanov/Ivanova, Смирнов/Смирнова=Smirnov/Smirnova, "
        "Кузнецов/Кузнецова=Kuznetsov/Kuznetsova, Попов/Попова=Popov/Popova, "
        "Соколов/Соколова=Sokolov/Sokolova, Шевченко=Shevchenko, Волков/Волкова=Volkov/Volkova",
        languages=(("ru", 0.5), ("uk", 0.1)),
        native_share=0.35,
    ),
    _culture(
        3,
        "فاطمة=Fatima, عائشة=Aisha, مريم=Maryam, نور=Nour, ليلى=Layla, زينب=Zainab, هدى=Huda",
        "محمد=Mohammed, أحمد=Ahmed, علي=Ali, عمر=Omar, يوسف=Youssef, خالد=Khaled, حسن=Hassan",
        "الحسن=Al-Hassan, حداد=Haddad, منصور=Mansour, خوري=Khoury, عبد الله=Abdullah, "
        "السيد=El-Sayed, نصر=Nasr, سليمان=Suleiman, عبد الرحمن=Abdel-Rahman",
        languages=(("ar", 0.5),),
        native_share=0.3,
    ),
    _culture(
        1,
        "Μαρία=Maria, Ελένη=Eleni, Κατερίνα=Katerina, Σοφία=Sofia, Δέσποινα=Despoina",
        "Αλέξανδρος=Alexandros, Γιώργος=Giorgos, Νίκος=Nikos, Δημήτρης=Dimitris, Κώστας=Kostas",
        "Παπαδόπουλος/Παπαδοπούλου=Papadopoulos/Papadopoulou, Νικολάου=Nikolaou, "
        "Γεωργίου=Georgiou, Οικονόμου=Oikonomou, Καραγιάννης/Καραγιάννη=Karagiannis/Karagianni",
        languages=(("el", 0.3),),
        native_share=0.3,
    ),
    _culture(
        5,
        "Ngozi, Adaeze, Chiamaka, Oluwaseun, Abena, Esperancia, Fabiola, Nadège, Aminata, "
        "Fatoumata",
        "Chinedu, Kwame, Oluwadamilare, Emeka, Kofi, Jean-Baptiste, Wilner, Jean-Robert, "
        "Mamadou, Ousmane",
        "Okafor, Adeyemi, Mensah, Osei, Okonkwo, Jean-Baptiste, Pierre-Louis, Toussaint, "
        "Diallo, Ndiaye, Saint-Fleur, Boakye-Ansah",
        languages=(("ht", 0.15), ("fr", 0.05), ("yo", 0.03)),
    ),
    _culture(
        2,
        "Hodan, Fartun, Ayaan, Hibaq, Selam, Tigist, Meron",
        "Abdi, Abdirahman, Liban, Yonas, Dawit, Tesfaye, Bereket",
        "Warsame, Farah, Mohamed, Haile, Alemu, Tekle, Gebremedhin",
        languages=(("so", 0.3), ("am", 0.2), ("ti", 0.05)),
    ),
    _culture(
        2,
        "Maria da Conceição, Ana Luísa, Fernanda, Thaís, Letícia",
        "João, Gonçalo, Luís Filipe, Thiago, Vinícius",
        "Gonçalves, Magalhães, Conceição, Araújo, da Silva, dos Santos, Assunção",
        languages=(("pt", 0.45),),
    ),
)
_CULTURE_CUM: tuple[float, ...] = tuple(
    sum(c.weight for c in _CULTURES[: i + 1]) for i in range(len(_CULTURES))
)

_NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Richard": "Rick", "Elizabeth": "Liz",
    "Katherine": "Kate", "Christopher": "Chris", "Michael": "Mike", "Jennifer": "Jen",
    "Margaret": "Peggy", "Alexander": "Alex", "Patricia": "Trish", "Joseph": "Joe",
    "Thomas": "Tom", "Daniel": "Dan", "Anthony": "Tony", "James": "Jim", "Rebecca": "Becky",
    "Samantha": "Sam", "Alexandros": "Alex", "Dmitry": "Dima", "Guadalupe": "Lupe",
    "Jesús": "Chuy", "Oluwaseun": "Seun", "Oluwadamilare": "Dami", "Francisco": "Paco",
}  # fmt: skip

# ------------------------------------------------------- other field pools

# Real US geographic area codes (checked valid and region "US" by phonenumbers);
# the first nine are the demo clinic's own (Boston area), so they come up most.
_LOCAL_AREA_CODES = (617, 857, 781, 339, 508, 774, 978, 351, 413)
_OTHER_AREA_CODES = (
    212, 646, 718, 917, 347, 929, 201, 973, 203, 860, 401, 603, 207, 802, 215, 267, 202,
    301, 410, 404, 305, 786, 312, 773, 713, 832, 214, 469, 415, 510, 650, 408, 213, 310,
    323, 206, 503, 602, 303, 702, 801, 612, 313, 216, 412, 615, 704, 919,
)  # fmt: skip
# Exchanges phonenumbers accepts everywhere above; N11, 555 and test codes left out.
_EXCHANGES = tuple(
    e for e in range(200, 1000) if e % 100 != 11 and e not in (555, 950, 958, 959, 976)
)

_STREETS = (
    "Main St", "Washington St", "Centre St", "Blue Hill Ave", "Dorchester Ave",
    "Massachusetts Ave", "Tremont St", "Columbus Ave", "Hyde Park Ave", "Commonwealth Ave",
    "Beacon St", "Cambridge St", "Elm St", "Maple Ave", "Oak St", "Harvard St", "Broadway",
    "Bowdoin St", "Geneva Ave", "Columbia Rd", "Hancock St", "Adams St", "River St",
    "Chestnut Hill Ave", "Saint Rose St", "O'Callaghan Way", "Rue de la Paix Ct",
)  # fmt: skip
_CITIES = (
    ("Boston", "MA", "021"), ("Dorchester", "MA", "021"), ("Roxbury", "MA", "021"),
    ("Cambridge", "MA", "021"), ("Somerville", "MA", "021"), ("Chelsea", "MA", "021"),
    ("Quincy", "MA", "021"), ("Malden", "MA", "021"), ("Everett", "MA", "021"),
    ("Brookline", "MA", "024"), ("Newton", "MA", "024"), ("Lynn", "MA", "019"),
    ("Brockton", "MA", "023"), ("Providence", "RI", "029"),
)  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved, never delivered
_FLAGS = (
    "wheelchair", "hearing", "vision", "latex-allergy", "fall-risk", "service-animal",
    "needs-escort", "cognitive",
)  # fmt: skip
# (payer, member-id prefix, possible copays in cents)
_COMMERCIAL = (
    ("Blue Cross Blue Shield", "XBC", (2000, 2500, 3000, 4000)),
    ("Aetna", "AET", (1500, 2500, 3500)),
    ("UnitedHealthcare", "UHC", (2000, 3000, 5000)),
    ("Cigna", "CIG", (2500, 3000, 4000)),
    ("Harvard Pilgrim", "HPH", (1000, 2000, 2500)),
    ("Tufts Health Plan", "THP", (1000, 2000)),
)
_MEDICARE = ("Medicare", "MCR", (0, 0, 2000))
_MEDICAID = ("MassHealth (Medicaid)", "MHD", (0,))

# Appointment types: (name, minutes, cumulative weight).  Multiples of 15 so
# they line up with the 15-minute booking grid.
_TYPES = (
    ("Follow-up", 15),
    ("Consultation", 30),
    ("New patient", 30),
    ("Vaccination", 15),
    ("Lab review", 15),
)
_TYPE_CUM = (34, 60, 72, 86, 100)
_REASONS = {
    "Follow-up": ("BP check", "Diabetes follow-up", "Asthma review", "Post-op check", "Medication review", ""),
    "Consultation": ("Cough for 3 days", "Back pain", "Headaches", "Rash", "Knee pain", "Fatigue", "Ear pain", ""),
    "New patient": ("Establish care", "Transfer of care", "Annual physical", ""),
    "Vaccination": ("Flu shot", "COVID-19 booster", "Tdap", "MMR", "HPV dose 2", "Hepatitis B"),
    "Lab review": ("A1c results", "Lipid panel", "Thyroid results", "CBC follow-up", ""),
}  # fmt: skip
_CANCEL_REASONS = (
    "Patient called to cancel", "Rescheduled by patient", "Feeling better",
    "Transport problem", "Provider unavailable", "Childcare issue", "Weather",
    "Insurance not active",
)  # fmt: skip
_ERROR_REASONS = ("Booked for wrong patient", "Duplicate booking", "Wrong provider selected")
_WALK_IN_URGENT = (
    "Chest tightness",
    "High fever",
    "Asthma flare",
    "Laceration on hand",
    "Severe abdominal pain",
)
_WALK_IN_ROUTINE = (
    "Sore throat",
    "Medication refill",
    "Rash on arm",
    "Ear pain",
    "Urinary symptoms",
)


def _pick_cum(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn from a cumulative weight table (faster than rng.choices per call)."""
    return bisect.bisect_right(cum, rng.random() * cum[-1])


# ------------------------------------------------------------- patients

PATIENT_COLUMNS = (
    "id", "clinic_id", "record_number", "given_name", "family_name", "preferred_name", "dob",
    "sex", "phone", "phone_alt", "email", "address", "preferred_language",
    "interpreter_needed", "flags", "payer", "member_id", "copay_cents", "merged_into",
    "version", "created_at", "updated_at", "updated_by",
)  # fmt: skip
_P = {name: i for i, name in enumerate(PATIENT_COLUMNS)}


class _PatientFactory:
    """Builds patient rows as tuples in PATIENT_COLUMNS order, one per index.

    Shared by the demo and the seeder.  Per-row work is kept to a few dozen
    RNG calls and string formats (no objects, no phonenumbers calls) so a
    million rows take seconds.  ``fictional_phones`` draws primary numbers
    from the 555-0100..0199 range reserved for fiction (still valid for
    phonenumbers), without repeats while the pool lasts; otherwise numbers
    use real-looking exchanges so that phone search stays selective at scale.
    """

    def __init__(
        self,
        rng: random.Random,
        ids: _Ids,
        clinic_id: str,
        now: datetime,
        today: date,
        count: int,
        fictional_phones: bool,
    ) -> None:
        if count > 8_000_000:
            raise ValueError("At most 8,000,000 patients (record numbers have 7 digits).")
        self.rng, self.ids, self.clinic_id, self.now = rng, ids, clinic_id, now
        self.today_ord = today.toordinal()
        self.mrn_step = max(1, 8_000_000 // max(count, 1))
        self.count = max(count, 1)
        self.created_base = now - timedelta(days=8 * 365)
        self.created_span = (now - self.created_base).total_seconds() - 3600
        self.fictional = fictional_phones
        self.area_cum = tuple(
            8 * (i + 1) if i < len(_LOCAL_AREA_CODES) else 8 * len(_LOCAL_AREA_CODES) + i
            for i in range(len(_LOCAL_AREA_CODES) + len(_OTHER_AREA_CODES))
        )
        self.area_codes = _LOCAL_AREA_CODES + _OTHER_AREA_CODES
        if fictional_phones:
            pool = [f"+1{ac}555{n:04d}" for ac in self.area_codes for n in range(100, 200)]
            rng.shuffle(pool)
            self.fictional_pool = pool
            self.fictional_next = 0

    def phone(self) -> str:
        rng = self.rng
        if self.fictional:
            pool = self.fictional_pool
            number = pool[self.fictional_next % len(pool)]
            self.fictional_next += 1
            return number
        ac = self.area_codes[_pick_cum(rng, self.area_cum)]
        return f"+1{ac}{_EXCHANGES[int(rng.random() * len(_EXCHANGES))]}{rng.randrange(10000):04d}"

    def row(self, i: int) -> list:
        """Patient number ``i`` (0-based) as a mutable list; callers tuple() it."""
        rng = self.rng
        r = rng.random
        culture = _CULTURES[_pick_cum(rng, _CULTURE_CUM)]
        u = r()
        sex = "female" if u < 0.49 else "male" if u < 0.98 else "other" if u < 0.99 else "unknown"
        female = sex == "female" or (sex != "male" and r() < 0.5)
        pool = culture.female if female else culture.male
        given = pool[int(r() * len(pool))]
        family = culture.family[int(r() * len(culture.family))]
        native = culture.native_share and r() < culture.native_share
        if female:
            g_latin, g_slug, g_native = given.latin_f, given.slug_f, given.native_f
            f_latin, f_slug, f_native = family.latin_f, family.slug_f, family.native_f
        else:
            g_latin, g_slug, g_native = given.latin_m, given.slug_m, given.native_m
            f_latin, f_slug, f_native = family.latin_m, family.slug_m, family.native_m
        g_name, f_name = (g_native, f_native) if native else (g_latin, f_latin)
        preferred = ""
        if native:
            if r() < 0.3:
                preferred = g_latin  # e.g. 王伟 goes by "Wei" at the desk
        elif g_latin in _NICKNAMES and r() < 0.3:
            preferred = _NICKNAMES[g_latin]

        age = int(rng.triangular(0, 100, 38))  # 0..99 whole years, adults most common
        dob = date.fromordinal(self.today_ord - int(age * 365.2425) - rng.randrange(365))

        language = "en"
        v = r()
        for threshold, tag in culture.languages:
            if v < threshold:
                language = tag
                break
        interpreter = language != "en" and r() < 0.45

        email = ""
        if r() < 0.55:
            domain = _EMAIL_DOMAINS[int(r() * 3)]
            if r() < 0.6:
                email = f"{g_slug}.{f_slug}{rng.randrange(100)}@{domain}"
            else:
                email = f"{g_slug[:1]}{f_slug}{rng.randrange(1000)}@{domain}"
        address = ""
        if r() < 0.95:
            city, state, zip3 = _CITIES[int(r() * len(_CITIES))]
            street = _STREETS[int(r() * len(_STREETS))]
            apt = f", Apt {rng.randrange(1, 40)}{'ABCD'[int(r() * 4)]}" if r() < 0.35 else ""
            address = f"{rng.randrange(1, 400)} {street}{apt}, {city}, {state} {zip3}{rng.randrange(100):02d}"
        flags = ""
        if r() < 0.1:
            flags = _FLAGS[int(r() * len(_FLAGS))]
            if r() < 0.2:
                other = _FLAGS[int(r() * len(_FLAGS))]
                if other != flags:
                    flags = f"{flags},{other}"

        payer = member_id = ""
        copay = 0
        v = r()
        if v < 0.93:
            if age >= 65 and v < 0.8:
                plan = _MEDICARE
            elif (age < 19 and v < 0.45) or v < 0.2:
                plan = _MEDICAID
            else:
                plan = _COMMERCIAL[int(r() * len(_COMMERCIAL))]
            payer, prefix, copays = plan
            member_id = f"{prefix}{rng.randrange(10**9):09d}"
            copay = copays[int(r() * len(copays))]
        elif v < 0.98:
            payer = "Self-pay"

        created = self.created_base + timedelta(seconds=self.created_span * (i + r()) / self.count)
        born = datetime(dob.year, dob.month, dob.day, 12)
        if created < born:
            created = born + timedelta(hours=r() * 48)
            created = min(created, self.now - timedelta(minutes=5))
        version, updated = 1, created
        if r() < 0.3:
            version = 2 + int(r() * 3)
            updated = created + (self.now - created) * r()
        return [
            self.ids(_S_PATIENT, i),
            self.clinic_id,
            f"MRN{1_000_000 + i * self.mrn_step + rng.randrange(self.mrn_step):07d}",
            g_name,
            f_name,
            preferred,
            dob.isoformat(),
            sex,
            self.phone(),
            self.phone() if r() < 0.18 else "",
            email,
            address,
            language,
            1 if interpreter else 0,
            flags,
            payer,
            member_id,
            copay,
            None,
            version,
            _ts(created),
            _ts(updated),
            ACTOR,
        ]


# --------------------------------------------------------- appointments

APPOINTMENT_COLUMNS = (
    "id", "clinic_id", "patient_id", "provider_id", "start_utc", "end_utc", "type", "modality",
    "reason", "kind", "priority", "status", "status_since", "arrived_at", "finished_at",
    "cancel_reason", "version", "created_at", "created_by", "updated_at", "updated_by",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "appointment_id", "from_status", "to_status", "at", "reason", "corrects", "actor",
    "mutation_id",
)  # fmt: skip
PROVIDER_COLUMNS = (
    "id", "clinic_id", "name", "short_name", "specialty", "schedule_json", "slot_minutes", "active",
)  # fmt: skip
CLINIC_COLUMNS = ("id", "name", "timezone", "phone_region", "created_at")
META_COLUMNS = ("key", "value")
COVERAGE_COLUMNS = (
    "id", "patient_id", "appointment_id", "payer", "member_id", "copay_cents", "at", "actor",
)  # fmt: skip
_TABLES = {
    "coverage_check": COVERAGE_COLUMNS,
    "meta": META_COLUMNS,
    "clinic": CLINIC_COLUMNS,
    "provider": PROVIDER_COLUMNS,
    "patient": PATIENT_COLUMNS,
    "appointment": APPOINTMENT_COLUMNS,
    "status_event": EVENT_COLUMNS,
}

_FINISHING = frozenset({Status.DONE, Status.LEFT, Status.NO_SHOW, Status.CANCELLED})
_WITH_REASON = frozenset({Status.CANCELLED, Status.ENTERED_IN_ERROR})
_ZERO = timedelta(0)

# Outcome tables, cumulative: a slot well in the past, the slot the provider
# should be in now, a slot whose patient may already be here, a later slot.
_PAST = ((0.80, Status.DONE), (0.87, Status.NO_SHOW), (0.94, Status.CANCELLED),
         (0.97, Status.LEFT), (1.0, Status.ENTERED_IN_ERROR))  # fmt: skip
_CURRENT = ((0.80, Status.IN_ROOM), (0.90, Status.ARRIVED), (1.0, Status.BOOKED))
_ARRIVING = ((0.70, Status.ARRIVED), (1.0, Status.BOOKED))
_FUTURE = ((0.92, Status.BOOKED), (0.98, Status.CANCELLED), (1.0, Status.ENTERED_IN_ERROR))


def _outcome(rng: random.Random, table: tuple[tuple[float, Status], ...]) -> Status:
    v = rng.random()
    for threshold, status in table:
        if v < threshold:
            return status
    return table[-1][1]


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    """A random whole-second span between lo and hi minutes."""
    return timedelta(seconds=int(rng.uniform(lo * 60, hi * 60)))


@dataclass
class _Visit:
    """An appointment being planned, before its timeline and rows are made."""

    provider: int
    start: datetime
    end: datetime
    type: str
    kind: str = "scheduled"
    priority: str = "routine"
    modality: str = "in_person"
    reason: str = ""
    patient: int = -1
    status: Status = Status.BOOKED
    delay: timedelta = _ZERO  # how late the provider runs when this slot is due
    story: str = ""  # "corrected_no_show": a mistaken no-show, undone, then a visit


@dataclass
class _Story:
    """What the status history says; fields derived the way the mutations set them."""

    created: datetime
    events: list[tuple[Status, Status, datetime, str, int | None]] = field(default_factory=list)
    status: Status = Status.BOOKED
    since: datetime | None = None
    arrived: datetime | None = None
    finished: datetime | None = None
    cancel_reason: str = ""


def _sessions(schedule: dict, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """A provider's sessions on one clinic-local day, as naive-UTC instants."""
    out = []
    for start, end in schedule.get(DAY_KEYS[day.weekday()], ()):
        pair = []
        for hhmm in (start, end):
            h, m = (int(x) for x in hhmm.split(":"))
            moment = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
            pair.append(moment.astimezone(UTC).replace(tzinfo=None))
        out.append((pair[0], pair[1]))
    return out


def _pack(rng: random.Random, provider: int, sessions) -> list[_Visit]:
    """Fill sessions back to back with typed visits (callers sample from these)."""
    out = []
    quarter = timedelta(minutes=15)
    for begin, finish in sessions:
        t = begin
        while t + quarter <= finish:
            name, minutes = _TYPES[_pick_cum(rng, _TYPE_CUM)]
            if t + timedelta(minutes=minutes) > finish:
                name, minutes = "Follow-up", 15
            end = t + timedelta(minutes=minutes)
            out.append(_Visit(provider, t, end, name))
            t = end
    return out


def _decorate(rng: random.Random, visit: _Visit) -> None:
    """Modality and reason: mostly in person; vaccinations always are."""
    if visit.type != "Vaccination" and visit.kind == "scheduled":
        v = rng.random()
        visit.modality = "in_person" if v < 0.88 else "phone" if v < 0.95 else "video"
    reasons = _REASONS.get(visit.type)
    if reasons:
        visit.reason = reasons[int(rng.random() * len(reasons))]


def _plan_day(rng: random.Random, visits: list[_Visit], anchor: datetime) -> None:
    """Statuses relative to ``anchor`` for one day's scheduled visits.

    Each provider runs a few minutes late (the same all day), which decides
    who is in the room now and who is still waiting.
    """
    delays: dict[int, timedelta] = {}
    for visit in visits:
        if visit.provider not in delays:
            delays[visit.provider] = timedelta(minutes=rng.choice((0, 5, 10, 15, 20, 30)))
        delay = visit.delay = delays[visit.provider]
        if visit.end + delay <= anchor:
            table = _PAST
        elif visit.start + delay <= anchor:
            table = _CURRENT
        elif visit.start - timedelta(minutes=20) <= anchor:
            table = _ARRIVING
        else:
            table = _FUTURE
        visit.status = _outcome(rng, table)


def _story(rng: random.Random, visit: _Visit, anchor: datetime) -> _Story:
    """Timestamped status history for a visit, ending in ``visit.status``.

    Nothing happens after ``anchor``: a history that would runs into the
    future is slid back as a whole.  The derived fields (status_since,
    arrived_at, finished_at, cancel_reason) are replayed from the events
    exactly as ``coordtui.mutations`` sets them, so rows and history agree.
    """
    s, status = visit.start, visit.status
    walk_in = visit.kind == "walk_in"
    # (to_status, at, reason, index of the event this one corrects)
    steps: list[tuple[Status, datetime, str, int | None]] = []
    if walk_in:
        # Walk-ins are created arrived (mutations.add_walk_in).  Later steps
        # take typical durations but stay between arrival and the anchor, so
        # nothing needs sliding.
        created = a = s
        end = anchor - timedelta(seconds=rng.randrange(20, 120))
        room = a
        steps.append((Status.ARRIVED, a, "walk-in", None))
        if status in (Status.IN_ROOM, Status.DONE):
            room = min(a + _minutes(rng, 10, 40), a + (end - a) * 0.5)
            steps.append((Status.IN_ROOM, room, "", None))
        if status == Status.DONE:
            done = min(room + _minutes(rng, 10, 25), room + (end - room) * 0.9)
            steps.append((Status.DONE, done, "", None))
        elif status == Status.LEFT:
            left = min(a + _minutes(rng, 30, 60), a + (end - a) * 0.9)
            steps.append((Status.LEFT, left, "", None))
    else:
        created = min(s, anchor) - timedelta(seconds=rng.randrange(86_400, 45 * 86_400))
        a = s - _minutes(rng, -5, 20)  # most come early, a few a little late
        if visit.story == "corrected_no_show":
            # Marked no-show by mistake, undone, then the patient was seen.
            wrong = s + _minutes(rng, 12, 18)
            steps.append((Status.NO_SHOW, wrong, "", None))
            undo = f"undo {LABELS[Status.NO_SHOW].lower()}"  # as mutations.undo_status words it
            steps.append((Status.BOOKED, wrong + _minutes(rng, 1, 4), undo, 0))
            a = steps[-1][1] + _minutes(rng, 1, 5)
        if status in _WITH_REASON:
            last = min(s, anchor)
            pool = _CANCEL_REASONS if status == Status.CANCELLED else _ERROR_REASONS
            reason = pool[int(rng.random() * len(pool))]
            steps.append(
                (status, created + (last - created) * rng.uniform(0.4, 0.98), reason, None)
            )
        elif status == Status.NO_SHOW:
            steps.append((Status.NO_SHOW, s + _minutes(rng, 15, 35), "", None))
        elif status != Status.BOOKED:
            steps.append((Status.ARRIVED, a, "", None))
            if status in (Status.IN_ROOM, Status.DONE):
                room = max(a + _minutes(rng, 2, 10), s + visit.delay + _minutes(rng, 0, 4))
                steps.append((Status.IN_ROOM, room, "", None))
                if status == Status.DONE:
                    steps.append(
                        (Status.DONE, room + (visit.end - s) * rng.uniform(0.6, 1.1), "", None)
                    )
            elif status == Status.LEFT:
                steps.append((Status.LEFT, a + _minutes(rng, 25, 75), "", None))
        if steps:
            over = steps[-1][1] - (anchor - timedelta(seconds=rng.randrange(20, 240)))
            if over > _ZERO:
                steps = [(to, at - over, why, fix) for to, at, why, fix in steps]
    return _replay(created, steps)


def _replay(created: datetime, steps) -> _Story:
    """Apply steps like mutations.set_status / undo_status would."""
    story = _Story(created)
    reverted: set[int] = set()
    for to, at, reason, corrects in steps:
        story.events.append((story.status, to, at, reason, corrects))
        story.status = to
        if corrects is None:
            story.since = at
            if to == Status.ARRIVED:
                story.arrived = at
            if to in _FINISHING:
                story.finished = at
            if to in _WITH_REASON:
                story.cancel_reason = reason
            continue
        reverted.add(corrects)
        effective = [e for i, e in enumerate(story.events) if e[4] is None and i not in reverted]
        story.since = effective[-1][2] if effective else None
        story.arrived = next((e[2] for e in effective if e[1] == Status.ARRIVED), None)
        if to not in _FINISHING:
            story.finished = None
        if to not in _WITH_REASON:
            story.cancel_reason = ""
    return story


class _RowMaker:
    """Turns planned visits into appointment and status_event row tuples."""

    def __init__(self, ids: _Ids, clinic_id: str, provider_ids: list[str]) -> None:
        self.ids, self.clinic_id, self.provider_ids = ids, clinic_id, provider_ids
        self.appointments = 0
        self.events = 0

    def rows(self, rng: random.Random, visit: _Visit, anchor: datetime):
        story = _story(rng, visit, anchor)
        appt_id = self.ids(_S_APPT, self.appointments)
        self.appointments += 1
        event_rows = []
        event_ids: list[str] = []
        for frm, to, at, reason, corrects in story.events:
            event_id = self.ids(_S_EVENT, self.events)
            self.events += 1
            event_ids.append(event_id)
            fix = event_ids[corrects] if corrects is not None else None
            event_rows.append(
                (event_id, appt_id, frm.value, to.value, _ts(at), reason, fix, ACTOR, 0)
            )
        # A walk-in's first event is its creation, not an edit (no version bump).
        edits = len(story.events) - (1 if visit.kind == "walk_in" else 0)
        updated = story.events[-1][2] if story.events else story.created
        appointment = (
            appt_id,
            self.clinic_id,
            self.ids(_S_PATIENT, visit.patient),
            self.provider_ids[visit.provider],
            _ts(visit.start),
            _ts(visit.end),
            visit.type,
            visit.modality,
            visit.reason,
            visit.kind,
            visit.priority,
            story.status.value,
            _ts_or_none(story.since),
            _ts_or_none(story.arrived),
            _ts_or_none(story.finished),
            story.cancel_reason,
            1 + edits,
            _ts(story.created),
            ACTOR,
            _ts(updated),
            ACTOR,
        )
        return appointment, event_rows


# ------------------------------------------------------------ sqlite I/O


def _remove_store(path: Path) -> None:
    """Delete a store and its WAL/SHM/journal side files (generators replace, never merge)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _check_columns(conn: sqlite3.Connection) -> None:
    """Fail loudly if models.py changed under us: raw inserts name every column."""
    for table, columns in _TABLES.items():
        actual = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if actual != set(columns):
            raise RuntimeError(
                f"Table {table} has columns {sorted(actual)}, but coordtui.demo writes "
                f"{sorted(columns)}; update coordtui/demo.py to match models.py."
            )


def _insert(conn: sqlite3.Connection, table: str, rows) -> None:
    columns = _TABLES[table]
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _clinic_row(clinic_id: str, name: str, timezone: str, created: datetime) -> tuple:
    return (clinic_id, name, timezone, "US", _ts(created))


# -------------------------------------------------------------- the demo

DEMO_PATIENTS = 2000
DEMO_CLINIC = "Riverside Community Health Center"

# Open seven days, so the demo board is busy whatever day it is run.  Each
# provider has one weekday off; weekends run 09:00-17:00 with a lunch hour.
_WEEKEND = [["09:00", "13:00"], ["14:00", "17:00"]]
_DEMO_PROVIDERS = (
    # name, short name, specialty, day off, weekday sessions
    ("Amara Okafor, MD", "Dr Okafor", "Family medicine", "sun", [["08:00", "12:00"], ["13:00", "17:00"]]),
    ("Sofía Ramírez-Ortiz, MD", "Dr Ramírez", "Pediatrics", "sat", [["08:30", "12:00"], ["13:00", "17:30"]]),
    ("Minh Nguyễn, DO", "Dr Nguyễn", "Internal medicine", "wed", [["07:30", "11:30"], ["12:30", "16:30"]]),
    ("Priya D'Souza, NP", "NP D'Souza", "Family nurse practitioner", "mon", [["10:00", "14:00"], ["14:30", "18:30"]]),
    ("Yusuf Haddad, MD", "Dr Haddad", "Internal medicine", "thu", [["08:00", "12:00"], ["13:00", "17:00"]]),
)  # fmt: skip
_PEDIATRICS = 1  # index into _DEMO_PROVIDERS

# Patients written over the first random rows: realistic duplicate risk
# (same name, same DOB; accented vs unaccented) and hard-to-render names.
# (given, family, sex, dob, language, interpreter_needed)
_SCRIPTED = (
    ("John", "Smith", "male", "1978-03-14", "en", False),
    ("John", "Smith", "male", "1978-03-14", "en", False),
    ("John", "Smith", "male", "1985-11-02", "en", False),
    ("John", "Smith", "male", "1949-07-21", "en", False),
    ("Jon", "Smith", "male", "1978-03-14", "en", False),
    ("María", "García", "female", "1990-05-09", "es", True),
    ("Maria", "Garcia", "female", "1990-05-09", "en", False),
    ("José", "García Márquez", "male", "1962-10-30", "es", False),
    ("Zoë", "O'Brien", "female", "2001-02-17", "en", False),
    ("Jean-Luc", "D'Angelo", "male", "1957-08-05", "fr", False),
    ("Anne-Marie", "Smith-Jones", "female", "1983-12-24", "en", False),
    ("Pieter", "van der Berg", "male", "1970-04-01", "en", False),
    ("Lucía", "de la Cruz", "female", "1995-06-12", "es", False),
    ("Văn An", "Nguyễn", "male", "1948-09-19", "vi", True),
    ("Thị Lan", "Nguyễn", "female", "1952-01-30", "vi", True),
    ("伟", "王", "male", "1971-01-08", "zh", True),
    ("伟", "王", "male", "1971-01-08", "zh", False),
    ("Дмитрий", "Иванов", "male", "1966-11-11", "ru", True),
    ("محمد", "الحسن", "male", "1988-07-04", "ar", True),
    ("Αλέξανδρος", "Παπαδόπουλος", "male", "1975-03-25", "el", False),
    ("花子", "佐藤", "female", "1993-08-15", "ja", False),
    ("Jürgen", "Müller", "male", "1959-05-05", "de", False),
)
_DEMO_WALK_INS = (
    # status, arrived this many minutes before now, priority
    (Status.ARRIVED, 8, "urgent"),
    (Status.ARRIVED, 32, "routine"),  # past the 20-minute alert
    (Status.IN_ROOM, 27, "urgent"),
    (Status.LEFT, 105, "routine"),
    (Status.DONE, 140, "routine"),  # after opening even at the weekend (09:00) at 11:30
)


def _demo_schedule(day_off: str, weekday: list) -> dict:
    return {
        key: (_WEEKEND if key in ("sat", "sun") else weekday) for key in DAY_KEYS if key != day_off
    }


_A = {name: i for i, name in enumerate(APPOINTMENT_COLUMNS)}


def _coverage_checks(rng, ids, patients: list, appointments: list, now: datetime) -> list:
    """Coverage verified as a real desk would have: at today's arrivals mostly, and for
    the visits still to come, most within the month, some long ago, a few never (the
    queue's `$` then marks only those)."""
    insured = {row[_P["id"]]: row for row in patients if row[_P["payer"]]}  # Self-pay too
    rows, seen = [], set()
    day_start = now - timedelta(hours=now.hour, minutes=now.minute)
    for appointment in appointments:
        patient = insured.get(appointment[_A["patient_id"]])
        start = datetime.fromisoformat(appointment[_A["start_utc"]])
        if patient is None or patient[_P["id"]] in seen or not day_start <= start:
            continue
        seen.add(patient[_P["id"]])
        arrived = appointment[_A["arrived_at"]]
        roll = rng.random()
        if arrived and roll < 0.9:
            at, visit = datetime.fromisoformat(arrived), appointment[_A["id"]]
        elif roll < 0.75:
            at, visit = now - timedelta(days=rng.randint(1, 25), minutes=rng.randint(0, 600)), None
        elif roll < 0.9:
            at, visit = now - timedelta(days=rng.randint(45, 300)), None
        else:
            continue  # never verified
        rows.append(
            (
                ids(_S_CHECK, len(rows)), patient[_P["id"]], visit, patient[_P["payer"]],
                patient[_P["member_id"]], patient[_P["copay_cents"]], _ts(at), "reception",
            )
        )  # fmt: skip
    return rows


def _write_all(path: Path, tables: dict[str, list]) -> None:
    """One transaction, foreign keys checked: the demo is small, safety is free."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _check_columns(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        for table in (
            "clinic", "provider", "patient", "appointment", "status_event", "coverage_check",
            "meta",
        ):  # fmt: skip
            _insert(conn, table, tables[table])
        rebuild_index(conn)  # raw inserts bypass the mutations that keep it current
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def demo_clock(base: Clock = real_clock, timezone: str = DEFAULT_TIMEZONE) -> Clock:
    """The clock the demo runs on: ``base`` shifted to mid-day in the clinic's zone if needed.

    Generate with ``now=clock()`` and give the same clock to the Service, and
    the board is a live mid-day one at any hour (coordtui.clock.midday_clock).
    """
    return midday_clock(ZoneInfo(timezone), base)


def generate_demo(
    path: Path,
    now: datetime | None = None,
    seed: int = 7,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> DemoSummary:
    """Replace ``path`` with a lifelike demo clinic as of ``now``.

    Today's statuses are realistic relative to ``now`` when ``now`` falls in
    clinic hours; pass ``demo_clock()()`` and run the app on that clock, so it
    always does.  For any other ``now`` the day is laid out as it looks at the
    nearest sensible time (2 hours after opening at the earliest, 1 hour
    before closing at the latest), so that every status still occurs.
    """
    now = _naive_utc(now or demo_clock(timezone=timezone)())
    zone = ZoneInfo(timezone)
    today = local_today(now, zone)
    rng = random.Random(seed)
    opened = now - timedelta(days=8 * 365)
    ids = _Ids(seed, opened)
    clinic_id = ids(_S_CLINIC, 0)

    # Providers
    schedules = [_demo_schedule(off, hours) for _, _, _, off, hours in _DEMO_PROVIDERS]
    provider_ids = [ids(_S_PROVIDER, i) for i in range(len(_DEMO_PROVIDERS))]
    provider_rows = [
        (pid, clinic_id, name, short, specialty, json.dumps(schedule), 15, 1)
        for pid, (name, short, specialty, _, _), schedule in zip(
            provider_ids, _DEMO_PROVIDERS, schedules, strict=True
        )
    ]

    # Patients: random rows, then the scripted ones written over the first few.
    factory = _PatientFactory(rng, ids, clinic_id, now, today, DEMO_PATIENTS, fictional_phones=True)
    patient_rows = [factory.row(i) for i in range(DEMO_PATIENTS)]
    for i, (row, (given, family, sex, dob, language, interpreter)) in enumerate(
        zip(patient_rows, _SCRIPTED, strict=False)
    ):
        row[_P["given_name"]], row[_P["family_name"]] = _nfc(given), _nfc(family)
        row[_P["preferred_name"]] = ""
        row[_P["sex"]], row[_P["dob"]] = sex, dob
        row[_P["preferred_language"]], row[_P["interpreter_needed"]] = language, int(interpreter)
        latin = _slug(given) and _slug(family)
        row[_P["email"]] = f"{_slug(given)}.{_slug(family)}{i}@example.org" if latin else ""
        if row[_P["payer"]] == _MEDICARE[0] and _age(date.fromisoformat(dob), today) < 65:
            payer, prefix, copays = _COMMERCIAL[0]
            row[_P["payer"]], row[_P["member_id"]] = payer, prefix + row[_P["member_id"]][3:]
            row[_P["copay_cents"]] = copays[0]
    ages = [_age(date.fromisoformat(row[_P["dob"]]), today) for row in patient_rows]
    kids = [i for i, age in enumerate(ages) if age < 18]
    adults = [i for i, age in enumerate(ages) if age >= 18]

    # Today: pack every session, keep a realistic share, set statuses.
    sessions = {p: _sessions(schedules[p], today, zone) for p in range(len(schedules))}
    all_sessions = [pair for pairs in sessions.values() for pair in pairs]
    first_open = min(begin for begin, _ in all_sessions)
    last_close = max(end for _, end in all_sessions)
    # Never clamped on a mid-day clock (11:00-15:00 lies inside every day's range).
    anchor = min(max(now, first_open + timedelta(hours=2)), last_close - timedelta(hours=1))
    packed = [v for p in range(len(schedules)) for v in _pack(rng, p, sessions[p])]
    keep = min(len(packed), rng.randint(72, 96))
    today_visits = sorted(rng.sample(packed, keep), key=lambda v: (v.start, v.provider))
    _plan_day(rng, today_visits, anchor)
    _ensure_every_status(rng, today_visits, anchor)
    done = [v for v in today_visits if v.status == Status.DONE]
    rng.choice(done).story = "corrected_no_show"

    working = [p for p, pairs in sessions.items() if pairs]
    for status, minutes_ago, priority in _DEMO_WALK_INS:
        arrived = anchor - timedelta(minutes=minutes_ago, seconds=rng.randrange(60))
        provider = rng.choice(working)
        reasons = _WALK_IN_URGENT if priority == "urgent" else _WALK_IN_ROUTINE
        today_visits.append(
            _Visit(
                provider, arrived, arrived + timedelta(minutes=15), "Walk-in", kind="walk_in",
                priority=priority, reason=rng.choice(reasons), status=status,
            )
        )  # fmt: skip
    today_visits.sort(key=lambda v: (v.start, v.provider))

    # Patients for today: no one twice; the same-DOB John Smiths both come.
    used: set[int] = {0, 1}  # kept for the John Smiths below
    for visit in today_visits:
        pool = kids if visit.provider == _PEDIATRICS else adults
        visit.patient = _draw_patient(rng, pool, used)
    adult_visits = [v for v in today_visits if v.provider != _PEDIATRICS and v.kind == "scheduled"]
    for visit, patient in zip(rng.sample(adult_visits, 2), (0, 1), strict=True):
        visit.patient = patient

    # A few visits on the days around today, so day navigation shows something.
    other_visits: list[_Visit] = []
    for offset in (-1, 1, 2, 3, 4, 5, 6, 7):
        day = today + timedelta(days=offset)
        day_packed = [
            v
            for p in range(len(schedules))
            for v in _pack(rng, p, _sessions(schedules[p], day, zone))
        ]
        count = rng.randint(8, 12) if offset < 0 else rng.randint(4, 9)
        chosen = sorted(rng.sample(day_packed, min(count, len(day_packed))), key=lambda v: v.start)
        _plan_day(rng, chosen, now)
        for visit in chosen:
            visit.patient = rng.choice(kids if visit.provider == _PEDIATRICS else adults)
        other_visits.extend(chosen)

    maker = _RowMaker(ids, clinic_id, provider_ids)
    appointment_rows, event_rows = [], []
    for visits, at in ((sorted(other_visits, key=lambda v: v.start), now), (today_visits, anchor)):
        for visit in visits:
            if visit.kind == "scheduled":
                _decorate(rng, visit)
            appointment, events = maker.rows(rng, visit, at)
            appointment_rows.append(appointment)
            event_rows.extend(events)

    _remove_store(path)
    open_store(path).dispose()
    _write_all(
        path,
        {
            "clinic": [_clinic_row(clinic_id, DEMO_CLINIC, timezone, opened)],
            "provider": provider_rows,
            "patient": [tuple(row) for row in patient_rows],
            "appointment": appointment_rows,
            "status_event": event_rows,
            "coverage_check": _coverage_checks(rng, ids, patient_rows, appointment_rows, anchor),
            "meta": [("clinic_id", clinic_id), ("demo", "1"), (LAID_OUT_AT, _ts(anchor))],
        },
    )
    ensure_private_file(path)
    return DemoSummary(clinic_id, len(provider_rows), len(patient_rows), len(today_visits))


def _age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def _draw_patient(rng: random.Random, pool: list[int], used: set[int]) -> int:
    """A random patient from ``pool`` not yet booked today."""
    while True:
        candidate = pool[int(rng.random() * len(pool))]
        if candidate not in used:
            used.add(candidate)
            return candidate


def _ensure_every_status(rng: random.Random, visits: list[_Visit], anchor: datetime) -> None:
    """Rewrite a few ordinary visits so that each status shows up today.

    Arrived and in-room are covered by the scripted walk-ins; the rest take
    over a past "done" visit, or a later visit for "booked".
    """
    present = {v.status for v in visits}
    for status in (
        Status.NO_SHOW,
        Status.CANCELLED,
        Status.LEFT,
        Status.ENTERED_IN_ERROR,
        Status.BOOKED,
    ):
        if status in present:
            continue
        if status == Status.BOOKED:
            later = [v for v in visits if v.start > anchor]
            candidates = later or [max(visits, key=lambda v: v.start)]
        else:
            candidates = [
                v for v in visits if v.status == Status.DONE and v.end + v.delay <= anchor
            ]
        rng.choice(candidates).status = status
        present.add(status)


# ------------------------------------------------------- the scale seeder

SEED_APPOINTMENTS_PER_PROVIDER = 20  # per day; a packed 8-hour day holds ~23
SEED_MAX_PROVIDERS = 200
SEED_BATCH = 20_000  # rows per executemany / progress call
SEED_CLINIC = "Lakeshore Regional Health (seeded)"
# Seeded providers work every day, in one of four shifts, so that per-day
# appointment counts do not depend on the weekday the benchmark runs on.
_SHIFTS = (
    [["07:30", "11:30"], ["12:30", "16:30"]],
    [["08:00", "12:00"], ["13:00", "17:00"]],
    [["09:00", "13:00"], ["14:00", "18:00"]],
    [["10:00", "14:00"], ["15:00", "19:00"]],
)
_SPECIALTIES = (
    "Family medicine",
    "Internal medicine",
    "Pediatrics",
    "Geriatrics",
    "Women's health",
)


def seed_plan(patients: int) -> tuple[int, int]:
    """(providers, appointments per day) for a seeded store of ``patients``.

    About one visit a day per 100 patients, ~20 per provider, so one
    provider per 2,000 patients, capped at 200 providers; a day never holds
    more than ~92% of what the sessions fit, so from 400,000 patients up it
    levels off at 4,000-4,400 visits a day.
    """
    per_day = max(1, round(patients / 100))
    providers = min(SEED_MAX_PROVIDERS, max(1, math.ceil(per_day / SEED_APPOINTMENTS_PER_PROVIDER)))
    return providers, per_day


def _seed_providers(rng: random.Random, ids: _Ids, clinic_id: str, count: int):
    """Provider rows with distinct, realistic short names, plus their schedules.

    A short name is how the desk says it: "Dr García", never cut or numbered.
    Two "Dr García"s would be ambiguous on the board, so the second becomes
    "Dr M. García" (the given name's initial), and a person whose both forms
    are taken is drawn again.
    """
    rows, schedules, shorts = [], [], set()
    while len(rows) < count:
        culture = _CULTURES[_pick_cum(rng, _CULTURE_CUM)]
        female = rng.random() < 0.55
        given = rng.choice(culture.female if female else culture.male)
        family = rng.choice(culture.family)
        g, f = (given.latin_f, family.latin_f) if female else (given.latin_m, family.latin_m)
        title, credential = ("NP", "NP") if rng.random() < 0.2 else ("Dr", rng.choice(("MD", "DO")))
        short = next((s for s in (f"{title} {f}", f"{title} {g[0]}. {f}") if s not in shorts), None)
        if short is None:
            continue
        shorts.add(short)
        i = len(rows)
        schedule = {key: _SHIFTS[i % len(_SHIFTS)] for key in DAY_KEYS}
        schedules.append(schedule)
        rows.append(
            (
                ids(_S_PROVIDER, i), clinic_id, f"{g} {f}, {credential}", short,
                rng.choice(_SPECIALTIES), json.dumps(schedule), 15, 1,
            )
        )  # fmt: skip
    return rows, schedules


def _seed_walk_ins(rng, count: int, sessions: dict[int, list], now: datetime) -> list[_Visit]:
    """Walk-ins that arrived during today's opening hours before ``now``."""
    working = [p for p, pairs in sessions.items() if pairs]
    if not working or count <= 0:
        return []
    first_open = min(pairs[0][0] for pairs in sessions.values() if pairs)
    last_close = max(pairs[-1][1] for pairs in sessions.values() if pairs)
    latest = min(now, last_close) - timedelta(minutes=1)
    earliest = max(first_open, latest - timedelta(hours=4))
    if latest <= earliest:
        return []
    out = []
    for _ in range(count):
        arrived = earliest + (latest - earliest) * rng.random()
        waited = (now - arrived).total_seconds() / 60
        if waited < 15:
            status = Status.ARRIVED
        elif waited < 45:
            status = rng.choice((Status.ARRIVED, Status.IN_ROOM))
        else:
            status = Status.DONE if rng.random() < 0.85 else Status.LEFT
        urgent = rng.random() < 0.25
        reasons = _WALK_IN_URGENT if urgent else _WALK_IN_ROUTINE
        out.append(
            _Visit(
                rng.choice(working), arrived, arrived + timedelta(minutes=15), "Walk-in",
                kind="walk_in", priority="urgent" if urgent else "routine",
                reason=rng.choice(reasons), status=status,
            )
        )  # fmt: skip
    return out


def seed_store(
    path: Path,
    patients: int,
    days: int,
    now: datetime | None = None,
    seed: int = 11,
    progress: Progress | None = None,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> SeedSummary:
    """Replace ``path`` with a large synthetic store, fast.

    An existing file (and its -wal/-shm) is deleted first: seeding never
    merges into real data.  The schema comes from ``open_store``; rows go in
    with raw ``executemany`` in one transaction, with journaling and fsync
    off and secondary indexes dropped, then rebuilt by sort, which is several
    times faster than maintaining them row by row.  A failure deletes the
    half-written file.  At the end the store is back in WAL mode, ANALYZEd,
    and opens normally.  Providers and appointments per day follow
    ``seed_plan``; appointments cover ``days`` days from today, with today's
    statuses realistic relative to ``now`` (default: the demo's mid-day clock,
    so a store seeded at any hour has a live mid-day "today").

    ``progress(stage, done, total)`` is called per batch; stages are
    "patients", "appointments", "indexes", "search index" and "analyze".
    """
    if patients < 1:
        raise ValueError("patients must be at least 1")
    if days < 0:
        raise ValueError("days cannot be negative")
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    now = _naive_utc(now or demo_clock(timezone=timezone)())
    zone = ZoneInfo(timezone)
    today = local_today(now, zone)
    rng = random.Random(seed)
    opened = now - timedelta(days=8 * 365)
    ids = _Ids(seed, opened)
    clinic_id = ids(_S_CLINIC, 0)
    provider_count, per_day = seed_plan(patients)

    _remove_store(path)
    open_store(path).dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _check_columns(conn)
        # Fast and unsafe, only while nobody else can have the file open.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN EXCLUSIVE")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('patient', 'appointment', 'status_event') ORDER BY name"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        _insert(conn, "clinic", [_clinic_row(clinic_id, SEED_CLINIC, timezone, opened)])
        provider_rows, schedules = _seed_providers(rng, ids, clinic_id, provider_count)
        _insert(conn, "provider", provider_rows)

        factory = _PatientFactory(rng, ids, clinic_id, now, today, patients, fictional_phones=False)
        report("patients", 0, patients)
        row = factory.row
        for begin in range(0, patients, SEED_BATCH):
            end = min(patients, begin + SEED_BATCH)
            _insert(conn, "patient", [tuple(row(i)) for i in range(begin, end)])
            report("patients", end, patients)

        maker = _RowMaker(ids, clinic_id, [r[0] for r in provider_rows])
        report("appointments", 0, days)
        for offset in range(days):
            day = today + timedelta(days=offset)
            sessions = {p: _sessions(schedules[p], day, zone) for p in range(provider_count)}
            packed = [v for p in range(provider_count) for v in _pack(rng, p, sessions[p])]
            keep = min(per_day, int(len(packed) * 0.92))
            visits = sorted(rng.sample(packed, keep), key=lambda v: (v.provider, v.start))
            _plan_day(rng, visits, now)
            if offset == 0:
                visits += _seed_walk_ins(rng, keep // 50, sessions, now)
            visits.sort(key=lambda v: (v.start, v.provider))
            appointment_rows, event_rows = [], []
            for visit in visits:
                visit.patient = rng.randrange(patients)
                if visit.kind == "scheduled":
                    _decorate(rng, visit)
                appointment, events = maker.rows(rng, visit, now)
                appointment_rows.append(appointment)
                event_rows.extend(events)
            _insert(conn, "appointment", appointment_rows)
            _insert(conn, "status_event", event_rows)
            report("appointments", offset + 1, days)

        report("indexes", 0, len(indexes))
        for i, (_, sql) in enumerate(indexes, 1):
            conn.execute(sql)
            report("indexes", i, len(indexes))
        # Raw inserts bypass the mutations that keep the search index current.
        rebuild_index(conn, progress=lambda done, total: report("search index", done, total))
        seed_meta = json.dumps({"patients": patients, "days": days, "seed": seed})
        meta = [("clinic_id", clinic_id), ("demo", "1"), ("seed", seed_meta)]
        _insert(conn, "meta", [*meta, (LAID_OUT_AT, _ts(now))])
        conn.execute("COMMIT")

        report("analyze", 0, 1)
        conn.execute("ANALYZE")
        report("analyze", 1, 1)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        _remove_store(path)
        raise
    conn.close()
    ensure_private_file(path)
    return SeedSummary(
        clinic_id=clinic_id,
        providers=provider_count,
        patients=patients,
        appointments=maker.appointments,
        status_events=maker.events,
        days=days,
        seconds=time.perf_counter() - started,
    )
