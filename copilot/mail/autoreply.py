"""Recognise mail that no human wrote: out-of-office notes, ticket receipts, bounces and DSNs.

Headers decide first (RFC 3834 Auto-Submitted, the X-Autoreply family, Precedence, the
Exchange out-of-office pair), then subject lines in the languages our customers use.
Bounces are read with flufl.bounce, which knows the DSN format and the quirks of many MTAs.
"""

import email
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from flufl.bounce import all_failures

from copilot.mail.parse import MSGID_RE, ParsedMessage, header


@dataclass(frozen=True)
class AutoReply:
    kind: str  # out_of_office | ticket | bounce | other
    reason: str  # which signal decided it, for the audit trail
    bounced: list[str] = field(default_factory=list)  # permanently failing recipients (bounces only)
    original_message_id: str | None = None  # the Message-ID of our mail that bounced
    original_subject: str | None = None


OOO_SUBJECT = re.compile(
    r"\b(?:automatic reply|auto[- ]?reply|auto[- ]?response|out of (?:the )?office|on vacation|away from the office"
    r"|abwesenheitsnotiz|automatische antwort|abwesend"
    r"|r[ée]ponse automatique|absence du bureau|absent du bureau"
    r"|respuesta autom[áa]tica|fuera de la oficina"
    r"|risposta automatica|fuori ufficio"
    r"|automatisch antwoord|afwezig"
    r"|resposta autom[áa]tica|fora do escrit[óo]rio"
    r"|automatiskt svar|autosvar|fr[åa]nvarande"
    r"|automatyczna odpowied[źz]|poza biurem)",
    re.IGNORECASE,
)
TICKET = re.compile(
    r"(?:\bticket\s*(?:#|no\.?|number|id)\s*:?\s*[\w-]+|\[\s*(?:ticket|case|request)\s*#|"
    r"\b(?:case|request)\s*#\s*[\w-]+|\bhas been received\b|\bwe have received your (?:e-?mail|message|request)\b|"
    r"\bihre anfrage (?:ist|wurde) eingegangen\b|\bnous avons bien re[çc]u votre\b)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliver(?:able|ed)|delivery status notification|returned mail|mail delivery (?:failed|failure)|"
    r"delivery failure|failure notice|non remis|unzustellbar|no se puede entregar|non recapitabile)",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


def header_signal(headers: Mapping[str, str]) -> str | None:
    """Which header marks this message as automatic, or None; pure, case-insensitive on names."""
    h = {k.lower(): str(v).strip().lower() for k, v in headers.items()}
    auto_submitted = h.get("auto-submitted", "")
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply"):
        if name in h and h[name] not in ("no", "false", "0"):
            return f"{name}: {h[name]}"
    if h.get("precedence") in ("auto_reply", "auto-reply", "junk"):
        return f"Precedence: {h['precedence']}"
    # Exchange marks its own automatic messages with this pair; neither alone is proof.
    if "x-ms-exchange-inbox-rules-loop" in h or "x-ms-exchange-generated-message-source" in h:
        if "x-auto-response-suppress" in h or "auto-submitted" in h:
            return "Exchange automatic-message headers"
    return None


def subject_kind(subject: str) -> str | None:
    """`out_of_office` or `ticket` from the subject line alone, else None."""
    if OOO_SUBJECT.search(subject):
        return "out_of_office"
    if TICKET.search(subject):
        return "ticket"
    return None


def detect(parsed: ParsedMessage) -> AutoReply | None:
    """Decide whether a parsed message is automatic, and what kind; None for mail a person wrote."""
    bounce = detect_bounce(parsed)
    if bounce is not None:
        return bounce
    signal = header_signal(parsed.headers)
    by_subject = subject_kind(parsed.subject)
    if signal is None and by_subject is None:
        return None
    kind = by_subject or _kind_from_text(parsed.text_reply)
    return AutoReply(kind=kind, reason=signal or f"subject: {parsed.subject[:80]}")


def _kind_from_text(text: str) -> str:
    head = text[:2000]
    if TICKET.search(head):
        return "ticket"
    if OOO_SUBJECT.search(head) or re.search(r"\b(?:be back|return(?:ing)? on|zur[üu]ck am|de retour)\b", head, re.I):
        return "out_of_office"
    return "other"


def detect_bounce(parsed: ParsedMessage) -> AutoReply | None:
    """A bounce or DSN, with the recipients that failed permanently and the original Message-ID."""
    msg = parsed.email
    is_report = msg.get_content_type() == "multipart/report"
    from_daemon = bool(parsed.from_addr and BOUNCE_SENDER.match(parsed.from_addr))
    if not (is_report or from_daemon or BOUNCE_SUBJECT.search(parsed.subject)):
        return None
    temporary, permanent = all_failures(msg)
    recipients = sorted({_addr(a) for a in permanent} - {""})
    if not recipients and not (is_report or from_daemon):
        return None  # a subject like "returned mail" from a person is not a bounce
    if not recipients and temporary:
        return AutoReply(kind="other", reason="delivery delayed (temporary failure)")
    original_id, original_subject = _original_headers(msg)
    reason = "multipart/report DSN" if is_report else ("bounce from " + (parsed.from_addr or "mailer-daemon"))
    return AutoReply("bounce", reason, recipients, original_id, original_subject)


def _addr(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip().strip("<>").lower()


def _original_headers(msg: Message) -> tuple[str | None, str | None]:
    """The Message-ID and Subject of the returned message, from its rfc822 or rfc822-headers part."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                return _msgid(header(inner, "Message-ID")), header(inner, "Subject") or None
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True) or b""
            inner = email.message_from_bytes(payload[:65536], policy=policy.default)
            return _msgid(header(inner, "Message-ID")), header(inner, "Subject") or None
    return None, None


def _msgid(value: str) -> str | None:
    found = MSGID_RE.search(value)
    return found.group(0) if found else None
