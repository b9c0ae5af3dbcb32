"""What each draft asks for, summed once: the open amount per currency, the oldest due date, and whether
the customer is marked risky.

These are stored on the draft when it is written, so the worklist can sort and page
thousands of drafts without re-adding their invoices on every request. The worklist shows
today's balances for the rows on screen; these columns only order the list.

Every draft is written through `insert_drafts` and every change to one saved through
`update_draft` (which refreshes the summary when the invoices change, as a rewrite does), so no path (the planner, a dispute reply, a rewrite) can leave a draft
without its summary: a draft without one sorts last and shows no reason.
"""

from collections import defaultdict
from decimal import Decimal

import sqlite_utils

from copilot.store import Store, dumps

CENT = Decimal("0.01")
WAITING = ("draft", "failed", "approved", "sending")
# Why a draft of each kind is written, when its writer gave no more specific reason.
KIND_REASONS: dict[str, str] = {"reminder": "cadence step", "broken_promise": "broken promise",
                                "request_reply": "request to answer", "pre_due": "courtesy note before the due date",
                                "dispute_reply": "reply about a resolved dispute"}  # fmt: skip
# Columns of a rendered draft that the summary is computed from.
SUMMARY_INPUTS = ("invoice_numbers_json", "customer_id")


def insert_drafts(store: Store, rows: list[dict]) -> list[int]:
    """Insert drafts with their worklist summary (reason, open amount, oldest due, risk) in one transaction.

    The one way a draft row is created. A row without a reason gets its kind's; returns the new ids in order.
    """
    ids: list[int] = []
    statements: dict[tuple[str, ...], str] = {}
    with store.transaction():
        for row in rows:
            if not row.get("kind"):
                raise ValueError("a draft needs a kind")
            row = {**row, "reason": row.get("reason") or KIND_REASONS.get(row["kind"], row["kind"].replace("_", " "))}
            columns = tuple(row)
            # A plain prepared INSERT: thousands of drafts a morning, and sqlite-utils re-reads the schema per insert.
            sql = statements.setdefault(columns, f"insert into drafts ({', '.join(columns)}) "
                                                 f"values ({', '.join('?' * len(columns))})")  # fmt: skip
            ids.append(store.conn.execute(sql, [row[c] for c in columns]).lastrowid)
        refresh_summaries(store.db, ids)
    return ids


def update_draft(store: Store, draft_id: int, change: dict) -> None:
    """Update a draft; when its invoices or customer changed (a re-render), its summary too, in the same transaction."""
    with store.transaction():
        store.db["drafts"].update(draft_id, change)
        if any(k in change for k in SUMMARY_INPUTS):
            refresh_summaries(store.db, [draft_id])


def refresh_summaries(db: sqlite_utils.Database, draft_ids: list[int] | None = None, *, every_status: bool = False) -> int:
    """Recompute the summary columns of these drafts (default: every waiting one); returns how many were written."""
    if draft_ids is not None:
        if not draft_ids:
            return 0
        where, args = f"d.id in ({','.join('?' * len(draft_ids))})", list(draft_ids)
    elif every_status:
        where, args = "1", []
    else:
        where, args = f"d.status in ({','.join('?' * len(WAITING))})", list(WAITING)
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    oldest: dict[int, str] = {}
    sql = f"""select d.id, i.currency, sum(cast(round(cast(i.open_balance as real) * 100) as integer)), min(i.due_date)
              from drafts d, json_each(d.invoice_numbers_json) j join invoices i on i.number = j.value
              where {where} group by d.id, i.currency"""
    for draft_id, currency, cents, due in db.execute(sql, args):
        totals[draft_id][currency] = cents or 0
        if due and (draft_id not in oldest or due < oldest[draft_id]):
            oldest[draft_id] = due
    ids = draft_ids if draft_ids is not None else [r[0] for r in db.execute(f"select d.id from drafts d where {where}", args)]
    rows = []
    for draft_id in ids:
        per = {cur: str((Decimal(cents) / 100).quantize(CENT)) for cur, cents in sorted(totals.get(draft_id, {}).items())}
        single = next(iter(per.items())) if len(per) == 1 else (None, None)
        rows.append((single[1], single[0], dumps(per), oldest.get(draft_id), draft_id))
    db.conn.executemany("update drafts set open_amount = ?, open_currency = ?, open_totals_json = ?, oldest_due = ?, "
                        "risky = coalesce((select risky from customers c where c.id = drafts.customer_id), 0) "
                        "where id = ?", rows)  # fmt: skip
    return len(rows)
