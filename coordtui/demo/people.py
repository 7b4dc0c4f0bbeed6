"""Patients: one row per index, with contact details, language, flags and insurance.

Shared by the demo (a few thousand, fictional 555 phone numbers) and the
seeder (up to millions, so per-row work stays a few dozen RNG calls).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from coordtui.demo.ids import S_PATIENT, Ids
from coordtui.demo.names import CULTURE_CUM, CULTURES, NICKNAMES
from coordtui.demo.sampling import pick_cum
from coordtui.demo.writer import ACTOR, ts

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
COMMERCIAL = (
    ("Blue Cross Blue Shield", "XBC", (2000, 2500, 3000, 4000)),
    ("Aetna", "AET", (1500, 2500, 3500)),
    ("UnitedHealthcare", "UHC", (2000, 3000, 5000)),
    ("Cigna", "CIG", (2500, 3000, 4000)),
    ("Harvard Pilgrim", "HPH", (1000, 2000, 2500)),
    ("Tufts Health Plan", "THP", (1000, 2000)),
)
MEDICARE = ("Medicare", "MCR", (0, 0, 2000))
_MEDICAID = ("MassHealth (Medicaid)", "MHD", (0,))


class PatientFactory:
    """Builds patient rows in the patient table's column order (models.Patient), one per index.

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
        ids: Ids,
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
        ac = self.area_codes[pick_cum(rng, self.area_cum)]
        return f"+1{ac}{_EXCHANGES[int(rng.random() * len(_EXCHANGES))]}{rng.randrange(10000):04d}"

    def row(self, i: int) -> list:
        """Patient number ``i`` (0-based) as a mutable list; callers tuple() it."""
        rng = self.rng
        r = rng.random
        culture = CULTURES[pick_cum(rng, CULTURE_CUM)]
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
        elif g_latin in NICKNAMES and r() < 0.3:
            preferred = NICKNAMES[g_latin]

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
                plan = MEDICARE
            elif (age < 19 and v < 0.45) or v < 0.2:
                plan = _MEDICAID
            else:
                plan = COMMERCIAL[int(r() * len(COMMERCIAL))]
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
        return [  # models.Patient order (writer.PATIENT_COLUMNS)
            self.ids(S_PATIENT, i),
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
            ts(created),
            ts(updated),
            ACTOR,
        ]
