"""Store one inbound message: parse, spot automatic mail, match to the ledger, write it with its audit trail.

Callers run `store_inbound` inside a transaction together with the cursor advance, so a
message is either fully recorded (with its cursor step) or not at all. Mail that cannot be
parsed goes to `quarantine` with its error instead, where collectors can see it.
"""

import hashlib
import logging
from dataclasses import dataclass, field

from copilot import clock
from copilot.mail.autoreply import AutoReply, detect
from copilot.mail.budget import Budget, BudgetFactory, within
from copilot.mail.matching import Match, MatchInput, match_message
from copilot.mail.parse import ParsedMessage, ParseLimits, decode_header_value, header_end, parse_message
from copilot.routing.alerts import AlertContent, create_alert
from copilot.store import Store, dumps

log = logging.getLogger("copilot.mail.intake")
RAW_HEAD_BYTES = 65536


@dataclass(frozen=True)
class Location:
    """Where a message was read: (mailbox, folder, UIDVALIDITY, UID)."""

    mailbox: str
    folder: str
    uidvalidity: int
    uid: int


@dataclass
class IntakeContext:
    """What storing needs besides the message: limits, our own domains and who hears about bounces."""

    store: Store
    limits: ParseLimits = field(default_factory=ParseLimits)
    ours: frozenset[str] = frozenset()
    alert_recipients: list[str] = field(default_factory=list)
    bounce_alerts: bool = True  # False where triage routes each reply: routing then raises a fuller alert
    actor: str = "intake"
    budget: BudgetFactory = Budget  # a fresh time budget for each message parsed


@dataclass(frozen=True)
class Outcome:
    kind: str  # stored | duplicate | quarantined
    row_id: int
    status: str | None = None  # the stored message's status: pending | unmatched


def dedupe_key(message_id: str | None, raw_sha256: str) -> str:
    """Message-ID plus the raw hash: a reused Message-ID with other content is still new mail."""
    return hashlib.sha256(f"{message_id or ''}\n{raw_sha256}".encode()).hexdigest()


def store_inbound(ctx: IntakeContext, raw: bytes, loc: Location) -> Outcome:
    """Parse and store one message (call inside a transaction); raise ParseError for quarantine."""
    with within(ctx.budget()):
        parsed = parse_message(raw, ctx.limits)
    key = dedupe_key(parsed.message_id, parsed.raw_sha256)
    existing = ctx.store.conn.execute("select id from messages where dedupe_key = ?", [key]).fetchone()
    if existing:
        return Outcome("duplicate", existing[0])
    auto = detect(parsed)
    refs = [*parsed.in_reply_to, *parsed.references]
    if auto and auto.original_message_id:
        refs.append(auto.original_message_id)
    facts = MatchInput(refs, parsed.subject, [parsed.text_reply, parsed.text_full], parsed.from_addr)
    match = match_message(ctx.store, facts, ctx.ours)
    status = "pending" if match.matched else "unmatched"
    row = _message_row(parsed, loc, key, auto, match, status)
    msg_id = ctx.store.insert("messages", row)
    _keep_attachments(ctx, parsed, msg_id)
    ctx.store.audit(
        ctx.actor, "message", msg_id, "received",
        reason=f"matched by {match.rule}" if match.matched else "no rule matched; queued as unmatched",
        after={"status": status, "match_rule": match.rule, "invoices": match.invoice_numbers,
               "auto_reply_kind": auto.kind if auto else None, "uid": loc.uid, "folder": loc.folder},
        customer_id=match.customer_id,
    )  # fmt: skip
    if auto and auto.kind == "bounce" and auto.bounced:
        record_bounce(ctx, msg_id, auto, match.customer_id)
    return Outcome("stored", msg_id, status)


def _message_row(parsed: ParsedMessage, loc: Location, key: str, auto: AutoReply | None, match: Match, status: str) -> dict:
    return {
        "direction": "inbound",
        "mailbox": loc.mailbox,
        "folder": loc.folder,
        "uidvalidity": loc.uidvalidity,
        "uid": loc.uid,
        "message_id": parsed.message_id,
        "dedupe_key": key,
        "raw_sha256": parsed.raw_sha256,
        "in_reply_to": parsed.in_reply_to[0] if parsed.in_reply_to else None,
        "references_json": dumps(parsed.references),
        "subject": parsed.subject,
        "from_addr": parsed.from_addr,
        "from_name": parsed.from_name,
        "to_json": dumps(parsed.to),
        "cc_json": dumps(parsed.cc),
        "sent_at": parsed.sent_at.isoformat() if parsed.sent_at else None,
        "received_at": clock.now_iso(),
        "headers_json": dumps(parsed.headers),
        "text_full": parsed.text_full,
        "text_reply": parsed.text_reply,
        "body_was_html": int(parsed.body_was_html),
        "attachments_json": dumps([a.meta() for a in parsed.attachments]),
        "size": parsed.size,
        "is_auto_reply": int(auto is not None),
        "auto_reply_kind": auto.kind if auto else None,
        "bounced_recipients_json": dumps(auto.bounced) if auto and auto.kind == "bounce" else None,
        "customer_id": match.customer_id,
        "invoice_numbers_json": dumps(match.invoice_numbers),
        "match_rule": match.rule,
        "status": status,
        "review_reason": parsed.review_reason,
        "created_at": clock.now_iso(),
    }


def _keep_attachments(ctx: IntakeContext, parsed: ParsedMessage, msg_id: int) -> None:
    rows = [
        {"message_id": msg_id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
         "sha256": a.sha256, "content": a.content, "created_at": clock.now_iso()}
        for a in parsed.attachments if a.content is not None
    ]  # fmt: skip
    for row in rows:
        ctx.store.insert("attachments", row)


def record_bounce(ctx: IntakeContext, msg_id: int, auto: AutoReply, customer_id: str | None) -> None:
    """Mark bouncing contacts and, unless routing will, queue one alert for the collector."""
    db = ctx.store.db
    now = clock.now_iso()
    # The same reason text routing writes, so routing sees the mark as its own and can undo it.
    reason_text = f"bounce in message {msg_id}"
    owners: list[str] = []
    for address in auto.bounced:
        for contact in db["contacts"].rows_where("lower(email) = ?", [address]):
            owners.append(contact["customer_id"])
            if contact["status"] == "bouncing":
                continue
            db["contacts"].update(contact["id"], {"status": "bouncing", "status_reason": reason_text, "updated_at": now})
            ctx.store.audit(ctx.actor, "contact", contact["id"], "marked_bouncing", reason=f"{auto.reason}; {reason_text}",
                            before={"status": contact["status"]}, after={"status": "bouncing"},
                            customer_id=contact["customer_id"])  # fmt: skip
    if not ctx.bounce_alerts:
        return
    who = ", ".join(auto.bounced)
    original = auto.original_subject or auto.original_message_id or "a message we sent"
    subject = f"[Collector Copilot] Bounce: mail to {who} bounced"
    body = (f"Mail to {who} bounced permanently ({auto.reason}).\nOriginal: {original}\n"
            "Find a working billing address for this customer.")  # fmt: skip
    create_alert(ctx.store, "bounce", customer_id or (owners[0] if owners else None),  # type: ignore[arg-type]
                 tuple(ctx.alert_recipients), AlertContent(subject, body, {"text": f"{subject}. {body}"}, None),
                 ctx.actor, reason_text, message_id=msg_id)  # fmt: skip


def quarantine(ctx: IntakeContext, raw: bytes, loc: Location, error: str) -> int:
    """Keep an unprocessable message, its location and error where collectors can see it (call inside a transaction).

    Nothing here depends on parsing the message: the bytes are kept as they came, and Message-ID,
    Subject and From are read best-effort from the raw header lines. Should even that fail, the
    entry is written with the location, size and error alone.
    """
    table = ctx.store.db["quarantine"]
    found = next(table.rows_where("mailbox = ? and folder = ? and uidvalidity = ? and uid = ?",
                                  [loc.mailbox, loc.folder, loc.uidvalidity, loc.uid], select="id"), None)  # fmt: skip
    if found:
        return found["id"]
    raw = bytes(raw) if isinstance(raw, (bytes, bytearray)) else b""
    row = {"mailbox": loc.mailbox, "folder": loc.folder, "uidvalidity": loc.uidvalidity, "uid": loc.uid,
           "error": error[:2000], "size": len(raw), "raw_head": raw[:RAW_HEAD_BYTES], "raw": raw, "status": "open",
           "created_at": clock.now_iso()}  # fmt: skip
    head = head_fields(raw)
    try:
        with ctx.store.transaction():
            qid = table.insert({**row, "message_id": head.get("message_id"), "subject": head.get("subject"),
                                "from_addr": head.get("from")}).last_pk  # fmt: skip
    except Exception as exc:  # noqa: BLE001 -- a header value the store refuses must not keep the entry out
        log.warning("quarantine entry for %s/%s uid %s kept without header fields: %s", loc.mailbox, loc.folder, loc.uid, exc)
        qid = table.insert(row).last_pk
    ctx.store.audit(ctx.actor, "quarantine", qid, "quarantined", reason=error[:500])
    log.warning("quarantined %s/%s uid %s: %s", loc.mailbox, loc.folder, loc.uid, error)
    return qid


_HEAD_FIELDS = {"message-id": "message_id", "subject": "subject", "from": "from"}


def head_fields(raw: bytes) -> dict[str, str | None]:
    """Best-effort Message-ID, Subject and From read straight from the header lines; never raises.

    No MIME parser is involved, so a message that broke parsing still shows who sent what.
    """
    try:
        block = raw[: min(header_end(raw[:RAW_HEAD_BYTES]), RAW_HEAD_BYTES)].decode("ascii", "surrogateescape")
        found: dict[str, str] = {}
        current: str | None = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                if current is not None:
                    found[current] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            key = _HEAD_FIELDS.get(name.strip().lower()) if sep else None
            current = key if key is not None and key not in found else None
            if current is not None:
                found[current] = value.strip()
        return {key: (_best_effort(value)[:500] or None) for key, value in found.items()}
    except Exception:  # noqa: BLE001 -- the quarantine path must not fail on the message it is keeping
        return {}


def _best_effort(value: str) -> str:
    try:
        return decode_header_value(value)
    except Exception:  # noqa: BLE001 -- fall back to the raw text with undecodable bytes shown as '?'
        return value.encode("utf-8", "replace").decode("utf-8", "replace").replace("\x00", "")
