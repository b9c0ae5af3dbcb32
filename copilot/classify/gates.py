"""Deterministic header gates: mail that says it was machine-generated is `auto_reply` before any model runs."""

import re
from datetime import date

from copilot.classify.cues import CUE_GROUPS
from copilot.classify.extract import extract_return_date, first_line
from copilot.labels import Classification, Label, Reply

_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|abwesenheitsnotiz|automatische antwort|"
    r"réponse automatique|respuesta automática|automatisch antwoord|afwezig)\b",
    re.IGNORECASE,
)
_OOO = re.compile(
    r"out of (the )?office|annual leave|on leave|on holiday|on vacation|travell?ing|away from|limited access|"
    r"i am (currently )?away|i'?m (currently )?away|i'?m out|i am out|have left|no longer (work|with)|"
    r"nicht im büro|abwesend|urlaub|außer haus|absente?|congé|fuera de la oficina|vacaciones|ausente|"
    r"afwezig|vakantie|niet aanwezig",
    re.IGNORECASE,
)
_SCANNER = re.compile(r"scan|captur|document intake|documents? received|batch|pages?:|ocr|digitali", re.IGNORECASE)
_TICKET = re.compile(
    r"ticket|case (number|#|id)|request #|reference (number|#)|service desk|has been received|we have received|"
    r"auto-?acknowledg|eingangsbestätigung|accusé de réception|acuse de recibo|ontvangstbevestiging",
    re.IGNORECASE,
)
_BOUNCE_TEXT = re.compile(
    r"could not be delivered|couldn't be delivered|undeliverable|delivery (has )?failed|mail delivery|"
    r"nicht zugestellt|nicht erreicht|non distribuable|no se pudo entregar|error en la entrega|niet bezorgd|onbestelbaar",
    re.IGNORECASE,
)


def _h(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def header_verdict(headers: dict[str, str], subject: str = "") -> str | None:
    """Why the headers mark the message as machine-generated ('bounce', 'auto', 'receipt'), or None."""
    content_type = (_h(headers, "Content-Type") or "").lower()
    if "multipart/report" in content_type:
        return "receipt" if "disposition-notification" in content_type else "bounce"
    if _h(headers, "X-Failed-Recipients"):
        return "bounce"
    sender = (_h(headers, "From") or "").lower()
    if re.search(r"\b(mailer-daemon|postmaster)@", sender):
        return "bounce"
    # Mailing lists and newsletters carry bulk headers too, but they are not replies to us.
    if _h(headers, "List-Id") or _h(headers, "List-Unsubscribe"):
        return None
    auto_submitted = (_h(headers, "Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto"
    x_autoreply = (_h(headers, "X-Autoreply") or _h(headers, "X-Autorespond") or "").strip().lower()
    if x_autoreply and x_autoreply not in ("no", "false", "0"):
        return "auto"
    if (_h(headers, "Precedence") or "").strip().lower() == "auto_reply":
        return "auto"
    # Exchange out-of-office: the loop-suppression header together with the rules-loop or an OOF subject.
    suppress = (_h(headers, "X-Auto-Response-Suppress") or "").lower()
    if "all" in suppress and (_h(headers, "X-MS-Exchange-Inbox-Rules-Loop") or _AUTO_SUBJECT.match(subject or "")):
        return "auto"
    return None


# What a person writes and an automatic reply does not: contesting or complaining. Auto-Submitted,
# X-Autoreply and Precedence can be set by anyone, so when the text says one of these the headers do not
# decide: the models label the reply and a person reviews it. Ticket, scanner and out-of-office notices
# quote the mail they answer, so with their own wording one such phrase is not enough; two are.
_HUMAN = re.compile("|".join(f"(?:{CUE_GROUPS[group]})" for group in ("dispute", "frustration")))
_AUTOMATED = re.compile("|".join(f"(?:{p.pattern})" for p in (_OOO, _SCANNER, _TICKET)) + f"|(?:{CUE_GROUPS['automated']})", re.IGNORECASE)
MAX_HUMAN_SCAN = 5_000  # characters: an automatic reply is short, and a person's words come first


def spoofed_auto_headers(reply: Reply) -> bool:
    """Whether only spoofable headers call this reply automatic while its text reads as a person's."""
    if header_verdict(reply.headers, reply.subject) != "auto":
        return False
    text = (reply.text or "")[:MAX_HUMAN_SCAN].lower()
    if _BOUNCE_TEXT.search(text):
        return False
    human = {m.group(0) for m in _HUMAN.finditer(text)}
    return len(human) >= 2 or (len(human) == 1 and not _AUTOMATED.search(text))


def auto_reply_kind(text: str, verdict: str | None = None) -> str:
    """out_of_office | ticket | scanner | bounce | other, from the gate's verdict and the wording."""
    if verdict == "bounce" or _BOUNCE_TEXT.search(text):
        return "bounce"
    if _OOO.search(text):
        return "out_of_office"
    if _SCANNER.search(text):
        return "scanner"
    if _TICKET.search(text):
        return "ticket"
    return "other"


def apply_gates(reply: Reply) -> Classification | None:
    """An `auto_reply` verdict from the headers alone, or None to let the models decide."""
    verdict = header_verdict(reply.headers, reply.subject)
    if verdict is None or (verdict == "auto" and spoofed_auto_headers(reply)):
        return None
    text = reply.text or ""
    kind = "other" if verdict == "receipt" else auto_reply_kind(text, verdict)
    return_date: date | None = None
    if kind == "out_of_office":
        return_date = extract_return_date(text, reply.sent_at)
    return Classification(
        label=Label.AUTO_REPLY,
        confidence=1.0,
        auto_reply_kind=kind,
        return_date=return_date,
        evidence=first_line(text),
        source="header_gate",
    )
