"""What a collector must know before sending a draft: every open risk on the account, in plain words.

`draft_risks` reads the store and returns one entry per risk (an open dispute, a frustration
alert, a bouncing address, a promise in force, a reply waiting for review, an open task, a
draft marked stale, an account flag). The draft page shows each as a banner with role="alert".
Nothing here writes.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from copilot.drafting.stale import shown_stale
from copilot.store import Store, loads
from copilot.web.templating import day

EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Risk:
    kind: str  # dispute | frustration | bounce | promise | review | task | stale | flag
    title: str
    detail: str
    link: str | None = None
    link_text: str | None = None


def _rows(store: Store, sql: str, args: list) -> list[dict]:
    cursor = store.db.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The first words of a text on one line, cut at a word boundary."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def _invoices(value: str | None) -> str:
    numbers = loads(value, []) or []
    return ", ".join(numbers) if numbers else "the whole account"


def draft_risks(store: Store, draft: dict, as_of: date) -> list[Risk]:
    """Every risk on the draft's account, most serious first."""
    cid = draft["customer_id"]
    out: list[Risk] = []
    on_draft = set(loads(draft.get("invoice_numbers_json"), []) or [])
    for d in _rows(store, "select id, reason, invoice_numbers_json, owner_email, owner_user, sla_due_at from disputes "
                          "where customer_id = ? and status = 'open' order by id", [cid]):  # fmt: skip
        owner = d["owner_user"] or (f"not assigned ({d['owner_email']})" if d["owner_email"] else "not assigned")
        disputed = set(loads(d["invoice_numbers_json"], []) or [])
        named = sorted(disputed & on_draft) if disputed else sorted(on_draft)
        chased = (f"This draft still asks for payment of disputed {', '.join(named)}: take "
                  f"{'it' if len(named) == 1 else 'them'} out or resolve the dispute first."
                  if named and draft.get("kind") != "dispute_reply" else "Disputed invoices are left out of reminders.")  # fmt: skip
        out.append(Risk("dispute", f"Open dispute on {_invoices(d['invoice_numbers_json'])}",
                        f"Reason: {d['reason'] or 'not given'}. Owner: {owner}. {chased}", f"/disputes/{d['id']}",
                        "Open the dispute"))  # fmt: skip
    frustrated = _rows(store, """select a.id, a.created_at, a.acknowledged_at, m.id as message_id, m.text_reply, m.subject
        from alerts a left join messages m on m.id = a.message_id
        where a.customer_id = ? and a.kind = 'frustration' and a.acknowledged_at is null order by a.id desc""", [cid])  # fmt: skip
    held = _rows(store, "select id, note from pauses where customer_id = ? and reason = 'frustration' "
                        "and lifted_at is null", [cid])  # fmt: skip
    if frustrated or held:
        latest = frustrated[0] if frustrated else None
        said = f' They wrote: "{excerpt(latest["text_reply"])}"' if latest and latest["text_reply"] else ""
        out.append(Risk("frustration", "The customer is frustrated",
                        f"An alert went to the account team and automatic sends are stopped.{said} "
                        "Consider a call or a personal note instead of a reminder.",
                        f"/messages/{latest['message_id']}" if latest and latest["message_id"] else f"/customers/{cid}",
                        "Read their reply" if latest and latest["message_id"] else "Customer page"))  # fmt: skip
    recipients = {e.lower() for e in [*(loads(draft.get("to_json"), []) or []), *(loads(draft.get("cc_json"), []) or [])]}
    for c in _rows(store, "select email, status_reason from contacts where customer_id = ? and status != 'ok'", [cid]):
        on_draft = c["email"].lower() in recipients
        out.append(Risk("bounce", f"Mail to {c['email']} bounced",
                        ("This draft is addressed to it; choose another contact or fix the address first."
                         if on_draft else "The address is marked bad; reminders go to the other contacts.")
                        + (f" ({c['status_reason']})" if c["status_reason"] else ""),
                        f"/customers/{cid}#contacts", "Contacts"))  # fmt: skip
    for p in _rows(store, "select id, promised_date, grace_until, amount, currency, invoice_numbers_json from promises "
                          "where customer_id = ? and status = 'open' order by promised_date", [cid]):  # fmt: skip
        until = p["grace_until"] or p["promised_date"]
        if until and until[:10] < as_of.isoformat():
            continue
        amount = f"{p['currency'] or ''} {Decimal(p['amount']):,.2f}".strip() if p["amount"] else "payment"
        out.append(Risk("promise", f"Promise to pay in force: {amount} by {day(p['promised_date'])}",
                        f"They promised to pay {_invoices(p['invoice_numbers_json'])}; dunning on those invoices waits "
                        f"until {day(until)}.", f"/customers/{cid}#promises", "Promises"))  # fmt: skip
    for m in _rows(store, "select id, subject from messages where customer_id = ? and direction = 'inbound' "
                          "and status = 'needs_review' order by id desc", [cid]):  # fmt: skip
        out.append(Risk("review", "A reply from this customer waits for review",
                        f"“{excerpt(m['subject'], 80)}” was not classified with enough confidence; read it before "
                        "sending.", f"/messages/{m['id']}", "Review the reply"))  # fmt: skip
    for t in _rows(store, "select id, kind, description, due_date from tasks where customer_id = ? and status = 'open' "
                          "order by id", [cid]):  # fmt: skip
        due = f" (due {day(t['due_date'])})" if t["due_date"] else ""
        out.append(Risk("task", f"Open task: {(t['kind'] or 'task').replace('_', ' ')}{due}",
                        t["description"] or "A collector task is still open on this account.",
                        f"/customers/{cid}#tasks", "Tasks"))  # fmt: skip
    if shown_stale(draft):  # the mark the worklist's Stale tab lists, so the page and the tab always agree
        out.append(Risk("stale", "This draft may be out of date",
                        f"Stale: {draft.get('stale_reason') or 'the account changed after it was planned'} "
                        f"(marked {(draft['stale_at'] or '')[:16].replace('T', ' ')}). The next plan writes it again "
                        "from the current state; sending re-checks it first.", f"/customers/{cid}", "Customer page"))  # fmt: skip
    customer = _rows(store, "select flag from customers where id = ?", [cid])
    if customer and customer[0]["flag"]:
        out.append(Risk("flag", "The account is flagged", customer[0]["flag"], f"/customers/{cid}", "Customer page"))
    return out
