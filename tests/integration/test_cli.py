"""The command line as a user runs it: real processes, real files."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coordtui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_config_path_honours_config_dir(tmp_path):
    out = run("config", "path", env={"COORDTUI_CONFIG_DIR": str(tmp_path)})
    assert out.returncode == 0
    assert out.stdout.strip() == str(tmp_path / "config.toml")


def test_config_init_writes_an_owner_only_file(tmp_path):
    out = run("config", "init", env={"COORDTUI_CONFIG_DIR": str(tmp_path)})
    assert out.returncode == 0
    path = tmp_path / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = run("config", "show", env={"COORDTUI_CONFIG_DIR": str(tmp_path)})
    assert "wait_alert_minutes = 20" in shown.stdout


def test_bad_config_is_reported_with_the_key(tmp_path):
    (tmp_path / "config.toml").write_text('theme = "neon"\n')
    out = run("config", "show", env={"COORDTUI_CONFIG_DIR": str(tmp_path)})
    assert out.returncode == 2 and "theme must be one of" in out.stderr


def test_run_without_a_store_says_what_to_do(tmp_path):
    out = run("--db", str(tmp_path / "none.db"))
    assert out.returncode == 2 and "coordtui demo" in out.stderr
    assert not (tmp_path / "none.db").exists()


def test_seed_with_env_db_and_progress(tmp_path):
    db = tmp_path / "seed.db"
    out = run("seed", "--patients", "3000", "--days", "2", env={"COORDTUI_DB": str(db)})
    assert out.returncode == 0, out.stderr
    assert "patients" in out.stdout + out.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == 3000
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    again = run("seed", "--patients", "10", env={"COORDTUI_DB": str(db)})
    assert again.returncode == 2 and "--force" in again.stderr


def test_seed_rejects_nonsense(tmp_path):
    out = run("seed", "--patients", "0", "--db", str(tmp_path / "x.db"))
    assert out.returncode == 2 and "at least 1" in out.stderr
    out = run("seed", "--patients", "many", "--db", str(tmp_path / "x.db"))
    assert out.returncode == 2 and "invalid int" in out.stderr


def test_newer_store_is_refused_by_the_app(tmp_path):
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version=42")
    conn.commit()
    conn.close()
    out = run("--db", str(db))
    assert out.returncode == 2 and "schema version 42" in out.stderr


def test_readme_demo_command_opens_the_app_and_quits(tmp_path):
    """`coordtui demo` on a real terminal: the board appears; Ctrl+Q quits cleanly."""
    env = {
        **os.environ,
        "COORDTUI_DATA_DIR": str(tmp_path),
        "TERM": "xterm-256color",
        "COORDTUI_CONFIG_DIR": str(tmp_path / "cfg"),
    }
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-m", "coordtui", "demo"], env)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Arrive" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    assert b"Arrive" in seen, seen[-500:]
    os.write(fd, b"\x11")  # Ctrl+Q
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
    assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert (tmp_path / "demo.db").exists()
    assert stat.S_IMODE((tmp_path / "demo.db").stat().st_mode) == 0o600


def test_export_demo_is_json_bundle(tmp_path):
    db = tmp_path / "demo.db"
    assert run("demo", "--no-app", "--db", str(db)).returncode == 0
    out = run("export", "--format", "fhir", "--db", str(db))
    assert out.returncode == 0
    bundle = json.loads(out.stdout)
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) > 2000


def test_demo_never_replaces_a_real_store(tmp_path, builder, db_path):
    before = db_path.stat().st_size
    out = run("demo", "--no-app", env={"COORDTUI_DB": str(db_path)})
    assert out.returncode == 2 and "not a demo store" in out.stderr
    assert db_path.stat().st_size == before


def test_db_works_before_or_after_the_command(tmp_path):
    db = tmp_path / "demo.db"
    assert run("demo", "--no-app", "--db", str(db)).returncode == 0
    for args in (("--db", str(db), "export"), ("export", "--db", str(db))):
        out = run(*args, env={"COORDTUI_DATA_DIR": str(tmp_path / "elsewhere")})
        assert out.returncode == 0, (args, out.stderr)
        assert json.loads(out.stdout)["resourceType"] == "Bundle"
    for args in (("--db", str(db), "search", "a"), ("search", "a", "--db", str(db))):
        out = run(*args, env={"COORDTUI_DATA_DIR": str(tmp_path / "elsewhere")})
        assert out.returncode in (0, 1), (args, out.stderr)
        assert "no store" not in out.stderr
