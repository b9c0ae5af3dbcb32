"""parse_message on ordinary, quoted and hostile mail."""

import pytest

from copilot.errors import ParseError
from copilot.mail import parse as mailparse
from copilot.mail.parse import ParseLimits, parse_message
from copilot.resources import demo_data_dir
from tests.intake import mailsamples as ms


def demo(name: str) -> bytes:
    return (demo_data_dir() / "mail" / name).read_bytes()


def test_plain_reply_fields():
    p = parse_message(demo("02-promise-date-amount.eml"))
    assert p.from_addr == "priya.nandakumar@northwindharbor.example"
    assert p.in_reply_to == ["<reminder-0001@ourco.example>"]
    assert p.subject == "RE: Payment reminder: INV-2026-0343"
    assert p.sent_at and p.sent_at.isoformat() == "2026-11-10T10:15:03-05:00"
    assert "USD 18,250.00" in p.text_reply
    # the quoted reminder stays in the full text but not in the reply text
    assert "We received USD 12,950.00" in p.text_full
    assert "We received USD 12,950.00" not in p.text_reply


def test_quoted_history_is_split_off():
    p = parse_message(demo("24-ack-quoted-history.eml"))
    assert "resubmitted INV-2026-0294" in p.text_reply
    assert "dispute" not in p.text_reply.lower()
    assert "dispute" in p.text_full.lower()


def test_encoded_word_sender_name():
    assert parse_message(demo("10-ack-french-reply.eml")).from_name == "Renée Tremblay"


def test_html_only_becomes_text_without_script():
    p = parse_message(ms.html_only())
    assert p.body_was_html
    assert "Could you send a copy of the invoice?" in p.text_full
    assert "alert" not in p.text_full


def test_attachment_metadata_and_size_limit():
    small = parse_message(demo("03-paid-remittance-pdf.eml"))
    assert [(a.filename, a.content_type, a.content is not None) for a in small.attachments] == [
        ("remittance-INV-2026-0376.pdf", "application/pdf", True)]
    big = parse_message(ms.with_attachment(3_000_000), ParseLimits(max_attachment_bytes=1_000_000))
    (att,) = big.attachments
    assert att.content is None and att.sha256 is None
    assert 2_900_000 < att.size < 3_100_000
    assert big.text_reply == "Remittance attached."


def test_wrong_charset_survives():
    p = parse_message(ms.wrong_charset())
    assert "Grüße" in p.text_full
    assert p.subject == "Rückfrage"
    assert p.from_addr == "juergen@customer.example"


def test_malformed_mime_still_yields_text():
    p = parse_message(ms.malformed_mime())
    assert "INV-1" in p.text_full
    assert p.defects


def test_empty_body_parses_to_empty_text():
    p = parse_message(ms.empty_body())
    assert p.text_full == "" and p.text_reply == ""
    assert p.message_id == "<empty@customer.example>"


def test_deep_nesting_is_bounded():
    p = parse_message(ms.deeply_nested(60), ParseLimits(max_depth=10, max_multiparts=100))
    assert any("nesting" in d for d in p.defects)
    assert "deep text" not in p.text_full


@pytest.mark.parametrize("raw, words", [
    (b"", "empty"),
    (b"   \r\n", "empty"),
    (b"x" * 5000, "over the"),
])  # fmt: skip
def test_unparseable_raises_parse_error(raw, words):
    with pytest.raises(ParseError, match=words):
        parse_message(raw, ParseLimits(max_message_bytes=4096))


def test_raw_hash_is_stable_and_distinct():
    a, b = parse_message(ms.plain(body="one")), parse_message(ms.plain(body="two"))
    assert a.raw_sha256 == parse_message(ms.plain(body="one")).raw_sha256
    assert a.raw_sha256 != b.raw_sha256


def test_absurd_nesting_is_kept_for_review_not_a_crash():
    # The stdlib parser's cost grows with the square of the nesting, so past the cap it never sees the structure:
    # the headers are read, the body is kept as text and a person is asked to look.
    p = parse_message(ms.deeply_nested(3000))
    assert p.review_reason and "multipart containers" in p.review_reason
    assert p.subject == "nest" and "deep text" in p.text_full


QUOTED_SAMPLES = [
    ("Paid today.\n\nOn Mon, 9 Nov 2026 at 10:00, AR Team <ar@ourco.example> wrote:\n> Invoice INV-1 is overdue.", "Paid today."),
    ("Wir zahlen morgen.\n\nAm 09.11.2026 um 10:00 schrieb AR Team <ar@ourco.example>:\n> Zahlungserinnerung", "Wir zahlen morgen."),
    ("Nous payons vendredi.\n\nLe lun. 9 nov. 2026, AR <ar@ourco.example> a écrit :\n> Relance", "Nous payons vendredi."),
    ("Pagaremos el viernes.\n\nEl lun, 9 nov 2026, AR <ar@ourco.example> escribió:\n> Recordatorio", "Pagaremos el viernes."),
    ("Will pay.\n\n-----Original Message-----\nFrom: AR\nSent: Monday\nTo: AP\nSubject: Reminder\n\nPlease pay.", "Will pay."),
    ("Thanks!\n\nBest regards,\nJane Doe\nAccounts Payable\n\nThis e-mail and any attachments are confidential mail.", "Thanks!"),
    ("Sure.\n--\nJane\n\n________________________________\nFrom: AR\nSent: Monday\nbody", "Sure."),
    ("Sent from my iPhone", "Sent from my iPhone"),  # nothing else: the whole text
    # mail-parser-reply, used here before, took "- one" for a signature and dropped the list
    ("No quote, no signature, just: a time 10:30 and a list\n- one\n- two", "No quote, no signature, just: a time 10:30 and a list\n- one\n- two"),
]


@pytest.mark.parametrize(("text", "new"), QUOTED_SAMPLES)
def test_reply_text_splits_off_quotes_signatures_and_footers(text, new):
    assert mailparse.reply_text(text) == new
