"""Issue 10, reproduction 14: `coordtui server` says where it listens and keeps its
default database in the data directory (COORDTUI_DATA_DIR), like every other file.

A real server process on loopback, started the way an administrator starts it.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.sync_env import ROOT

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


def start(home: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOME": str(home),  # platformdirs' own default would land here
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "COORDTUI_DATA_DIR": str(home / "coordtui-data"),
        "COORDTUI_CONFIG_DIR": str(home / "config"),
    }
    env.pop("COORDTUI_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "coordtui", "server", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line_matching(proc: subprocess.Popen, pattern: re.Pattern, seconds: float = 60):
    """Read the process's stderr until a line matches (or it exits, or time is up)."""
    seen: list[str] = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            line = proc.stderr.readline()
            if not line:
                break  # exited
            seen.append(line)
            if m := pattern.search(line):
                return m, line
    raise AssertionError(f"no line matched {pattern.pattern!r}; stderr was: {''.join(seen)}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_server_prints_its_url_and_uses_the_data_dir(tmp_path):
    home = tmp_path / "home"
    proc = start(home, "--port", "0")  # the line must give the port actually bound
    try:
        m, line = first_line_matching(proc, LISTENING)
        url = m.group(1)
        assert int(m.group(2)) > 0
        assert httpx.get(url + "/v1/health", timeout=10).status_code == 200
        data = home / "coordtui-data" / "server.db"
        assert str(data) in line  # says which database it serves
        assert data.exists() and (data.stat().st_mode & 0o077) == 0
        assert not list(home.glob(".local/share/**/server.db"))  # platformdirs' default
    finally:
        stop(proc)


def test_a_port_in_use_is_an_error_not_a_listening_line(tmp_path):
    first = start(tmp_path / "one", "--port", "0")
    try:
        m, _ = first_line_matching(first, LISTENING)
        second = start(tmp_path / "two", "--port", m.group(2))
        try:
            _, err = second.communicate(timeout=60)
        finally:
            stop(second)
        assert second.returncode != 0
        assert "listening on" not in err and "address already in use" in err.lower(), err
    finally:
        stop(first)


def test_the_database_is_shown_without_its_password():
    from coordtui.cli_sync import _shown

    assert _shown("sqlite:////var/lib/coordtui/server.db") == "/var/lib/coordtui/server.db"
    shown = _shown("postgresql+psycopg://clinic:s3cret@db.example/clinic")
    assert "s3cret" not in shown and "db.example/clinic" in shown
