"""Connecting: XOAUTH2 sends the SASL string providers expect; settings refuse plain text off loopback."""

import pytest

from copilot.config import ImapSettings, load_settings
from copilot.errors import ConfigError, MailboxError
from copilot.mail.mailbox.imap import ImapMailbox
from tests.intake.fake_imap import XOAuth2Recorder


def account(port: int, **kw) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=port, tls=False, username="ar@ourco.example", **kw)


def test_xoauth2_sends_user_and_bearer_token():
    server = XOAuth2Recorder()
    try:
        mailbox = ImapMailbox(account(server.port, oauth2_token="ya29.token-value", password="unused")).open()
        mailbox.close()
    finally:
        server.close()
    assert server.sasl == [b"user=ar@ourco.example\x01auth=Bearer ya29.token-value\x01\x01"]


def test_rejected_token_is_a_clear_error():
    server = XOAuth2Recorder(accept=False)
    try:
        with pytest.raises(MailboxError, match="refused.*invalid token"):
            ImapMailbox(account(server.port, oauth2_token="expired")).open()
    finally:
        server.close()


def test_nothing_listening_is_a_disconnect_not_a_crash():
    from copilot.mail.mailbox.base import Disconnected
    from tests.fixtures.smtp import free_port

    with pytest.raises(Disconnected, match="cannot connect"):
        ImapMailbox(account(free_port(), password="x")).open()


def test_missing_credentials_named():
    with pytest.raises(MailboxError, match="COPILOT_IMAP__PASSWORD"):
        ImapMailbox(ImapSettings(host="imap.example.com", username="ar"))


def test_plain_text_only_on_loopback(monkeypatch):
    monkeypatch.setenv("COPILOT_IMAP__HOST", "imap.example.com")
    monkeypatch.setenv("COPILOT_IMAP__TLS", "false")
    with pytest.raises(ConfigError, match="loopback"):
        load_settings()


def test_tls_is_the_default():
    s = ImapSettings(host="imap.example.com", username="ar", password="x")
    assert s.tls and s.port == 993 and s.label == "ar@imap.example.com"
