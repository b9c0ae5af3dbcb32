"""Sending through a real SMTP server (aiosmtpd) and filing in a real Dovecot Sent folder; crashes never send twice."""

import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from copilot import clock
from copilot.config import ImapSettings, Settings, SmtpSettings
from copilot.drafting.appender import ImapAppender
from copilot.drafting.outbox import reconcile_sending, send_auto_drafts, send_draft
from copilot.drafting.plan import plan_day
from copilot.drafting.review import approve_draft, edit_draft
from copilot.errors import InvalidTransition, SendError
from copilot.mail.sender import SmtpSender
from copilot.policy.pauses import add_pause
from copilot.store import Store, dumps, loads
from tests.drafting.conftest import Ledger

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 16)


@pytest.fixture
def file_store(tmp_path: Path):
    s = Store.open(tmp_path / "outbox.db")
    yield s
    s.close()


def smtp_settings(smtp_server, imap_user=None, dovecot=None) -> Settings:
    imap = ImapSettings()
    if imap_user is not None:
        imap = ImapSettings(host="127.0.0.1", port=dovecot.port, tls=False, username=imap_user.name, password=imap_user.password)
    return Settings(smtp=SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none",
                                      from_address="ar@ourco.example", from_name="Ledgerline AR"), imap=imap)  # fmt: skip


def planned(store: Store, settings: Settings, policy, *, days: int = 70, segment: str = "mid-market", thread: bool = True) -> int:
    """One customer with one overdue invoice, replying in a thread; returns its planned draft id."""
    clock.pin(DAY)
    ledger = Ledger(store)
    ledger.customer("C1", segment, owner="owner@ourco.example")
    ledger.invoice("C1", DAY - timedelta(days=days), amount="4200.00")
    if thread:
        store.db["messages"].insert({"direction": "inbound", "message_id": "<their-reply@c1.example>", "dedupe_key": "x",
                                     "from_addr": "ap@c1.example", "customer_id": "C1", "subject": "Re: invoice",
                                     "references_json": dumps(["<first@ourco.example>"]),
                                     "sent_at": "2026-11-10T09:00:00+00:00"})  # fmt: skip
    (draft_id,) = plan_day(store, policy, settings, DAY).created
    return draft_id


def sent_folder_ids(dovecot, user, folder: str = "Sent") -> list[str]:
    with dovecot.client(user) as imap:
        if not imap.folder_exists(folder):
            return []
        imap.select_folder(folder, readonly=True)
        uids = imap.search("ALL")
        fetched = imap.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
        return [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip() for v in fetched.values()]


def test_send_sets_our_headers_copies_the_owner_and_files_a_copy(store, policy, smtp_server, dovecot, imap_user):
    settings = smtp_settings(smtp_server, imap_user, dovecot)
    draft_id = planned(store, settings, policy)
    edit_draft(store, draft_id, "dana", body=store.db["drafts"].get(draft_id)["body"] + "\n\nThanks for your patience.")
    approve_draft(store, draft_id, "dana", policy=policy)
    row = send_draft(store, draft_id, SmtpSender(settings.smtp), settings, "dana", ImapAppender(settings.imap))

    assert row["status"] == "sent"
    (msg,) = smtp_server.messages
    assert msg["Message-ID"] == row["message_id"] and row["message_id"].endswith("@ourco.example>")
    assert msg["In-Reply-To"] == "<their-reply@c1.example>"
    assert msg["References"] == "<first@ourco.example> <their-reply@c1.example>"
    assert msg["To"] == "ap@c1.example" and "owner@ourco.example" in msg["Cc"]  # Tier 3
    body = msg.get_content()
    assert "Thanks for your patience." in body and body.rstrip().endswith("ar@ourco.example")  # signature appended
    assert sent_folder_ids(dovecot, imap_user) == [row["message_id"]]

    outbound = next(store.db["messages"].rows_where("direction = 'outbound' and message_id = ?", [row["message_id"]]))
    assert outbound["customer_id"] == "C1" and outbound["draft_id"] == draft_id
    assert (outbound["from_addr"], outbound["from_name"]) == ("ar@ourco.example", "Ledgerline AR")
    assert row["edit_distance"] == len("\n\nThanks for your patience.")
    sends = [e for e in store.audit_events("draft", draft_id) if e["action"].startswith("send_")]
    assert [e["action"] for e in sends] == ["send_started", "send_sent"]
    assert all(e["actor"] == "dana" for e in sends)
    after = loads(sends[-1]["after_json"])
    assert (after["channel"], after["outcome"]) == ("smtp", "sent") and after["at"]


def test_refused_send_is_failed_visible_and_retried_with_the_same_message_id(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35)
    approve_draft(store, draft_id, "dana", policy=policy)
    smtp_server.handler.fail_next = 1
    sender = SmtpSender(settings.smtp)
    failed = send_draft(store, draft_id, sender, settings, "dana")
    assert failed["status"] == "failed" and "451" in failed["last_error"]
    assert smtp_server.messages == []
    retried = send_draft(store, draft_id, sender, settings, "dana")
    assert retried["status"] == "sent" and retried["attempts"] == 2
    assert retried["message_id"] == failed["message_id"]
    assert len(smtp_server.messages) == 1
    events = store.audit_events("draft", draft_id)
    outcomes = [loads(e["after_json"])["outcome"] for e in events if e["action"].startswith("send_")]
    assert outcomes == ["started", "failed", "started", "sent"]


def test_sending_again_never_sends_twice(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35)
    approve_draft(store, draft_id, "dana", policy=policy)
    sender = SmtpSender(settings.smtp)
    send_draft(store, draft_id, sender, settings, "dana")
    assert send_draft(store, draft_id, sender, settings, "dana")["status"] == "sent"
    assert len(smtp_server.messages) == 1


def test_only_approved_drafts_are_sent(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35)
    with pytest.raises(InvalidTransition, match="approve it"):
        send_draft(store, draft_id, SmtpSender(settings.smtp), settings, "dana")
    assert smtp_server.messages == []


def crash_then_restart(file_store: Store, policy, smtp_server, dovecot, imap_user, point: str) -> tuple[int, dict, Settings]:
    """Approve a draft, send it in a child process killed at `point`, then reconcile as a restart does."""
    settings = smtp_settings(smtp_server, imap_user, dovecot)
    draft_id = planned(file_store, settings, policy, days=35)
    approve_draft(file_store, draft_id, "dana", policy=policy)
    clock.pin(None)
    args = [sys.executable, "-m", "tests.drafting.crash_send", file_store.path, str(draft_id), str(smtp_server.port), point,
            str(dovecot.port), imap_user.name, imap_user.password]  # fmt: skip
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert len(smtp_server.messages) == 1  # the server accepted the mail before the kill
    assert file_store.db["drafts"].get(draft_id)["status"] == "sending"
    (settled,) = reconcile_sending(file_store, settings, "startup", ImapAppender(settings.imap), older_than=timedelta(0))
    return draft_id, settled, settings


def test_killed_after_smtp_accepts_then_restart_delivers_exactly_one(file_store, policy, smtp_server, dovecot, imap_user):
    draft_id, settled, settings = crash_then_restart(file_store, policy, smtp_server, dovecot, imap_user, "after_smtp")
    assert settled["status"] == "failed" and settled["last_error"].startswith("delivery unknown")
    with pytest.raises(InvalidTransition, match="may already have been delivered"):  # a retry does not resend
        send_draft(file_store, draft_id, SmtpSender(settings.smtp), settings, "dana", ImapAppender(settings.imap))
    assert len(smtp_server.messages) == 1


def test_killed_after_filing_the_copy_is_recognised_as_sent(file_store, policy, smtp_server, dovecot, imap_user):
    draft_id, settled, settings = crash_then_restart(file_store, policy, smtp_server, dovecot, imap_user, "after_append")
    assert settled["status"] == "sent"
    again = send_draft(file_store, draft_id, SmtpSender(settings.smtp), settings, "dana", ImapAppender(settings.imap))
    assert again["status"] == "sent"
    assert len(smtp_server.messages) == 1
    assert next(file_store.db["messages"].rows_where("direction = 'outbound' and draft_id = ?", [draft_id]))


def test_interrupted_before_smtp_is_resent_once_a_person_confirms(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35)
    approve_draft(store, draft_id, "dana", policy=policy)
    store.db["drafts"].update(draft_id, {"status": "sending", "message_id": "<kept@ourco.example>",
                                         "updated_at": (clock.now() - timedelta(hours=1)).isoformat()})  # fmt: skip
    sender = SmtpSender(settings.smtp)
    with pytest.raises(InvalidTransition, match="may already have been delivered"):
        send_draft(store, draft_id, sender, settings, "dana")  # stuck for an hour: reconciled, not resent
    row = send_draft(store, draft_id, sender, settings, "dana", confirm_not_delivered=True)
    assert row["status"] == "sent"
    (msg,) = smtp_server.messages
    assert msg["Message-ID"] == "<kept@ourco.example>"


def test_a_send_in_flight_is_left_alone(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35)
    store.db["drafts"].update(draft_id, {"status": "sending", "updated_at": clock.now_iso()})
    with pytest.raises(InvalidTransition, match="being sent right now"):
        send_draft(store, draft_id, SmtpSender(settings.smtp), settings, "dana")


def test_auto_send_only_tier_one_long_tail_and_still_checked(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    clock.pin(DAY)
    ledger = Ledger(store)
    for cid, segment in (("L1", "long-tail"), ("L2", "long-tail"), ("M1", "mid-market")):
        ledger.customer(cid, segment)
        ledger.invoice(cid, DAY - timedelta(days=5))
    add_pause(store, "L2", "frustration", "router", scope="auto_send")
    result = plan_day(store, policy, settings, DAY)
    assert len(result.created) == 3 and len(result.auto_send) == 1  # L2's pause already kept it out
    store.db.execute("update drafts set auto_send = 1 where customer_id = 'M1'")  # a tampered flag is re-checked
    sent = send_auto_drafts(store, SmtpSender(settings.smtp), settings, policy)
    assert [r["customer_id"] for r in sent] == ["L1"]
    (msg,) = smtp_server.messages
    assert msg["Auto-Submitted"] == "auto-generated"
    m1 = next(store.db["drafts"].rows_where("customer_id = 'M1'"))
    assert (m1["status"], m1["auto_send"]) == ("draft", 0)
    withheld = store.audit_events("draft", m1["id"])[-1]
    assert withheld["action"] == "auto_send_withheld" and "policy" in withheld["reason"]


def test_auto_send_respects_the_contact_cap(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    clock.pin(DAY)
    ledger = Ledger(store)
    ledger.customer("L1", "long-tail")
    ledger.invoice("L1", DAY - timedelta(days=5))
    plan_day(store, policy, settings, DAY)
    ledger.sent("L1", DAY)  # a colleague already mailed this contact today
    assert send_auto_drafts(store, SmtpSender(settings.smtp), settings, policy) == []
    assert smtp_server.messages == []


def test_a_reply_to_our_mail_is_matched_by_its_in_reply_to(store, policy, smtp_server):
    from copilot.mail.matching import MatchInput, match_message

    settings = smtp_settings(smtp_server)
    draft_id = planned(store, settings, policy, days=35, thread=False)
    approve_draft(store, draft_id, "dana", policy=policy)
    row = send_draft(store, draft_id, SmtpSender(settings.smtp), settings, "dana")
    reply = MatchInput(references=[row["message_id"]], subject="Re: " + row["subject"], texts=["Paying Friday."],
                       from_addr="someone.new@elsewhere.example")  # fmt: skip
    match = match_message(store, reply)
    assert (match.customer_id, match.rule) == ("C1", "reply_header")
    assert match.invoice_numbers == loads(row["invoice_numbers_json"])


def test_mail_is_sent_even_when_the_sent_folder_is_unreachable(store, policy, smtp_server):
    from tests.fixtures.smtp import free_port

    settings = smtp_settings(smtp_server)
    settings.imap = ImapSettings(host="127.0.0.1", port=free_port(), tls=False, username="ar", password="x")
    draft_id = planned(store, settings, policy, days=35)
    approve_draft(store, draft_id, "dana", policy=policy)
    row = send_draft(store, draft_id, SmtpSender(settings.smtp), settings, "dana", ImapAppender(settings.imap))
    assert row["status"] == "sent" and len(smtp_server.messages) == 1
    sent_event = [e for e in store.audit_events("draft", draft_id) if e["action"] == "send_sent"][0]
    assert "was not saved" in sent_event["reason"]


def test_a_failed_send_stores_its_error_without_a_configured_secret(store, policy, smtp_server):
    settings = smtp_settings(smtp_server).model_copy(update={"smtp": SmtpSettings(
        host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example",
        from_name="Ledgerline AR", username="ar", password="smtp-pass-4d9f2c71")})  # fmt: skip
    Settings(**settings.model_dump())  # building settings registers their secrets for redaction

    class QuotingSender(SmtpSender):
        """A server whose refusal quotes the password it was given."""

        def send(self, msg):
            raise SendError("535 authentication failed for ar / smtp-pass-4d9f2c71")

    draft_id = planned(store, settings, policy, days=35)
    approve_draft(store, draft_id, "dana", policy=policy)
    failed = send_draft(store, draft_id, QuotingSender(settings.smtp), settings, "dana")
    assert failed["status"] == "failed" and "535 authentication failed" in failed["last_error"]
    stored = store.db["drafts"].get(draft_id)["last_error"]
    assert "smtp-pass-4d9f2c71" not in stored and "smtp-pass-4d9f2c71" not in failed["last_error"]
    assert all("smtp-pass-4d9f2c71" not in (e["after_json"] or "") for e in store.audit_events("draft", draft_id))
