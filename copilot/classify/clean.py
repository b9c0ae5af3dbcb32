"""Cut a reply down to what the customer wrote now: no quoted history, forwarded chains or legal footer.

The model and the LLM both see only this part, so an old "we dispute this" in the quoted reminder
cannot decide the label of a new "thanks, we're on it".
"""

import re
from functools import lru_cache

# A line that opens the quoted or forwarded part, in the languages the inbox sees.
_QUOTE_HEADERS = [
    r"on .{0,120}\bwrote:\s*$",  # Gmail/Apple: "On Tue, 3 Mar 2026 at 09:12, X wrote:"
    r"am .{0,120}\bschrieb .{0,80}$",
    r"am .{0,120}\bschrieb:?\s*$",
    r"le .{0,120}\ba écrit\s*:?\s*$",
    r"el .{0,120}\bescribió\s*:?\s*$",
    r"op .{0,120}\bschreef .{0,80}$",
    r"op .{0,120}\bschreef:?\s*$",
    r"-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht)\s*-{2,}",
    r"-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|doorgestuurd bericht)\s*-{2,}",
    r"begin forwarded message:?",
    r"_{10,}",
    # Outlook header block: "From: ..." followed by Sent/Date/Gesendet within the next lines.
    r"(from|von|de|van)\s*:\s.*",
]
_QUOTE_RE = re.compile(r"^\s*(?:" + "|".join(_QUOTE_HEADERS) + r")", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(r"^\s*(sent|date|gesendet|datum|envoyé|date|enviado|fecha|verzonden|to|an|à|para|aan)\s*:", re.IGNORECASE)
_FROM_LINE = re.compile(r"^\s*(from|von|de|van)\s*:\s", re.IGNORECASE)

# Footers that carry no intent but lots of words that look like disputes or threats.
_FOOTER_RE = re.compile(
    r"^\s*(this (e-?mail|message)( and any attachments?)? (is|are|may be) (confidential|intended)|"
    r"the information (contained )?in this (e-?mail|message)|"
    r"diese (e-mail|nachricht) (enthält|ist) vertraulich|"
    r"ce (message|courriel|mail) (et ses pièces jointes )?(est|sont) (confidentiel|strictement)|"
    r"este (mensaje|correo)( y sus anexos)? (es|son|puede contener) (confidencial|información)|"
    r"dit (e-?mailbericht|bericht) (is|kan) (vertrouwelijk|uitsluitend)|"
    r"(sent from my (iphone|ipad|android|mobile|phone|galaxy))|"
    r"(von meinem (iphone|ipad|smartphone) gesendet)|(envoyé de mon (iphone|ipad))|(enviado desde mi (iphone|móvil|ipad))|"
    r"(verzonden (vanaf|met) mijn (iphone|ipad)))",
    re.IGNORECASE,
)


@lru_cache(maxsize=16)  # the model, the evidence picker and the extractors all ask for the same reply
def strip_reply(text: str) -> str:
    """The newly written part of a reply; falls back to the whole text when stripping leaves nothing."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(">"):
            break
        if _QUOTE_RE.match(line):
            if _FROM_LINE.match(line) and not _is_header_block(lines, i):
                kept.append(line)
                continue
            break
        if line.strip() == "--" or line.rstrip() == "-- ":
            break
        if _FOOTER_RE.match(line):
            break
        kept.append(line)
    result = "\n".join(kept).strip()
    return result if result else text.strip()


def _is_header_block(lines: list[str], i: int) -> bool:
    # "From: Anna" alone may be prose; a quoted header has Sent/Date/To right after it.
    following = [ln for ln in lines[i + 1 : i + 4] if ln.strip()]
    return any(_HEADER_FOLLOW.match(ln) for ln in following[:2])


_GREETING = re.compile(
    r"^\s*(hi|hello|hey|dear|good (morning|afternoon)|morning|hallo|guten (tag|morgen)|sehr geehrte[rs]?|liebe[rs]?|bonjour|bonsoir|"
    r"madame|monsieur|cher|chère|hola|buenos días|buenas( tardes)?|estimad[oa]s?|beste|geachte|goedemorgen|goedemiddag|hoi)\b[^\n]{0,60}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(kind regards|best regards|warm regards|regards|best wishes|best|thanks|thank you|many thanks|cheers|sincerely|yours( sincerely| faithfully)?|"
    r"warmly|br|mfg|mit freundlichen grüßen|freundliche grüße|viele grüße|beste grüße|grüße|gruß|cordialement|bien cordialement|"
    r"bien à vous|salutations|un saludo|saludos( cordiales)?|atentamente|un abrazo|met vriendelijke groet(en)?|groet(en)?|"
    r"vriendelijke groet(en)?)\b[ ,.!-]*$",
    re.IGNORECASE,
)


def body_for_model(text: str) -> str:
    """The stripped reply without greeting and sign-off lines, whose names say nothing about intent."""
    lines = strip_reply(text).split("\n")
    while lines and (not lines[0].strip() or _GREETING.match(lines[0])):
        lines.pop(0)
    for i, line in enumerate(lines):
        if i > 0 and _CLOSING.match(line):
            lines = lines[:i]
            break
    body = "\n".join(lines).strip()
    return body or strip_reply(text)
