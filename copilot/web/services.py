"""Every state change the web UI makes goes through this module.

The routes never write to the store themselves: they call these functions, which
call the routing, drafting and intake libraries by their agreed names. Keeping the
calls in one place means a renamed function is fixed here and nowhere else.
"""

from datetime import date, timedelta
from decimal import Decimal

from copilot import clock
from copilot.config import Settings
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.labels import Classification, Label
from copilot.pauses import add_pause, lift_pause, lift_pauses_from
from copilot.policy import Policy
from copilot.sender import make_sender, new_message_id
from copilot.store import Store, dumps, loads
from copilot.web.deps import User

PAUSE_REASONS = ("manual", "dispute", "promise", "paid", "request", "frustration", "snooze")
TONES = ("warmer", "firmer")


def _row(store: Store, table: str, pk: int | str, what: str) -> dict:
    row = next(store.db[table].rows_where(f"{store.db[table].pks[0]} = ?", [pk]), None)
    if row is None:
        raise NotFound(f"no {what} with id {pk}")
    return row


# -- drafts ------------------------------------------------------------------
def _draft(store: Store, draft_id: int, *allowed: str) -> dict:
    draft = _row(store, "drafts", draft_id, "draft")
    if allowed and draft["status"] not in allowed:
        raise InvalidTransition(f"draft {draft_id} is {draft['status']}; this needs it to be {' or '.join(allowed)}")
    return draft


def edit_draft(store: Store, draft_id: int, subject: str, body: str, user: User) -> None:
    """Save the collector's edits to a draft that has not been sent."""
    draft = _draft(store, draft_id, "draft")
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise CopilotError("a draft needs a subject and a body")
    if subject == draft["subject"] and body == draft["body"]:
        return
    change = {"subject": subject, "body": body, "updated_at": clock.now_iso()}
    with store.transaction():
        store.db["drafts"].update(draft_id, change)
        store.audit(user.actor, "draft", draft_id, "edited", before={"subject": draft["subject"], "body": draft["body"]},
                    after={"subject": subject, "body": body}, customer_id=draft["customer_id"])  # fmt: skip


def approve_and_send(store: Store, draft_id: int, user: User, settings: Settings) -> str:
    """Approve a draft and hand it to the outbox; returns the resulting status (sent or failed)."""
    draft = _draft(store, draft_id, "draft", "approved", "failed")
    if draft["status"] == "draft":
        with store.transaction():
            change = {"status": "approved", "approved_by": user.actor, "approved_at": clock.now_iso()}
            store.db["drafts"].update(draft_id, change)
            store.audit(user.actor, "draft", draft_id, "approved", before={"status": "draft"}, after=change,
                        customer_id=draft["customer_id"])  # fmt: skip
    return _send(store, draft_id, user, settings)


def _send(store: Store, draft_id: int, user: User, settings: Settings) -> str:
    from email.message import EmailMessage

    from copilot.errors import SendError

    draft = _draft(store, draft_id, "approved", "failed")
    msg = EmailMessage()
    msg["From"] = f"{settings.smtp.from_name} <{settings.smtp.from_address}>"
    msg["To"] = ", ".join(loads(draft["to_json"], []) or [draft["contact_email"]])
    cc = loads(draft["cc_json"], []) or []
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = draft["subject"]
    message_id = draft["message_id"] or new_message_id(settings.smtp.message_id_domain)
    msg["Message-ID"] = message_id
    if draft["in_reply_to"]:
        msg["In-Reply-To"] = draft["in_reply_to"]
        msg["References"] = " ".join(loads(draft["references_json"], []) or [draft["in_reply_to"]])
    msg.set_content(draft["body"])
    with store.transaction():
        store.db["drafts"].update(draft_id, {"status": "sending", "message_id": message_id,
                                             "attempts": (draft["attempts"] or 0) + 1})  # fmt: skip
    try:
        make_sender(settings.smtp, settings.outbox_dir).send(msg)
    except SendError as exc:
        with store.transaction():
            store.db["drafts"].update(draft_id, {"status": "failed", "last_error": str(exc)})
            store.audit(user.actor, "draft", draft_id, "send_failed", reason=str(exc), customer_id=draft["customer_id"])
        return "failed"
    with store.transaction():
        change = {"status": "sent", "sent_at": clock.now_iso(), "sent_by": user.actor, "last_error": None}
        store.db["drafts"].update(draft_id, change)
        store.audit(user.actor, "draft", draft_id, "sent", after={**change, "channel": "email", "message_id": message_id},
                    customer_id=draft["customer_id"])  # fmt: skip
    return "sent"


def reject_draft(store: Store, draft_id: int, reason: str, user: User) -> None:
    draft = _draft(store, draft_id, "draft", "approved", "failed")
    if not reason.strip():
        raise CopilotError("say why the draft is rejected")
    change = {"status": "rejected", "reject_reason": reason.strip(), "updated_at": clock.now_iso()}
    with store.transaction():
        store.db["drafts"].update(draft_id, change)
        store.audit(user.actor, "draft", draft_id, "rejected", reason=reason.strip(), before={"status": draft["status"]},
                    after=change, customer_id=draft["customer_id"])  # fmt: skip


def regenerate_draft(store: Store, draft_id: int, tone: str, user: User, policy: Policy, settings: Settings) -> int:
    """Write the draft again with a tone hint (warmer or firmer); returns the id of the draft to review."""
    if tone not in TONES:
        raise CopilotError(f"tone must be one of {', '.join(TONES)}")
    _draft(store, draft_id, "draft")
    raise CopilotError("regenerating drafts needs the drafting module, which is not installed")


# -- replies -----------------------------------------------------------------
def correct_label(store: Store, message_id: int, label: str, user: User, reason: str, policy: Policy,
                  settings: Settings) -> None:  # fmt: skip
    """A person changes a reply's label; routing reverses the old actions and applies the new ones."""
    try:
        new = Label(label)
    except ValueError:
        raise CopilotError(f"{label!r} is not a label") from None
    message = _row(store, "messages", message_id, "message")
    why = reason.strip() or f"relabelled as {new.value} by {user.username}"
    with store.transaction():
        for dispute in store.db["disputes"].rows_where("message_id = ? and status = 'open'", [message_id]):
            store.db["disputes"].update(dispute["id"], {"status": "resolved", "resolved_at": clock.now_iso(),
                                                        "resolved_by": user.actor, "resolution": "label corrected"})  # fmt: skip
            lift_pauses_from(store, "dispute", dispute["id"], user.actor, why)
        result = Classification(label=new, confidence=1.0, source="human", evidence=None)
        from copilot.classifications import save_classification

        save_classification(store, message_id, result, user.actor, why)
        if new is Label.DISPUTE and message["customer_id"]:
            _open_dispute(store, message, user, policy, settings)
        store.db["messages"].update(message_id, {"status": "routed"})


def _open_dispute(store: Store, message: dict, user: User, policy: Policy, settings: Settings) -> None:
    invoices = loads(message["invoice_numbers_json"], []) or []
    opened = clock.now()
    row = {"customer_id": message["customer_id"], "message_id": message["id"], "invoice_numbers_json": dumps(invoices),
           "reason": "other", "owner_email": settings.dispute_owner_email, "status": "open",
           "opened_at": opened.isoformat(timespec="seconds"),
           "sla_due_at": (opened + timedelta(days=policy.routing.dispute_sla_days)).isoformat(timespec="seconds")}  # fmt: skip
    dispute_id = store.db["disputes"].insert(row).last_pk
    store.audit(user.actor, "dispute", dispute_id, "opened", after=row, customer_id=message["customer_id"])
    for number in invoices or [None]:
        add_pause(store, message["customer_id"], "dispute", user.actor, invoice_number=number,
                  source_type="dispute", source_id=dispute_id, note="dispute opened from a corrected label")  # fmt: skip


def link_to_customer(store: Store, message_id: int, customer_id: str, user: User) -> None:
    """Attach an unmatched reply to a customer so it can be triaged."""
    _row(store, "customers", customer_id, "customer")
    message = _row(store, "messages", message_id, "message")
    change = {"customer_id": customer_id, "match_rule": "manual",
              "status": "pending" if message["status"] == "unmatched" else message["status"]}  # fmt: skip
    with store.transaction():
        store.db["messages"].update(message_id, change)
        store.audit(user.actor, "message", message_id, "linked", before={"customer_id": message["customer_id"]},
                    after=change, customer_id=customer_id)  # fmt: skip


# -- customers, cases and alerts ------------------------------------------------
def pause_customer(store: Store, customer_id: str, note: str, user: User, *, invoice_number: str | None = None,
                   until: date | None = None, scope: str = "dunning") -> int:  # fmt: skip
    _row(store, "customers", customer_id, "customer")
    if not note.strip():
        raise CopilotError("say why dunning is paused")
    if scope not in ("dunning", "auto_send"):
        raise CopilotError("scope must be dunning or auto_send")
    if invoice_number:
        inv = _row(store, "invoices", invoice_number, "invoice")
        if inv["customer_id"] != customer_id:
            raise CopilotError(f"invoice {invoice_number} belongs to another customer")
    if until is not None and until < clock.today():
        raise CopilotError("the pause would end in the past")
    return add_pause(store, customer_id, "manual", user.actor, invoice_number=invoice_number or None, until=until,
                     scope=scope, note=note.strip())  # fmt: skip


def resume_pause(store: Store, pause_id: int, reason: str, user: User) -> None:
    if not reason.strip():
        raise CopilotError("say why dunning resumes")
    lift_pause(store, pause_id, user.actor, reason.strip())


def resolve_dispute(store: Store, dispute_id: int, resolution: str, user: User) -> None:
    dispute = _row(store, "disputes", dispute_id, "dispute")
    if dispute["status"] != "open":
        raise InvalidTransition(f"dispute {dispute_id} is already {dispute['status']}")
    if not resolution.strip():
        raise CopilotError("describe how the dispute was resolved")
    change = {"status": "resolved", "resolved_at": clock.now_iso(), "resolved_by": user.actor,
              "resolution": resolution.strip()}  # fmt: skip
    with store.transaction():
        store.db["disputes"].update(dispute_id, change)
        store.audit(user.actor, "dispute", dispute_id, "resolved", reason=resolution.strip(), after=change,
                    customer_id=dispute["customer_id"])  # fmt: skip
        lift_pauses_from(store, "dispute", dispute_id, user.actor, f"dispute resolved: {resolution.strip()}")


def acknowledge_alert(store: Store, alert_id: int, user: User) -> None:
    alert = _row(store, "alerts", alert_id, "alert")
    if alert["acknowledged_at"]:
        raise InvalidTransition(f"alert {alert_id} was already acknowledged by {alert['acknowledged_by']}")
    change = {"acknowledged_by": user.actor, "acknowledged_at": clock.now_iso()}
    with store.transaction():
        store.db["alerts"].update(alert_id, change)
        store.audit(user.actor, "alert", alert_id, "acknowledged", after=change, customer_id=alert["customer_id"])


def complete_task(store: Store, task_id: int, user: User) -> None:
    task = _row(store, "tasks", task_id, "task")
    if task["status"] != "open":
        raise InvalidTransition(f"task {task_id} is already {task['status']}")
    change = {"status": "done", "done_at": clock.now_iso(), "done_by": user.actor}
    with store.transaction():
        store.db["tasks"].update(task_id, change)
        store.audit(user.actor, "task", task_id, "completed", after=change, customer_id=task["customer_id"])
        lift_pauses_from(store, "task", task_id, user.actor, "task done")


# -- figures -------------------------------------------------------------------
def metrics(store: Store, as_of: date, period_days: int = 90) -> dict:
    """DSO, CEI and PTP kept rate for the dashboard."""
    db = store.db
    start = (as_of - timedelta(days=period_days)).isoformat()
    open_now = Decimal(db.execute("select coalesce(sum(cast(open_balance as real)), 0) from invoices "
                                  "where status in ('open','partially_paid')").fetchone()[0])  # fmt: skip
    billed = Decimal(db.execute("select coalesce(sum(cast(amount as real)), 0) from invoices where issue_date > ? "
                                "and issue_date <= ?", [start, as_of.isoformat()]).fetchone()[0])  # fmt: skip
    collected = Decimal(db.execute("select coalesce(sum(cast(amount as real)), 0) from payments where paid_on > ? "
                                   "and paid_on <= ?", [start, as_of.isoformat()]).fetchone()[0])  # fmt: skip
    current = Decimal(db.execute("select coalesce(sum(cast(open_balance as real)), 0) from invoices where status in "
                                 "('open','partially_paid') and due_date >= ?", [as_of.isoformat()]).fetchone()[0])  # fmt: skip
    opening = open_now + collected - billed
    denominator = opening + billed - current
    kept, broken = db.execute("select sum(status = 'kept'), sum(status = 'broken') from promises").fetchone()
    kept, broken = kept or 0, broken or 0
    return {
        "period_days": period_days,
        "dso": None if billed <= 0 else float(open_now / billed * period_days),
        "cei": None if denominator <= 0 else float((opening + billed - open_now) / denominator * 100),
        "ptp_kept_rate": None if kept + broken == 0 else kept / (kept + broken) * 100,
        "promises_kept": kept,
        "promises_broken": broken,
    }
