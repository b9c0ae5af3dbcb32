"""The one place that cuts a reply down to what the customer wrote now.

Intake stores its result as the reply text, and the classifier, the evidence picker, the extractors and the
LLM prompt all call it again on whatever text they are given (a stored reply, a labelled reply, a pasted
one), so both sides always agree. It is idempotent: splitting a split reply changes nothing.

What goes: quoted history (">" lines, "On ... wrote:" in five languages, Outlook header blocks, also when
flattened onto one line, separators), legal footers and mobile tags, and the signature under a sign-off
or a "-- " line. What stays: every line before the history that carries words, including a greeting line
that carries the message. A forwarded message under nothing but "FYI" (a bank's payment advice, say) is
the message, so its body is kept under the note.

Mail libraries (mail-parser-reply, which intake used before) take a line that starts with "- " or
"Thanks," as the start of a signature and drop the rest of the reply, miss flattened Outlook headers
and Dutch, and run in time quadratic in the length of a long line. This works line by line, every
pattern bounded, so its time is linear in the text.
"""

import re

_MAX_HEADER_LINE = 400  # a quote header is one short line; longer lines are searched inside, with bounded patterns

# "On Tue, 3 Mar 2026 at 09:12, Anna <a@x.example> wrote:" and its siblings, on one line.
_WROTE = re.compile(
    r"^[>\s]*(?:on|am|le|el|op)\s.{0,300}?(?:\bwrote|\bschrieb|\ba\s+écrit|\bescribió|\bschreef)(?:\s.{0,120})?:\s*$",
    re.IGNORECASE,
)
# The same attribution inside a long line (HTML turned into one paragraph); the lead word must start a sentence.
_WROTE_INSIDE = re.compile(
    r"(?:^|(?<=[.!?:]\s)|(?<=\s\s))(?:On|Am|Le|El|Op)\s.{0,300}?(?:\bwrote|\bschrieb|\ba\s+écrit|\bescribió|\bschreef)(?:\s.{0,120}?)?:",
)
_WROTE_START = re.compile(r"^[>\s]*(?:on|am|le|el|op)\s", re.IGNORECASE)
_WROTE_END = re.compile(r"(?:\bwrote|\bschrieb|\ba\s+écrit|\bescribió|\bschreef)\b.{0,120}:\s*$", re.IGNORECASE)

_FROM = r"(?:from|von|de|van|da)"
_SENT = r"(?:sent|date|gesendet|datum|envoyé|enviado(?:\s+el)?|fecha|verzonden|verstuurd|inviato)"
_TO = r"(?:to|an|à|a|para|aan|cc|subject|betreff|objet|asunto|onderwerp)"
_FIELD = r"\s?\**\s?:\**"
_FROM_LINE = re.compile(rf"^[>\s*]*{_FROM}{_FIELD}\s", re.IGNORECASE)
_SENT_FIELD = re.compile(rf"^[>\s*]*{_SENT}{_FIELD}", re.IGNORECASE)
# Outlook's header block flattened onto one line: "From: X Sent: Y To: Z Subject: W", anywhere in a line. The atomic
# groups take the first Sent and the first To after a From and never try the others, so a line costs linear time.
_FLAT_HEADER = re.compile(
    rf"(?:^|(?<=\s))\**{_FROM}{_FIELD}\s(?>.{{0,300}}?\s\**{_SENT}{_FIELD})\s(?>.{{0,300}}?\s\**{_TO}{_FIELD})",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^[>\s]*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|originalnachricht|message d'origine|mensaje original|"
    r"oorspronkelijk bericht)\s*-{2,}|_{10,}|-{10,}|={10,})\s*$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^[>\s]*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"doorgestuurd bericht|original message forwarded)\s*-{2,}|begin forwarded message:?|anfang der weitergeleiteten nachricht:?|"
    r"début du message réenvoyé\s?:?)\s*$",
    re.IGNORECASE,
)
# A short note that hands the message below on: the forwarded part is the content.
_FYI = re.compile(
    r"^\W*(?:fyi\b.*|f\.y\.i\.|for your (?:info|information|records)|see (?:below|attached|the (?:remittance|confirmation|advice)\b.*)|"
    r"please see (?:below|the \w+ below)|forward(?:ing|ed)\b.*|zur (?:info|information|kenntnis)|z\.k\.|anbei\b.*|siehe unten|"
    r"pour info(?:rmation)?|pour information|ci-dessous|para (?:su|tu|vuestra) (?:información|conocimiento)|ver abajo|"
    r"ter info(?:rmatie)?|zie hieronder)\W*$",
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|doorst|fw)\s*:", re.IGNORECASE)

_FOOTER = re.compile(
    r"^\W*(?:this (?:e-?mail|message|communication)(?: and any (?:files|attachments?)(?: transmitted with it)?)? "
    r"(?:is|are|may be|contains?) (?:confidential|intended|privileged)|"
    r"the information (?:contained )?in this (?:e-?mail|message)|confidentiality notice|disclaimer\s?:|"
    r"diese (?:e-mail|nachricht) (?:enthält|ist) vertraulich|"
    r"ce (?:message|courriel|mail)(?: et (?:toutes )?(?:les |ses )?pièces jointes)? (?:est|sont) (?:confidentiel|strictement|établis)|"
    r"este (?:mensaje|correo)(?: y sus anexos)? (?:es|son|puede contener) (?:confidencial|información)|"
    r"dit (?:e-?mailbericht|bericht) (?:is|kan) (?:vertrouwelijk|uitsluitend)|"
    r"sent from my (?:iphone|ipad|android|mobile|phone|galaxy|samsung)|get outlook for (?:ios|android)|"
    r"von meinem (?:iphone|ipad|smartphone|mobiltelefon) gesendet|envoyé de mon (?:iphone|ipad|mobile)|"
    r"enviado desde mi (?:iphone|móvil|ipad|smartphone)|verzonden (?:vanaf|met) mijn (?:iphone|ipad|telefoon))",
    re.IGNORECASE,
)
# A line that closes the message; what follows is the signature.
_CLOSING = re.compile(
    r"^\W*(?:kind regards|best regards|warm regards|warmest regards|regards|best wishes|best|thanks|thank you|thanks again|"
    r"many thanks|thanks (?:and|&) regards|cheers|sincerely|yours(?: sincerely| faithfully| truly)?|all the best|warmly|br|"
    r"mfg|mit freundlichen grüßen|mit freundlichem gruß|freundliche grüße|viele grüße|beste grüße|liebe grüße|schöne grüße\b.*|"
    r"grüße|gruß|lg|vg|danke und gruß|danke|cordialement|bien cordialement|bien à vous|salutations|sincères salutations|"
    r"bonne journée|merci|merci d'avance|un saludo|saludos(?: cordiales)?|atentamente|un abrazo|gracias|quedo atent[oa]|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|hartelijke groet(?:en)?|groet(?:en)?|mvg|alvast bedankt|"
    r"bedankt|dank(?:je|u)?(?: wel)?)[\s,.!-]*$",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"^\s*(?:p\.?\s?s\.?|nb)\b", re.IGNORECASE)
# External-sender warnings that mail gateways put above the message.
_BANNER = re.compile(
    r"^\W*(?:caution\s?:|\[?external\]?\s?:?|external (?:e-?mail|sender)|this (?:e-?mail|message) (?:originated|came) from outside|"
    r"you don't often get email from|achtung\s?:|externe e-mail|attention\s?:|let op\s?:|precaución\s?:|\*+\s?external)",
    re.IGNORECASE,
)
# A greeting, up to four more words (a name, "team", "Damen und Herren") and its comma, dash or line end.
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening|day)|morning|afternoon|greetings|hallo|guten (?:tag|morgen|abend)|"
    r"sehr geehrte[rs]?|liebe[rs]?|moin|servus|grüß gott|bonjour|bonsoir|salut|madame|monsieur|mesdames|messieurs|cher|chère|chers|"
    r"hola|buenos días|buenas(?: tardes| noches)?|buenas|estimad[oa]s?|apreciad[oa]s?|saludos|beste|geachte|goedemorgen|goedemiddag|"
    r"goedenavond|goeiemorgen|goeiemiddag|goedendag|goeiedag|hoi|dag)\b(?:\s+[^\s,:;!.?]+){0,4}?\s*(?:[,:;!\u2014\u2013-]+|$)",
    re.IGNORECASE,
)


def without_greeting(line: str) -> str:
    """A line less its opening greeting ("Hi Sam, we will pay" -> "we will pay"); "" for a greeting alone."""
    for _ in range(2):  # "Madame, Monsieur,"
        m = _GREETING.match(line[:200])
        if not m:
            break
        line = line[m.end() :].strip()
    return line


# Remnants of HTML mail after its text conversion: rewritten links, image references, style rules, tags,
# entities. Each pattern is bounded, so cleaning stays linear in the text.
_DEBRIS = re.compile(
    r"<!--.{0,5000}?-->|<https?://[^>\s]{0,3000}>|https?://\S{1,3000}|\bwww\.\S{1,300}|\[cid:[^\]\n]{0,200}\]|"
    r"!\[[^\]\n]{0,200}\]\([^)\n]{0,300}\)|\[(?:logo|image\d*|signature_\d+|https?://[^\]\s]{0,300})\]|"
    r"\bstyle=\"[^\"\n]{0,500}\"|</?[a-zA-Z][^<>\n]{0,300}>|"
    r"[\w.#:\\*-]{1,60}(?:\s*,\s*[\w.#:\\*-]{1,60}){0,10}\s*\{[^{}\n]{0,500}\}|&(?:nbsp|amp|lt|gt|quot|#\d{1,5});|"
    r"\bmso-[\w-]{1,40}:[^;}\n]{0,100};?|\S{1,64}@\S{1,100}\.\w{2,10}\b|\*\*",
    re.DOTALL,
)


_DEBRIS_HINT = re.compile(r"[<\[{&@]|\*\*|https?:|www\.|mso-|style=")  # most lines have none: skip the big pattern


def clean_debris(text: str) -> str:
    """Text without links, addresses and HTML remnants, whose words say nothing about intent."""
    text = text.replace("\u00a0", " ")
    return _DEBRIS.sub(" ", text) if _DEBRIS_HINT.search(text) else text


def split_reply(text: str, subject: str = "") -> str:
    """The newly written part of a reply; the whole text, stripped, when nothing is left after splitting."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head, cut, kind = _scan(lines, 0)
    forwarded = kind in ("forward", "header") and _hands_on(head, kind, subject)
    head = _without_signature_block(_without_signature(head))
    if forwarded:
        body, _, _ = _scan(lines, _after_headers(lines, cut + 1))
        head = head + [""] + _without_signature_block(_without_signature(body))
    result = "\n".join(head).strip()
    return result if result else text.strip()


def _scan(lines: list[str], start: int) -> tuple[list[str], int, str | None]:
    """Lines of new text from `start` up to the first quote, footer or signature line: (kept, cut index, kind)."""
    kept: list[str] = []
    content = False
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            kept.append("")
            i += 1
            continue
        if not content and _BANNER.match(stripped[:200]):
            i = _paragraph_end(lines, i)
            continue
        kind, before = _classify_line(lines, i)
        if kind is None:
            kept.append(line)
            content = True
            i += 1
            continue
        if before.strip():
            kept.append(before.rstrip())
            content = True
        if kind == "quoted" and not content:
            i += 1  # a quoted line above any new text: the reply is written below the quote
            continue
        if kind == "footer" and not content:
            i = _paragraph_end(lines, i)  # a banner above the reply ("CAUTION: external sender")
            continue
        if kind == "header" and not content and _next_text(lines, i + 1).startswith(">"):
            i += 1  # "On ... wrote:" above the quote, with the reply written below it
            continue
        return kept, i, kind
    return kept, len(lines), None


def _classify_line(lines: list[str], i: int) -> tuple[str | None, str]:
    """What kind of boundary line i is (None for ordinary text), and any new text before it on the same line."""
    line = lines[i]
    stripped = line.strip()
    if stripped.startswith(">"):
        return "quoted", ""
    short = len(stripped) <= _MAX_HEADER_LINE
    if short:
        if _FORWARD.match(stripped):
            return "forward", ""
        if _SEPARATOR.match(stripped):
            return "header", ""
        if stripped in ("--", "-- ") or line.rstrip() == "--":
            return "signature", ""
        if _WROTE.match(stripped):
            return "header", ""
        if _WROTE_START.match(stripped) and i + 1 < len(lines) and _WROTE_END.search(lines[i + 1][:_MAX_HEADER_LINE]):
            return "header", ""  # an attribution wrapped onto two lines
        if _FROM_LINE.match(stripped) and _header_block(lines, i):
            return "header", ""
        if _FOOTER.match(stripped):
            return "footer", ""
    flat = _FLAT_HEADER.search(line) if ":" in line else None
    if flat:
        return "header", line[: flat.start()]
    if not short:
        wrote = _WROTE_INSIDE.search(line)
        if wrote:
            return "header", line[: wrote.start()]
    return None, ""


def _header_block(lines: list[str], i: int) -> bool:
    # "From: Anna" alone may be prose, and a payment advice has From and To lines; a quoted header has a Sent or
    # Date field among the next few (Outlook puts it second, Gmail and Apple Mail a little further down).
    following = [ln for ln in lines[i + 1 : i + 8] if ln.strip()][:4]
    return any(_SENT_FIELD.match(ln) for ln in following)


def _prose(line: str) -> bool:
    """A sentence of the message, not a name or title: after a sign-off it means the sign-off opened the reply."""
    return len(line.split()) >= 6 and line.rstrip().endswith((".", "?", "!")) and not _contact_or_banner(line)


def _next_text(lines: list[str], i: int) -> str:
    for line in lines[i : i + 3]:
        if line.strip():
            return line.strip()
    return ""


def _paragraph_end(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _after_headers(lines: list[str], i: int) -> int:
    """The first line of a forwarded message's body, past its header lines."""
    limit = min(len(lines), i + 12)
    while i < limit and (not lines[i].strip() or re.match(r"^[>\s*]*[\w][\w .-]{0,24}\s?\**\s?:", lines[i][:200])):
        i += 1
    return i


def _hands_on(head: list[str], kind: str, subject: str) -> bool:
    """Whether the note above a forwarded or quoted message only passes it on, making it the content."""
    note = [ln.strip() for ln in _without_signature(head) if ln.strip()]
    if not note:
        return kind == "forward" or bool(_FORWARD_SUBJECT.match(subject or ""))
    words = sum(len(ln.split()) for ln in note)
    if words > 12:
        return False
    return any(_FYI.match(ln) for ln in note) or (kind == "forward" and words <= 3)


def _without_signature(kept: list[str]) -> list[str]:
    """The lines above the first sign-off line (the signature below it goes), keeping a P.S."""
    seen_text = False
    for j, line in enumerate(kept):
        if not line.strip() or not clean_debris(line).strip() or (not seen_text and not without_greeting(line)):
            continue
        if seen_text and _CLOSING.match(line[:80]) and not _prose(_next_text(kept, j + 1)):
            tail = kept[j + 1 :]
            ps = next((k for k, ln in enumerate(tail) if _POSTSCRIPT.match(ln)), None)
            return kept[:j] + ([""] + tail[ps:] if ps is not None else [])
        seen_text = True
    return kept


_CONTACT_TOKENS = re.compile(
    r"\+?\(?\d[\d ()./-]{6,}\d|\S{1,64}@\S{1,100}\.\w+|<?https?://\S{1,3000}|\bwww\.\S{1,300}|\b(?:linkedin|facebook|twitter|instagram|xing|x)\b:?|"
    r"\||\[[^\]\n]{0,200}\]|\b(?:tel|tél|fax|mob|mobile|móvil|phone|cell|direct|office|ext|t|m|f)\b\.?\s?:?",
    re.IGNORECASE,
)
_SIGNATURE_BANNER = re.compile(
    r"\b(?:before printing|bevor sie diese e-mail ausdrucken|avant d'imprimer|antes de imprimir|voordat u deze e-mail afdrukt|"
    r"working hours|arbeitszeiten|follow us|folgen sie uns|suivez-nous|síguenos|volg ons|award|certified|zertifiziert|"
    r"great place to work)\b",
    re.IGNORECASE,
)


_FIELD_LINE = re.compile(r"^[\w][\w .'/-]{1,30}\s?:\s*\S")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-Þ0-9][\w'’./-]*|de|del|van|von|der|den|la|le|y|et|und|&|-|–|\|)$")


def _name_line(text: str) -> bool:
    """A line like a name, title or company: a few capitalised words, no sentence ending."""
    words = text.split()
    return 1 <= len(words) <= 5 and not text.endswith((".", "?", "!", ":")) and all(_NAME_WORD.match(w.strip(",;")) for w in words)


def _contact_or_banner(text: str) -> bool:
    if _SIGNATURE_BANNER.search(text[:300]):
        return True
    rest = _CONTACT_TOKENS.sub(" ", text[:300])
    return rest != text[:300] and len(rest.split()) <= 4 and not rest.rstrip().endswith((".", "?", "!"))


def _signature_line(line: str) -> bool:
    text = line.strip().strip("*_ ")
    if _POSTSCRIPT.match(text) or (_FIELD_LINE.match(text) and not _contact_or_banner(text)):
        return False  # "Amount: USD 900.00" is a fact, not a signature
    return _contact_or_banner(text) or (len(text.split()) <= 6 and not text.endswith((".", "?", "!", ":")))


def _signature_block(block: list[str]) -> bool:
    """A paragraph that starts like a signature (a name, a title, contact details or a banner) and holds nothing else."""
    first = block[0].strip().strip("*_ ")
    return (_name_line(first) or _contact_or_banner(first)) and all(_signature_line(ln) for ln in block)


def _without_signature_block(kept: list[str]) -> list[str]:
    """Drops trailing paragraphs made only of signature lines (names, titles, addresses, phones, links, banners)."""
    blocks: list[list[str]] = [[]]
    for line in kept:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    # The first paragraph with words of its own (not a greeting, not HTML remnants) is never dropped.
    first = next((k for k, b in enumerate(blocks) if any(clean_debris(without_greeting(ln)).strip() for ln in b)), len(blocks))
    while len(blocks) > first + 1 and _signature_block(blocks[-1]):
        blocks.pop()
    return [ln for i, b in enumerate(blocks) for ln in ([""] if i else []) + b]
