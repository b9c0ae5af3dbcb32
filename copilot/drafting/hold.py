"""Approve-and-send with Undo: the send is held for a few seconds, and a person can take it back until then.

Approving from the web stores the instant the draft may go out (`send_after`). Until then
the draft is `approved` but not sent, and `undo_send` returns it to review. When the hold
ends, `release_held` sends it through the outbox like any other approved draft, so every
check the outbox makes at send time still applies. The web server releases each hold with a
timer; `release_due_holds` (run by `copilot tick`) sends any hold a stopped server left behind.

The CLI's `drafts approve` sets no hold: `drafts send` stays the explicit second step there.
No other path sends a held draft before its hold ends: `send_draft` refuses one (HoldActive) unless
asked to cut the hold short (the web's "Send now", `copilot drafts send N --now`), which is audited.
"""

from datetime import datetime, timedelta

from copilot import clock
from copilot.config import Settings
from copilot.drafting.appender import Appender
from copilot.drafting.outbox import send_draft
from copilot.drafting.review import _change, approve_draft, get_draft, held_until
from copilot.errors import InvalidTransition
from copilot.mail.sender import Sender
from copilot.policy.model import Policy
from copilot.store import Store


def hold_send(store: Store, draft_id: int, user: str, seconds: int, *, policy: Policy | None = None,
              override_reason: str | None = None) -> dict:  # fmt: skip
    """Approve the draft (guardrails included) and hold its send for `seconds`; returns the row."""
    if seconds < 1:
        raise ValueError("a send hold must last at least one second")
    until = clock.now() + timedelta(seconds=seconds)
    return approve_draft(store, draft_id, user, policy=policy, override_reason=override_reason, send_after=until)


def undo_send(store: Store, draft_id: int, user: str) -> dict:
    """Take a held send back: the draft returns to review, unsent."""
    row = get_draft(store, draft_id)
    if held_until(row) is None:
        if row["status"] in ("sending", "sent"):
            raise InvalidTransition(f"draft {draft_id} has already been sent; it is too late to undo")
        raise InvalidTransition(f"draft {draft_id} is {row['status']}, not waiting to be sent")
    change = {"status": "draft", "approved_by": None, "approved_at": None, "send_after": None}
    return _change(store, row, change, user, "send_undone", reason="undone before the hold ended")


def release_held(store: Store, draft_id: int, send_after: str | None, sender: Sender, settings: Settings, actor: str,
                 appender: Appender | None = None) -> dict | None:  # fmt: skip
    """Send a held draft now. `send_after` is the hold being released (None: whichever hold it has); a draft
    that was undone, edited or approved again since is left alone. Returns the row after sending, or None.

    Releasing is a deliberate act (the hold's own timer, or a person's "Send now"): a hold that has not
    yet ended is cut short, and the audit says so.
    """
    row = get_draft(store, draft_id)
    if held_until(row) is None or (send_after is not None and row["send_after"] != send_after):
        return None
    return send_draft(store, draft_id, sender, settings, actor, appender, cut_hold=True)


def release_due_holds(store: Store, sender: Sender, settings: Settings, actor: str, appender: Appender | None = None,
                      now: datetime | None = None) -> list[dict]:  # fmt: skip
    """Send every held draft whose hold has ended (those a stopped web server did not release)."""
    now = now or clock.now()
    due = [r for r in store.db["drafts"].rows_where("status = 'approved' and send_after is not null", order_by="id")
           if datetime.fromisoformat(r["send_after"]) <= now]  # fmt: skip
    out = []
    for row in due:
        sent = release_held(store, row["id"], row["send_after"], sender, settings, row["approved_by"] or actor, appender)
        if sent is not None:
            out.append(sent)
    return out
