"""Import patients from a CSV file or a FHIR R4 Bundle.

Every good row is registered through the ``register_patient`` named
mutation, one transaction per row, so each row lands whole (data and outbox
entry) or not at all, and syncs like a registration typed at the desk.  Bad
rows are reported by line (CSV, the header being line 1) or entry index
(FHIR) with the field and the validator's message, never the value: reports
end up in terminals and tickets.

Re-running a file imports nothing twice.  A row with a record number is
skipped when that number exists; a row without one gets a record number made
from its content ("IMP" + 10 hex digits of a hash of the folded names, DOB
and phone), so the store's unique record numbers recognise it again, on any
workstation, even from a re-exported file with other spelling of case or
accents.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordtui.domain.patient import read_money_cents, read_typed_date, validate_patient
from coordtui.domain.phones import PhoneError, to_e164
from coordtui.domain.text import clean, fold, nfc
from coordtui.interop.fhir import INTERPRETER_URL, MRN_SYSTEM

Progress = Callable[[int, int], None]

# Normalised header -> patient field.  Headers are matched case-insensitively,
# with spaces, hyphens and dots read as underscores ("Date of birth", "E-mail").
HEADERS = {
    "given_name": ("given", "given_name", "first", "first_name", "firstname", "forename"),
    "family_name": ("family", "family_name", "last", "last_name", "lastname", "surname"),
    "preferred_name": ("preferred", "preferred_name", "nickname", "known_as"),
    "dob": ("dob", "birth_date", "birthdate", "date_of_birth"),
    "sex": ("sex", "gender"),
    "phone": ("phone", "mobile", "mobile_phone", "cell", "cell_phone", "phone_number"),
    "phone_alt": ("phone_alt", "home_phone", "alt_phone", "other_phone", "phone_2"),
    "email": ("email", "e_mail", "email_address"),
    "address": ("address",),
    "preferred_language": ("language", "preferred_language"),
    "interpreter_needed": ("interpreter", "interpreter_needed", "needs_interpreter"),
    "flags": ("flags",),
    "payer": ("payer", "insurance", "insurer"),
    "member_id": ("member_id", "insurance_id"),
    "copay": ("copay",),  # dollars, e.g. 20 or 20.00
    "copay_cents": ("copay_cents",),
    "record_number": ("record_number", "mrn", "medical_record_number"),
}
_ALIASES = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0", ""}
_SEXES = {"f": "female", "m": "male", "o": "other", "u": "unknown"}
_HEADER_JUNK = re.compile(r"[^0-9a-z]+")


class ImportAborted(ValueError):
    """The file cannot be imported at all; nothing was written.  No patient data inside."""


@dataclass
class ImportReport:
    kind: str  # "csv" or "fhir"
    total: int = 0  # patient rows (CSV) or Patient entries (FHIR) considered
    imported: int = 0
    already_present: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line or entry, reason)
    skipped: int = 0  # FHIR: other resource types and merged-away records
    ignored_columns: tuple[str, ...] = ()  # CSV headers that mean nothing to us

    @property
    def unit(self) -> str:
        """What the numbers in ``failed`` count: CSV lines or bundle entries."""
        return "line" if self.kind == "csv" else "entry"


@dataclass
class _Row:
    number: int  # CSV physical line of the row's start; FHIR entry index
    fields: dict[str, Any]
    record_number: str = ""
    problems: dict[str, str] = field(default_factory=dict)  # caught before validation


def import_file(service, path: Path, progress: Progress | None = None) -> ImportReport:
    """Import ``path`` (.csv, or .json holding a FHIR Bundle) into ``service``'s store.

    Raises ImportAborted if the file cannot be read or the store has no
    clinic; otherwise every row is either imported, recognised as already
    present, or listed in ``failed``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ImportAborted("Import reads .csv files and FHIR Bundles in .json files.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportAborted("No such file.") from None
    except UnicodeDecodeError as exc:
        raise ImportAborted(
            f"The file is not UTF-8 text (byte {exc.start}); save it as UTF-8 and retry."
        ) from None
    except OSError as exc:
        raise ImportAborted(f"Cannot read the file: {exc.strerror}.") from None
    clinic = service.reads.clinic()
    if clinic is None:
        raise ImportAborted("This store has no clinic yet; nothing was imported.")
    if suffix == ".csv":
        report = ImportReport("csv")
        rows, report.ignored_columns = read_csv(text, service.date_order)
    else:
        report = ImportReport("fhir")
        rows, report.skipped = read_fhir(text)
    report.total = len(rows)
    _import_rows(service, rows, clinic.phone_region, report, progress)
    return report


def _import_rows(service, rows: list[_Row], region: str, report: ImportReport, progress) -> None:
    from coordtui.mutations import MutationError

    today = service.today()
    if progress:
        progress(0, len(rows))
    for done, row in enumerate(rows, start=1):
        if row.record_number:  # the mutation takes it as given: check it like a typed one
            checked = validate_patient({"record_number": row.record_number}, today, region, True)
            row.problems.update(checked.errors)
        if row.problems:
            report.failed.append((row.number, _reason(row.problems)))
        else:
            number = row.record_number or import_record_number(row.fields, region)
            if _record_exists(service, number):
                report.already_present += 1
            else:
                try:
                    service.register_patient(row.fields, record_number=number)
                    report.imported += 1
                except MutationError as exc:
                    if exc.field == "record_number":  # taken meanwhile, elsewhere
                        report.already_present += 1
                    else:
                        report.failed.append((row.number, _reason(exc.errors) or str(exc)))
        if progress:
            progress(done, len(rows))


def _record_exists(service, number: str) -> bool:
    def query(conn, value):
        sql = "SELECT 1 FROM patient WHERE record_number = ?"
        return conn.execute(sql, (value,)).fetchone() is not None

    return service.reads.run(query, number)


def _reason(errors: dict[str, str]) -> str:
    """'dob: Date of birth cannot be in the future.' -- field names and messages only."""
    return "; ".join(f"{name}: {message}" for name, message in errors.items())


def import_record_number(fields: dict[str, Any], region: str) -> str:
    """A record number made from the row's identity, the same on every workstation.

    Folded given and family name, ISO DOB and E.164 phone: what a person's row
    keeps across exports, re-typing and a change of file.
    """
    phone = str(fields.get("phone") or "")
    with contextlib.suppress(PhoneError):  # such a row fails validation anyway
        phone = to_e164(phone, region)
    parts = [
        " ".join(fold(nfc(str(fields.get(key) or ""))).split())
        for key in ("given_name", "family_name")
    ]
    parts += [str(fields.get("dob") or "").strip(), phone]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return "IMP" + digest[:10].upper()


# ------------------------------------------------------------------ CSV


def read_csv(text: str, date_order: str = "DMY") -> tuple[list[_Row], tuple[str, ...]]:
    """Rows of a CSV text with a header line, and the header names we ignored.

    Dates may be ISO or in the clinic's day/month order; copay is in dollars
    (``copay``) or cents (``copay_cents``).  Comma, semicolon or tab separated.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportAborted("The file is empty: it needs a header line.") from None
    except csv.Error as exc:
        raise ImportAborted(f"Line 1 is not valid CSV ({exc}).") from None
    columns, ignored = _map_header(header)
    rows: list[_Row] = []
    line_end = reader.line_num
    try:
        for cells in reader:
            start, line_end = line_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank line
            rows.append(_csv_row(start, cells, columns, len(header), date_order))
    except csv.Error as exc:
        raise ImportAborted(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
    return rows, ignored


def _map_header(header: list[str]) -> tuple[dict[int, str], tuple[str, ...]]:
    columns: dict[int, str] = {}
    owner: dict[str, str] = {}
    ignored = []
    for index, raw in enumerate(header):
        key = _HEADER_JUNK.sub("_", fold(raw.strip())).strip("_")
        name = _ALIASES.get(key)
        if name is None:
            if raw.strip():
                ignored.append(clean(raw.strip()))
            continue
        target = "copay_cents" if name == "copay" else name
        if target in owner:
            raise ImportAborted(
                f"Columns {clean(owner[target])!r} and {clean(raw.strip())!r} both give "
                f"{target}; keep one."
            )
        owner[target] = raw.strip()
        columns[index] = name
    if "given_name" not in owner or "family_name" not in owner:
        raise ImportAborted(
            "The header needs a given-name and a family-name column "
            "(e.g. first_name and last_name)."
        )
    return columns, tuple(ignored)


def _csv_row(
    number: int, cells: list[str], columns: dict[int, str], width: int, date_order: str
) -> _Row:
    row = _Row(number, {})
    extra = [c for c in cells[width:] if c.strip()]
    if extra:
        row.problems["row"] = (
            f"{len(cells)} cells but the header has {width} (a comma inside a value needs quotes)."
        )
        return row
    for index, name in columns.items():
        raw = cells[index] if index < len(cells) else ""
        _set(row, name, raw, date_order)
    return row


def _set(row: _Row, name: str, raw: str, date_order: str) -> None:
    """Put one CSV cell into the row's fields, in the form the validator reads."""
    value = raw.strip()
    if name == "record_number":
        row.record_number = nfc(value)
        return
    if name in ("given_name", "family_name"):
        row.fields[name] = raw  # always present: a blank name is reported as required
        return
    if not value:
        return  # an empty optional cell sets nothing
    if name == "dob":
        row.fields["dob"] = read_typed_date(value, date_order)
    elif name == "sex":
        row.fields["sex"] = _SEXES.get(value.lower(), value.lower())
    elif name == "interpreter_needed":
        if value.lower() in _YES:
            row.fields[name] = True
        elif value.lower() in _NO:
            row.fields[name] = False
        else:
            row.problems[name] = "Use yes or no (or true/false, 1/0)."
    elif name == "copay":
        row.fields["copay_cents"] = read_money_cents(value)
    elif name == "copay_cents":
        row.fields["copay_cents"] = int(value) if value.isdigit() else value
    else:
        row.fields[name] = raw


# ----------------------------------------------------------------- FHIR


def read_fhir(text: str) -> tuple[list[_Row], int]:
    """Patient rows of a FHIR R4 Bundle (or one Patient), and how many entries were skipped.

    Reads what coordtui.interop.fhir exports: the MRN identifier, official and
    usual names, gender, birthDate, telecom, address text, the preferred
    communication language and the interpreterRequired extension.  Other
    resources, and Patients merged into another record, are skipped.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportAborted(f"Not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(doc, dict):
        raise ImportAborted("Expected a FHIR Bundle (a JSON object).")
    if doc.get("resourceType") == "Patient":
        entries: list = [{"resource": doc}]
    elif doc.get("resourceType") == "Bundle":
        entries = doc.get("entry") or []
        if not isinstance(entries, list):
            raise ImportAborted("The Bundle's entry is not a list.")
    else:
        raise ImportAborted('Expected a FHIR Bundle (resourceType "Bundle").')
    rows, skipped = [], 0
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            rows.append(_Row(index, {}, problems={"entry": "No resource in this entry."}))
            continue
        if resource.get("resourceType") != "Patient":
            skipped += 1
            continue
        if any(
            isinstance(link, dict) and link.get("type") == "replaced-by"
            for link in _list(resource.get("link"))
        ):
            skipped += 1  # merged away: the surviving record is the one to import
            continue
        try:
            rows.append(_fhir_row(index, resource))
        except (TypeError, AttributeError, ValueError):
            rows.append(
                _Row(index, {}, problems={"entry": "Not a valid FHIR Patient (unexpected shape)."})
            )
    return rows, skipped


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _fhir_row(index: int, resource: dict) -> _Row:
    fields: dict[str, Any] = {}
    names = [n for n in _list(resource.get("name")) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), None)
    if official is None:
        official = next(
            (n for n in names if n.get("use") not in ("usual", "nickname", "old", "maiden")),
            names[0] if names else {},
        )
    given = " ".join(str(g) for g in _list(official.get("given")))
    family = str(official.get("family") or "")
    if not given and not family and official.get("text"):
        given, _, family = str(official["text"]).rpartition(" ")
    fields["given_name"] = given
    fields["family_name"] = family
    usual = next((n for n in names if n.get("use") in ("usual", "nickname")), None)
    if usual:
        preferred = " ".join(str(g) for g in _list(usual.get("given")))
        if preferred and preferred != given:
            fields["preferred_name"] = preferred
    if resource.get("gender"):
        fields["sex"] = str(resource["gender"])
    if resource.get("birthDate"):
        fields["dob"] = str(resource["birthDate"])
    phones: dict[str, str] = {}
    other_phones: list[str] = []
    for point in _list(resource.get("telecom")):
        value = str(point.get("value") or "")
        if not value:
            continue
        if point.get("system") == "email" and "email" not in fields:
            fields["email"] = value
        elif point.get("system") in ("phone", "sms", None):
            use = point.get("use")
            slot = "phone" if use == "mobile" else "phone_alt" if use == "home" else ""
            if slot and slot not in phones:
                phones[slot] = value
            else:
                other_phones.append(value)
    for slot in ("phone", "phone_alt"):
        if slot not in phones and other_phones:
            phones[slot] = other_phones.pop(0)
    fields.update(phones)
    address = next((a for a in _list(resource.get("address")) if isinstance(a, dict)), None)
    if address:
        text = address.get("text") or ", ".join(
            str(p)
            for p in [*_list(address.get("line")), address.get("city"), address.get("state"),
                      address.get("postalCode"), address.get("country")]
            if p
        )  # fmt: skip
        if text:
            fields["address"] = str(text)
    languages = [c for c in _list(resource.get("communication")) if isinstance(c, dict)]
    chosen = next((c for c in languages if c.get("preferred")), languages[0] if languages else None)
    if chosen:
        language = chosen.get("language") or {}
        code = next((c.get("code") for c in _list(language.get("coding")) if c.get("code")), "")
        if code or language.get("text"):
            fields["preferred_language"] = str(code or language["text"])
    for extension in _list(resource.get("extension")):
        if extension.get("url") == INTERPRETER_URL and isinstance(
            extension.get("valueBoolean"), bool
        ):
            fields["interpreter_needed"] = extension["valueBoolean"]
    return _Row(index, fields, record_number=_mrn(resource))


def _mrn(resource: dict) -> str:
    """Our own MRN identifier first, else any identifier typed MR (medical record)."""
    identifiers = [i for i in _list(resource.get("identifier")) if isinstance(i, dict)]
    for identifier in identifiers:
        if identifier.get("system") == MRN_SYSTEM and identifier.get("value"):
            return nfc(str(identifier["value"]).strip())
    for identifier in identifiers:
        codes = [c.get("code") for c in _list((identifier.get("type") or {}).get("coding"))]
        if "MR" in codes and identifier.get("value"):
            return nfc(str(identifier["value"]).strip())
    return ""


def iter_failures(report: ImportReport) -> Iterator[str]:
    """Report lines for the bad rows: 'line 7: dob: Date of birth cannot be in the future.'"""
    for number, reason in report.failed:
        yield f"{report.unit} {number}: {reason}"
