"""Read-only context for one draft, one reply or one customer: invoices with aging, the thread, the audit trail."""

from datetime import date

from copilot.errors import NotFound
from copilot.policy.cadence import bucket_for, days_past_due, tier_for
from copilot.policy.model import Policy
from copilot.policy.pauses import active_pauses
from copilot.store import Store, loads


def _rows(store: Store, sql: str, args: list) -> list[dict]:
    cursor = store.db.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def get_customer(store: Store, customer_id: str) -> dict:
    rows = _rows(store, "select * from customers where id = ?", [customer_id])
    if not rows:
        raise NotFound(f"no customer with id {customer_id}")
    row = rows[0]
    row["team"] = loads(row["account_team_emails"], []) or []
    return row


def invoices_with_aging(store: Store, customer_id: str, as_of: date, policy: Policy, open_only: bool = False) -> list[dict]:
    """The customer's invoices with days past due, bucket and tier for open ones."""
    sql = "select * from invoices where customer_id = ?"
    if open_only:
        sql += " and status in ('open', 'partially_paid')"
    rows = _rows(store, sql + " order by due_date", [customer_id])
    for inv in rows:
        days = days_past_due(date.fromisoformat(inv["due_date"]), as_of)
        is_open = inv["status"] in ("open", "partially_paid")
        inv["days_past_due"] = days if is_open else None
        inv["bucket"] = bucket_for(days) if is_open else inv["status"]
        inv["tier"] = tier_for(days, policy) if is_open else None
    return rows


def classifications_for(store: Store, message_ids: list[int]) -> dict[int, list[dict]]:
    """Every classification of each message, current first, then newest first."""
    out: dict[int, list[dict]] = {m: [] for m in message_ids}
    if not message_ids:
        return out
    marks = ",".join("?" * len(message_ids))
    for row in _rows(store, f"select * from classifications where message_id in ({marks}) order by is_current desc, id desc",
                     message_ids):  # fmt: skip
        out[row["message_id"]].append(row)
    return out


def thread(store: Store, customer_id: str, exclude_draft: int | None = None) -> list[dict]:
    """Every touch and reply with this customer, oldest first: stored mail and reminders sent from drafts."""
    messages = _rows(store, """select id, direction, subject, from_addr, from_name, to_json, sent_at, received_at,
        created_at, text_full, text_reply, body_was_html, message_id, status, invoice_numbers_json, is_auto_reply
        from messages where customer_id = ?""", [customer_id])  # fmt: skip
    known = {m["message_id"] for m in messages if m["message_id"]}
    classes = classifications_for(store, [m["id"] for m in messages if m["direction"] == "inbound"])
    items = []
    for m in messages:
        items.append({**m, "kind": "reply" if m["direction"] == "inbound" else "touch",
                      "at": m["sent_at"] or m["received_at"] or m["created_at"], "body": m["text_full"] or m["text_reply"] or "",
                      "classifications": classes.get(m["id"], [])})  # fmt: skip
    for d in _rows(store, """select id, subject, body, contact_email, sent_at, message_id, status, sent_by, tier
                             from drafts where customer_id = ? and status in ('sent', 'failed', 'sending')""",
                   [customer_id]):  # fmt: skip
        if d["id"] == exclude_draft or (d["message_id"] and d["message_id"] in known):
            continue
        items.append({"id": d["id"], "kind": "touch", "direction": "outbound", "subject": d["subject"], "body": d["body"],
                      "from_addr": d["sent_by"], "to_json": None, "at": d["sent_at"], "status": d["status"],
                      "draft_id": d["id"], "classifications": [], "contact_email": d["contact_email"],
                      "body_was_html": 0, "tier": d["tier"]})  # fmt: skip
    items.sort(key=lambda i: (i["at"] or "", i["id"]))
    return items


def draft_context(store: Store, draft_id: int, policy: Policy, as_of: date) -> dict:
    rows = _rows(store, "select * from drafts where id = ?", [draft_id])
    if not rows:
        raise NotFound(f"no draft with id {draft_id}")
    draft = rows[0]
    draft["invoices"] = loads(draft["invoice_numbers_json"], []) or []
    draft["to"] = loads(draft["to_json"], []) or [draft["contact_email"]]
    draft["cc"] = loads(draft["cc_json"], []) or []
    draft["flags"] = loads(draft["guardrail_flags_json"], []) or []
    customer = get_customer(store, draft["customer_id"])
    return {
        "draft": draft,
        "customer": customer,
        "invoices": invoices_with_aging(store, customer["id"], as_of, policy, open_only=True),
        "thread": thread(store, customer["id"], exclude_draft=draft_id),
        "pauses": active_pauses(store, customer["id"], as_of),
    }


def message_detail(store: Store, message_id: int) -> dict:
    rows = _rows(store, """select m.*, c.name as customer_name from messages m
                          left join customers c on c.id = m.customer_id where m.id = ?""", [message_id])  # fmt: skip
    if not rows:
        raise NotFound(f"no message with id {message_id}")
    message = rows[0]
    message["invoices"] = loads(message["invoice_numbers_json"], []) or []
    message["attachments"] = loads(message["attachments_json"], []) or []
    return {"message": message, "classifications": classifications_for(store, [message_id])[message_id],
            "audit": _rows(store, "select * from audit_events where entity_type = 'message' and entity_id = ? order by id",
                           [str(message_id)])}  # fmt: skip


def customer_page(store: Store, customer_id: str, policy: Policy, as_of: date) -> dict:
    customer = get_customer(store, customer_id)
    one = [customer_id]
    return {
        "customer": customer,
        "contacts": _rows(store, "select * from contacts where customer_id = ? order by email", one),
        "invoices": invoices_with_aging(store, customer_id, as_of, policy),
        "payments": _rows(store, "select * from payments where customer_id = ? order by paid_on desc", one),
        "promises": _rows(store, "select * from promises where customer_id = ? order by id desc", one),
        "disputes": _rows(store, "select * from disputes where customer_id = ? order by id desc", one),
        "tasks": _rows(store, "select * from tasks where customer_id = ? order by status = 'open' desc, id desc", one),
        "alerts": _rows(store, "select * from alerts where customer_id = ? order by id desc", one),
        "pauses": _rows(store, "select * from pauses where customer_id = ? order by lifted_at is not null, id desc", one),
        "active_pause_ids": {p["id"] for p in active_pauses(store, customer_id, as_of)},
        "timeline": _rows(store, "select * from audit_events where customer_id = ? order by id desc limit 500", one),
        "drafts": _rows(store, "select id, subject, status, tier, plan_date, sent_at from drafts where customer_id = ? "
                        "order by id desc limit 50", one),  # fmt: skip
    }
