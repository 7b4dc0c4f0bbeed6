import pytest

from coordtui.config import ConfigError, load


def test_defaults_without_file(tmp_path):
    cfg = load(tmp_path / "none.toml", env={})
    assert cfg.wait_alert_minutes == 20 and cfg.theme == "default" and cfg.source is None
    assert cfg.history_days == 365  # a year of past appointments on a new workstation


def test_history_days_from_file_and_env(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("history_days = 0\n")
    assert load(path, env={}).history_days == 0  # everything
    assert load(path, env={"COORDTUI_HISTORY_DAYS": "90"}).history_days == 90


def test_coverage_check_days_default_file_and_env(tmp_path):
    assert load(tmp_path / "none.toml", env={}).coverage_check_days == 30  # on, monthly
    path = tmp_path / "c.toml"
    path.write_text("coverage_check_days = 0\n")  # the clinic turns the check off
    assert load(path, env={}).coverage_check_days == 0
    env = {"COORDTUI_COVERAGE_CHECK_DAYS": "7"}
    assert load(path, env=env).coverage_check_days == 7


def test_file_and_env_override(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        'wait_alert_minutes = 30\ntheme = "high-contrast"\n[keymap]\n"queue.check_in" = "a,f7"\n'
    )
    cfg = load(path, env={"COORDTUI_WAIT_ALERT_MINUTES": "45", "COORDTUI_DB": "/x/y.db"})
    assert cfg.wait_alert_minutes == 45
    assert cfg.theme == "high-contrast"
    assert cfg.keymap == {"queue.check_in": "a,f7"}
    assert str(cfg.db_path) == "/x/y.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("theme = 'neon'", "theme must be one of"),
        ("wait_alert_minutes = -1", "wait_alert_minutes"),
        ("wait_alert_minutes = 'soon'", "wait_alert_minutes"),
        ("colour = 1", "unknown setting"),
        ("[keymap]\nx = 3", "keymap"),
        ("this is not toml", "not valid TOML"),
        ("history_days = -1", "history_days must be a whole number of days"),
        ("history_days = 'a year'", "history_days"),
        ("coverage_check_days = -1", "coverage_check_days must be a whole number of days"),
        ("coverage_check_days = 4000", "0 \\(off\\) to 3650"),
        ("coverage_check_days = 'monthly'", "coverage_check_days"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(path, env={})


def test_date_order_defaults_to_the_clinics_region_unless_set(tmp_path):
    """None means "from the clinic's phone region" (coordtui.domain.dates)."""
    assert load(tmp_path / "none.toml", env={}).date_order is None
    path = tmp_path / "c.toml"
    path.write_text('date_order = "dmy"\n')
    assert load(path, env={}).date_order == "DMY"
    assert load(path, env={"COORDTUI_DATE_ORDER": "auto"}).date_order is None
    path.write_text('date_order = "DDMMYY"\n')
    with pytest.raises(ConfigError, match="date_order must be one of DMY, MDY, YMD or auto"):
        load(path, env={})
