"""A customer's story in plain words: replies and reminders, promises, disputes, pauses, alerts, notes and calls.

Each entry says what happened, who did it and links to where it can be seen. The raw audit
log stays available on its own page. Nothing here writes.
"""

from dataclasses import dataclass

from copilot.classify.gist import LABEL_WORDS, local_gist, reply_gist
from copilot.ledger.money import fmt
from copilot.store import Store, loads
from copilot.web.risks import excerpt

LIMIT = 300
PAUSE_REASONS: dict[str, str] = {
    "dispute": "a dispute", "promise": "a promise to pay", "paid": "a payment they reported", "request": "their request",
    "frustration": "frustration", "snooze": "an out-of-office reply", "manual": "a person's decision",
}  # fmt: skip
CALL_OUTCOMES: dict[str, str] = {
    "reached": "spoke to them", "voicemail": "left a voicemail", "no_answer": "no answer",
    "promised": "they promised to pay", "wrong_number": "wrong number",
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    at: str
    kind: str  # in | out | promise | dispute | pause | alert | task | note | call
    what: str
    detail: str = ""
    link: str | None = None
    who: str | None = None
    gist: str | None = None


def _rows(store: Store, sql: str, args: list) -> list[dict]:
    cursor = store.db.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def actor_name(actor: str | None) -> str:
    """'user:dana' → 'dana'; the product's own steps by what they are."""
    if not actor:
        return "someone"
    if actor.startswith("user:"):
        return actor[5:]
    return {"router": "automatic routing", "planner": "the daily plan", "import": "the ERP import",
            "scheduler": "scheduled checks", "triage": "automatic triage"}.get(actor, actor)  # fmt: skip


def _money(amount: str | None, currency: str | None) -> str:
    if not amount:
        return ""
    return fmt(amount, currency)


def _gist_line(gist: dict) -> str:
    """'German; in English: …', naming the model when one wrote it."""
    by = f" (summary by {gist['source']})" if gist.get("source") not in (None, "local") else ""
    return f"{gist['language']}; in English: {gist['gist']}{by}"


def _invoices(value: str | None) -> str:
    numbers = loads(value, []) or []
    return ", ".join(numbers) if numbers else "the whole account"


def customer_timeline(store: Store, customer_id: str, limit: int = LIMIT) -> list[Entry]:
    """Everything that happened with this customer, newest first."""
    one = [customer_id]
    out: list[Entry] = []
    replies = _rows(store, """select m.id, m.direction, m.subject, m.from_addr, m.from_name, m.text_reply, m.text_full,
            coalesce(m.sent_at, m.received_at, m.created_at) as at, k.label, k.frustrated, k.promise_date,
            k.promise_amount, k.promise_currency, k.dispute_reason, k.request_kind, k.return_date, k.gist,
            k.gist_source
        from messages m left join classifications k on k.message_id = m.id and k.is_current = 1
        where m.customer_id = ? order by at desc limit ?""", [customer_id, limit])  # fmt: skip
    for m in replies:
        if m["direction"] == "inbound":
            said = LABEL_WORDS.get(m["label"], "Not classified yet") if m["label"] else "Not classified yet"
            gist = reply_gist(m["text_reply"] or m["text_full"], m if m["label"] else None)
            out.append(Entry(m["at"], "in", f"Reply from {m['from_name'] or m['from_addr'] or 'the customer'}: "
                             f"{local_gist(m) if m['label'] else said}", excerpt(m["text_reply"] or m["text_full"]),
                             f"/messages/{m['id']}",
                             gist=_gist_line(gist) if gist else None))  # fmt: skip
        else:
            out.append(Entry(m["at"], "out", f"We wrote: {m['subject'] or '(no subject)'}", "", f"/messages/{m['id']}"))
    for d in _rows(store, "select id, kind, tier, subject, contact_email, sent_at, sent_by, status from drafts "
                          "where customer_id = ? and status in ('sent', 'rejected', 'failed') and (message_id is null or message_id not in "
                          "(select message_id from messages where message_id is not null and customer_id = ?) "
                          ") order by id desc limit ?", [customer_id, customer_id, limit]):  # fmt: skip
        kind = (d["kind"] or "reminder").replace("_", " ")
        tier = f" (Tier {d['tier']})" if d["tier"] else ""
        verb = {"sent": "Sent", "rejected": "Rejected", "failed": "Failed to send"}[d["status"]]
        out.append(Entry(d["sent_at"] or "", "out", f"{verb} a {kind}{tier} to {d['contact_email']}", d["subject"] or "",
                         f"/drafts/{d['id']}", actor_name(d["sent_by"])))  # fmt: skip
    for p in _rows(store, "select * from promises where customer_id = ? order by id desc", one):
        amount = _money(p["amount"], p["currency"]) or "payment"
        out.append(Entry(p["created_at"] or "", "promise", f"Promised {amount} by {(p['promised_date'] or '')[:10]}",
                         f"for {_invoices(p['invoice_numbers_json'])}", "/promises?status=all"))  # fmt: skip
        if p["status"] in ("kept", "broken", "cancelled") and p["resolved_at"]:
            out.append(Entry(p["resolved_at"], "promise", f"Promise {p['status']}: {amount} by "
                             f"{(p['promised_date'] or '')[:10]}", "", "/promises?status=all"))  # fmt: skip
    for d in _rows(store, "select * from disputes where customer_id = ? order by id desc", one):
        out.append(Entry(d["opened_at"] or "", "dispute", f"Dispute opened: {d['reason'] or 'no reason given'}",
                         f"on {_invoices(d['invoice_numbers_json'])}", f"/disputes/{d['id']}"))  # fmt: skip
        if d["status"] != "open" and d["resolved_at"]:
            how = (d["resolution_kind"] or "").replace("_", " ")
            out.append(Entry(d["resolved_at"], "dispute", f"Dispute {d['status']}{': ' + how if how else ''}",
                             d["resolution"] or "", f"/disputes/{d['id']}", actor_name(d["resolved_by"])))  # fmt: skip
    for p in _rows(store, "select * from pauses where customer_id = ? order by id desc", one):
        what = "Reminders" if p["scope"] == "dunning" else "Automatic sends"
        on = f"invoice {p['invoice_number']}" if p["invoice_number"] else "the whole account"
        until = f" until {p['until']}" if p["until"] else ""
        out.append(Entry(p["created_at"] or "", "pause", f"{what} paused on {on} because of "
                         f"{PAUSE_REASONS.get(p['reason'], p['reason'])}{until}", p["note"] or "",
                         f"/customers/{customer_id}#pause-h", actor_name(p["created_by"])))  # fmt: skip
        if p["lifted_at"]:
            out.append(Entry(p["lifted_at"], "pause", f"{what} resumed on {on}", p["lift_reason"] or "",
                             f"/customers/{customer_id}#pause-h", actor_name(p["lifted_by"])))  # fmt: skip
    for a in _rows(store, "select id, kind, status, created_at, message_id from alerts where customer_id = ? "
                          "order by id desc", one):  # fmt: skip
        out.append(Entry(a["created_at"] or "", "alert", f"{a['kind'].replace('_', ' ').capitalize()} alert "
                         f"({a['status']})", "", f"/messages/{a['message_id']}" if a["message_id"] else None))  # fmt: skip
    for t in _rows(store, "select * from tasks where customer_id = ? order by id desc", one):
        out.append(Entry(t["created_at"] or "", "task", f"Task opened: {(t['kind'] or 'task').replace('_', ' ')}",
                         t["description"] or "", f"/customers/{customer_id}#task-h"))  # fmt: skip
        if t["status"] == "done" and t["done_at"]:
            out.append(Entry(t["done_at"], "task", f"Task done: {(t['kind'] or 'task').replace('_', ' ')}", "",
                             f"/customers/{customer_id}#task-h", actor_name(t["done_by"])))  # fmt: skip
    for n in _rows(store, "select * from customer_notes where customer_id = ? order by id desc", one):
        if n["kind"] == "call":
            with_whom = f" with {n['contact']}" if n["contact"] else ""
            what = f"Call{with_whom}: {CALL_OUTCOMES.get(n['outcome'], n['outcome'] or '')}"
        else:
            what = "Note"
        out.append(Entry(n["created_at"], n["kind"], what, n["body"], None,
                         actor_name(n["created_by"])))  # fmt: skip
    out.sort(key=lambda e: e.at or "", reverse=True)
    return out[:limit]
