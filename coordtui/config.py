"""Typed settings: TOML in the platform config dir, overridden by environment.

Precedence (lowest to highest): defaults, the config file, ``COORDTUI_*``
environment variables, command-line flags.  Kept import-light: it is on the
path to first paint.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from coordtui import APP_NAME
from coordtui.domain.coverage import DEFAULT_CHECK_DAYS, MAX_CHECK_DAYS
from coordtui.replication.protocol import HISTORY_DAYS

THEMES = ("default", "high-contrast", "monochrome")
DATE_ORDERS = ("DMY", "MDY", "YMD")  # as coordtui.domain.dates (kept import-light here)


class ConfigError(ValueError):
    """A bad setting; the message names the key and the file."""


@dataclass
class Config:
    db: Path | None = None  # None: the default store in the data dir
    user: str = field(default_factory=lambda: _login())
    wait_alert_minutes: int = 20
    idle_lock_minutes: int = 10  # 0 turns the idle lock off
    refresh_seconds: float = 1.0  # how often other processes' commits are checked
    # Idle sync interval with the clinic server (0: only after writes).  1 s keeps a change
    # on one desk visible on another within 2 s (BENCHMARKS.md); an idle round is one small
    # HTTP request and no local write.
    sync_seconds: float = 1.0
    # Past appointments a new workstation fetches from the server (0: all of them).
    history_days: int = HISTORY_DAYS
    theme: str = "default"
    date_order: str | None = None  # None: from the clinic's phone region (US: MDY)
    privacy: bool = False  # start with names masked to initials
    allow_empty_resolved_note: bool = False  # a "resolved" call may be logged without a note
    # Coverage at check-in: `a` opens the arrival step (payer, member id, copay), and the
    # queue flags patients whose coverage is missing or not verified in this many days.
    # 0 turns the check off: `a` arrives in one key, with no dialog and no flag.
    coverage_check_days: int = DEFAULT_CHECK_DAYS
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    source: Path | None = None  # the file these settings came from, if any

    @property
    def db_path(self) -> Path:
        return self.db or default_db_path()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "frontdesk"


def config_dir() -> Path:
    return Path(os.environ.get("COORDTUI_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def config_path() -> Path:
    explicit = os.environ.get("COORDTUI_CONFIG")
    return Path(explicit) if explicit else config_dir() / "config.toml"


def data_dir() -> Path:
    return Path(os.environ.get("COORDTUI_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_db_path() -> Path:
    return data_dir() / "coordtui.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


_ENV = {
    "COORDTUI_DB": "db",
    "COORDTUI_USER": "user",
    "COORDTUI_WAIT_ALERT_MINUTES": "wait_alert_minutes",
    "COORDTUI_IDLE_LOCK_MINUTES": "idle_lock_minutes",
    "COORDTUI_REFRESH_SECONDS": "refresh_seconds",
    "COORDTUI_SYNC_SECONDS": "sync_seconds",
    "COORDTUI_HISTORY_DAYS": "history_days",
    "COORDTUI_THEME": "theme",
    "COORDTUI_DATE_ORDER": "date_order",
    "COORDTUI_PRIVACY": "privacy",
    "COORDTUI_ALLOW_EMPTY_RESOLVED_NOTE": "allow_empty_resolved_note",
    "COORDTUI_COVERAGE_CHECK_DAYS": "coverage_check_days",
}


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the config file (if any) and apply environment overrides."""
    env = dict(os.environ if env is None else env)
    path = path or config_path()
    raw: dict = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    for var, key in _ENV.items():
        if env.get(var):
            raw[key] = env[var]
    config = from_mapping(raw, path)
    config.source = path if path.exists() else None
    return config


def from_mapping(raw: dict, where: Path | str = "config") -> Config:
    known = {f.name for f in fields(Config)} - {"source"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}.")
    config = Config()
    for key, value in raw.items():
        setattr(config, key, _coerce(key, value, where))
    return config


def _coerce(key: str, value, where) -> object:
    try:
        if key == "db":
            return Path(value).expanduser() if value else None
        if key in ("wait_alert_minutes", "idle_lock_minutes"):
            number = int(value)
            if number < 0 or number > 24 * 60:
                raise ValueError
            if key == "wait_alert_minutes" and number == 0:
                raise ValueError
            return number
        if key == "refresh_seconds":
            seconds = float(value)
            if not 0.2 <= seconds <= 60:
                raise ValueError
            return seconds
        if key == "history_days":
            number = int(value)
            if not 0 <= number <= 36500:
                raise ValueError
            return number
        if key == "coverage_check_days":
            number = int(value)
            if not 0 <= number <= MAX_CHECK_DAYS:
                raise ValueError
            return number
        if key == "sync_seconds":
            seconds = float(value)
            if not (seconds == 0 or 0.2 <= seconds <= 3600):
                raise ValueError
            return seconds
        if key in ("privacy", "allow_empty_resolved_note"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if key == "theme":
            if value not in THEMES:
                raise ValueError
            return value
        if key == "date_order":
            text = str(value).strip().upper()
            if text in ("", "AUTO"):
                return None
            if text not in DATE_ORDERS:
                raise ValueError
            return text
        if key == "keymap":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValueError
            return dict(value)
        if key == "user":
            text = str(value).strip()
            if not text:
                raise ValueError
            return text
    except (TypeError, ValueError):
        pass
    else:
        return value
    hints = {
        "theme": f"one of {', '.join(THEMES)}",
        "date_order": f"one of {', '.join(DATE_ORDERS)} or auto",
        "wait_alert_minutes": "a whole number of minutes, 1 to 1440",
        "idle_lock_minutes": "a whole number of minutes, 0 (off) to 1440",
        "refresh_seconds": "seconds between 0.2 and 60",
        "sync_seconds": "seconds between 0.2 and 3600, or 0 (sync only after changes)",
        "history_days": "a whole number of days, 0 (all) to 36500",
        "coverage_check_days": f"a whole number of days, 0 (off) to {MAX_CHECK_DAYS}",
        "keymap": 'a table of binding id = "keys", e.g. check_in = "a,f7"',
        "user": "a non-empty name",
    }
    raise ConfigError(f"{where}: {key} must be {hints.get(key, 'valid')}.")


SAMPLE = """\
# coordtui settings.  Environment variables COORDTUI_<NAME> override these.
# db = "/path/to/coordtui.db"
# user = "reception1"
wait_alert_minutes = 20     # flag waits at least this long
idle_lock_minutes = 10      # lock the screen after this much idle time (0 = off)
theme = "default"           # default | high-contrast | monochrome
# date_order = "DMY"        # how 03/08/74 is read: DMY | MDY | YMD | auto
                            # (auto, the default: from the clinic's phone region; US: MDY)
history_days = 365          # past appointments a new workstation fetches (0 = all)
coverage_check_days = 30    # re-verify coverage at check-in after this many days (0 = off)

[keymap]                    # binding id = "keys" (see F1 for the ids)
# check_in = "a,f7"
"""
