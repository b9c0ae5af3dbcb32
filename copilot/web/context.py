"""Read-only context for one draft, one reply or one customer: invoices with aging, the thread, the audit trail."""

from datetime import date
from decimal import Decimal

from copilot.classify.gist import reply_gist
from copilot.config import Settings
from copilot.errors import NotFound
from copilot.ledger.credits import pending_by_invoice
from copilot.policy.cadence import bucket_for, days_past_due, tier_for
from copilot.policy.model import Policy
from copilot.policy.pauses import active_pauses
from copilot.store import Store, loads
from copilot.web.risks import draft_risks
from copilot.web.timeline import customer_timeline


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
    if not row.get("currency"):  # ARR is in the customer's billing currency: the one most of their invoices use
        found = store.db.execute("select currency from invoices where customer_id = ? group by currency "
                                 "order by count(*) desc limit 1", [customer_id]).fetchone()  # fmt: skip
        row["currency"] = found[0] if found else None
    return row


def invoices_with_aging(store: Store, customer_id: str, as_of: date, policy: Policy, open_only: bool = False) -> list[dict]:
    """The customer's invoices with days past due, bucket and tier for open ones."""
    sql = "select * from invoices where customer_id = ?"
    if open_only:
        sql += " and status in ('open', 'partially_paid')"
    rows = _rows(store, sql + " order by due_date", [customer_id])
    credits = pending_by_invoice(store, [r["number"] for r in rows])
    for inv in rows:
        inv["pending_credit"] = credits.get(inv["number"])
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
        current = next((c for c in classes.get(m["id"], []) if c["is_current"]), None)
        gist = reply_gist(m["text_reply"] or m["text_full"], current) if m["direction"] == "inbound" else None
        items.append({**m, "kind": "reply" if m["direction"] == "inbound" else "touch", "gist": gist,
                      "at": m["sent_at"] or m["received_at"] or m["created_at"], "body": m["text_full"] or m["text_reply"] or "",
                      "classifications": classes.get(m["id"], [])})  # fmt: skip
    for d in _rows(store, """select id, subject, body, contact_email, sent_at, message_id, status, sent_by, tier
                             from drafts where customer_id = ? and status in ('sent', 'failed', 'sending')""",
                   [customer_id]):  # fmt: skip
        if d["id"] == exclude_draft or (d["message_id"] and d["message_id"] in known):
            continue
        items.append({"id": d["id"], "kind": "touch", "direction": "outbound", "subject": d["subject"], "body": d["body"],
                      "from_addr": d["sent_by"], "to_json": None, "at": d["sent_at"], "status": d["status"],
                      "draft_id": d["id"], "classifications": [], "contact_email": d["contact_email"], "gist": None,
                      "body_was_html": 0, "tier": d["tier"]})  # fmt: skip
    items.sort(key=lambda i: (i["at"] or "", i["id"]))
    return items


def email_preview(draft: dict, settings: Settings) -> dict | None:
    """The draft as the customer will receive it: the headers they see, then the body with its signature."""
    from copilot.drafting.outbox import build_message

    try:
        msg = build_message({**draft, "message_id": draft.get("message_id") or "<preview@localhost>"}, settings)
    except ValueError:  # a draft whose stored facts cannot be read has no preview; the page still shows its text
        return None
    headers = [(name, str(msg[name])) for name in ("From", "To", "Cc", "Reply-To", "Subject") if msg[name]]
    return {"headers": headers, "body": msg.get_content().rstrip()}


def draft_context(store: Store, draft_id: int, policy: Policy, as_of: date, settings: Settings | None = None) -> dict:
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
        "risks": draft_risks(store, draft, as_of),
        "preview": email_preview(draft, settings) if settings is not None else None,
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


def balances(invoices: list[dict]) -> dict[str, dict[str, Decimal]]:
    """Pure: open and overdue balance per currency, from invoices with aging."""
    out: dict[str, dict[str, Decimal]] = {}
    for inv in invoices:
        if inv["status"] not in ("open", "partially_paid"):
            continue
        cur = out.setdefault(inv["currency"], {"open": Decimal("0"), "overdue": Decimal("0")})
        cur["open"] += Decimal(inv["open_balance"])
        if (inv["days_past_due"] or 0) > 0:
            cur["overdue"] += Decimal(inv["open_balance"])
    return dict(sorted(out.items()))


def customer_page(store: Store, customer_id: str, policy: Policy, as_of: date) -> dict:
    customer = get_customer(store, customer_id)
    one = [customer_id]
    invoices = invoices_with_aging(store, customer_id, as_of, policy)
    return {
        "customer": customer,
        "contacts": _rows(store, "select * from contacts where customer_id = ? order by status != 'ok', name is null, email",
                          one),  # fmt: skip
        "invoices": invoices,
        "balances": balances(invoices),
        "payments": _rows(store, "select * from payments where customer_id = ? order by paid_on desc", one),
        "promises": _rows(store, "select * from promises where customer_id = ? order by id desc", one),
        "disputes": _rows(store, "select * from disputes where customer_id = ? order by id desc", one),
        "tasks": _rows(store, "select * from tasks where customer_id = ? order by status = 'open' desc, id desc", one),
        "alerts": _rows(store, "select * from alerts where customer_id = ? order by id desc", one),
        "pauses": _rows(store, "select * from pauses where customer_id = ? order by lifted_at is not null, id desc", one),
        "active_pause_ids": {p["id"] for p in active_pauses(store, customer_id, as_of)},
        "timeline": customer_timeline(store, customer_id),
        "notes": _rows(store, "select * from customer_notes where customer_id = ? order by id desc limit 20", one),
        "drafts": _rows(store, "select id, subject, status, tier, plan_date, sent_at from drafts where customer_id = ? "
                        "order by id desc limit 50", one),  # fmt: skip
    }


def customer_audit(store: Store, customer_id: str, limit: int = 1000) -> dict:
    """The raw audit log for one customer, newest first."""
    return {"customer": get_customer(store, customer_id),
            "events": _rows(store, "select * from audit_events where customer_id = ? order by id desc limit ?",
                            [customer_id, limit])}  # fmt: skip


def at_stake(store: Store, dispute_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Open balance per currency on each dispute's invoices (every open invoice for an account-wide case)."""
    out: dict[int, dict[str, Decimal]] = {d: {} for d in dispute_ids}
    if not dispute_ids:
        return out
    marks = ",".join("?" * len(dispute_ids))
    sql = f"""select d.id, i.currency, i.open_balance from disputes d
              join invoices i on i.customer_id = d.customer_id and i.status in ('open', 'partially_paid')
              where d.id in ({marks}) and (coalesce(json_array_length(d.invoice_numbers_json), 0) = 0
                    or i.number in (select value from json_each(d.invoice_numbers_json)))"""
    for did, currency, balance in store.db.execute(sql, dispute_ids):
        out[did][currency] = out[did].get(currency, Decimal("0")) + Decimal(balance)
    return out


def people(store: Store) -> list[dict]:
    """Active users who can own casework (collectors and admins), for owner pickers."""
    return _rows(store, "select username, email, role from users where active = 1 and role in ('collector', 'admin') "
                        "order by username", [])  # fmt: skip


def dispute_detail(store: Store, dispute_id: int) -> dict:
    """One dispute with its invoices, amount at stake, pending credits, the reply drafted for it and its audit trail."""
    rows = _rows(store, "select d.*, c.name as customer_name from disputes d left join customers c on c.id = d.customer_id "
                        "where d.id = ?", [dispute_id])  # fmt: skip
    if not rows:
        raise NotFound(f"no dispute with id {dispute_id}")
    case = rows[0]
    case["invoices"] = loads(case["invoice_numbers_json"], []) or []
    numbers = case["invoices"]
    sql = "select * from invoices where customer_id = ?"
    args: list = [case["customer_id"]]
    if numbers:
        sql += f" and number in ({','.join('?' * len(numbers))})"
        args += numbers
    else:
        sql += " and status in ('open', 'partially_paid')"
    return {
        "case": case,
        "invoice_rows": _rows(store, sql + " order by due_date", args),
        "stake": at_stake(store, [dispute_id])[dispute_id],
        "credits": _rows(store, "select * from pending_credits where dispute_id = ? order by id", [dispute_id]),
        "replies": _rows(store, "select d.id, d.status, d.subject from drafts d where d.kind = 'dispute_reply' "
                                "and d.customer_id = ? and exists (select 1 from audit_events a where a.entity_type = "
                                "'draft' and a.entity_id = cast(d.id as text) and a.reason like ?) order by d.id desc",
                         [case["customer_id"], f"%dispute #{dispute_id} %"]),  # fmt: skip
        "message": next(iter(_rows(store, "select id, subject, from_addr, text_reply from messages where id = ?",
                                   [case["message_id"]])), None),  # fmt: skip
        "audit": _rows(store, "select * from audit_events where entity_type = 'dispute' and entity_id = ? order by id",
                       [str(dispute_id)]),  # fmt: skip
        "people": people(store),
    }
