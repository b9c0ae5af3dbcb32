"""Classify a raw email message: parse it as intake does, then build the classifier's view of it."""

from copilot.labels import Classification, Classifier, Reply
from copilot.mail.parse import ParsedMessage, parse_message


def reply_from_parsed(parsed: ParsedMessage) -> Reply:
    """The classifier's view of a parsed message: new text, whole body, Date, headers."""
    return Reply(
        subject=parsed.subject,
        text=parsed.text_reply or parsed.text_full,
        full_text=parsed.text_full,
        sent_at=parsed.sent_at.date() if parsed.sent_at else None,
        headers=dict(parsed.headers),
        from_addr=parsed.from_addr,
    )


def classify_raw(classifier: Classifier, raw: bytes) -> tuple[Reply, Classification]:
    """Parse raw message bytes and classify them; ParseError names what is wrong with the message."""
    reply = reply_from_parsed(parse_message(raw))
    return reply, classifier.classify(reply)
