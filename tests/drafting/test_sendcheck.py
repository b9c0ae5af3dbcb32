"""The send-time check and stale drafts, case by case: pauses, payments, bounces, frustration, identity, crashes."""

import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from copilot import clock
from copilot.config import Settings, SmtpSettings
from copilot.drafting.outbox import SendRefused, reconcile_sending, send_auto_drafts, send_draft
from copilot.drafting.plan import plan_day
from copilot.drafting.review import approve_draft, regenerate_draft
from copilot.drafting.sendcheck import placeholder_identity, rederive
from copilot.errors import InvalidTransition
from copilot.mail.sender import FolderSender, SmtpSender
from copilot.policy.pauses import add_pause
from copilot.routing.scheduler import on_payments
from copilot.store import Store, loads
from tests.drafting.conftest import Ledger, pin

DAY = date(2026, 11, 16)


@pytest.fixture
def two_invoices(store: Store, ledger: Ledger, settings: Settings, policy) -> tuple[int, str, str]:
    """A mid-market customer with a Tier 3 invoice and a Tier 1 one, and today's draft for both."""
    pin(DAY)
    ledger.customer("C1")
    old = ledger.invoice("C1", DAY - timedelta(days=65), amount="3000.00")
    new = ledger.invoice("C1", DAY - timedelta(days=10), amount="500.00")
    (draft_id,) = plan_day(store, policy, settings, DAY).created
    assert loads(store.db["drafts"].get(draft_id)["invoice_numbers_json"]) == [old, new]
    return draft_id, old, new


def send(store: Store, draft_id: int, settings: Settings, policy, tmp_path: Path, **kw) -> dict:
    return send_draft(store, draft_id, FolderSender(tmp_path / "out"), settings, "dana", policy=policy, **kw)


def test_a_pause_marks_the_waiting_draft_stale_and_the_send_drops_the_paused_invoice(
    store, policy, settings, two_invoices, tmp_path
):
    draft_id, old, new = two_invoices
    add_pause(store, "C1", "dispute", "router", invoice_number=old, note="wrong quantity")
    row = store.db["drafts"].get(draft_id)
    assert row["stale_at"] and f"disputed ({old}" in row["stale_reason"]
    assert store.audit_events("draft", draft_id)[-1]["action"] == "stale"

    approve_draft(store, draft_id, "dana", policy=policy)
    sent = send(store, draft_id, settings, policy, tmp_path)
    assert sent["status"] == "sent" and old not in sent["body"] and new in sent["body"]
    assert sent["tier"] == 1 and loads(sent["invoice_numbers_json"]) == [new]  # the tier follows what is left
    assert f"{old}: disputed" in sent["note"]
    (eml,) = (tmp_path / "out").glob("*.eml")
    assert old not in eml.read_text() and "USD 500.00" in eml.read_text()
    assert sent["edit_distance"] == 0  # rewritten by the product, not edited by a person


def test_a_request_reply_still_goes_out_while_reminders_are_paused(store, ledger, policy, settings, tmp_path):
    pin(DAY)
    ledger.customer("C1")
    inv = ledger.invoice("C1", DAY - timedelta(days=40))
    row = {"id": 1, "customer_id": "C1", "contact_email": "ap@c1.example", "kind": "request_reply",
           "invoice_numbers_json": f'["{inv}"]', "created_at": "2026-11-16T08:00:00+00:00", "facts_json": None}  # fmt: skip
    add_pause(store, "C1", "manual", "dana", note="on hold")
    assert rederive(store, row, DAY).blocker is None and [i["number"] for i in rederive(store, row, DAY).keep] == [inv]
    assert "on hold" in rederive(store, {**row, "kind": "reminder"}, DAY).blocker


def test_a_bouncing_contact_or_a_frustrated_reply_withdraws_the_draft(store, policy, settings, two_invoices, tmp_path):
    draft_id, _, _ = two_invoices
    store.db["contacts"].update(1, {"status": "bouncing"})
    approve_draft(store, draft_id, "dana", policy=policy)
    out = send(store, draft_id, settings, policy, tmp_path)
    assert out["status"] == "superseded" and "bouncing" in out["superseded_reason"]
    assert not (tmp_path / "out").exists()

    store.db["contacts"].update(1, {"status": "ok"})
    clock.pin(DAY + timedelta(days=1))
    (again,) = plan_day(store, policy, settings).created  # a withdrawn draft does not block the next plan
    add_pause(store, "C1", "frustration", "router", scope="auto_send", note="angry reply")
    approve_draft(store, again, "dana", policy=policy)
    out = send(store, again, settings, policy, tmp_path)
    assert out["status"] == "superseded" and "frustration" in out["superseded_reason"]
    assert [e["action"] for e in store.audit_events("draft", again)][-1] == "superseded"


def test_a_payment_marks_the_draft_stale_and_the_send_uses_the_balance_now(store, policy, settings, two_invoices, tmp_path):
    draft_id, old, new = two_invoices
    store.db["invoices"].update(new, {"open_balance": "0.00", "status": "paid"})
    store.db["invoices"].update(old, {"open_balance": "1000.00", "status": "partially_paid"})
    on_payments(store, [old, new], policy, DAY)
    assert "payment recorded on " in store.db["drafts"].get(draft_id)["stale_reason"]
    approve_draft(store, draft_id, "dana", policy=policy)
    sent = send(store, draft_id, settings, policy, tmp_path)
    assert new not in sent["body"] and "USD 1,000.00 open" in sent["body"] and "USD 3,000.00 open" not in sent["body"]
    assert "open balance now 1000.00" in sent["note"]


def test_a_placeholder_identity_is_refused_over_smtp_outside_the_demo(store, policy, two_invoices, smtp_server):
    draft_id, _, _ = two_invoices
    approve_draft(store, draft_id, "dana", policy=policy)
    smtp = {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    default = Settings(smtp=SmtpSettings(**smtp))
    assert "ar@localhost" in placeholder_identity(default)
    assert "Our Co" in placeholder_identity(Settings(smtp=SmtpSettings(**smtp, from_address="ar@ourco.example"),
                                                     drafting={"company_name": "Our Co"}))  # fmt: skip
    with pytest.raises(SendRefused, match="placeholder"):
        send_draft(store, draft_id, SmtpSender(default.smtp), default, "dana", policy=policy)
    assert smtp_server.messages == [] and store.db["drafts"].get(draft_id)["status"] == "approved"

    demo = Settings(smtp=SmtpSettings(**smtp), demo=True)
    assert send_draft(store, draft_id, SmtpSender(demo.smtp), demo, "dana", policy=policy)["status"] == "sent"
    assert len(smtp_server.messages) == 1


def auto_planned(store: Store, ledger: Ledger, settings: Settings, policy) -> int:
    pin(DAY)
    ledger.customer("L1", "long-tail")
    ledger.invoice("L1", DAY - timedelta(days=5))
    result = plan_day(store, policy, settings, DAY)
    assert result.auto_send == result.created
    return result.created[0]


def test_auto_send_resumes_a_draft_a_crashed_run_approved_but_did_not_send(store, ledger, policy, settings, tmp_path):
    draft_id = auto_planned(store, ledger, settings, policy)
    approve_draft(store, draft_id, "auto-send", policy=policy)  # the run died here
    (row,) = send_auto_drafts(store, FolderSender(tmp_path / "out"), settings, policy)
    assert row["id"] == draft_id and row["status"] == "sent"
    assert send_auto_drafts(store, FolderSender(tmp_path / "out"), settings, policy) == []  # and only once


def test_auto_send_is_checked_against_a_hold_that_arrived_after_planning(store, ledger, policy, settings, tmp_path):
    draft_id = auto_planned(store, ledger, settings, policy)
    approve_draft(store, draft_id, "auto-send", policy=policy)
    store.db["pauses"].insert({"customer_id": "L1", "invoice_number": None, "scope": "auto_send", "reason": "manual",
                               "created_by": "dana", "created_at": clock.now_iso()})  # fmt: skip
    assert send_auto_drafts(store, FolderSender(tmp_path / "out"), settings, policy) == []
    assert store.db["drafts"].get(draft_id)["auto_send"] == 0  # withheld for a person, with the reason audited


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_send_whose_process_is_gone_is_settled_without_waiting(store, policy, settings, two_invoices, tmp_path):
    draft_id, _, _ = two_invoices
    approve_draft(store, draft_id, "dana", policy=policy)
    claim = {"status": "sending", "message_id": "<lost@ourco.example>", "updated_at": clock.now_iso(),
             "sending_host": socket.gethostname()}  # fmt: skip
    store.db["drafts"].update(draft_id, {**claim, "sending_pid": os.getppid()})  # a live process: still in flight
    with pytest.raises(InvalidTransition, match="being sent right now"):
        send(store, draft_id, settings, policy, tmp_path)
    assert reconcile_sending(store, settings, "cli") == []

    store.db["drafts"].update(draft_id, {"sending_pid": dead_pid()})  # its process has exited
    (settled,) = reconcile_sending(store, settings, "cli")
    assert settled["status"] == "failed" and settled["last_error"].startswith("delivery unknown")


def test_the_claim_records_the_sending_process(store, policy, settings, two_invoices, tmp_path):
    draft_id, _, _ = two_invoices
    approve_draft(store, draft_id, "dana", policy=policy)
    send(store, draft_id, settings, policy, tmp_path)
    row = store.db["drafts"].get(draft_id)
    assert (row["sending_pid"], row["sending_host"]) == (os.getpid(), socket.gethostname())


def test_a_draft_written_again_after_a_frustrated_reply_may_be_sent_by_a_person(store, policy, settings, two_invoices,
                                                                                tmp_path):  # fmt: skip
    draft_id, _, _ = two_invoices
    store.db["pauses"].insert({"customer_id": "C1", "invoice_number": None, "scope": "auto_send", "reason": "frustration",
                               "created_by": "router", "created_at": "2026-11-16T00:00:00+00:00"})  # fmt: skip
    store.db["drafts"].update(draft_id, {"written_at": "2026-11-15T23:00:00+00:00"})  # planned before the reply
    assert "frustration" in rederive(store, store.db["drafts"].get(draft_id), DAY).blocker
    regenerate_draft(store, draft_id, "dana", "warmer", policy=policy, settings=settings)  # a person rewrites it
    approve_draft(store, draft_id, "dana", policy=policy)
    assert send(store, draft_id, settings, policy, tmp_path)["status"] == "sent"
