"""Reading the store for the daily plan in bulk: one query per table, so thousands of customers plan in seconds."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from copilot.drafting.review import OPEN_STATUSES
from copilot.ledger.credits import chase_balance, pending_by_invoice
from copilot.policy import cadence
from copilot.policy.model import Policy
from copilot.store import Store


def _group(rows, key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def day_of(text: str | None) -> date | None:
    """The calendar day of an ISO timestamp or date as written (its local date); None when absent or unreadable."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def is_open(invoice: dict) -> bool:
    """May this ledger row be chased at all: open or part-paid, with money still owed."""
    return invoice["status"] in ("open", "partially_paid") and Decimal(invoice["open_balance"]) > 0


@dataclass
class Snapshot:
    """What the plan needs to know about every customer with open invoices, read in one go."""

    customers: dict[str, dict]
    invoices: dict[str, list[dict]]
    contacts: dict[str, list[dict]]
    pauses: dict[str, list[dict]]
    last_touch: dict[str, date]
    contact_today: Counter
    account_week: Counter
    busy: set[str]  # customers with an open draft or one planned today
    latest_inbound: dict[str, dict]
    requests: dict[str, dict]
    broken: dict[str, dict]


def read_snapshot(store: Store, as_of: date, policy: Policy) -> Snapshot:
    db = store.db
    day = as_of.isoformat()
    invoices = [r for r in db.query("select * from invoices where status in ('open', 'partially_paid')") if is_open(r)]
    # A credit agreed in a dispute lowers what we chase until the ERP import books it.
    credits = pending_by_invoice(store)
    if credits:
        invoices = [r if r["number"] not in credits else {**r, "open_balance": str(chase_balance(
                    Decimal(r["open_balance"]), credits[r["number"]]))} for r in invoices]  # fmt: skip
        invoices = [r for r in invoices if Decimal(r["open_balance"]) > 0]
    pauses = db.query("select * from pauses where lifted_at is null and (until is null or until >= ?)", [day])
    last_touch: dict[str, date] = {}
    touches = db.query(
        "select customer_id, sent_at from drafts where status = 'sent' "
        "union all select customer_id, sent_at from messages where direction = 'outbound' and customer_id is not null"
    )
    contact_today: Counter = Counter()
    account_week: Counter = Counter()
    week = cadence.week_start(as_of)
    for row in touches:
        sent = day_of(row["sent_at"])
        if sent and sent <= as_of and sent > last_touch.get(row["customer_id"], date.min):
            last_touch[row["customer_id"]] = sent
    for row in db.query("select customer_id, contact_email, sent_at from drafts where status = 'sent'"):
        sent = day_of(row["sent_at"])
        if sent == as_of:
            contact_today[row["contact_email"]] += 1
        if sent and week <= sent <= as_of:
            account_week[row["customer_id"]] += 1
    marks = ", ".join("?" * len(OPEN_STATUSES))
    busy_sql = f"select distinct customer_id from drafts where status in ({marks}) or (plan_date = ? and status != 'superseded')"
    busy = {r["customer_id"] for r in db.query(busy_sql, [*OPEN_STATUSES, day])}
    latest: dict[str, dict] = {}
    for row in db.query(
        "select id, customer_id, message_id, subject, from_addr, references_json, sent_at, received_at, invoice_numbers_json "
        "from messages where direction = 'inbound' and customer_id is not null and coalesce(is_auto_reply, 0) = 0 "
        "order by coalesce(sent_at, received_at)"
    ):
        latest[row["customer_id"]] = row
    return Snapshot(
        customers={r["id"]: r for r in db.query("select * from customers")},
        invoices=_group(invoices, "customer_id"),
        contacts=_group(db.query("select * from contacts where status = 'ok' order by id"), "customer_id"),
        pauses=_group(pauses, "customer_id"),
        last_touch=last_touch,
        contact_today=contact_today,
        account_week=account_week,
        busy=busy,
        latest_inbound=latest,
        requests=_open_requests(store),
        broken=_broken_promises(store, as_of, policy),
    )


def _open_requests(store: Store) -> dict[str, dict]:
    """The latest classified request per customer that no draft or sent mail answers yet."""
    out: dict[str, dict] = {}
    for row in store.db.query(
        "select m.id, m.customer_id, m.message_id, m.subject, m.from_addr, m.references_json, m.sent_at, "
        "m.invoice_numbers_json, c.request_kind from messages m "
        "join classifications c on c.message_id = m.id and c.is_current = 1 and c.label = 'request' "
        "where m.direction = 'inbound' and m.customer_id is not null "
        "and not exists (select 1 from drafts d where d.in_reply_to = m.message_id) "
        "and not exists (select 1 from messages o where o.direction = 'outbound' and o.in_reply_to = m.message_id) "
        "order by coalesce(m.sent_at, m.received_at)"
    ):
        out[row["customer_id"]] = row
    return out


def _broken_promises(store: Store, as_of: date, policy: Policy) -> dict[str, dict]:
    """Promises marked broken, or open ones whose grace period ended before today; the latest per customer."""
    out: dict[str, dict] = {}
    grace = timedelta(days=policy.routing.promise_grace_days)
    for row in store.db.query("select * from promises where status in ('broken', 'open') order by id"):
        promised = day_of(row["promised_date"])
        until = day_of(row["grace_until"]) or (promised + grace if promised else None)
        if row["status"] == "broken":
            broken_on = day_of(row["resolved_at"]) or (until + timedelta(days=1) if until else as_of)
        elif until and until < as_of:
            broken_on = until + timedelta(days=1)
        else:
            continue
        if broken_on <= as_of:
            out[row["customer_id"]] = {**row, "broken_on": broken_on}
    return out
