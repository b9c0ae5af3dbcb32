"""Every state change the web UI makes goes through this module.

The routes never write to the store themselves: they call these functions, which
call the routing, drafting and intake libraries by their agreed names. Keeping the
calls in one place means a renamed function is fixed here and nowhere else.
Library functions that signal bad input with ValueError are translated to
CopilotError here, so the web edge shows the sentence instead of a server error.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from copilot import clock, drafting, routing
from copilot.config import Settings
from copilot.drafting import hold
from copilot.drafting.appender import Appender, ImapAppender
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.ledger import metrics
from copilot.mail.sender import make_sender
from copilot.policy.model import Policy
from copilot.policy.pauses import add_pause, lift_pause
from copilot.routing import alerts, triage
from copilot.store import Store
from copilot.web import queries
from copilot.web.cache import cached_or_stale
from copilot.web.deps import User
from copilot.web.queries import bulk_refusal

log = logging.getLogger(__name__)
TONES = drafting.review.TONE_HINTS
PAUSE_SCOPES = ("dunning", "auto_send")
T = TypeVar("T")


def _user_error(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        raise CopilotError(str(exc)) from None


def _appender(settings: Settings) -> Appender | None:
    # The Sent-folder copy is made only when a shared mailbox is configured.
    return ImapAppender(settings.imap) if settings.imap.host and settings.imap.username else None


# -- drafts ------------------------------------------------------------------
def edit_draft(store: Store, draft_id: int, subject: str, body: str, user: User, policy: Policy) -> None:
    """Save the collector's edits (unchanged text is not an edit)."""
    row = drafting.review.get_draft(store, draft_id)
    same = drafting.review.normalized_text
    if (same(subject).strip(), same(body).strip()) == (same(row["subject"]).strip(), same(row["body"]).strip()):
        return  # CRLF line endings from the browser and trailing spaces are not edits
    _user_error(drafting.edit_draft, store, draft_id, user.actor, subject=subject, body=body, policy=policy)


def approve_and_send(store: Store, draft_id: int, user: User, policy: Policy, settings: Settings,
                     override_reason: str | None = None, confirm_not_delivered: bool = False) -> dict:  # fmt: skip
    """Approve a draft (or retry a failed send) and deliver it; returns the draft row after the attempt.

    A send that was interrupted may have reached the customer; it is retried only when the person
    confirms they checked that it did not.
    """
    row = drafting.review.get_draft(store, draft_id)
    if row["status"] == "draft":
        drafting.approve_draft(store, draft_id, user.actor, policy=policy, override_reason=override_reason or None)
    sender = make_sender(settings.smtp, settings.outbox_dir)
    return drafting.send_draft(store, draft_id, sender, settings, user.actor, _appender(settings),
                               confirm_not_delivered=confirm_not_delivered, policy=policy)  # fmt: skip


def _normal(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))


def has_saved_edits(row: dict) -> bool:
    """Has a person changed the subject or body since it was written (line endings and trailing spaces aside)?"""
    if _normal(row.get("body")) != _normal(row.get("original_body")):
        return True
    return row.get("original_subject") is not None and _normal(row.get("subject")) != _normal(row["original_subject"])


def hold_send(store: Store, draft_id: int, user: User, policy: Policy, settings: Settings,
              override_reason: str | None = None) -> dict:  # fmt: skip
    """Approve a draft and hold its send for `web.send_hold_seconds`, with Undo; a timer sends it afterwards."""
    row = _user_error(hold.hold_send, store, draft_id, user.actor, settings.web.send_hold_seconds, policy=policy,
                      override_reason=override_reason or None)  # fmt: skip
    delay = max(0.0, (datetime.fromisoformat(row["send_after"]) - clock.now()).total_seconds())
    # A plain sleep rather than threading.Timer: nothing cancels it (Undo changes the draft, which the
    # release checks), and a timed condition wait misbehaves when the process clock is shifted.
    threading.Thread(target=_release_later, args=(settings, draft_id, row["send_after"], user.actor, delay),
                     daemon=True).start()  # fmt: skip
    return row


def _release_later(settings: Settings, draft_id: int, send_after: str, actor: str, delay: float) -> None:
    # Runs on its own thread with its own connection. Nobody waits for it, so failures are logged;
    # a refused or failed send stays visible on the draft, and `copilot tick` retries a hold left behind.
    time.sleep(delay)
    try:
        with Store.open(settings.db_path) as store:
            hold.release_held(store, draft_id, send_after, make_sender(settings.smtp, settings.outbox_dir), settings,
                              actor, _appender(settings))  # fmt: skip
    except Exception:  # the top of a background thread: there is no caller to raise to
        log.exception("releasing the held send of draft %s failed", draft_id)


def send_held_now(store: Store, draft_id: int, user: User, settings: Settings) -> dict:
    """Skip the rest of the hold and send now."""
    sender = make_sender(settings.smtp, settings.outbox_dir)
    row = hold.release_held(store, draft_id, None, sender, settings, user.actor, _appender(settings))
    if row is None:
        raise InvalidTransition(f"draft {draft_id} is not waiting to be sent")
    return row


def undo_send(store: Store, draft_id: int, user: User) -> dict:
    """Take back a held send; the draft returns to review."""
    return hold.undo_send(store, draft_id, user.actor)


def bulk_approve(store: Store, draft_ids: list[int], user: User, policy: Policy, settings: Settings) -> dict:
    """Approve and send routine drafts in one go. Only Tier 1 drafts still waiting, not stale, with no guardrail flag qualify;
    each one is approved (the guardrails checked again on its current text) and sent on its own, and audited
    as if approved alone, with one more event recording the batch. Returns the ids sent, failed and refused (with why)."""
    outcome: dict[str, list] = {"sent": [], "failed": [], "refused": []}
    for draft_id in draft_ids:
        try:
            row = drafting.review.get_draft(store, draft_id)
        except NotFound:
            outcome["refused"].append((draft_id, "does not exist"))
            continue
        why = bulk_refusal(row)
        risks = queries.customer_signals(store, [row["customer_id"]], clock.today())[row["customer_id"]]["risk"]
        if why is None and any(r["tone"] == "bad" for r in risks):
            why = "the customer has " + " and ".join(r["text"] for r in risks if r["tone"] == "bad") + "; review it on its own"
        if why:
            outcome["refused"].append((draft_id, why))
            continue
        try:
            result = approve_and_send(store, draft_id, user, policy, settings)
        except CopilotError as exc:  # a guardrail now fails, or it expired: it stays for a person
            outcome["refused"].append((draft_id, str(exc)))
            continue
        outcome["sent" if result["status"] == "sent" else "failed"].append(draft_id)
    with store.transaction():
        store.audit(user.actor, "worklist", "bulk_approve", "bulk_approved",
                    after={"sent": outcome["sent"], "failed": outcome["failed"],
                           "refused": [i for i, _ in outcome["refused"]]})  # fmt: skip
    return outcome




def delivery_unknown(row: dict) -> bool:
    """Was this draft's send interrupted, so that it may or may not have been delivered?"""
    return drafting.review.unknown_delivery(row)


def reject_draft(store: Store, draft_id: int, reason: str, user: User) -> None:
    _user_error(drafting.reject_draft, store, draft_id, user.actor, reason)


def revive_draft(store: Store, draft_id: int, user: User, policy: Policy, settings: Settings) -> dict:
    """Bring an expired draft back to review, written again if the account's state moved on."""
    return _user_error(drafting.review.revive_draft, store, draft_id, user.actor, policy=policy, settings=settings)


def regenerate_draft(store: Store, draft_id: int, tone: str, user: User, policy: Policy, settings: Settings) -> None:
    """Write the draft again with a tone hint (warmer or firmer); it stays the same draft."""
    _user_error(drafting.regenerate_draft, store, draft_id, user.actor, tone, policy=policy, settings=settings)


# -- replies -----------------------------------------------------------------
def correct_label(store: Store, message_id: int, label: str, user: User, reason: str, policy: Policy,
                  settings: Settings) -> list:  # fmt: skip
    """A person changes a reply's label; routing reverses the old actions and applies the new ones."""
    return _user_error(routing.override_label, store, message_id, label, user.actor, reason.strip() or None, policy,
                       settings)  # fmt: skip


def link_to_customer(store: Store, message_id: int, customer_id: str, user: User, policy: Policy,
                     settings: Settings) -> bool:  # fmt: skip
    """Attach an unmatched reply to a customer; a reply already classified is routed at once. Returns whether it was."""
    triage.link_message_to_customer(store, message_id, customer_id, user.actor)
    if store.db["classifications"].count_where("message_id = ? and is_current = 1", [message_id]):
        routing.route_message(store, message_id, policy, settings, actor=user.actor)
        return True
    return False


# -- customers, cases and alerts ------------------------------------------------
def pause_customer(store: Store, customer_id: str, note: str, user: User, today: date, *,
                   invoice_number: str | None = None, until: date | None = None, scope: str = "dunning") -> int:  # fmt: skip
    """Hold reminders for an account or one of its invoices, with the reason a person gave."""
    if not store.db["customers"].count_where("id = ?", [customer_id]):
        raise NotFound(f"no customer with id {customer_id}")
    if not note.strip():
        raise CopilotError("say why dunning is paused")
    if scope not in PAUSE_SCOPES:
        raise CopilotError(f"scope must be one of {', '.join(PAUSE_SCOPES)}")
    if invoice_number and not store.db["invoices"].count_where("number = ? and customer_id = ?", [invoice_number, customer_id]):
        raise CopilotError(f"invoice {invoice_number} is not one of customer {customer_id}'s invoices")
    if until is not None and until < today:
        raise CopilotError("the pause would end in the past")
    return add_pause(store, customer_id, "manual", user.actor, invoice_number=invoice_number or None, until=until,
                     scope=scope, note=note.strip())  # fmt: skip


def resume_pause(store: Store, customer_id: str, pause_id: int, reason: str, user: User) -> None:
    """Lift one of this customer's pauses, with the reason a person gave."""
    if not store.db["pauses"].count_where("id = ? and customer_id = ?", [pause_id, customer_id]):
        raise NotFound(f"customer {customer_id} has no pause with id {pause_id}")
    if not reason.strip():
        raise CopilotError("say why dunning resumes")
    lift_pause(store, pause_id, user.actor, reason.strip())


def acknowledge_alert(store: Store, alert_id: int, user: User) -> None:
    alerts.acknowledge_alert(store, alert_id, user.actor)


def finish_task(store: Store, task_id: int, user: User) -> dict:
    """Mark any open task done (from the task queue); returns the task as it was."""
    row = store.db.execute("select id, customer_id, status from tasks where id = ?", [task_id]).fetchone()
    if row is None:
        raise NotFound(f"no task with id {task_id}")
    routing.complete_task(store, task_id, user.actor)
    return {"id": row[0], "customer_id": row[1]}


def complete_task(store: Store, customer_id: str, task_id: int, user: User) -> None:
    if not store.db["tasks"].count_where("id = ? and customer_id = ?", [task_id, customer_id]):
        raise NotFound(f"customer {customer_id} has no task with id {task_id}")
    routing.complete_task(store, task_id, user.actor)


# -- figures -------------------------------------------------------------------
def collection_metrics(store: Store, as_of: date, policy: Policy, period_days: int = metrics.DEFAULT_PERIOD_DAYS) -> tuple[dict, bool]:
    """DSO and CEI per currency, PTP kept rate, disputes and alerts for the dashboard; and whether they are current.

    Computing them reads the whole ledger, so after a change the page shows the previous
    figures while fresh ones are computed in the background.
    """
    return cached_or_stale(store, ("metrics", as_of, period_days, id(policy)),
                           lambda s: metrics.compute_metrics(s, as_of, period_days, policy))  # fmt: skip
