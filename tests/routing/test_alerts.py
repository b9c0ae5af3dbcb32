"""Alert delivery: SMTP failures retried with backoff and never lost; the Slack-compatible webhook; the tick command."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.config import Settings
from copilot.errors import InvalidTransition
from copilot.ledger import importer
from copilot.mail.sender import SmtpSender
from copilot.resources import demo_data_dir
from copilot.routing import route_message
from copilot.routing.alerts import acknowledge_alert, deliver_pending_alerts, open_alerts, retry_alert
from copilot.store import Store
from tests.routing.seed import classify, seed_reply

T0 = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def _frustrated(store, policy, settings) -> int:
    mid = seed_reply(
        store,
        "C-1008",
        "If this happens again we will cancel the contract.",
        invoices=("INV-2026-0352",),
        from_addr="finance@pineconerobotics.test",
    )
    classify(store, mid, "frustration", frustrated=True, evidence="we will cancel the contract")
    route_message(store, mid, policy, settings)
    return mid


def test_smtp_failure_is_retried_with_backoff_and_delivered(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    _frustrated(store, policy, smtp_settings)
    sender = SmtpSender(smtp_settings.smtp)
    smtp_server.handler.fail_next = 1

    first = deliver_pending_alerts(store, sender, smtp_settings, now=T0)

    alert = store.db["alerts"].get(1)
    assert first.retrying == [1] and smtp_server.messages == []
    assert (alert["status"], alert["attempts"]) == ("pending", 1)
    assert "451" in alert["last_error"] and alert["next_attempt_at"] == "2026-11-16T10:01:00+00:00"
    assert (
        deliver_pending_alerts(store, sender, smtp_settings, now=T0 + timedelta(seconds=30)).retrying == []
    )  # not due

    second = deliver_pending_alerts(store, sender, smtp_settings, now=T0 + timedelta(seconds=61))

    assert second.sent == [1] and len(smtp_server.messages) == 1
    alert = store.db["alerts"].get(1)
    assert (alert["status"], alert["attempts"], alert["last_error"]) == ("sent", 2, None)
    actions = [e["action"] for e in store.audit_events("alert", 1)]
    assert actions == ["raised", "delivery_retry", "delivered"]


def test_alert_that_keeps_failing_stays_visible_as_failed(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    _frustrated(store, policy, smtp_settings)
    sender = SmtpSender(smtp_settings.smtp)
    smtp_server.handler.fail_next = 100
    now = T0
    for expected_wait in (60, 120):  # exponential backoff between the three attempts allowed in these settings
        deliver_pending_alerts(store, sender, smtp_settings, now=now)
        retry_at = datetime.fromisoformat(store.db["alerts"].get(1)["next_attempt_at"])
        assert retry_at - now == timedelta(seconds=expected_wait)
        now = retry_at

    last = deliver_pending_alerts(store, sender, smtp_settings, now=now)

    assert last.failed == [1]
    alert = store.db["alerts"].get(1)
    assert (alert["status"], alert["attempts"], alert["next_attempt_at"]) == ("failed", 3, None)
    assert [a["id"] for a in open_alerts(store)] == [1]
    assert (
        deliver_pending_alerts(store, sender, smtp_settings, now=now + timedelta(days=1)).failed == []
    )  # no silent retries

    smtp_server.handler.fail_next = 0
    retry_alert(store, 1, "lucy")
    assert deliver_pending_alerts(store, sender, smtp_settings).sent == [1]
    assert len(smtp_server.messages) == 1
    acknowledge_alert(store, 1, "dana")
    assert open_alerts(store) == []
    with pytest.raises(InvalidTransition):
        acknowledge_alert(store, 1, "dana")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail: int = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).fail > 0:
            type(self).fail -= 1
            self.send_response(500)
        else:
            type(self).received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    _Hook.received, _Hook.fail = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook
    server.shutdown()
    server.server_close()


def test_webhook_gets_slack_json_and_a_retry_does_not_resend_the_email(
    ledger_store, smtp_server, smtp_settings, policy, webhook, today
):
    url, hook = webhook
    settings = Settings.model_validate(smtp_settings.model_dump() | {"alerts": {"max_attempts": 3, "webhook_url": url}})
    store = ledger_store
    mid = _frustrated(store, policy, settings)
    hook.fail = 1
    sender = SmtpSender(settings.smtp)

    assert deliver_pending_alerts(store, sender, settings, now=T0).retrying == [1]
    assert len(smtp_server.messages) == 1 and hook.received == []
    assert store.db["alerts"].get(1)["last_error"].startswith("webhook: webhook answered HTTP 500")

    assert deliver_pending_alerts(store, sender, settings, now=T0 + timedelta(minutes=2)).sent == [1]

    assert len(smtp_server.messages) == 1
    payload = hook.received[0]
    assert "Pinecone Robotics" in payload["text"]
    assert payload["blocks"][0]["type"] == "header"
    section = payload["blocks"][1]["text"]["text"]
    assert "we will cancel the contract" in section and "INV-2026-0352" in section
    assert payload["blocks"][2]["elements"][0]["url"].endswith(f"/messages/{mid}")


def test_webhook_url_must_be_https():
    from copilot.config import load_settings
    from copilot.errors import ConfigError

    with pytest.raises(ConfigError, match="https"):
        load_settings(alerts={"webhook_url": "http://hooks.example.com/x"})


def test_tick_command_routes_checks_and_delivers(tmp_path, smtp_server, policy, monkeypatch):
    db = tmp_path / "copilot.db"
    with Store.open(db) as store:
        importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy)
        mid = seed_reply(store, "C-1008", "We will cancel if this goes on.", invoices=("INV-2026-0352",))
        classify(store, mid, "frustration", frustrated=True)
    monkeypatch.setenv("COPILOT_SMTP__HOST", smtp_server.host)
    monkeypatch.setenv("COPILOT_SMTP__PORT", str(smtp_server.port))
    monkeypatch.setenv("COPILOT_SMTP__SECURITY", "none")
    monkeypatch.setenv("COPILOT_SMTP__FROM_ADDRESS", "ar@ourco.example")  # the default is refused as a placeholder
    smtp_server.handler.fail_next = 1
    args = ["--db", str(db), "--today", "2026-11-16", "tick"]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 0, result.output
    assert "1 replies routed" in result.output
    assert "0 sent, 1 to retry" in result.output and "alert #1 frustration for C-1008: pending" in result.output
    with Store.open(db) as store:
        assert store.db["messages"].get(mid)["status"] == "routed"
        store.db["alerts"].update(1, {"next_attempt_at": "2026-11-16T00:00:00+00:00"})  # skip the wait
    again = CliRunner().invoke(main, [*args, "--every", "0.01", "--runs", "2"])
    assert again.output.count("Tick for 2026-11-16") == 2
    assert "0 replies routed" in again.output and "1 sent" in again.output
    assert len(smtp_server.messages) == 1


def test_failed_alert_is_listed_retried_and_acknowledged_from_the_command_line(
    tmp_path, smtp_server, policy, monkeypatch
):
    db = tmp_path / "copilot.db"
    with Store.open(db) as store:
        importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy)
        mid = seed_reply(store, "C-1008", "Cancel the contract.", invoices=("INV-2026-0352",))
        classify(store, mid, "frustration", frustrated=True)
    for name, value in {"HOST": smtp_server.host, "PORT": str(smtp_server.port), "SECURITY": "none",
                        "FROM_ADDRESS": "ar@ourco.example"}.items():  # fmt: skip
        monkeypatch.setenv(f"COPILOT_SMTP__{name}", value)
    monkeypatch.setenv("COPILOT_ALERTS__MAX_ATTEMPTS", "1")
    smtp_server.handler.fail_next = 1
    run = CliRunner().invoke
    base = ["--db", str(db), "--today", "2026-11-16"]

    assert "1 failed" in run(main, [*base, "tick"]).output
    listed = run(main, [*base, "alerts", "list"]).output
    assert "#1" in listed and "failed" in listed and "451" in listed and "Pinecone Robotics" in listed

    assert run(main, [*base, "alerts", "retry", "1", "--by", "lucy"]).exit_code == 0
    assert "1 sent" in run(main, [*base, "tick"]).output
    assert "sent" in run(main, [*base, "alerts", "list"]).output  # delivered, still unread
    assert run(main, [*base, "alerts", "ack", "1", "--by", "dana"]).exit_code == 0
    assert run(main, [*base, "alerts", "list"]).output.strip() == "No open alerts."
    again = run(main, [*base, "alerts", "ack", "1"])
    assert again.exit_code == 1 and "already acknowledged by dana" in again.output
    assert len(smtp_server.messages) == 1


def test_alert_subject_survives_a_line_break_in_the_customer_name(
    ledger_store, smtp_server, smtp_settings, policy, today
):
    ledger_store.db["customers"].update("C-1008", {"name": "Pinecone\r\nBcc: victim@example.com"})
    _frustrated(ledger_store, policy, smtp_settings)
    assert deliver_pending_alerts(ledger_store, SmtpSender(smtp_settings.smtp), smtp_settings).sent == [1]
    sent = smtp_server.messages[0]
    assert sent["Bcc"] is None and "Pinecone Bcc: victim@example.com" in sent["Subject"]
    assert smtp_server.handler.envelopes[0][1] == ["omar.haddad@ourco.example"]
