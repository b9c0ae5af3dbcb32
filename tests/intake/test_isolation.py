"""One hostile message never stops intake: bad charsets, NULs, unreadable files, failing fetches and parser bugs."""

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from copilot.mail import inbound
from copilot.mail.inbound import IntakeContext, Location, head_fields, quarantine
from copilot.mail.intake import Poller, Source, context_from_settings, imap_sources, sync_folder
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.mail.parse import parse_message
from tests.intake import mailsamples as ms
from tests.intake.conftest import imap_settings
from tests.intake.fakes import MemoryMailbox

# The Subject that stopped intake for good: a stray byte inside the RFC 2047 charset name.
BAD_CHARSET_SUBJECT = b"Subject: =?utf-8\x80?B?cGFpZA==?=\r\n"


def with_header(line: bytes, msgid: str) -> bytes:
    return (b"From: ap@customer.example\r\nTo: ar@ourco.example\r\n" + line
            + f"Message-ID: {msgid}\r\nDate: Mon, 16 Nov 2026 09:30:00 +0000\r\n\r\nWe paid yesterday.\r\n".encode())  # fmt: skip


HOSTILE_HEADERS = {
    "charset-byte": BAD_CHARSET_SUBJECT,
    "charset-nul": b"Subject: =?utf-8\x00?B?cGFpZA==?=\r\n",
    "punycode": b"Subject: =?punycode?B?cGFpZA==?=\r\n",
    "undefined": b"Subject: =?undefined?Q?paid?=\r\n",
    "nul-in-subject": b"Subject: pa\x00id\r\n",
    "nul-in-name": b"X-Tag\x00: 1\r\nSubject: paid\r\n",
    "nul-in-charset-param": b"Content-Type: text/plain; charset=utf-8\x00\r\nSubject: paid\r\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HEADERS))
def test_hostile_header_is_decoded_best_effort(name):
    parsed = parse_message(with_header(HOSTILE_HEADERS[name], "<h@x>"))
    assert parsed.subject == "paid"
    assert "\x00" not in "".join(parsed.headers.values())
    assert parsed.text_full == "We paid yesterday."


@pytest.mark.parametrize("charset", [b"punycode", b"undefined", b"utf-8\x00", b"idna", b"base64"])
def test_body_in_a_non_text_charset_is_read_as_utf8(charset):
    raw = (b"From: ap@customer.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=" + charset + b"\r\n\r\nWir haben bezahlt \xc3\xbcberwiesen.\r\n--b--\r\n")  # fmt: skip
    assert parse_message(raw).text_full == "Wir haben bezahlt überwiesen."


def test_bad_charset_subject_through_the_folder_mailbox_is_stored_and_the_next_one_too(store, tmp_path):
    (tmp_path / "1.eml").write_bytes(with_header(BAD_CHARSET_SUBJECT, "<poison@x>"))
    (tmp_path / "2.eml").write_bytes(ms.plain(msgid="<after@x>"))
    folder = FolderMailbox(tmp_path)
    stats = Poller(IntakeContext(store), [Source(folder.name, folder.folders, lambda: folder)]).run_once()
    assert (stats.stored, stats.quarantined) == (2, 0)
    assert [r["subject"] for r in store.db["messages"].rows_where(order_by="id")] == ["paid", "Re: Payment reminder"]


def test_unreadable_file_is_quarantined_and_the_folder_goes_on(store, tmp_path):
    (tmp_path / "1.eml").write_bytes(ms.plain(msgid="<one@x>"))
    (tmp_path / "2.eml").mkdir()  # reading it raises IsADirectoryError
    (tmp_path / "3.eml").write_bytes(ms.plain(msgid="<three@x>"))
    stats = sync_folder(IntakeContext(store), FolderMailbox(tmp_path), "INBOX")
    assert (stats.stored, stats.quarantined) == (2, 1)
    (q,) = list(store.db["quarantine"].rows)
    assert q["uid"] == 2 and "IsADirectoryError" in q["error"]


def test_quarantine_does_not_depend_on_parsing(store, monkeypatch):
    """Storing fails, and so does every header decoder: the message is still kept with its bytes and error."""

    def broken(*_a, **_k):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(inbound, "parse_message", broken)
    monkeypatch.setattr(inbound, "decode_header_value", broken)
    box = MemoryMailbox()
    raw = with_header(BAD_CHARSET_SUBJECT, "<kept@x>")
    box.add(raw, ms.plain(msgid="<next@x>"))
    stats = sync_folder(IntakeContext(store), box, "INBOX")
    assert stats.quarantined == 2
    rows = list(store.db["quarantine"].rows_where(order_by="uid"))
    assert [r["uid"] for r in rows] == [1, 2]
    assert rows[0]["raw"] == raw and rows[0]["error"] == "RuntimeError: parser bug"
    assert rows[0]["message_id"] == "<kept@x>"  # read from the raw header line, undecoded
    assert store.db["mailbox_cursors"].get(("mem", "INBOX"))["last_uid"] == 2


def test_head_fields_read_raw_lines_best_effort():
    raw = b"From: =?x?Q?J=FCrgen?= <j@c.example>\r\nSubject: =?utf-8\x80?B?cGFpZA==?=\r\n folded\r\nMessage-ID: <m@x>\r\n\r\nbody"
    assert head_fields(raw) == {"from": "Jürgen <j@c.example>", "subject": "paid folded", "message_id": "<m@x>"}
    assert head_fields(b"\xff\xfe\x00garbage") == {}


def test_quarantine_entry_survives_a_header_the_store_refuses(store, monkeypatch):
    monkeypatch.setattr(inbound, "head_fields", lambda raw: {"subject": object()})  # sqlite cannot bind this
    ctx = IntakeContext(store)
    with store.transaction():
        qid = quarantine(ctx, b"Subject: x\r\n\r\n", Location("m", "INBOX", 1, 7), "boom")
    row = store.db["quarantine"].get(qid)
    assert (row["uid"], row["error"], row["subject"]) == (7, "boom", None)


# -- the same through a real IMAP server ---------------------------------------------------------------
@pytest.mark.dovecot
def test_bad_charset_subject_through_dovecot_is_stored_and_intake_goes_on(dovecot, imap_user, tmp_path, store):
    mails = [with_header(line, f"<h{i}@x>") for i, line in enumerate(HOSTILE_HEADERS.values())]
    dovecot.append(imap_user, [mails[0], ms.plain(msgid="<after@x>"), *mails[1:]])
    settings = imap_settings(dovecot, imap_user, tmp_path)
    stats = Poller(context_from_settings(store, settings), imap_sources(settings)).run_once()
    assert (stats.stored, stats.quarantined) == (len(mails) + 1, 0)
    subjects = [r["subject"] for r in store.db["messages"].rows_where(order_by="uid")]
    assert subjects[0] == "paid" and subjects[1] == "Re: Payment reminder"
    # Dovecot stores a NUL as 0x80, which reads as cp1252's euro sign: kept, not fatal.
    assert all(s.replace("€", "") == "paid" for s in subjects[2:]), [s for s in subjects if s.replace("€", "") != "paid"]


@pytest.mark.dovecot
def test_a_fetch_the_server_fails_for_one_message_quarantines_only_that_one(dovecot, imap_user, tmp_path, store, monkeypatch):
    dovecot.append(imap_user, [ms.plain(msgid=f"<f{i}@x>") for i in range(3)])
    real = IMAPClient.fetch

    def fetch(self, messages, data, modifiers=None):
        if b"BODY.PEEK[]" in data and 2 in list(messages):
            raise IMAPClientError("FETCH failed: unparsable response")
        return real(self, messages, data, modifiers)

    monkeypatch.setattr(IMAPClient, "fetch", fetch)
    settings = imap_settings(dovecot, imap_user, tmp_path)
    stats = Poller(context_from_settings(store, settings), imap_sources(settings)).run_once()
    assert (stats.stored, stats.quarantined) == (2, 1)
    (q,) = list(store.db["quarantine"].rows)
    assert q["uid"] == 2 and "unparsable response" in q["error"]
