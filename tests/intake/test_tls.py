"""One TLS setup for every IMAP connection: polling, Sent-folder copies and reconcile searches trust imap.ca_file."""

import ssl

import pytest

from copilot.config import ImapSettings
from copilot.drafting import appender as appender_module
from copilot.drafting.appender import ImapAppender
from copilot.errors import MailboxError
from copilot.mail.mailbox import imap as imap_module
from copilot.mail.mailbox.imap import ImapMailbox, tls_context
from tests.intake.conftest import imap_settings

SENT = (b"From: ar@ourco.example\r\nTo: ap@customer.example\r\nSubject: Reminder\r\n"
        b"Message-ID: <tls-sent-1@ourco.example>\r\n\r\nPlease pay.\r\n")  # fmt: skip


def _subjects(context: ssl.SSLContext) -> set[str]:
    return {dict(part[0] for part in cert["subject"]).get("commonName", "") for cert in context.get_ca_certs()}


@pytest.mark.dovecot
def test_the_shared_builder_verifies_and_trusts_the_ca_file(dovecot):
    assert dovecot.cert is not None, "openssl is needed to give the test Dovecot a certificate"
    context = tls_context(ImapSettings(host="imap.example", username="u", ca_file=dovecot.cert))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "localhost" in _subjects(context)  # the private CA (the test server signs for itself)
    assert tls_context(ImapSettings(host="127.0.0.1", tls=False)) is None


def test_the_sent_folder_connection_uses_the_shared_tls_setup(monkeypatch, tmp_path):
    """Without a server: the appender must hand IMAPClient the context the poller would use."""
    seen: list[dict] = []

    def fake_client(host, **kwargs):
        seen.append({"host": host, **kwargs})
        raise OSError("stop here")

    monkeypatch.setattr(imap_module, "IMAPClient", fake_client)
    ca = tmp_path / "ca.pem"
    ca.write_text(_any_system_pem())
    settings = ImapSettings(host="imap.ourco.example", username="ar", password="pw-123456", ca_file=ca)
    with pytest.raises(MailboxError):
        ImapAppender(settings).append("Sent", SENT)
    with pytest.raises(MailboxError):
        ImapAppender(settings).contains("Sent", "<x@y>")
    with pytest.raises(Exception):  # noqa: B017  the poller's own error type for a dead socket
        ImapMailbox(settings).open()
    assert len(seen) == 3
    for call in seen:
        assert call["ssl"] is True and isinstance(call["ssl_context"], ssl.SSLContext)
        assert call["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert appender_module.open_client is imap_module.open_client


def _any_system_pem() -> str:
    """A CA certificate in PEM, taken from the system store, to stand in for a private CA file."""
    der = ssl.create_default_context().get_ca_certs(binary_form=True)
    assert der, "the system has no CA certificates"
    return ssl.DER_cert_to_PEM_cert(der[0])


@pytest.mark.dovecot
def test_sent_copies_and_reconcile_searches_trust_the_ca_file(dovecot, imap_user, tmp_path):
    assert dovecot.cert is not None, "openssl is needed to give the test Dovecot a certificate"
    trusted = imap_settings(dovecot, imap_user, tmp_path, port=dovecot.tls_port, tls=True, ca_file=dovecot.cert).imap
    appender = ImapAppender(trusted)
    appender.append("Sent", SENT)
    assert appender.contains("Sent", "<tls-sent-1@ourco.example>")
    assert not appender.contains("Sent", "<never-sent@ourco.example>")
    untrusted = trusted.model_copy(update={"ca_file": None})
    with pytest.raises(MailboxError, match="not trusted.*CA_FILE"):
        ImapAppender(untrusted).contains("Sent", "<tls-sent-1@ourco.example>")
