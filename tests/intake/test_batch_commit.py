"""Batched commits: one transaction per batch, a savepoint per message, nothing lost or doubled on a crash."""

import pytest

from copilot.mail import inbound
from copilot.mail.inbound import IntakeContext
from copilot.mail.intake import sync_folder
from copilot.mail.mailbox.base import Disconnected
from tests.intake import mailsamples as ms
from tests.intake.fakes import MemoryMailbox


class BatchingMailbox(MemoryMailbox):
    """A mailbox whose marking changes nothing, so the poller may commit several messages at once."""

    marks_processed = False

    def __init__(self, *, fail_at: int | None = None, error: BaseException | None = None):
        super().__init__()
        self.fail_at, self.error = fail_at, error
        self.in_transaction_when_marked: list[bool] = []
        self.store = None

    def fetch(self, uids):
        for mail in super().fetch(uids):
            if mail.uid == self.fail_at:
                raise self.error
            yield mail

    def mark_processed(self, uid: int) -> None:
        super().mark_processed(uid)
        self.in_transaction_when_marked.append(self.store.conn.in_transaction)


def fill(box: MemoryMailbox, n: int) -> None:
    box.add(*(ms.plain(msgid=f"<m{i}@x>", body=f"Reply number {i}: we pay on Friday.") for i in range(1, n + 1)))


def stored_ids(store) -> list[str]:
    return [r["message_id"] for r in store.db["messages"].rows_where("direction = 'inbound'", order_by="id")]


def cursor(store) -> int:
    return store.db["mailbox_cursors"].get(("mem", "INBOX"))["last_uid"]


def test_poison_in_the_middle_of_a_batch_rolls_back_alone(store, monkeypatch):
    real = inbound._keep_attachments

    def explode_after_insert(ctx, parsed, msg_id):
        # Fails after the message row is written: only a savepoint keeps it from being half-stored.
        if parsed.subject == "explode":
            raise RuntimeError("attachment store bug")
        return real(ctx, parsed, msg_id)

    monkeypatch.setattr(inbound, "_keep_attachments", explode_after_insert)
    box = BatchingMailbox()
    box.store = store
    box.add(ms.plain(msgid="<a@x>"), ms.plain(msgid="<b@x>", body="second"))
    box.add(ms.plain(subject="explode", msgid="<bad@x>"))
    box.add(ms.plain(msgid="<c@x>", body="fourth"), ms.plain(msgid="<d@x>", body="fifth"))
    stats = sync_folder(IntakeContext(store), box, "INBOX", commit_batch=10)
    assert (stats.stored, stats.quarantined) == (4, 1)
    assert stored_ids(store) == ["<a@x>", "<b@x>", "<c@x>", "<d@x>"]
    (q,) = list(store.db["quarantine"].rows)
    assert (q["uid"], q["message_id"], q["error"]) == (3, "<bad@x>", "RuntimeError: attachment store bug")
    received = [e["entity_id"] for e in store.audit_events("message") if e["action"] == "received"]
    assert len(received) == 4  # the poison message's audit event went with its savepoint
    assert cursor(store) == 5
    assert box.marked == [1, 2, 4, 5]
    assert not any(box.in_transaction_when_marked)  # marked only after the batch committed


def test_crash_mid_batch_then_restart_stores_each_message_once(store):
    crashing = BatchingMailbox(fail_at=5, error=SystemExit("killed"))
    crashing.store = store
    fill(crashing, 8)
    with pytest.raises(SystemExit):
        sync_folder(IntakeContext(store), crashing, "INBOX", commit_batch=3)
    # The first batch (1-3) committed; message 4 was in the open batch and rolled back with it.
    assert (stored_ids(store), cursor(store)) == (["<m1@x>", "<m2@x>", "<m3@x>"], 3)
    assert not store.conn.in_transaction
    restarted = BatchingMailbox()
    restarted.store = store
    restarted.messages = dict(crashing.messages)
    stats = sync_folder(IntakeContext(store), restarted, "INBOX", commit_batch=3)
    assert (stats.stored, stats.duplicates) == (5, 0)
    assert stored_ids(store) == [f"<m{i}@x>" for i in range(1, 9)]
    assert cursor(store) == 8


def test_dropped_connection_keeps_the_batch_stored_so_far(store):
    box = BatchingMailbox(fail_at=4, error=Disconnected("connection reset"))
    box.store = store
    fill(box, 6)
    stats = None
    with pytest.raises(Disconnected):
        stats = sync_folder(IntakeContext(store), box, "INBOX", commit_batch=10)
    assert stats is None
    assert (stored_ids(store), cursor(store)) == (["<m1@x>", "<m2@x>", "<m3@x>"], 3)
    assert box.marked == [1, 2, 3]


def test_marking_mailbox_commits_each_message_before_marking_it(store):
    box = BatchingMailbox()
    box.marks_processed = True  # a keyword or move: the mark must never run ahead of the commit
    box.store = store
    committed_before_mark = []
    original = box.mark_processed

    def mark(uid):
        committed_before_mark.append(store.db["messages"].count_where("uid = ?", [uid]) == 1)
        original(uid)

    box.mark_processed = mark
    fill(box, 4)
    assert sync_folder(IntakeContext(store), box, "INBOX", commit_batch=10).stored == 4
    assert box.marked == [1, 2, 3, 4] and all(committed_before_mark)
    assert not any(box.in_transaction_when_marked)
