"""Alerts to account teams are refused from a placeholder identity, as reminders are; the demo is not blocked."""

from datetime import UTC, datetime

import pytest

from copilot.config import Settings
from copilot.demo.runner import DEMO_SETTINGS
from copilot.mail.sender import FolderSender, SmtpSender
from copilot.routing.alerts import deliver_pending_alerts, retry_alert
from tests.routing.test_alerts import _frustrated

T0 = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def smtp(smtp_server, **identity: str) -> dict:
    return {"host": smtp_server.host, "port": smtp_server.port, "security": "none", **identity}


@pytest.mark.parametrize(
    ("identity", "drafting", "named"),
    [
        ({}, {}, "the sender address ar@localhost is a placeholder (set COPILOT_SMTP__FROM_ADDRESS)"),
        ({"from_address": "ar@example.com"}, {}, "the sender address ar@example.com is a placeholder"),
        ({"from_address": "ar@ourco.example", "from_name": "Our Co Accounts Receivable"}, {},
         "the name 'Our Co Accounts Receivable' is a placeholder (set COPILOT_SMTP__FROM_NAME)"),
        ({"from_address": "ar@ourco.example"}, {"company_name": "Our Co"}, "the name 'Our Co' is a placeholder"),
    ],
)  # fmt: skip
def test_an_alert_is_not_emailed_from_a_placeholder_identity(ledger_store, smtp_server, policy, today, identity,
                                                              drafting, named):  # fmt: skip
    settings = Settings(smtp=smtp(smtp_server, **identity), drafting=drafting, alerts={"max_attempts": 1})
    _frustrated(ledger_store, policy, settings)

    report = deliver_pending_alerts(ledger_store, SmtpSender(settings.smtp), settings, now=T0)

    assert report.failed == [1] and report.sent == []
    assert smtp_server.messages == [] and smtp_server.handler.envelopes == []
    alert = ledger_store.db["alerts"].get(1)
    assert alert["status"] == "failed" and alert["email_sent_at"] is None
    assert alert["last_error"].startswith("email: not sent: ") and named in alert["last_error"]
    (failed,) = [e for e in ledger_store.audit_events("alert", 1) if e["action"] == "delivery_failed"]
    assert named in failed["reason"]


def test_the_alert_goes_out_once_a_real_identity_is_set(ledger_store, smtp_server, policy, today):
    placeholder = Settings(smtp=smtp(smtp_server), alerts={"max_attempts": 1})
    _frustrated(ledger_store, policy, placeholder)
    assert deliver_pending_alerts(ledger_store, SmtpSender(placeholder.smtp), placeholder, now=T0).failed == [1]

    retry_alert(ledger_store, 1, "lucy")
    real = Settings(smtp=smtp(smtp_server, from_address="ar@ledgerline.example", from_name="Ledgerline AR"))
    assert deliver_pending_alerts(ledger_store, SmtpSender(real.smtp), real, now=T0).sent == [1]
    ((mail_from, rcpts),) = smtp_server.handler.envelopes
    assert mail_from == "ar@ledgerline.example" and rcpts == ["omar.haddad@ourco.example"]


def test_the_demo_identity_still_sends_alerts(ledger_store, smtp_server, policy, today, tmp_path):
    demo = Settings(**{**DEMO_SETTINGS, "outbox_dir": tmp_path / "outbox",
                       "smtp": {**DEMO_SETTINGS["smtp"], **smtp(smtp_server)}})  # fmt: skip
    assert demo.demo
    _frustrated(ledger_store, policy, demo)
    assert deliver_pending_alerts(ledger_store, SmtpSender(demo.smtp), demo, now=T0).sent == [1]
    assert len(smtp_server.messages) == 1


def test_the_outbox_folder_is_not_refused(ledger_store, policy, today, tmp_path):
    settings = Settings(alerts={"max_attempts": 1})  # the placeholder identity, but nothing leaves the machine
    _frustrated(ledger_store, policy, settings)
    assert deliver_pending_alerts(ledger_store, FolderSender(tmp_path / "out"), settings, now=T0).sent == [1]
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1
