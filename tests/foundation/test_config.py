"""Settings: environment and TOML, one-sentence errors, secrets never shown."""

import logging

import pytest

from copilot.config import load_settings
from copilot.errors import ConfigError


def test_defaults_need_nothing():
    settings = load_settings()
    assert settings.imap.tls is True
    assert settings.classifier.mode == "auto"
    assert not settings.llm.configured


def test_environment_fills_nested_groups(monkeypatch):
    monkeypatch.setenv("COPILOT_IMAP__HOST", "imap.example.com")
    monkeypatch.setenv("COPILOT_IMAP__FOLDERS", '["INBOX", "AR/Replies"]')
    monkeypatch.setenv("COPILOT_LLM__API_KEY", "sk-secret-value")
    settings = load_settings()
    assert settings.imap.host == "imap.example.com"
    assert settings.imap.folders == ["INBOX", "AR/Replies"]
    assert settings.llm.configured


def test_toml_file_and_environment_precedence(tmp_path, monkeypatch):
    (tmp_path / "copilot.toml").write_text('db_path = "from-file.db"\n[smtp]\nhost = "smtp.example.com"\nport = 2525\n')
    monkeypatch.setenv("COPILOT_SMTP__PORT", "587")
    settings = load_settings()
    assert str(settings.db_path) == "from-file.db"
    assert settings.smtp.host == "smtp.example.com"
    assert settings.smtp.port == 587  # the environment wins


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("COPILOT_IMAP__PORT", "abc", "Setting COPILOT_IMAP__PORT is wrong"),
        ("COPILOT_IMAP__PORT", "70000", "COPILOT_IMAP__PORT"),
        ("COPILOT_CLASSIFIER__MODE", "magic", "COPILOT_CLASSIFIER__MODE"),
        ("COPILOT_TODAY", "yesterday", "COPILOT_TODAY"),
        ("COPILOT_POLICY_PATH", "/nonexistent/policy.toml", "no policy file at"),
    ],
)
def test_wrong_setting_is_one_sentence(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert expected in text
    assert "\n" not in text and text.endswith(".")


def test_plain_imap_only_on_loopback(monkeypatch):
    monkeypatch.setenv("COPILOT_IMAP__HOST", "imap.example.com")
    monkeypatch.setenv("COPILOT_IMAP__TLS", "false")
    with pytest.raises(ConfigError, match="loopback"):
        load_settings()


def test_unknown_key_in_file(tmp_path):
    (tmp_path / "copilot.toml").write_text('dbpath = "x.db"\n')
    with pytest.raises(ConfigError, match="Unknown setting COPILOT_DBPATH"):
        load_settings()


def test_secrets_are_never_shown(monkeypatch, caplog):
    monkeypatch.setenv("COPILOT_IMAP__PASSWORD", "hunter2-imap")
    monkeypatch.setenv("COPILOT_SMTP__PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("COPILOT_LLM__API_KEY", "sk-hunter2")
    settings = load_settings()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("copilot").info("settings: %s", settings)
    shown = repr(settings) + str(settings) + settings.model_dump_json() + caplog.text
    for secret in ("hunter2-imap", "hunter2-smtp", "sk-hunter2"):
        assert secret not in shown
    assert settings.imap.password.get_secret_value() == "hunter2-imap"
