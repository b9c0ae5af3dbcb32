"""Classify a raw email message: parse it as intake does, then build the classifier's view of it."""

from copilot.labels import Classification, Classifier, Reply
from copilot.mail.parse import ParsedMessage, parse_message

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


def classify_raw(classifier: Classifier, raw: bytes) -> tuple[Reply, Classification]:
    """Parse raw message bytes and classify them; ParseError names what is wrong with the message."""
    reply = reply_from_parsed(parse_message(raw))
    return reply, classifier.classify(reply)
