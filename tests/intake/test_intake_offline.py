"""Poller logic without a server: cursor, dedupe, quarantine isolation, backoff, the folder source and the demo."""

import mailbox as stdlib_mailbox

import pytest

from copilot.demo.mail import triage_demo_mail  # noqa: F401  (registers the demo step)
from copilot.demo.runner import run_demo
from copilot.errors import MailboxError
from copilot.mail.inbound import IntakeContext
from copilot.mail.intake import Backoff, Poller, Source, sync_folder
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.resources import demo_data_dir
from copilot.store import Store, loads
from tests.intake import mailsamples as ms
from tests.intake.fakes import MemoryMailbox, break_detector


def sync(store, box) -> "object":
    return sync_folder(IntakeContext(store), box, "INBOX")


def test_cursor_advances_and_nothing_is_read_twice(store):
    box = MemoryMailbox()
    box.add(ms.plain(msgid="<a@x>"), ms.plain(msgid="<b@x>"))
    assert sync(store, box).stored == 2
    box.add(ms.plain(msgid="<c@x>"))
    again = sync(store, box)
    assert (again.stored, again.duplicates) == (1, 0)
    assert store.db["mailbox_cursors"].get(("mem", "INBOX"))["last_uid"] == 3
    assert box.marked == [1, 2, 3]


def test_dedupe_keeps_reused_message_ids_and_drops_true_copies(store):
    box = MemoryMailbox()
    box.add(ms.plain(msgid="<same@x>", body="first"), ms.plain(msgid="<same@x>", body="second"))
    no_id = b"From: a@customer.example\r\nSubject: hi\r\n\r\nno id here\r\n"
    box.add(no_id, no_id)  # the very same bytes twice, e.g. delivered to two aliases
    stats = sync(store, box)
    assert (stats.stored, stats.duplicates) == (3, 1)
    assert store.db["messages"].count_where("message_id = ?", ["<same@x>"]) == 2


def test_uidvalidity_change_rereads_with_dedupe(store):
    box = MemoryMailbox()
    box.add(ms.plain(msgid="<a@x>"), ms.plain(msgid="<b@x>"))
    sync(store, box)
    box.recreate()
    box.add(ms.plain(msgid="<b@x>"), ms.plain(msgid="<a@x>"), ms.plain(msgid="<c@x>"))
    stats = sync(store, box)
    assert (stats.resyncs, stats.stored, stats.duplicates) == (1, 1, 2)
    assert store.db["mailbox_cursors"].get(("mem", "INBOX"))["uidvalidity"] == 2


def test_unexpected_failure_is_quarantined_and_the_mailbox_moves_on(store, monkeypatch):
    break_detector(monkeypatch)
    box = MemoryMailbox()
    box.add(ms.plain(subject="explode", msgid="<bad@x>"), ms.plain(msgid="<good@x>"))
    stats = sync(store, box)
    assert (stats.stored, stats.quarantined) == (1, 1)
    (q,) = list(store.db["quarantine"].rows)
    assert q["error"] == "RuntimeError: detector bug" and q["message_id"] == "<bad@x>" and q["uid"] == 1
    assert store.db["messages"].count == 1  # the failed message left nothing half-written
    assert [e["action"] for e in store.audit_events("quarantine")] == ["quarantined"]
    assert box.marked == [2]


@pytest.mark.parametrize("attempt, rand, expected", [
    (1, 0.0, 0.5), (1, 1.0, 1.0), (2, 1.0, 2.0), (3, 0.5, 3.0), (10, 1.0, 60.0), (30, 0.0, 30.0),
])  # fmt: skip
def test_backoff_doubles_with_jitter_and_a_cap(attempt, rand, expected):
    assert Backoff(base=1.0, cap=60.0).delay(attempt, rand) == pytest.approx(expected)


def test_poller_gives_up_after_the_configured_attempts(store):
    from copilot.mail.mailbox.base import Disconnected

    def refuse():
        raise Disconnected("connection refused")

    waits: list[float] = []
    poller = Poller(IntakeContext(store), [Source("down", ["INBOX"], refuse)], Backoff(1.0, 60.0, give_up_after=3),
                    rand=lambda: 1.0, pause=waits.append)
    with pytest.raises(MailboxError, match="gave up after 3 reconnect attempts"):
        poller.run_once()
    assert poller.stats.reconnects == 3
    assert waits == [1.0, 2.0, 4.0]  # each wait doubles; nothing really slept


def test_maildir_source(store, tmp_path):
    md = stdlib_mailbox.Maildir(tmp_path / "md", create=True)
    for i in range(3):
        md.add(ms.plain(msgid=f"<m{i}@x>"))
    stats = sync_folder(IntakeContext(store), FolderMailbox(tmp_path / "md"), "INBOX")
    assert stats.stored == 3


def test_folder_source_must_exist(tmp_path):
    with pytest.raises(MailboxError, match="does not exist"):
        FolderMailbox(tmp_path / "nope")


def test_demo_reads_sample_mail_offline(tmp_path, policy):
    result = run_demo(tmp_path / "demo.db", policy)
    notes = "\n".join(result.notes)
    assert "24 replies read" in notes
    assert "invoice number 15, reply to our email 5, sender's address 1, sender's domain 2, unmatched 1" in notes
    with Store.open(tmp_path / "demo.db") as store:
        bounce = next(store.db["messages"].rows_where("auto_reply_kind = 'bounce'"))
        assert loads(bounce["bounced_recipients_json"]) == ["books@tidewaterbikes.example"]
        assert bounce["match_rule"] == "reply_header" and bounce["customer_id"] == "C-1010"
        contact = next(store.db["contacts"].rows_where("email = ?", ["books@tidewaterbikes.example"]))
        assert contact["status"] == "bouncing"
        (alert,) = list(store.db["alerts"].rows_where("kind = 'bounce'"))
        assert alert["customer_id"] == "C-1010" and "books@tidewaterbikes.example" in alert["body"]
        pdf = next(store.db["attachments"].rows)
        assert pdf["filename"] == "remittance-INV-2026-0376.pdf" and pdf["content"].startswith(b"%PDF")
        kinds = {r["auto_reply_kind"] for r in store.db["messages"].rows_where("is_auto_reply = 1")}
        assert kinds == {"out_of_office", "ticket", "bounce"}
        assert store.db["messages"].count_where("status = 'unmatched'") == 1
        assert store.db["messages"].count_where("direction = 'inbound'") == 24


def test_demo_folder_read_twice_stores_nothing_new(store):
    box = FolderMailbox(demo_data_dir() / "mail")
    assert sync_folder(IntakeContext(store), box, "INBOX").stored == 24
    assert sync_folder(IntakeContext(store), box, "INBOX").stored == 0


def _bounce_only(store, bounce_alerts: bool):
    box = MemoryMailbox()
    box.add((demo_data_dir() / "mail" / "18-bounce-delivery-failure.eml").read_bytes())
    ctx = IntakeContext(store, alert_recipients=["collector@ourco.example"], bounce_alerts=bounce_alerts)
    sync_folder(ctx, box, "INBOX")
    return next(store.db["contacts"].rows_where("email = ?", ["books@tidewaterbikes.example"]))


def test_bounce_marks_contact_and_queues_a_deliverable_alert(demo_ledger):
    contact = _bounce_only(demo_ledger, bounce_alerts=True)
    msg = next(demo_ledger.db["messages"].rows_where("auto_reply_kind = 'bounce'"))
    assert (contact["status"], contact["status_reason"]) == ("bouncing", f"bounce in message {msg['id']}")
    (alert,) = list(demo_ledger.db["alerts"].rows)
    assert alert["status"] == "pending" and alert["next_attempt_at"]  # picked up by alert delivery
    assert loads(alert["recipients_json"]) == ["collector@ourco.example"] and alert["message_id"] == msg["id"]


def test_bounce_alert_left_to_routing_when_it_runs(demo_ledger):
    contact = _bounce_only(demo_ledger, bounce_alerts=False)
    assert contact["status"] == "bouncing"
    assert demo_ledger.db["alerts"].count == 0
