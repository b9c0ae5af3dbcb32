"""Classify a raw email message, or plain pasted text: parse it as intake does, then build the classifier's view."""

import re

from copilot.errors import ParseError
from copilot.labels import Classification, Classifier, Reply
from copilot.mail.parse import ParsedMessage, parse_message, reply_text

# Header fields a real message starts with; text whose first lines are not fields is a pasted reply.
_KNOWN_FIELDS = {
    "from", "to", "cc", "subject", "date", "message-id", "received", "return-path", "mime-version", "content-type",
    "reply-to", "in-reply-to", "references", "delivered-to", "sender", "x-mailer", "dkim-signature", "arc-seal",
    "authentication-results", "thread-topic", "thread-index", "content-transfer-encoding", "user-agent",
}  # fmt: skip
_FIELD = re.compile(rb"^([!-9;-~]{1,76}):")

# What a classifier reads of one message. Every classification step is linear or bounded by these caps;
# the new text of a real reply is far shorter, and what matters in a long one is at its top.
MAX_REPLY_CHARS = 20_000
MAX_SUBJECT_CHARS = 1_000


def reply_from_parsed(parsed: ParsedMessage) -> Reply:
    """The classifier's view of a parsed message: new text, whole body, Date, headers (each capped)."""
    return Reply(
        subject=parsed.subject[:MAX_SUBJECT_CHARS],
        text=(parsed.text_reply or parsed.text_full)[:MAX_REPLY_CHARS],
        full_text=parsed.text_full[:MAX_REPLY_CHARS],
        sent_at=parsed.sent_at.date() if parsed.sent_at else None,
        headers=dict(parsed.headers),
        from_addr=parsed.from_addr,
    )


def looks_like_message(raw: bytes) -> bool:
    """Whether raw bytes start with an RFC 5322 header block (at least one well-known field), not plain text."""
    head = raw.lstrip(b"\r\n")[:16_384].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = head.splitlines()
    if not lines or not _FIELD.match(lines[0]):
        return False
    fields = {m.group(1).decode("ascii").lower() for line in lines if (m := _FIELD.match(line))}
    return bool(fields & _KNOWN_FIELDS)


def reply_from_text(raw: bytes) -> Reply:
    """The classifier's view of a pasted reply with no headers: split as intake splits a message body."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise ParseError("message is empty (no headers and no body)")
    return Reply(text=reply_text(text) or text, full_text=text)


def classify_raw(classifier: Classifier, raw: bytes) -> tuple[Reply, Classification]:
    """Classify a whole message or plain text; ParseError names what is wrong with the input."""
    reply = reply_from_parsed(parse_message(raw)) if looks_like_message(raw) or not raw.strip() else reply_from_text(raw)
    return reply, classifier.classify(reply)
