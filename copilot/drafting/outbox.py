"""The outbox: draft → approved → sending → sent | failed, with at most one delivery per draft.

How a crash or a retry never sends twice
----------------------------------------
1. Claim. One committed transaction checks the draft against the account's state
   now (`sendcheck`: pauses, payments, bounces; the draft may be rewritten without an
   invoice, withdrawn, or refused back to review) and moves it from `approved` (or
   `failed`, on a retry) to `sending`, only if it is still in that state, storing our
   own Message-ID (kept across retries) and the claiming process (pid and host). Two
   workers cannot both claim a draft, and the Message-ID is on disk before any byte
   reaches the SMTP server.
2. Deliver. SMTP. A refusal (SendError) means the server did not take the mail: the
   draft becomes `failed` with the error, visible and safe to retry.
3. File. APPEND a copy to the IMAP Sent folder.
4. Record. One transaction marks the draft `sent`, stores the outbound row in
   `messages` (so replies match by In-Reply-To), the edit distance and the audit event.

A crash between 2 and 4 leaves the draft in `sending`. Reconciliation (on the next
send of that draft once it has been stuck for `drafting.stuck_send_minutes`, at once
when the claiming process is known to have exited, or `reconcile_sending` at start-up) looks for the Message-ID among our outbound
messages and in the Sent folder. Found: the draft is marked `sent`, nothing is
resent. Not found: the crash may have come after the SMTP server accepted the mail
and before anything was filed, and no SMTP server can be asked what it accepted.
Rather than risk a duplicate, the draft becomes `failed` with "delivery unknown",
and only a person who has checked may resend it (`confirm_not_delivered=True`);
the resend reuses the same Message-ID, so mail clients that saw the first copy
thread or drop the second. At most once, never silently twice.
"""

import os
import socket
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from copilot import clock
from copilot.config import Settings
from copilot.drafting import sendcheck
from copilot.drafting.appender import Appender
from copilot.drafting.render import signature
from copilot.drafting.review import (
    UNKNOWN_DELIVERY,
    approve_draft,
    current_flags,
    draft_facts,
    edit_distance,
    get_draft,  # fmt: skip
    held_until,
    unknown_delivery,
)
from copilot.drafting.summary import update_draft
from copilot.errors import CopilotError, InvalidTransition, MailboxError, SendError
from copilot.mail.sender import FolderSender, Sender, SmtpSender, identity_refusal, new_message_id
from copilot.policy import cadence
from copilot.policy.model import Policy, default_policy
from copilot.policy.pauses import active_pauses, is_paused
from copilot.redact import redact
from copilot.store import Store, dumps, loads


def channel_of(sender: Sender) -> str:
    if isinstance(sender, SmtpSender):
        return "smtp"
    if isinstance(sender, FolderSender):
        return "folder"
    return getattr(sender, "channel", type(sender).__name__)


def build_message(row: dict, settings: Settings) -> EmailMessage:
    """The email for a draft: our Message-ID, threading headers, CCs and the appended signature."""
    facts = draft_facts(row)
    smtp = settings.smtp
    msg = EmailMessage()
    msg["From"] = formataddr((smtp.from_name, smtp.from_address))
    msg["To"] = ", ".join(loads(row["to_json"], []))
    cc = loads(row["cc_json"], [])
    if cc:
        msg["Cc"] = ", ".join(cc)
    if facts.sender.senior and facts.sender.email != smtp.from_address:
        msg["Reply-To"] = formataddr((facts.sender.name, facts.sender.email))
    msg["Subject"] = row["subject"]
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = row["message_id"]
    if row.get("in_reply_to"):
        msg["In-Reply-To"] = row["in_reply_to"]
        refs = loads(row.get("references_json"), []) or [row["in_reply_to"]]
        msg["References"] = " ".join(refs)
    if row.get("auto_send"):
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: tells auto-responders not to answer a robot
    msg["X-Copilot-Draft"] = str(row["id"])
    msg.set_content(f"{row['body'].rstrip()}\n\n{signature(facts.sender, facts.language)}\n")
    return msg


def _audit_send(store: Store, row: dict, actor: str, channel: str, outcome: str, detail: str | None = None) -> None:
    store.audit(actor, "draft", row["id"], f"send_{outcome}", customer_id=row["customer_id"],
                reason=detail, after={"channel": channel, "outcome": outcome, "message_id": row.get("message_id"),
                                      "to": loads(row["to_json"], []), "cc": loads(row["cc_json"], []),
                                      "at": clock.now_iso(), "attempt": row.get("attempts")})  # fmt: skip


class SendRefused(InvalidTransition):
    """The account's state changed under an edited draft; a person decides what goes out."""


class HoldActive(InvalidTransition):
    """The draft is held for Undo: it goes out when the hold ends, unless someone undoes it first."""

    def __init__(self, draft_id: int, until: datetime, now: datetime):
        self.draft_id, self.until = draft_id, until
        left = max(1, int((until - now).total_seconds() + 0.999))
        super().__init__(f"draft {draft_id} is held for Undo until {until.isoformat(timespec='seconds')} "
                         f"({left} s from now); it is sent when the hold ends unless it is undone first")  # fmt: skip


def _active_hold(row: dict, now: datetime) -> datetime | None:
    """The end of the draft's Undo hold if it has not ended yet, else None."""
    until = held_until(row)
    return until if until is not None and now < until else None


def _claim(store: Store, row: dict, actor: str, channel: str, settings: Settings, policy: Policy,
           automatic: bool, cut_hold: bool = False) -> dict:  # fmt: skip
    """Check the draft against the state now and move it to `sending` with its Message-ID, in one transaction.

    The send-time check (`sendcheck.decide`) and the claim commit together, so no reply,
    pause or payment can slip in between. A draft with nothing left to chase is withdrawn
    (`superseded`) and returned unsent; an edited one whose invoices changed goes back to
    review and SendRefused is raised once that is committed. A draft held for Undo is refused
    (HoldActive) unless `cut_hold`, and CCs whose address has hard-bounced are dropped.
    """
    message_id = row["message_id"] or new_message_id(settings.smtp)
    now = clock.now_iso()
    refused: str | None = None
    with store.transaction():
        current = get_draft(store, row["id"])
        if current["status"] != row["status"] or current.get("send_after") != row.get("send_after"):
            raise InvalidTransition(f"draft {row['id']} changed while it was being sent; look at it again")
        until = _active_hold(current, clock.now())
        if until is not None:
            if not cut_hold:
                raise HoldActive(row["id"], until, clock.now())
            left = (until - clock.now()).total_seconds()
            store.audit(actor, "draft", row["id"], "hold_cut_short", customer_id=row["customer_id"],
                        reason=f"sent {left:.0f} s before its Undo hold ended",
                        before={"send_after": current["send_after"]}, after={"sent_from": now})  # fmt: skip
        outcome = sendcheck.decide(store, current, policy, settings, clock.today(), automatic=automatic)
        if outcome.action == "superseded":
            return _withdraw(store, current, actor, outcome.reason or "superseded")
        if outcome.action == "refused":
            change = {**outcome.change, "status": "draft", "approved_by": None, "approved_at": None,
                      "note": f"Not sent: {outcome.reason}", "updated_at": now}  # fmt: skip
            update_draft(store, row["id"], change)
            store.audit(actor, "draft", row["id"], "send_refused", reason=outcome.reason, customer_id=row["customer_id"],
                        before={"status": current["status"]}, after={"status": "draft"})  # fmt: skip
            refused = outcome.reason
        else:
            if outcome.action == "rewritten":
                update_draft(store, row["id"], {**outcome.change, "updated_at": now})
                store.audit(actor, "draft", row["id"], "rewritten_at_send", reason=outcome.reason,
                            customer_id=row["customer_id"],
                            before={"invoices": loads(current["invoice_numbers_json"], []), "tier": current["tier"]},
                            after={"invoices": loads(outcome.change["invoice_numbers_json"], []),
                                   "tier": outcome.change["tier"]})  # fmt: skip
            dropped = _drop_bounced_cc(store, {**current, **outcome.change}, actor)
            cur = store.conn.execute(
                "update drafts set status = 'sending', message_id = ?, attempts = coalesce(attempts, 0) + 1, "
                "sent_by = ?, last_error = null, sending_pid = ?, sending_host = ?, updated_at = ? "
                "where id = ? and status = ?",
                [message_id, actor, os.getpid(), socket.gethostname(), now, row["id"], row["status"]],
            )
            if cur.rowcount != 1:
                raise InvalidTransition(f"draft {row['id']} changed while it was being sent; look at it again")
            claimed = get_draft(store, row["id"])
            if dropped:
                claimed["cc_dropped"] = dropped  # the send result says who was left out, as the audit does
            _audit_send(store, claimed, actor, channel, "started")
    if refused:
        raise SendRefused(f"draft {row['id']} was not sent: {refused}")
    return claimed


def _drop_bounced_cc(store: Store, row: dict, actor: str) -> list[str]:
    """Take the CCs whose address has hard-bounced off the draft, with a note and an audit event (inside the claim)."""
    cc = loads(row["cc_json"], []) or []
    dropped = sendcheck.hard_bounced(store, cc)
    if not dropped:
        return []
    kept = [a for a in cc if a not in dropped]
    said = f"Not copied to {', '.join(dropped)}: the address has hard-bounced."
    note = " ".join(n for n in (row.get("note"), said) if n)
    update_draft(store, row["id"], {"cc_json": dumps(kept), "note": note})
    store.audit(actor, "draft", row["id"], "cc_dropped", reason=said, customer_id=row["customer_id"],
                before={"cc": cc}, after={"cc": kept, "dropped": dropped})  # fmt: skip
    return dropped


def _withdraw(store: Store, row: dict, actor: str, reason: str) -> dict:
    """Withdraw a draft the account's state has overtaken; it is never sent (runs inside the claim)."""
    change = {"status": "superseded", "superseded_reason": reason, "auto_send": 0, "updated_at": clock.now_iso()}
    update_draft(store, row["id"], change)
    store.audit(actor, "draft", row["id"], "superseded", reason=reason, customer_id=row["customer_id"],
                before={"status": row["status"], "invoices": loads(row["invoice_numbers_json"], [])},
                after={"status": "superseded"})  # fmt: skip
    return {**row, **change}


def owner_gone(row: dict) -> bool:
    """True when the process that claimed this send ran on this host and has exited (so nothing is in flight)."""
    pid, host = row.get("sending_pid"), row.get("sending_host")
    if not pid or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return False  # this very process: the send may be in flight on another thread
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's live process
    return False


def _record_sent(store: Store, row: dict, msg: EmailMessage, actor: str, channel: str, note: str | None) -> dict:
    distance = edit_distance(row["original_body"], row["body"])
    now = clock.now_iso()
    change = {"status": "sent", "sent_at": now, "edit_distance": distance, "updated_at": now, "last_error": None}
    with store.transaction():
        update_draft(store, row["id"], change)
        _record_outbound(store, row, msg, now)
        sent = {**row, **change}
        _audit_send(store, sent, actor, channel, "sent", note)
        store.audit(actor, "draft", row["id"], "feedback", customer_id=row["customer_id"],
                    after={"edit_distance": distance, "generator": row["generator"], "tone_hint": row["tone_hint"]})  # fmt: skip
    return sent


def _record_outbound(store: Store, row: dict, msg: EmailMessage, sent_at: str) -> None:
    """The sent mail as an outbound message, so intake can match replies to it by In-Reply-To."""
    if next(store.db["messages"].rows_where("direction = 'outbound' and message_id = ?", [row["message_id"]]), None):
        return
    from_name, from_addr = parseaddr(str(msg["From"]))
    store.db["messages"].insert({
        "direction": "outbound", "mailbox": "outbox", "message_id": row["message_id"],
        "dedupe_key": f"outbound:{row['message_id']}", "in_reply_to": row.get("in_reply_to"),
        "references_json": row.get("references_json"), "subject": row["subject"],
        "from_addr": from_addr.lower(), "from_name": from_name, "to_json": row["to_json"], "cc_json": row["cc_json"],
        "sent_at": sent_at, "received_at": sent_at, "text_full": msg.get_content(), "text_reply": row["body"],
        "customer_id": row["customer_id"], "invoice_numbers_json": row["invoice_numbers_json"],
        "status": "sent", "draft_id": row["id"], "created_at": sent_at,
    })  # fmt: skip


def _fail(store: Store, row: dict, actor: str, channel: str, error: str) -> dict:
    now, error = clock.now_iso(), redact(error)  # an SMTP error may quote a configured secret
    with store.transaction():
        update_draft(store, row["id"], {"status": "failed", "last_error": error, "updated_at": now})
        failed = {**row, "status": "failed", "last_error": error}
        _audit_send(store, failed, actor, channel, "failed", error)
    return failed


def send_draft(
    store: Store,
    draft_id: int,
    sender: Sender,
    settings: Settings,
    actor: str,
    appender: Appender | None = None,
    *,
    confirm_not_delivered: bool = False,
    policy: Policy | None = None,
    automatic: bool = False,
    cut_hold: bool = False,
) -> dict:
    """Send one approved (or failed, to retry) draft; returns the draft row. Never delivers a draft twice.

    The draft is checked against the account's state at the moment it is claimed (see `_claim`):
    it may come back `superseded` (withdrawn, not sent), or SendRefused may be raised. A draft held
    for Undo raises HoldActive until its hold ends; `cut_hold` sends it at once, and the audit records
    that its hold was cut short. CCs that have hard-bounced are left out (`cc_dropped` in the result).
    """
    if store.conn.tx_depth:
        raise CopilotError("send_draft must not run inside a transaction: the 'sending' mark has to be committed first")
    row = get_draft(store, draft_id)
    channel = channel_of(sender)
    if row["status"] in ("sent", "superseded"):
        return row
    problem = identity_refusal(sender, settings)
    if problem:
        raise SendRefused(f"draft {draft_id} was not sent: {problem}")
    until = _active_hold(row, clock.now())
    if until is not None and not cut_hold:
        raise HoldActive(draft_id, until, clock.now())
    if row["status"] == "sending":
        stuck = timedelta(minutes=settings.drafting.stuck_send_minutes)
        if clock.now() - _updated(row) < stuck and not owner_gone(row):
            raise InvalidTransition(f"draft {draft_id} is being sent right now")
        row = reconcile_draft(store, row, actor, appender, settings)
        if row["status"] == "sent":
            return row
    if row["status"] == "failed":
        if unknown_delivery(row) and not confirm_not_delivered:
            raise InvalidTransition(f"draft {draft_id} may already have been delivered ({row['last_error']}); "
                                    "check the recipient's mailbox, then retry with confirmation")  # fmt: skip
    elif row["status"] != "approved":
        raise InvalidTransition(f"draft {draft_id} is {row['status']}; approve it before sending")
    row = _claim(store, row, actor, channel, settings, policy or default_policy(), automatic, cut_hold)
    if row["status"] == "superseded":
        return row
    msg = build_message(row, settings)
    try:
        sender.send(msg)
    except SendError as exc:
        return _fail(store, row, actor, channel, str(exc))
    note = None
    if appender is not None:
        try:
            appender.append(settings.imap.sent_folder, bytes(msg))
        except MailboxError as exc:
            note = f"delivered, but the copy in {settings.imap.sent_folder} was not saved: {exc}"
    return _record_sent(store, row, msg, actor, channel, note)


def _updated(row: dict) -> datetime:
    return datetime.fromisoformat(row["updated_at"])


def reconcile_draft(store: Store, row: dict, actor: str, appender: Appender | None, settings: Settings) -> dict:
    """Settle a draft left in `sending`: sent if its Message-ID is on file, else failed with delivery unknown."""
    mid = row["message_id"]
    found = next(store.db["messages"].rows_where("direction = 'outbound' and message_id = ?", [mid]), None)
    where = "outbound messages" if found else None
    if not where and appender is not None:
        try:
            if appender.contains(settings.imap.sent_folder, mid):
                where = f"the {settings.imap.sent_folder} folder"
        except MailboxError as exc:
            why = f"{UNKNOWN_DELIVERY}: interrupted while sending, and the Sent folder could not be searched ({exc})"
            return _fail(store, row, actor, "reconcile", why)
    if where:
        now = clock.now_iso()
        change = {"status": "sent", "sent_at": now, "updated_at": now, "last_error": None,
                  "edit_distance": edit_distance(row["original_body"], row["body"])}  # fmt: skip
        with store.transaction():
            update_draft(store, row["id"], change)
            _record_outbound(store, row, build_message(row, settings), now)
            _audit_send(store, {**row, **change}, actor, "reconcile", "sent", f"found {mid} in {where}; not resent")
        return {**row, **change}
    return _fail(store, row, actor, "reconcile",
                 f"{UNKNOWN_DELIVERY}: interrupted while sending and {mid} is not in the Sent folder or our "
                 "outbound mail; it was not resent automatically")  # fmt: skip


def reconcile_sending(store: Store, settings: Settings, actor: str, appender: Appender | None = None,
                      *, older_than: timedelta | None = None) -> list[dict]:  # fmt: skip
    """Settle every draft stuck in `sending` (run at start-up, when no send can be in flight)."""
    cutoff = clock.now() - (older_than if older_than is not None else timedelta(minutes=settings.drafting.stuck_send_minutes))
    stuck = [r for r in store.db["drafts"].rows_where("status = 'sending'") if _updated(r) <= cutoff or owner_gone(r)]
    return [reconcile_draft(store, r, actor, appender, settings) for r in stuck]


def send_auto_drafts(
    store: Store,
    sender: Sender,
    settings: Settings,
    policy: Policy,
    appender: Appender | None = None,
    actor: str = "auto-send",
) -> list[dict]:
    """Send the drafts the plan marked for auto-send, re-checking tier, policy, pauses, guardrails and caps first.

    Resumes after a crash: a draft this actor approved but did not get to send is sent now, and
    one left in `sending` by a process that has gone is settled first (`reconcile_sending`).
    """
    today = clock.today()
    results = []
    reconcile_sending(store, settings, actor, appender)
    waiting = store.db["drafts"].rows_where(
        "auto_send = 1 and (status = 'draft' or (status = 'approved' and approved_by = ?))", [actor], order_by="id")
    for row in list(waiting):
        if _active_hold(row, clock.now()) is not None:
            continue  # held for Undo by a person: it goes out when its hold ends (`release_due_holds`)
        reason = auto_send_blocker(store, row, policy, today)
        if reason:
            with store.transaction():
                update_draft(store, row["id"], {"auto_send": 0, "updated_at": clock.now_iso()})
                store.audit(actor, "draft", row["id"], "auto_send_withheld", reason=reason, customer_id=row["customer_id"])
            continue
        if row["status"] == "draft":
            approve_draft(store, row["id"], actor, policy=policy)
        results.append(send_draft(store, row["id"], sender, settings, actor, appender, policy=policy, automatic=True))
    return results


def auto_send_blocker(store: Store, row: dict, policy: Policy, today: date) -> str | None:
    """Why this draft may not go out without a person, or None."""
    if row["kind"] != "reminder" or row["tier"] != 1 or not cadence.auto_send_allowed(row["tier"], row["segment"], policy):
        return "the policy does not allow automatic sending for this draft"
    if current_flags(row, policy):
        return "the draft fails a guardrail"
    pauses = active_pauses(store, row["customer_id"], today)
    if any(is_paused(pauses, n, "auto_send") for n in loads(row["invoice_numbers_json"], [])):
        return "automatic sending is paused for this customer"
    contact_today, account_week = _sent_counts(store, row, today)
    if not cadence.within_caps(contact_today, account_week, policy):
        return "the contact or account cap is reached"
    return None


def _sent_counts(store: Store, row: dict, today: date) -> tuple[int, int]:
    week = cadence.week_start(today).isoformat()
    day = today.isoformat()
    contact = store.db.execute(
        "select count(*) from drafts where status = 'sent' and contact_email = ? and substr(sent_at, 1, 10) = ?",
        [row["contact_email"], day]).fetchone()[0]  # fmt: skip
    account = store.db.execute(
        "select count(*) from drafts where status = 'sent' and customer_id = ? and substr(sent_at, 1, 10) between ? and ?",
        [row["customer_id"], week, day]).fetchone()[0]  # fmt: skip
    return contact, account
