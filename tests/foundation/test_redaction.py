"""Configured secrets never appear in a message, a log line or a stored error."""

import logging

import pytest
from click.testing import CliRunner

from copilot import redact
from copilot.classify.chatmodel import log_call
from copilot.cli import main
from copilot.config import LlmSettings, Settings, load_settings
from copilot.errors import ConfigError

WEBHOOK = "http://hooks.example.com/services/T0001/B0002/zQ9secretWebhookToken"
API_KEY = "sk-proj-Zk8live-provider-key-0123456789"


def test_a_plain_http_webhook_is_refused_without_printing_the_url():
    with pytest.raises(ConfigError) as refused:
        load_settings(alerts={"webhook_url": WEBHOOK})
    text = str(refused.value)
    assert "COPILOT_ALERTS__WEBHOOK_URL" in text and "https://" in text
    assert "zQ9secret" not in text and "hooks.example.com" not in text


@pytest.mark.parametrize("group, field, value", [
    ("llm", "api_key", 80085123456789), ("imap", "password", 31337.25), ("smtp", "password", ["hunter2-secret"]),
    ("imap", "oauth2_token", True), ("web", "secret_key", 123456789012345678901234567890123),
])  # fmt: skip
def test_a_secret_of_the_wrong_type_is_not_echoed(group: str, field: str, value):
    with pytest.raises(ConfigError) as refused:
        load_settings(**{group: {field: value}})
    text = str(refused.value)
    assert f"COPILOT_{group.upper()}__{field.upper()}" in text
    assert str(value) not in text and "hunter2" not in text


def test_a_wrong_secret_in_the_config_file_is_not_echoed(tmp_path, monkeypatch):
    config = tmp_path / "copilot.toml"
    config.write_text('[llm]\napi_key = 4242424242424242\n')
    monkeypatch.setenv("COPILOT_CONFIG", str(config))
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.db"), "users", "list"])
    assert result.exit_code == 1 and "COPILOT_LLM__API_KEY" in result.output
    assert "4242424242424242" not in result.output


def test_non_secret_settings_still_show_the_value_given():
    with pytest.raises(ConfigError, match=r"got 'sometimes'"):
        load_settings(classifier={"mode": "sometimes"})


def test_every_configured_secret_is_registered_and_redacted():
    settings = Settings(imap={"password": "imap-pass-1", "oauth2_token": "imap-oauth-2"},
                        mailboxes=[{"host": "127.0.0.1", "password": "second-box-3"}],
                        smtp={"password": "smtp-pass-4"}, llm={"api_key": "llm-key-5"},
                        web={"secret_key": "web-session-key-6"},
                        alerts={"webhook_url": "https://chat.example.com/hook/web-hook-7"})  # fmt: skip
    text = " ".join(["imap-pass-1", "imap-oauth-2", "second-box-3", "smtp-pass-4", "llm-key-5", "web-session-key-6",
                     "https://chat.example.com/hook/web-hook-7"])  # fmt: skip
    assert redact.redact(text).split() == ["[redacted]"] * 7
    assert len(redact.secrets_in(settings)) == 7


def test_credential_shapes_are_redacted_even_when_not_configured():
    text = ("Authorization: Bearer abcDEF123456789 for https://user:pa55word@api.example.com/v1?api_key=k3y-value&x=1 "
            "key sk-abcdefgh1234 and https://hooks.slack.com/services/T1/B2/c3d4")  # fmt: skip
    out = redact.redact(text)
    for leaked in ("abcDEF123456789", "pa55word", "k3y-value", "sk-abcdefgh1234", "T1/B2/c3d4"):
        assert leaked not in out, leaked
    assert "api.example.com" in out and "x=1" in out


def test_provider_error_bodies_are_redacted_before_they_are_stored(store):
    settings = LlmSettings(api_key=API_KEY, model="m")
    body = ("Error code: 401 - {'error': {'message': 'Incorrect API key provided: " + API_KEY +
            ". You can find your API key at https://platform.example.com/account/api-keys.'}}")  # fmt: skip
    row = log_call(store, settings, purpose="classify", prompt_version="1", outcome="failed", error=body)
    stored = next(store.db["llm_calls"].rows)["error"]
    assert API_KEY not in stored and API_KEY not in row["error"] and "Error code: 401" in stored


def test_the_logging_filter_redacts_messages_arguments_and_tracebacks():
    redact.register("filter-secret-value")
    record = logging.LogRecord("copilot.x", logging.ERROR, __file__, 1, "login with %s failed", ("filter-secret-value",),
                               None)  # fmt: skip
    try:
        raise ValueError("boom filter-secret-value")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert redact.RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "filter-secret-value" not in formatted and "login with [redacted] failed" in formatted
    assert "ValueError: boom [redacted]" in formatted
