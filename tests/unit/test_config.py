import pytest

from civic146.config import load_settings
from intake.settings import IntakeSettings


def test_missing_and_malformed_settings_stop_with_a_readable_message(monkeypatch, capsys):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("TOPIC_PARTITIONS", "three")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(IntakeSettings)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "JWT_SECRET: Field required" in err and "TOPIC_PARTITIONS" in err


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "s")
    monkeypatch.setenv("TOPIC_PREFIX", "prod.")
    monkeypatch.setenv("REOPEN_WINDOW_DAYS", "14")
    s = load_settings(IntakeSettings)
    assert s.database == "civic146_intake" and s.topic("intake.requests") == "prod.intake.requests"
    assert s.policy.reopen_window.days == 14
