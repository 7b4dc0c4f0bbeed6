"""README's "Where is X" table stays true: every file it names exists and defines the
function or class it names (``Class.method`` for a method)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (?P<what>[^|]+) \| `(?P<file>[^`]+)` \| `(?P<name>[^`]+)` \|$")


def where_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Where is X", 1)[1].split("\n#", 1)[0]
    return [
        (m["what"].strip(), m["file"], m["name"])
        for line in section.splitlines()
        if (m := ROW.match(line.strip()))
    ]


def defines(path: Path, dotted: str) -> bool:
    scope: list[ast.stmt] = ast.parse(path.read_text()).body
    for part in dotted.split("."):
        found = next(
            (
                node
                for node in scope
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == part
            ),
            None,
        )
        if found is None:
            return False
        scope = found.body
    return True


def test_the_table_is_there_and_read():
    rows = where_rows()
    assert len(rows) >= 10
    assert any(what.startswith("Check-in") for what, _, _ in rows)


def test_every_entry_names_a_file_and_a_function_that_exist():
    missing = [
        (what, file, name)
        for what, file, name in where_rows()
        if not (ROOT / file).is_file() or not defines(ROOT / file, name)
    ]
    assert missing == []


def test_a_wrong_entry_would_be_caught():
    fhir = ROOT / "coordtui/interop/fhir.py"
    assert defines(fhir, "patient")
    assert not defines(fhir, "no_such_function")
    assert not defines(ROOT / "coordtui/sync/client.py", "SyncClient.no_such_method")
