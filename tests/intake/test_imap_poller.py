"""The poller against a real Dovecot: backlog, IDLE, restart, UIDVALIDITY change, poison mail, options."""

import threading
import time

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.mail.intake import Poller, Source, backoff_from_settings, context_from_settings, imap_sources
from copilot.mail.mailbox.imap import ImapMailbox
from copilot.store import Store
from tests.intake import mailsamples as ms
from tests.intake.conftest import imap_settings

# Pinned to an instant of its own rather than run under libfaketime: see DOVECOT_INSTANT in conftest.py.
pytestmark = [pytest.mark.dovecot, pytest.mark.usefixtures("dovecot_instant")]


def replies(n: int, prefix: str = "bk") -> list[bytes]:
    return [ms.plain(subject=f"Re: reminder {i}", body=f"Reply number {i}.", msgid=f"<{prefix}-{i}@customer.example>")
            for i in range(n)]  # fmt: skip


def flags_by_msgid(server, user, folder="INBOX") -> dict[str, tuple]:
    with server.client(user) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search("ALL")
        data = imap.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    out = {}
    for item in data.values():
        head = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
        out[head] = item[b"FLAGS"]
    return out


def poller_for(settings, store, **kw) -> Poller:
    return Poller(context_from_settings(store, settings), imap_sources(settings), backoff_from_settings(settings.imap, 20), **kw)


def test_backlog_of_500_stored_once_and_seen_untouched(dovecot, imap_user, tmp_path, monkeypatch):
    mails = replies(500)
    dovecot.append(imap_user, mails[::2], flags=(rb"\Seen",))
    dovecot.append(imap_user, mails[1::2])
    before = flags_by_msgid(dovecot, imap_user)
    s = imap_settings(dovecot, imap_user, tmp_path)
    for key, value in {"HOST": s.imap.host, "PORT": s.imap.port, "TLS": "false", "USERNAME": imap_user.name,
                       "PASSWORD": imap_user.password}.items():  # fmt: skip
        monkeypatch.setenv(f"COPILOT_IMAP__{key}", str(value))
    db = tmp_path / "copilot.db"

    first = CliRunner().invoke(main, ["--db", str(db), "poll", "--once"])
    assert first.exit_code == 0, first.output
    assert "500 stored" in first.output
    second = CliRunner().invoke(main, ["--db", str(db), "poll", "--once"])
    assert second.exit_code == 0, second.output
    assert "0 stored" in second.output

    store = Store.open(db)
    rows = list(store.db.execute("select message_id, count(*) from messages where direction='inbound' group by message_id"))
    assert len(rows) == 500 and all(count == 1 for _, count in rows)
    assert {r[0] for r in rows} == {f"<bk-{i}@customer.example>" for i in range(500)}
    uids = [r[0] for r in store.db.execute("select uid from messages order by uid")]
    assert uids == list(range(1, 501))
    cursor = store.db["mailbox_cursors"].get((s.imap.label, "INBOX"))
    assert cursor["last_uid"] == 500
    assert flags_by_msgid(dovecot, imap_user) == before  # \Seen neither set nor cleared
    assert sum(rb"\Seen" in f for f in before.values()) == 250


def _run_in_thread(poller: Poller) -> threading.Thread:
    thread = threading.Thread(target=poller.run_forever, daemon=True)
    thread.start()
    return thread


def _wait_for(predicate, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling-fallback"])
def test_new_mail_is_picked_up_within_seconds(dovecot, imap_user, tmp_path, store, idle):
    dovecot.append(imap_user, replies(3, "early"))
    s = imap_settings(dovecot, imap_user, tmp_path, idle=idle, poll_interval_seconds=1)
    poller = poller_for(s, store)
    thread = _run_in_thread(poller)
    count = lambda: store.db["messages"].count  # noqa: E731
    try:
        _wait_for(lambda: count() == 3, 10)
        time.sleep(0.3)  # let the watcher settle into IDLE (or its poll sleep)
        dovecot.append(imap_user, replies(1, "late"))
        waited = _wait_for(lambda: count() == 4, 10)
        assert waited < (3 if idle else 4)
    finally:
        poller.stop.set()
        thread.join(5)
    assert not thread.is_alive(), "the watcher did not stop within 5 s of the stop request"
    assert store.db.execute("select count(distinct message_id) from messages").fetchone()[0] == 4


class KillMidBatch:
    """Wraps the real connector; after the n-th fetched message, Dovecot is stopped and started again."""

    def __init__(self, server, connect, after: int):
        self.server, self.connect, self.after, self.seen, self.done = server, connect, after, 0, False

    def __call__(self):
        mailbox = self.connect()
        real_fetch = mailbox.fetch

        def fetch(uids):
            for mail in real_fetch(uids):
                yield mail
                self.seen += 1
                if self.seen == self.after and not self.done:
                    self.done = True
                    self.server.restart()

        mailbox.fetch = fetch
        return mailbox


def test_dovecot_restart_mid_batch_loses_and_repeats_nothing(dovecot, imap_user, tmp_path, store):
    dovecot.append(imap_user, replies(200, "rs"))
    # The keyword makes the poller write to the server after each message, so the cut lands inside a batch.
    s = imap_settings(dovecot, imap_user, tmp_path, fetch_batch=25, processed_keyword="$Collected")
    poller = poller_for(s, store)
    killer = KillMidBatch(dovecot, poller.sources[0].connect, after=60)
    poller.sources[0] = Source(poller.sources[0].name, ["INBOX"], killer)

    stats = poller.run_once()

    assert killer.done and stats.reconnects >= 1
    rows = list(store.db.execute("select message_id, count(*) from messages group by message_id"))
    assert len(rows) == 200 and all(c == 1 for _, c in rows)
    assert stats.stored == 200 and stats.duplicates == 0
    flags = flags_by_msgid(dovecot, imap_user)
    # The message whose keyword write was cut off is marked again after the reconnect; none got \Seen.
    assert [m for m, f in flags.items() if b"$Collected" not in f] == []
    assert not any(rb"\Seen" in f for f in flags.values())


def test_uidvalidity_change_resyncs_without_duplicates(dovecot, imap_user, tmp_path, store):
    first = replies(5, "uv")
    dovecot.append(imap_user, first, folder="AR")
    s = imap_settings(dovecot, imap_user, tmp_path, folders=["AR"])
    assert poller_for(s, store).run_once().stored == 5

    with dovecot.client(imap_user) as imap:
        old = imap.folder_status("AR", ["UIDVALIDITY"])[b"UIDVALIDITY"]
        imap.delete_folder("AR")
        time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock
        imap.create_folder("AR")
    # The same five come back (reused UIDs, new UIDVALIDITY) plus two new ones, one without a Message-ID.
    no_id = b"From: x@customer.example\r\nSubject: no id\r\n\r\nWe paid.\r\n"
    dovecot.append(imap_user, [*first, replies(1, "uv-new")[0], no_id], folder="AR")
    with dovecot.client(imap_user) as imap:
        assert imap.folder_status("AR", ["UIDVALIDITY"])[b"UIDVALIDITY"] != old

    stats = poller_for(s, store).run_once()

    assert (stats.resyncs, stats.stored, stats.duplicates) == (1, 2, 5)
    assert store.db["messages"].count == 7
    assert store.db.execute("select count(distinct dedupe_key) from messages").fetchone()[0] == 7
    assert any(e["action"] == "resync" for e in store.audit_events("mailbox_cursor"))


def test_poison_mail_is_quarantined_or_parsed_and_never_blocks(dovecot, imap_user, tmp_path, store):
    poison = [
        ms.malformed_mime(), ms.wrong_charset(), ms.html_only(), ms.with_attachment(20_000_000),
        ms.empty_body(), ms.deeply_nested(200), b"just some text without any header\r\n",
        ms.with_attachment(3_000_000, msgid="<three-mb@customer.example>"),
    ]
    dovecot.append(imap_user, [*poison, ms.plain(msgid="<after@customer.example>")], batch=1)
    s = imap_settings(dovecot, imap_user, tmp_path)  # default limits: 50 MB per message, 1 MB per kept attachment
    stats = poller_for(s, store).run_once()

    assert stats.stored + stats.quarantined == 9
    stored = {r["message_id"]: r for r in store.db["messages"].rows}
    assert "<after@customer.example>" in stored  # the mailbox moved on past every poison message
    assert "Grüße" in stored["<charset@customer.example>"]["text_full"]
    assert stored["<html@studio.example>"]["body_was_html"] == 1
    assert "alert" not in stored["<html@studio.example>"]["text_full"]
    big = stored["<big@customer.example>"]
    (att,) = __import__("json").loads(big["attachments_json"])
    assert att["kept"] is False and att["size"] > 19_000_000
    assert store.db["attachments"].count_where("message_id = ?", [big["id"]]) == 0
    assert stored["<empty@customer.example>"]["text_full"] == ""
    assert "INV-1" in stored["<broken@customer.example>"]["text_full"]
    (q,) = list(store.db["quarantine"].rows)
    assert "no headers" in q["error"] and q["raw_head"].startswith(b"just some text")
    cursor = next(store.db["mailbox_cursors"].rows)
    assert cursor["last_uid"] == 9


def test_message_over_the_size_limit_is_quarantined_from_its_header(dovecot, imap_user, tmp_path, store):
    dovecot.append(imap_user, [ms.with_attachment(2_000_000, msgid="<huge@customer.example>"), ms.plain(msgid="<ok@c.example>")])
    s = imap_settings(dovecot, imap_user, tmp_path, max_message_bytes=1_000_000)
    stats = poller_for(s, store).run_once()
    assert (stats.stored, stats.quarantined) == (1, 1)
    (q,) = list(store.db["quarantine"].rows)
    assert q["message_id"] == "<huge@customer.example>" and "over the 1,000,000-byte limit" in q["error"]
    assert len(q["raw_head"]) < 10_000  # only the header travelled


def test_move_to_processed_folder_keeps_mail_and_seen(dovecot, imap_user, tmp_path, store):
    dovecot.append(imap_user, replies(4, "mv"))
    s = imap_settings(dovecot, imap_user, tmp_path, processed_folder="Collected", processed_keyword="$Collected")
    assert poller_for(s, store).run_once().stored == 4
    assert flags_by_msgid(dovecot, imap_user, "INBOX") == {}
    moved = flags_by_msgid(dovecot, imap_user, "Collected")
    assert len(moved) == 4 and all(b"$Collected" in f and rb"\Seen" not in f for f in moved.values())


def test_wrong_password_is_a_clear_error(dovecot, imap_user, tmp_path, store):
    s = imap_settings(dovecot, imap_user, tmp_path, password="not-the-password")
    with pytest.raises(Exception, match="refused"):
        ImapMailbox(s.imap).open()


def test_several_folders_and_mailboxes_are_polled(dovecot, imap_user, tmp_path, store):
    other = dovecot.new_user()
    dovecot.append(imap_user, replies(2, "inbox"))
    dovecot.append(imap_user, replies(3, "ar"), folder="AR")
    dovecot.append(other, replies(4, "second"))
    s = imap_settings(dovecot, imap_user, tmp_path, folders=["INBOX", "AR"])
    second = imap_settings(dovecot, other, tmp_path).imap.model_copy(update={"name": "second-desk"})
    s = s.model_copy(update={"mailboxes": [second]})
    stats = poller_for(s, store).run_once()
    assert stats.stored == 9
    by_place = dict(store.db.execute("select mailbox || '/' || folder, count(*) from messages group by 1").fetchall())
    assert by_place == {f"{imap_user.name}@127.0.0.1/INBOX": 2, f"{imap_user.name}@127.0.0.1/AR": 3, "second-desk/INBOX": 4}


def test_tls_connection_verifies_the_certificate(dovecot, imap_user, tmp_path, store):
    assert dovecot.cert is not None, "openssl is needed to give the test Dovecot a certificate"
    dovecot.append(imap_user, replies(2, "tls"))
    trusted = imap_settings(dovecot, imap_user, tmp_path, port=dovecot.tls_port, tls=True, ca_file=dovecot.cert)
    assert poller_for(trusted, store).run_once().stored == 2
    untrusted = imap_settings(dovecot, imap_user, tmp_path, port=dovecot.tls_port, tls=True)
    with pytest.raises(Exception, match="not trusted.*CA_FILE"):
        ImapMailbox(untrusted.imap).open()


def test_quarantined_oversize_mail_is_fetched_again_after_the_limit_is_raised(dovecot, imap_user, tmp_path, monkeypatch):
    dovecot.append(imap_user, [ms.with_attachment(2_000_000, msgid="<big@customer.example>")])
    before = flags_by_msgid(dovecot, imap_user)
    env = {"HOST": dovecot.host, "PORT": dovecot.port, "TLS": "false", "USERNAME": imap_user.name,
           "PASSWORD": imap_user.password, "MAX_MESSAGE_BYTES": 1_000_000}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(f"COPILOT_IMAP__{key}", str(value))
    db = str(tmp_path / "copilot.db")
    polled = CliRunner().invoke(main, ["--db", db, "poll", "--once", "--no-triage"])
    assert "1 quarantined" in polled.output, polled.output
    store = Store.open(tmp_path / "copilot.db")
    (entry,) = list(store.db["quarantine"].rows)

    still = CliRunner().invoke(main, ["--db", db, "quarantine", "retry", str(entry["id"]), "--no-triage"])
    assert still.exit_code == 1 and "over the 1,000,000-byte limit" in still.output
    monkeypatch.setenv("COPILOT_IMAP__MAX_MESSAGE_BYTES", "5000000")
    retried = CliRunner().invoke(main, ["--db", db, "quarantine", "retry", str(entry["id"]), "--no-triage", "--by", "sam"])
    assert retried.exit_code == 0, retried.output
    (stored,) = list(store.db["messages"].rows_where("direction = 'inbound'"))
    assert stored["message_id"] == "<big@customer.example>"
    assert store.db["quarantine"].get(entry["id"])["status"] == "reprocessed"
    assert flags_by_msgid(dovecot, imap_user) == before  # read with BODY.PEEK again: \Seen untouched
    again = CliRunner().invoke(main, ["--db", db, "poll", "--once", "--no-triage"])
    assert "0 stored" in again.output and "0 quarantined" in again.output
