"""Turn one raw RFC 5322 message into clean, bounded facts: addresses, threading headers, text and attachments.

Parsing never trusts the sender: charsets may lie, MIME may be broken or nested absurdly deep,
and attachments may be huge. Every limit here is there so one hostile message cannot exhaust
memory or time; what cannot be parsed at all raises `ParseError` for the caller to quarantine.
"""

import email
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import EmailPolicy, linesep_splitter
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import html2text

from copilot.errors import ParseError
from copilot.mail.split import split_reply

MSGID_RE = re.compile(r"<[^<>\s]+>")
FOLD_RE = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True)
class ParseLimits:
    """Bounds that keep one message from exhausting memory or time."""

    max_message_bytes: int = 50_000_000
    max_attachment_bytes: int = 1_000_000  # bodies above this are described, not kept
    max_depth: int = 20  # MIME nesting deeper than this is not walked
    max_parts: int = 500
    max_text_chars: int = 200_000  # of the full text kept
    max_reply_input_chars: int = 50_000  # the new text is at the top; splitting needs no more than this


class _PlainHeaders(EmailPolicy):
    """policy.default, except that a header read back is its unfolded text, not a parsed header object.

    Building the structured header objects (each Content-Type the parser and the MIME walk look at)
    cost about three quarters of all parsing time, and intake decodes the headers it uses itself.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        if hasattr(value, "name"):
            return value
        return "".join(linesep_splitter.split(value))


PARSE_POLICY = _PlainHeaders()


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    size: int
    sha256: str | None = None  # only for bodies that were kept
    content: bytes | None = field(default=None, repr=False)  # None when over the size limit

    def meta(self) -> dict:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size,
                "sha256": self.sha256, "kept": self.content is not None}  # fmt: skip


@dataclass
class ParsedMessage:
    """Everything intake needs from one message; `email` is the parsed tree for further checks."""

    raw_sha256: str
    size: int
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_addr: str | None
    from_name: str | None
    to: list[str]
    cc: list[str]
    sent_at: datetime | None
    headers: dict[str, str]
    text_full: str
    text_reply: str
    body_was_html: bool
    attachments: list[Attachment]
    defects: list[str]
    email: EmailMessage = field(repr=False)


def parse_message(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Parse raw bytes into a ParsedMessage; raise ParseError when nothing useful can be read."""
    limits = limits or ParseLimits()
    if not isinstance(raw, (bytes, bytearray)):
        raise ParseError(f"expected the raw message as bytes, got {type(raw).__name__}")
    if len(raw) > limits.max_message_bytes:
        raise ParseError(f"message is {len(raw):,} bytes, over the {limits.max_message_bytes:,}-byte limit")
    if not raw.strip():
        raise ParseError("message is empty (no headers and no body)")
    try:
        msg = email.message_from_bytes(bytes(raw), policy=PARSE_POLICY)
    except RecursionError:
        raise ParseError("MIME structure is nested too deeply to parse") from None
    if not msg.keys():
        raise ParseError("message has no headers")

    defects = [type(d).__name__ for d in msg.defects]
    plain, html, attachments = _collect_parts(msg, limits, defects)
    body_was_html = not plain and bool(html)
    text_full = ("\n\n".join(plain) if plain else "\n\n".join(html_to_text(h) for h in html)).strip()
    text_full = text_full[: limits.max_text_chars]
    from_name, from_addr = _address(header(msg, "From"))

    return ParsedMessage(
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        message_id=_first_msgid(header(msg, "Message-ID")),
        in_reply_to=MSGID_RE.findall(header(msg, "In-Reply-To")),
        references=MSGID_RE.findall(header(msg, "References"))[-50:],
        subject=" ".join(header(msg, "Subject").split()),
        from_addr=from_addr,
        from_name=from_name,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        sent_at=_date(header(msg, "Date")),
        headers=_header_map(msg),
        text_full=text_full,
        text_reply=reply_text(text_full[: limits.max_reply_input_chars], " ".join(header(msg, "Subject").split())),
        body_was_html=body_was_html,
        attachments=attachments,
        defects=defects,
        email=msg,
    )


# -- headers ----------------------------------------------------------------
# Headers are read from their raw text and only encoded words are decoded: the structured
# header objects of policy.default cost far more per message and add nothing intake uses.
def header(msg: Message, name: str) -> str:
    """A header's first value, unfolded, with RFC 2047 encoded words decoded where possible."""
    wanted = name.lower()
    for key, raw in msg.raw_items():
        if key.lower() == wanted:
            return decode_header_value(raw)
    return ""


def decode_header_value(raw: object) -> str:
    """Unfold a raw header value and decode encoded words and stray 8-bit bytes; never raises."""
    text = str(raw)
    if "\n" in text:
        text = FOLD_RE.sub(" ", text)
    text = text.strip()
    if not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text):  # 8-bit bytes kept as surrogates
        data = text.encode("ascii", "surrogateescape")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return text


def _header_map(msg: Message, max_headers: int = 200, max_len: int = 2000) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: set[str] = set()
    for key, raw in itertools.islice(msg.raw_items(), max_headers):
        if key.lower() not in seen:
            seen.add(key.lower())
            out[key] = decode_header_value(raw)[:max_len]
    return out


# `Name <addr>`, `"Name" <addr>` or a bare address: by far the commonest From lines, and
# email.utils.parseaddr spends ~0.1 ms on each. Anything else (groups, comments, quoted
# specials, several addresses) goes to parseaddr.
SIMPLE_ADDRESS = re.compile(r'\s*(?:"([^"\\]*)"|([^"<>,;:()@\\]*?))\s*<([^<>"\s,;:()\\@]+@[^<>"\s,;:()\\@]+)>\s*|\s*([^<>"\s,;:()\\@]+@[^<>"\s,;:()\\@]+)\s*')


def _address(value: str) -> tuple[str | None, str | None]:
    simple = SIMPLE_ADDRESS.fullmatch(value)
    if simple:
        name, addr = (simple.group(1) or simple.group(2) or ""), (simple.group(3) or simple.group(4))
    else:
        name, addr = parseaddr(value)
    addr = addr.strip().lower() if addr and "@" in addr else None
    return (name.strip() or None), addr


def _addresses(msg: Message, name: str) -> list[str]:
    values = [header(msg, name)]
    if not values[0]:
        return []
    simple = SIMPLE_ADDRESS.fullmatch(values[0])
    if simple:
        return [(simple.group(3) or simple.group(4)).strip().lower()]
    return [a.strip().lower() for _, a in getaddresses(values) if a and "@" in a][:100]


def _first_msgid(value: str) -> str | None:
    found = MSGID_RE.search(value)
    if found:
        return found.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# -- body -------------------------------------------------------------------
def _collect_parts(msg: Message, limits: ParseLimits, defects: list[str]) -> tuple[list[str], list[str], list[Attachment]]:
    """Walk the MIME tree without recursion, bounded in depth and part count."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > limits.max_parts:
            defects.append(f"more than {limits.max_parts} MIME parts; the rest were skipped")
            break
        if part.is_multipart():
            if depth >= limits.max_depth:
                defects.append(f"MIME nesting deeper than {limits.max_depth}; inner parts skipped")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html") and (part.get_content_disposition() or "").lower() != "attachment":
            (plain if ctype == "text/plain" else html).append(decode_text(part))
        elif ctype.startswith("multipart/"):
            defects.append("multipart part without a usable boundary")
            plain.append(decode_text(part))
        else:
            attachments.append(_attachment(part, ctype, _filename(part), limits))
    return plain, html, attachments


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, LookupError):
        name = None
    # Plain headers leave RFC 2047 encoded words in a filename; decode them as the other headers are.
    return decode_header_value(name)[:255] if name else None


def _attachment(part: Message, ctype: str, filename: str | None, limits: ParseLimits) -> Attachment:
    encoded = part.get_payload()
    if not isinstance(encoded, str):  # message/rfc822 and similar carry sub-messages, not bytes
        body = part.as_bytes() if len(str(part)) <= limits.max_attachment_bytes * 2 else None
        size = len(body) if body is not None else len(str(part))
    else:
        cte = str(part.get("Content-Transfer-Encoding", "")).lower()
        estimate = len(encoded) * 3 // 4 if "base64" in cte else len(encoded)
        # Decode only what we may keep: a 20 MB attachment is described, never copied around.
        body = part.get_payload(decode=True) if estimate <= limits.max_attachment_bytes * 1.1 else None
        size = len(body) if body is not None else estimate
    if body is not None and len(body) > limits.max_attachment_bytes:
        body = None
    digest = hashlib.sha256(body).hexdigest() if body is not None else None
    return Attachment(filename, ctype, size, digest, body)


def decode_text(part: Message) -> str:
    """Decode a text part, surviving missing, unknown or lying charsets."""
    payload = part.get_payload(decode=True)
    if payload is None:
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    declared = part.get_content_charset() or "us-ascii"
    for charset in (declared, "utf-8"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1252", errors="replace")


def html_to_text(html: str) -> str:
    """Readable text from HTML; scripts, styles and images are dropped."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    return converter.handle(html).strip()


def reply_text(text: str, subject: str = "") -> str:
    """The new text of a reply, without quoted history or signature; the whole text when nothing is split off."""
    if not text.strip():
        return ""
    return split_reply(text, subject)
