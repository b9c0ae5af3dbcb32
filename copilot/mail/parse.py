"""Turn one raw RFC 5322 message into clean, bounded facts: addresses, threading headers, text and attachments.

Parsing never trusts the sender: charsets may lie, MIME may be broken or nested absurdly deep,
and attachments may be huge. Every limit here is there so one hostile message cannot exhaust
memory or time; what cannot be parsed at all raises `ParseError` for the caller to quarantine.
"""

import binascii
import codecs
import email
import email.parser
import hashlib
import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.policy import EmailPolicy, linesep_splitter
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import html2text

from copilot.errors import ParseError
from copilot.mail.budget import BudgetExceeded, checkpoint
from copilot.mail.split import split_reply
from copilot.mail.visible import visible_html

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
    max_multiparts: int = 50  # multipart containers parsed as MIME; past this the body is read as text
    max_html_chars: int = 2_000_000  # of each HTML part turned into text; markup is bulky, the text kept is capped anyway
    max_html_tags: int = 10_000  # HTML with more tags is stripped of markup instead of rendered, and goes to review


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
    review_reason: str | None = None  # why parsing stopped short (budget spent, MIME too complex); such mail goes to review


def parse_message(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Parse raw bytes into a ParsedMessage; raise ParseError when nothing useful can be read."""
    limits = limits or ParseLimits()
    if not isinstance(raw, (bytes, bytearray)):
        raise ParseError(f"expected the raw message as bytes, got {type(raw).__name__}")
    if len(raw) > limits.max_message_bytes:
        raise ParseError(f"message is {len(raw):,} bytes, over the {limits.max_message_bytes:,}-byte limit")
    if not raw.strip():
        raise ParseError("message is empty (no headers and no body)")
    data = _clean_header_section(bytes(raw))
    # The stdlib parser's cost grows with the square of multipart nesting (10 s at a depth of 1,000), and
    # the budget cannot interrupt it. Ordinary mail has a handful of multipart containers; past the cap the
    # headers are parsed and the body is kept as text, for a person to read.
    containers = len(_BOUNDARY_PARAM.findall(data, 0, limits.max_message_bytes))
    flattened = containers > limits.max_multiparts
    try:
        msg = email.message_from_bytes(data, policy=PARSE_POLICY) if not flattened else _headers_only(data)
    except RecursionError:
        raise ParseError("MIME structure is nested too deeply to parse") from None
    if not msg.keys():
        raise ParseError("message has no headers")

    defects = [type(d).__name__ for d in msg.defects]
    if flattened:
        defects.append(f"{containers} multipart containers, over the {limits.max_multiparts} read; the body was kept as plain text")
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    text_full = ""
    text_reply: str | None = None
    review_reason: str | None = None
    try:  # each step is bounded by a cap; the budget stops the later ones when a message is slow anyway
        checkpoint("reading the MIME parts")
        if flattened:
            review_reason = defects[-1]
            plain = [decode_bytes(data[header_end(data) :][: limits.max_text_chars * 2], "utf-8")]
        else:
            plain, html, attachments = _collect_parts(msg, limits, defects)
        checkpoint("turning HTML into text")
        if not plain and any(h.count("<", 0, limits.max_html_chars) > limits.max_html_tags for h in html):
            # Turning HTML into text costs time per tag; past the cap the tags are stripped in one linear pass
            # instead, which cannot tell hidden text from visible, so a person reads the message.
            review_reason = f"HTML with more than {limits.max_html_tags:,} tags was read without its markup"
            defects.append(review_reason)
            text_full = "\n\n".join(_strip_tags(h[: limits.max_html_chars]) for h in html).strip()
        else:
            text_full = ("\n\n".join(plain) if plain else "\n\n".join(html_to_text(h[: limits.max_html_chars]) for h in html)).strip()
        text_full = text_full[: limits.max_text_chars]
        checkpoint("splitting off quoted history")
        text_reply = reply_text(text_full[: limits.max_reply_input_chars], " ".join(header(msg, "Subject").split()))
    except BudgetExceeded as exc:
        review_reason = str(exc)
        defects.append(review_reason)
    if text_reply is None:
        text_full = text_full or "\n\n".join(plain)[: limits.max_text_chars].strip()
        text_reply = text_full[: limits.max_reply_input_chars]
    body_was_html = not plain and bool(html)
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
        text_reply=text_reply,
        body_was_html=body_was_html,
        attachments=attachments,
        defects=defects,
        email=msg,
        review_reason=review_reason,
    )


_BOUNDARY_PARAM = re.compile(rb"boundary\s*=", re.IGNORECASE)


def _headers_only(data: bytes) -> Message:
    return email.parser.BytesParser(policy=PARSE_POLICY).parsebytes(data[: header_end(data)] + b"\r\n\r\n", headersonly=True)


def header_end(raw: bytes) -> int:
    """Where the header section ends (the first empty line), or the length when there is none."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else len(raw)


_HEADER_NAME = re.compile(rb"^([^:\r\n]{1,200}):", re.M)
_NAME_JUNK = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f-\xff]")


def _clean_header_section(raw: bytes) -> bytes:
    """The message with NULs dropped from its header section and stray bytes from its header names.

    A NUL (or the 0x80 some servers store for it) in a header name makes the parser stop reading
    headers and take the rest for the body; a NUL in a value breaks charset lookups. No header has
    a use for either, so they are dropped before parsing (the raw hash still covers the bytes as sent).
    """
    end = header_end(raw)
    head = raw[:end]
    if head.isascii() and b"\x00" not in head:
        return raw
    head = head.replace(b"\x00", b"")

    def fix(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name[:1] in (b" ", b"\t") or not _NAME_JUNK.search(name):
            return m.group(0)  # a folded continuation line, or a clean name
        cleaned = _NAME_JUNK.sub(b"", name)
        return cleaned + b":" if cleaned else m.group(0)

    return _HEADER_NAME.sub(fix, head) + raw[end:]


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
    """Unfold a raw header value and decode encoded words and stray 8-bit bytes; never raises.

    Encoded words are decoded here rather than by `email.header`, which raises on a charset name
    holding a stray byte (`=?utf-8\x80?B?...?=`) and decodes `punycode` or `undefined` into garbage
    or not at all. A charset that names no text encoding falls back to UTF-8, then cp1252.
    """
    text = str(raw)[:MAX_HEADER_CHARS]
    if "\x00" in text:
        text = text.replace("\x00", "")
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
    return _decode_encoded_words(text)


MAX_HEADER_CHARS = 200_000  # a header value longer than this is cut before it is decoded
_ENCODED_WORD = re.compile(r"=\?([^?\s]{0,80})\?([bBqQ])\?([^?\s]*)\?=")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
# Codecs Python knows that are not character sets a mail client would use; their names in mail are
# mistakes or attacks, so the text is read as if the charset were unknown.
_NOT_CHARSETS = frozenset({"punycode", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "mbcs", "oem"})


def text_codec(name: str | None) -> str | None:
    """The Python codec for a MIME charset name, or None when it names no usable text encoding."""
    if not name:
        return None
    clean = "".join(ch for ch in str(name) if ch.isascii() and ch.isprintable()).strip().strip("\"'").lower()
    clean = clean.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if not clean:
        return None
    try:
        info = codecs.lookup(clean)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_CHARSETS:
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset, best effort: the charset, else UTF-8, else cp1252 with replacements."""
    codec = text_codec(charset)
    for name in (codec, "utf-8"):
        if name is None:
            continue
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    data = payload.encode("ascii", "replace")
    if encoding in "bB":
        data = _BASE64_JUNK.sub(b"", data)
        data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data + b"=" * (-len(data) % 4)
        try:
            data = binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            return payload
    else:
        data = _Q_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))
    return decode_bytes(data, charset).replace("\x00", "")


def _decode_encoded_words(text: str) -> str:
    """RFC 2047: decode each encoded word; whitespace between two adjacent encoded words is dropped."""
    out: list[str] = []
    pos = 0
    for m in _ENCODED_WORD.finditer(text):
        gap = text[pos : m.start()]
        if pos == 0 or gap.strip():  # keep text before the first word and any non-blank text between words
            out.append(gap)
        out.append(_decode_word(m.group(1), m.group(2), m.group(3)))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


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
    """Decode a text part, surviving missing, unknown, lying or non-text charsets."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError):
        payload = None
    if payload is None:
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    try:
        declared = part.get_param("charset")
    except (ValueError, TypeError, LookupError):
        declared = None
    if isinstance(declared, tuple):  # RFC 2231 form: (charset, language, value)
        declared = declared[0] or declared[2]
    return decode_bytes(payload, str(declared) if declared else "us-ascii").replace("\x00", "")


def html_to_text(html: str) -> str:
    """The text a reader sees: hidden elements, invisible text, comments, scripts, styles and images are dropped."""
    html = visible_html(html)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    return converter.handle(html).strip()


_TAG = re.compile(r"<[^<>]{0,4000}>|<")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _strip_tags(markup: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()


def reply_text(text: str, subject: str = "") -> str:
    """The new text of a reply, without quoted history or signature; the whole text when nothing is split off."""
    if not text.strip():
        return ""
    return split_reply(text, subject)
