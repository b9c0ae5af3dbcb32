"""Marking waiting drafts stale when the account's state moves on after they were planned.

Called from the shared places where state changes (a pause is created, a reply's routing
is applied, payments are recorded), inside the caller's transaction. A stale draft is still
a draft: the worklist shows it, the next plan writes it again from the current state, and
the send-time check (`copilot.drafting.sendcheck`) still stops it from contradicting that
state. This module imports nothing from drafting, so the policy and routing layers may call it.
"""

from copilot import clock
from copilot.store import Store

WAITING: tuple[str, ...] = ("draft", "approved")
# A marked draft is shown as stale (in the worklist's Stale tab and on its own page) while it waits for a
# person: under review, or a failed send to retry. An approved one is being sent and the send-time check
# decides; undone, it is back under review and shown stale again.
SHOWN: tuple[str, ...] = ("draft", "failed")


def shown_stale(draft: dict) -> bool:
    """Is this draft listed as stale? The one test the Stale tab's query (`shown_stale_sql`) states in SQL."""
    return bool(draft.get("stale_at")) and draft.get("status") in SHOWN


def shown_stale_sql(alias: str = "d") -> str:
    """`shown_stale` as a SQL condition on the drafts table under `alias`."""
    statuses = ", ".join(f"'{s}'" for s in SHOWN)
    return f"({alias}.stale_at is not null and {alias}.status in ({statuses}))"


def mark_stale(store: Store, customer_id: str | None, reason: str, actor: str) -> list[int]:
    """Mark the customer's waiting drafts stale (the first reason is kept); returns the draft ids marked."""
    if not customer_id:
        return []
    rows = list(store.db.query(
        "select id, status from drafts where customer_id = ? and status in (?, ?) and stale_at is null",
        [customer_id, *WAITING]))  # fmt: skip
    if not rows:
        return []
    now = clock.now_iso()
    with store.transaction():
        for row in rows:
            store.conn.execute("update drafts set stale_at = ?, stale_reason = ?, updated_at = ? where id = ?",
                               [now, reason, now, row["id"]])  # fmt: skip
            store.audit(actor, "draft", row["id"], "stale", reason=reason, customer_id=customer_id,
                        before={"stale_at": None}, after={"stale_at": now, "stale_reason": reason})  # fmt: skip
    return [r["id"] for r in rows]
