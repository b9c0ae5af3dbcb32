"""A server that refuses to mark one stored message processed stops nothing: the rest of the folder goes on,
the refusal is audited, and the next poll tries that mark again without storing the message twice."""

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from copilot.cli import main
from copilot.cli.app import EXIT_NEEDS_ATTENTION
from copilot.errors import MailboxError
from copilot.mail.inbound import IntakeContext
from copilot.mail.intake import Poller, Source, backoff_from_settings, context_from_settings, imap_sources, sync_folder
from copilot.mail.mailbox import imap as imap_module
from copilot.mail.mailbox.base import Disconnected
from copilot.store import Store
from tests.fixtures.dovecot import DovecotServer, find_dovecot
from tests.intake import mailsamples as ms
from tests.intake.conftest import imap_settings
from tests.intake.fakes import MemoryMailbox


def replies(n: int, prefix: str, body_bytes: int = 200) -> list[bytes]:
    line = "Our remittance detail follows for your records and the ledger.\n"
    filler = line * max(1, body_bytes // len(line))
    return [ms.plain(subject=f"Re: reminder {i}", body=f"Reply {i}.\n{filler}", msgid=f"<{prefix}-{i}@customer.example>")
            for i in range(n)]  # fmt: skip


def retries(store: Store) -> list[dict]:
    return list(store.db["mailbox_mark_retries"].rows_where(order_by="uid"))


def message_ids(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("select message_id from messages order by uid")]


# -- the logic, against an in-memory mailbox ------------------------------------------------------------
class RefusingMailbox(MemoryMailbox):
    """Refuses the mark for the UIDs in `refuse`, as a server answering NO would."""

    def __init__(self, refuse: set[int]):
        super().__init__()
        self.refuse = refuse

    def mark_processed(self, uid: int) -> None:
        if uid in self.refuse:
            raise MailboxError(f"the server refused MOVE to Done: [OVERQUOTA] Quota exceeded (uid {uid})")
        super().mark_processed(uid)


def test_a_refused_mark_is_kept_audited_once_and_retried_until_it_goes_through(store):
    box = RefusingMailbox({2})
    box.add(*replies(4, "m"))
    ctx = IntakeContext(store)

    first = sync_folder(ctx, box, "INBOX")
    assert (first.stored, first.mark_failures, box.marked) == (4, 1, [1, 3, 4])
    (row,) = retries(store)
    assert (row["uid"], row["attempts"], row["message_id"]) == (2, 1, 2) and "OVERQUOTA" in row["last_error"]

    second = sync_folder(ctx, box, "INBOX")  # still refused: counted, not audited again, nothing stored twice
    assert (second.stored, second.duplicates, second.mark_failures) == (0, 0, 1)
    assert retries(store)[0]["attempts"] == 2

    box.refuse.clear()
    box.add(*replies(1, "late"))
    third = sync_folder(ctx, box, "INBOX")
    assert (third.stored, third.marks_retried, third.mark_failures) == (1, 1, 0)
    assert box.marked == [1, 3, 4, 2, 5] and retries(store) == []
    actions = [(e["action"], e["reason"]) for e in store.audit_events("message", 2) if e["action"].startswith("mark")]
    assert [a for a, _ in actions] == ["mark_failed", "marked_processed"]
    assert "OVERQUOTA" in actions[0][1] and "attempt 3" in actions[1][1]
    assert store.db["messages"].count == 5


def test_a_dropped_connection_while_marking_still_reconnects(store):
    class Dropping(MemoryMailbox):
        def mark_processed(self, uid):
            raise Disconnected("connection lost during MOVE")

    box = Dropping()
    box.add(*replies(2, "d"))
    with pytest.raises(Disconnected):
        sync_folder(IntakeContext(store), box, "INBOX")
    assert retries(store) == []  # the reconnect's catch-up marks the cursor's message again instead


def test_a_new_uidvalidity_drops_marks_waiting_on_the_old_uids(store):
    box = RefusingMailbox({1})
    box.add(*replies(2, "v"))
    ctx = IntakeContext(store)
    sync_folder(ctx, box, "INBOX")
    assert [r["uid"] for r in retries(store)] == [1]
    box.recreate()
    box.refuse = {99}
    box.add(*replies(2, "v"))  # the same mail under a new UIDVALIDITY
    stats = sync_folder(ctx, box, "INBOX")
    assert (stats.resyncs, stats.duplicates, stats.marks_retried) == (1, 2, 0)
    assert retries(store) == []
    (resync,) = [e for e in store.audit_events("mailbox_cursor") if e["action"] == "resync"]
    assert '"mark_retries_dropped": 1' in resync["after_json"]


# -- a real refusal: Dovecot's quota on the archive namespace refuses a move that does not fit ---------------
QUOTA_BYTES = 100 * 1024
QUOTA_CONF = """
namespace inbox {
  inbox = yes
  separator = .
}
namespace archive {
  prefix = Archive.
  separator = .
  location = maildir:~/Archive
  list = yes
  subscriptions = no
}
mail_plugins = quota
plugin {
  quota = count:Archive quota:ns=Archive.
  quota_rule = *:storage=100K
  quota_vsizes = yes
}
"""


@pytest.fixture(scope="module")
def quota_dovecot():
    """A private Dovecot whose Archive namespace has a 100 KB quota (INBOX has none)."""
    root = Path(tempfile.mkdtemp(prefix="copilot-dovecot-quota-"))
    server = DovecotServer(find_dovecot(), root)
    server.conf.write_text(server.conf.read_text() + QUOTA_CONF)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def folder_ids(server: DovecotServer, user, folder: str) -> dict[str, tuple]:
    """Message-ID -> flags for every message in `folder`."""
    with server.client(user) as imap:
        if not imap.folder_exists(folder):
            return {}
        imap.select_folder(folder, readonly=True)
        uids = imap.search("ALL")
        data = imap.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return {v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip(): v[b"FLAGS"] for v in data.values()}


def expunge(server: DovecotServer, user, folder: str, msgids: set[str]) -> None:
    """Delete these messages from `folder`, as a person making room in a full archive would."""
    with server.client(user) as imap:
        imap.select_folder(folder)
        data = imap.fetch(imap.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        doomed = [u for u, v in data.items() if v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip() in msgids]
        imap.delete_messages(doomed)
        imap.expunge()


def poller_for(settings, store) -> Poller:
    return Poller(context_from_settings(store, settings), imap_sources(settings), backoff_from_settings(settings.imap, 3))


@pytest.mark.dovecot
@pytest.mark.usefixtures("dovecot_instant")
def test_a_move_refused_over_quota_leaves_the_rest_and_is_retried_once_there_is_room(quota_dovecot, tmp_path, store):
    server, user = quota_dovecot, quota_dovecot.new_user()
    small = replies(4, "q", body_bytes=15_000)
    big = replies(1, "big", body_bytes=90_000)[0]
    late = replies(1, "late", body_bytes=1_000)[0]
    # The big one does not fit after the first small one, fits alone, and fits with the late one.
    assert len(small[0]) + len(big) > QUOTA_BYTES > len(big) + len(late) and sum(map(len, small[:3])) < QUOTA_BYTES
    server.append(user, [small[0], big, small[1], small[2]])
    s = imap_settings(server, user, tmp_path, processed_folder="Archive.Collected", processed_keyword="$Collected")

    first = poller_for(s, store).run_once()

    assert (first.stored, first.mark_failures) == (4, 1)
    assert list(folder_ids(server, user, "INBOX")) == ["<big-0@customer.example>"]  # the keyword went on; the move did not
    assert set(folder_ids(server, user, "Archive.Collected")) == {f"<q-{i}@customer.example>" for i in range(3)}
    (row,) = retries(store)
    assert row["uid"] == 2 and "[OVERQUOTA]" in row["last_error"] and "MOVE to Archive.Collected" in row["last_error"]
    big_row = store.db["messages"].get(row["message_id"])
    assert big_row["message_id"] == "<big-0@customer.example>"
    (failed,) = [e for e in store.audit_events("message", big_row["id"]) if e["action"] == "mark_failed"]
    assert "Quota exceeded" in failed["reason"] and "UID 2" in failed["reason"]

    second = poller_for(s, store).run_once()  # still full: tried again, refused again, nothing stored twice
    assert (second.stored, second.duplicates, second.mark_failures, second.marks_retried) == (0, 0, 1, 0)
    assert retries(store)[0]["attempts"] == 2

    expunge(server, user, "Archive.Collected", {f"<q-{i}@customer.example>" for i in range(3)})
    server.append(user, [late])
    third = poller_for(s, store).run_once()

    assert (third.stored, third.marks_retried, third.mark_failures) == (1, 1, 0)
    assert folder_ids(server, user, "INBOX") == {}
    assert set(folder_ids(server, user, "Archive.Collected")) == {"<big-0@customer.example>", "<late-0@customer.example>"}
    assert retries(store) == []
    assert message_ids(store).count("<big-0@customer.example>") == 1 and store.db["messages"].count == 5
    done = [e for e in store.audit_events("message", big_row["id"]) if e["action"] == "marked_processed"]
    assert len(done) == 1 and "attempt 3" in done[0]["reason"]


# -- a keyword Dovecot refuses for one chosen UID --------------------------------------------------------------
class RefusingClient(IMAPClient):
    """A real connection that, for the UIDs in `refuse`, asks Dovecot for a keyword it will not take.

    The NO comes from Dovecot itself ("[CANNOT] Keyword length too long"); only the choice of message is ours.
    """

    refuse: set[int] = set()

    def add_flags(self, messages, flags, silent=False):
        if set(messages) & RefusingClient.refuse:
            flags = ["$" + "K" * 100]
        return super().add_flags(messages, flags, silent)


@pytest.fixture
def refusing(monkeypatch):
    monkeypatch.setattr(imap_module, "IMAPClient", RefusingClient)
    RefusingClient.refuse = set()
    yield RefusingClient
    RefusingClient.refuse = set()


def poll_env(monkeypatch, server: DovecotServer, user, **extra: str) -> None:
    values = {"HOST": server.host, "PORT": server.port, "TLS": "false", "USERNAME": user.name, "PASSWORD": user.password, **extra}
    for key, value in values.items():
        monkeypatch.setenv(f"COPILOT_IMAP__{key}", str(value))


@pytest.mark.dovecot
@pytest.mark.usefixtures("dovecot_instant")
def test_poll_goes_on_past_a_refused_keyword_and_marks_it_on_the_next_poll(dovecot, imap_user, tmp_path, refusing, monkeypatch):
    dovecot.append(imap_user, replies(5, "kw"))
    poll_env(monkeypatch, dovecot, imap_user, PROCESSED_KEYWORD="$Collected")
    db = tmp_path / "copilot.db"
    refusing.refuse = {3}

    first = CliRunner().invoke(main, ["--db", str(db), "poll", "--once", "--no-triage"])

    assert first.exit_code == EXIT_NEEDS_ATTENTION, first.output
    assert "5 stored" in first.output
    assert "1 stored message(s) the server would not mark are tried again on the next poll" in first.output
    flags = folder_ids(dovecot, imap_user, "INBOX")
    assert [m for m, f in flags.items() if b"$Collected" not in f] == ["<kw-2@customer.example>"]  # UID 3
    store = Store.open(db)
    (row,) = retries(store)
    assert row["uid"] == 3 and "Keyword length too long" in row["last_error"]
    store.close()

    refusing.refuse = set()
    second = CliRunner().invoke(main, ["--db", str(db), "poll", "--once", "--no-triage"])

    assert second.exit_code == 0, second.output
    assert "0 stored" in second.output and "1 earlier refusal(s) went through; 0 stored message(s)" in second.output
    assert all(b"$Collected" in f for f in folder_ids(dovecot, imap_user, "INBOX").values())
    store = Store.open(db)
    try:
        assert retries(store) == []
        assert message_ids(store) == [f"<kw-{i}@customer.example>" for i in range(5)]  # each once
        assert store.db["mailbox_cursors"].get((f"{imap_user.name}@127.0.0.1", "INBOX"))["last_uid"] == 5
    finally:
        store.close()


@pytest.mark.dovecot
@pytest.mark.usefixtures("dovecot_instant")
def test_a_watching_poller_retries_the_mark_when_new_mail_wakes_it(dovecot, imap_user, tmp_path, store, refusing):
    dovecot.append(imap_user, replies(3, "w"))
    refusing.refuse = {2}
    s = imap_settings(dovecot, imap_user, tmp_path, processed_keyword="$Collected")
    poller = poller_for(s, store)
    thread = threading.Thread(target=poller.run_forever, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: store.db["messages"].count == 3 and len(retries(store)) == 1)
        assert thread.is_alive()  # the refusal did not stop the watcher
        refusing.refuse = set()
        dovecot.append(imap_user, replies(1, "w-late"))
        _wait_for(lambda: store.db["messages"].count == 4 and retries(store) == [])
    finally:
        poller.stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert (poller.stats.mark_failures, poller.stats.marks_retried) == (1, 1)
    assert all(b"$Collected" in f for f in folder_ids(dovecot, imap_user, "INBOX").values())


# -- the processed folder is gone ----------------------------------------------------------------------------
@pytest.mark.dovecot
@pytest.mark.usefixtures("dovecot_instant")
def test_a_missing_processed_folder_refuses_every_move_and_the_mail_is_still_stored(dovecot, imap_user, tmp_path, store):
    dovecot.append(imap_user, replies(3, "gone"))
    s = imap_settings(dovecot, imap_user, tmp_path, processed_folder="Collected")
    poller = poller_for(s, store)
    real_connect = poller.sources[0].connect

    def connect_then_lose_the_folder():
        mailbox = real_connect()  # creates Collected
        with dovecot.client(imap_user) as other:
            other.delete_folder("Collected")  # someone removes it before the first move
        return mailbox

    poller.sources[0] = Source(poller.sources[0].name, ["INBOX"], connect_then_lose_the_folder)
    first = poller.run_once()

    assert (first.stored, first.mark_failures) == (3, 3)
    assert all("TRYCREATE" in r["last_error"] for r in retries(store))
    assert len(folder_ids(dovecot, imap_user, "INBOX")) == 3

    second = poller_for(s, store).run_once()  # connecting creates the folder again; the waiting moves go through

    assert (second.stored, second.duplicates, second.marks_retried) == (0, 0, 3)
    assert folder_ids(dovecot, imap_user, "INBOX") == {} and len(folder_ids(dovecot, imap_user, "Collected")) == 3
    assert retries(store) == [] and store.db["messages"].count == 3


@pytest.mark.dovecot
@pytest.mark.usefixtures("dovecot_instant")
def test_a_processed_folder_that_cannot_be_created_does_not_stop_intake(dovecot, imap_user, tmp_path, store):
    dovecot.append(imap_user, replies(2, "bad"))
    s = imap_settings(dovecot, imap_user, tmp_path, processed_folder="Done/2026")  # Dovecot refuses '/' in a name
    stats = poller_for(s, store).run_once()
    assert (stats.stored, stats.mark_failures) == (2, 2)
    assert len(retries(store)) == 2 and store.db["messages"].count == 2


def _wait_for(predicate, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def test_reading_a_quarantined_message_again_keeps_a_refused_mark_for_the_next_poll(store, monkeypatch):
    from copilot.mail import quarantine
    from tests.intake.fakes import break_detector

    box = RefusingMailbox({1})
    box.add(ms.plain(subject="explode", msgid="<q@x>"))
    ctx = IntakeContext(store)
    with monkeypatch.context() as patched:
        break_detector(patched)
        assert sync_folder(ctx, box, "INBOX").quarantined == 1
    (entry,) = list(store.db["quarantine"].rows)

    outcome = quarantine.retry(ctx, box, entry["id"])  # stored now; the server still refuses the mark

    assert outcome.kind == "stored" and store.db["quarantine"].get(entry["id"])["status"] == "reprocessed"
    (row,) = retries(store)
    assert (row["uid"], row["message_id"]) == (1, outcome.row_id)
