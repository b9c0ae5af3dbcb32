"""Builders for the hostile and ordinary mail the intake tests feed through parser and poller."""

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime


def plain(subject: str = "Re: Payment reminder", body: str = "Thanks, we will pay on Friday.", *,
          sender: str = "ap@customer.example", msgid: str | None = None, in_reply_to: str | None = None,
          headers: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """An ordinary text/plain reply."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ar@ourco.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 16, 9, 30, tzinfo=UTC))
    if msgid:
        msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


def malformed_mime() -> bytes:
    """Multipart with no boundary parameter, a broken header line and an unterminated part."""
    return (b"From: broken@customer.example\r\nSubject: broken\r\nMessage-ID: <broken@customer.example>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\nthis line is not a header\r\n\r\n"
            b"--nowhere\r\nContent-Type: text/plain\r\n\r\nWe paid INV-1.\r\n--nowhere")  # fmt: skip


def wrong_charset() -> bytes:
    """Declares us-ascii but carries Latin-1 bytes, with an unknown charset in a second part."""
    return (b"From: =?x-unknown?q?J=FCrgen?= <juergen@customer.example>\r\nSubject: =?iso-8859-1?q?R=FCckfrage?=\r\n"
            b"Message-ID: <charset@customer.example>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            b"Gr\xfc\xdfe, die Zahlung f\xfcr die Rechnung folgt.\r\n")  # fmt: skip


def html_only() -> bytes:
    """text/html only, with a script and an inline handler."""
    msg = EmailMessage()
    msg["From"] = "hello@studio.example"
    msg["Subject"] = "invoice copy"
    msg["Message-ID"] = "<html@studio.example>"
    msg.set_content("<html><body><p>Could you send a <b>copy</b> of the invoice?</p>"
                    "<script>alert('x')</script><img src=x onerror=alert(1)></body></html>", subtype="html")  # fmt: skip
    return msg.as_bytes()


def with_attachment(size: int, msgid: str = "<big@customer.example>") -> bytes:
    """A short reply carrying a PDF attachment of `size` bytes."""
    msg = EmailMessage()
    msg["From"] = "payables@customer.example"
    msg["Subject"] = "Remittance"
    msg["Message-ID"] = msgid
    msg.set_content("Remittance attached.")
    msg.add_attachment(b"%PDF" + b"\0" * (size - 4), maintype="application", subtype="pdf", filename="remittance.pdf")
    return msg.as_bytes()


def empty_body() -> bytes:
    """Headers and nothing else."""
    return b"From: quiet@customer.example\r\nSubject: \r\nMessage-ID: <empty@customer.example>\r\n\r\n"


def deeply_nested(depth: int) -> bytes:
    """Multiparts nested `depth` levels deep around one text part."""
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return (b"From: nest@customer.example\r\nSubject: nest\r\nMIME-Version: 1.0\r\n" + head +
            b"Content-Type: text/plain\r\n\r\ndeep text" + tail)  # fmt: skip


def encoded_b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
