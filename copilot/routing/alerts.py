"""Alerts to people: what they say, and delivery by email plus an optional Slack-compatible webhook.

An alert is written as a `pending` row in the same transaction as the routing that
raised it, and delivered afterwards. Delivery retries with exponential backoff; after
`alerts.max_attempts` the alert is `failed` and stays listed until someone retries or
acknowledges it, so it is never lost. Each channel records its own success, so a
retry never repeats a channel that already went through.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

from copilot import clock
from copilot.config import Settings
from copilot.errors import InvalidTransition, NotFound, SendError
from copilot.labels import Classification
from copilot.ledger.money import fmt
from copilot.mail.sender import Sender, identity_refusal, new_message_id
from copilot.policy.cadence import bucket_for
from copilot.records import update_audited
from copilot.redact import redact
from copilot.store import Store, dumps, loads
from copilot.wording import person, words

if TYPE_CHECKING:  # routing imports this module; importing it back at run time would be circular
    from copilot.routing.state import CustomerFacts, MessageFacts

Poster = Callable[[str, dict], None]
TITLES = {
    "frustration": "Unhappy customer",
    "bounce": "Reminder bounced",
    "sla_breach": "Dispute past its SLA",
}
MAX_INVOICE_LINES = 10


@dataclass(frozen=True)
class AlertContent:
    subject: str
    body: str
    payload: dict  # Slack-compatible: {"text": ..., "blocks": [...]}
    link: str | None


def reply_link(settings: Settings, message_id: int) -> str:
    return f"{settings.web.base_url.rstrip('/')}/messages/{message_id}"


def compose_alert(
    kind: str,
    customer: "CustomerFacts",
    reason: str,
    settings: Settings,
    message: "MessageFacts | None" = None,
    classification: Classification | None = None,
) -> AlertContent:
    """Pure: the words of an alert: who the customer is, what they owe, what they wrote and how sure we are."""
    title = TITLES.get(kind, kind.replace("_", " ").capitalize())
    if customer.arr is None:
        arr = "not recorded"
    else:  # ARR has no currency of its own; show the account's when its invoices tell us
        arr = fmt(customer.arr, customer.currency) if customer.currency else f"{customer.arr:,.2f}"
    name = " ".join(customer.name.split())  # a line break in a ledger name must not break the Subject header
    subject = f"[Collector Copilot] {title}: {name} ({customer.segment}, ARR {arr})"
    totals = ", ".join(fmt(v, c) for c, v in sorted(customer.open_totals().items())) or "nothing open"
    lines = [
        f"{title}: {reason}",
        "",
        f"Customer: {customer.name} ({customer.id})",
        f"Segment: {customer.segment}   ARR: {arr}",
        f"Account owner: {customer.account_owner_email or 'not recorded'}",
        "",
        f"Open invoices ({len(customer.open_invoices)}, {totals}):",
    ]
    for inv in customer.open_invoices[:MAX_INVOICE_LINES]:
        age = (
            f"{inv.days_past_due} days past due ({bucket_for(inv.days_past_due)})"
            if inv.days_past_due > 0
            else f"due {inv.due_date.isoformat()}"
        )
        lines.append(f"  {inv.number}  {fmt(inv.open_balance, inv.currency):>16}  {age}")
    if len(customer.open_invoices) > MAX_INVOICE_LINES:
        lines.append(f"  … and {len(customer.open_invoices) - MAX_INVOICE_LINES} more")
    link = None
    if message is not None:
        link = reply_link(settings, message.id)
        sender, sent = message.from_addr or "unknown sender", message.sent_at or "date unknown"
        lines += ["", f"Reply from {sender} ({sent}): {message.subject}"]
        if classification is not None:
            flag = ", frustrated" if classification.frustrated else ""
            lines.append(
                f"Classified as {words(classification.label.value)}{flag}, confidence {classification.confidence:.2f}"
            )
            if classification.evidence:
                lines.append(f'Evidence: "{classification.evidence}"')
        lines += [
            "",
            "Excerpt:",
            *[f"> {line}" for line in message.excerpt.splitlines()],
            "",
            f"Open the reply: {link}",
        ]
    body = "\n".join(lines) + "\n"
    return AlertContent(subject, body, _slack_payload(subject, body, link), link)


def _slack_payload(subject: str, body: str, link: str | None) -> dict:
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape_mrkdwn(body)[:2900]}},
    ]
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open the reply"}, "url": link}],
            }
        )
    return {"text": subject, "blocks": blocks}


def _escape_mrkdwn(text: str) -> str:
    # Customer text must not become Slack links or mentions.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def create_alert(
    store: Store,
    kind: str,
    customer_id: str,
    recipients: tuple[str, ...],
    content: AlertContent,
    actor: str,
    reason: str,
    message_id: int | None = None,
) -> int:
    """Queue an alert for delivery (inside the caller's transaction)."""
    now = clock.now_iso()
    row = {
        "customer_id": customer_id,
        "message_id": message_id,
        "kind": kind,
        "recipients_json": dumps(list(recipients)),
        "subject": content.subject,
        "body": content.body,
        "payload_json": dumps(content.payload),
        "dedupe_key": f"{customer_id}:{kind}",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "link": content.link,
    }
    with store.transaction():
        pk = store.db["alerts"].insert(row).last_pk
        store.audit(
            actor,
            "alert",
            pk,
            "raised",
            reason=reason,
            after={"kind": kind, "recipients": list(recipients)},
            customer_id=customer_id,
        )
    return pk


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def post_webhook(url: str, payload: dict, timeout: float = 10) -> None:
    """POST JSON to a Slack-compatible incoming webhook; raise SendError on any failure."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL is validated in settings)
            if not 200 <= response.status < 300:
                raise SendError(f"webhook answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise SendError(f"webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SendError(f"webhook could not be reached: {getattr(exc, 'reason', exc)}") from None


def _email(alert: dict, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((settings.smtp.from_name, settings.smtp.from_address))
    msg["To"] = ", ".join(loads(alert["recipients_json"], []))
    msg["Subject"] = alert["subject"]
    msg["Message-ID"] = new_message_id(settings.smtp)
    msg["Auto-Submitted"] = "auto-generated"  # keeps out-of-office robots from answering alerts
    msg.set_content(alert["body"])
    return msg


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Wait before the next try: base, 2×base, 4×base … capped."""
    seconds = settings.alerts.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.alerts.retry_max_seconds))


def deliver_pending_alerts(
    store: Store, sender: Sender, settings: Settings, *, now: datetime | None = None, post: Poster | None = None
) -> DeliveryReport:
    """Try every pending alert that is due; record each outcome right after its attempt."""
    now = now or clock.now()
    stamp = now.isoformat(timespec="seconds")
    webhook = settings.alerts.webhook_url.get_secret_value() if settings.alerts.webhook_url else None
    timeout = settings.alerts.webhook_timeout_seconds
    post = post or (lambda url, payload: post_webhook(url, payload, timeout))
    report = DeliveryReport()
    due = list(store.db["alerts"].rows_where("status = 'pending' and next_attempt_at <= ?", [stamp], order_by="id"))
    # The same refusal as a reminder's: an account team must not get mail from a placeholder identity either.
    refusal = identity_refusal(sender, settings)
    for alert in due:
        change: dict = {}
        errors: list[str] = []
        if not alert["email_sent_at"] and refusal:
            errors.append(f"email: not sent: {refusal}")
        elif not alert["email_sent_at"]:
            try:
                sender.send(_email(alert, settings))
                change["email_sent_at"] = stamp
            except SendError as exc:
                errors.append(f"email: {exc}")
        if webhook and not alert["webhook_sent_at"]:
            try:
                post(webhook, loads(alert["payload_json"], {}))
                change["webhook_sent_at"] = stamp
            except SendError as exc:
                errors.append(f"webhook: {exc}")
        attempts = alert["attempts"] + 1
        change["attempts"] = attempts
        if not errors:
            change.update(status="sent", sent_at=stamp, last_error=None, next_attempt_at=None)
            report.sent.append(alert["id"])
        elif attempts >= settings.alerts.max_attempts:
            change.update(status="failed", last_error=redact("; ".join(errors)), next_attempt_at=None)
            report.failed.append(alert["id"])
        else:
            retry_at = (now + backoff(attempts, settings)).isoformat(timespec="seconds")
            change.update(last_error=redact("; ".join(errors)), next_attempt_at=retry_at)
            report.retrying.append(alert["id"])
        action = {"sent": "delivered", "failed": "delivery_failed"}.get(change.get("status", ""), "delivery_retry")
        update_audited(store, "alerts", alert["id"], change, actor="alerts", entity="alert", action=action,
                       reason=change.get("last_error"))  # fmt: skip
    return report


def _get(store: Store, alert_id: int) -> dict:
    row = next(store.db["alerts"].rows_where("id = ?", [alert_id]), None)
    if row is None:
        raise NotFound(f"no alert with id {alert_id}")
    return row


def retry_alert(store: Store, alert_id: int, user: str) -> None:
    """Put a failed alert back in the queue with a fresh set of attempts."""
    row = _get(store, alert_id)
    if row["status"] != "failed":
        raise InvalidTransition(f"alert {alert_id} is {row['status']}; only failed alerts can be retried")
    change = {"status": "pending", "attempts": 0, "next_attempt_at": clock.now_iso()}
    update_audited(store, "alerts", alert_id, change, actor=user, entity="alert", action="requeued",
                   reason=f"{person(user)} put the alert back in the delivery queue after it failed.")  # fmt: skip


def acknowledge_alert(store: Store, alert_id: int, user: str) -> None:
    """A person has seen the alert; it leaves the open list (delivery state is kept)."""
    row = _get(store, alert_id)
    if row["acknowledged_at"]:
        raise InvalidTransition(f"alert {alert_id} was already acknowledged by {row['acknowledged_by']}")
    change = {"acknowledged_by": user, "acknowledged_at": clock.now_iso()}
    if row["status"] in ("pending", "failed"):
        change["status"] = "acknowledged"  # a person has it in hand; stop trying to deliver
    update_audited(store, "alerts", alert_id, change, actor=user, entity="alert", action="acknowledged",
                   reason=f"{person(user)} has seen the alert.")  # fmt: skip


def open_alerts(store: Store) -> list[dict]:
    """Alerts a person should see: not yet delivered, failed, or delivered but not acknowledged."""
    return list(
        store.db["alerts"].rows_where(
            "status in ('pending', 'failed') or (status = 'sent' and acknowledged_at is null)", order_by="id desc"
        )
    )
