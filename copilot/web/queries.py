"""Read-only queries behind the list screens: worklist, inbox, dashboard, disputes, promises and alerts.

Each returns plain dicts for a template. Nothing here writes. Every query that lists accounts'
records takes an `AccountScope` (copilot.web.scope) and filters with its `where()`, so an
account-team user sees only their accounts; the default, EVERYONE, is for collectors and admins.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from copilot.ledger.aging import OPEN_STATUSES
from copilot.ledger.metrics import DISPUTE_AGES
from copilot.policy.cadence import BUCKETS, NOT_DUE, bucket_action
from copilot.policy.model import Policy
from copilot.store import Store, loads
from copilot.web.cache import cached
from copilot.web.scope import EVERYONE, AccountScope

SEGMENT_RANK = {"strategic": 0, "mid-market": 1, "long-tail": 2}
PAGE = 100


def priority_key(row: dict) -> tuple:
    """Pure: worklist order — larger amount first, then more days past due, then segment, then risky first
    (then the older draft, so the order is the same on every page, "Next draft" included)."""
    return (-(row["amount"] or 0), -(row["days_past_due"] or 0), SEGMENT_RANK.get(row["segment"], 3), -(row["risky"] or 0),
            row["id"])  # fmt: skip


def worklist(store: Store, as_of: date, *, tier: int | None = None, segment: str | None = None,
             owner: str | None = None, limit: int = PAGE, scope: AccountScope = EVERYONE) -> dict:  # fmt: skip
    """Drafts waiting for a person (and failed sends to retry), in priority order, with counts."""
    rows = cached(store, ("worklist", as_of), lambda: _worklist_rows(store, as_of))
    if not scope.everyone:
        allowed = scope_customer_ids(store, scope)
        rows = [r for r in rows if r["customer_id"] in allowed]
    counts = {
        "total": len(rows),
        "tier": _count(rows, "tier"),
        "segment": _count(rows, "segment"),
        "status": _count(rows, "status"),
    }
    owners = sorted({r["owner"] for r in rows if r["owner"]})
    shown = _filtered(rows, tier, segment, owner)
    return {"rows": shown[:limit], "matching": len(shown), "counts": counts, "owners": owners}


def _filtered(rows: list[dict], tier: int | None, segment: str | None, owner: str | None) -> list[dict]:
    return [r for r in rows if (tier is None or r["tier"] == tier) and (not segment or r["segment"] == segment)
            and (not owner or r["owner"] == owner)]  # fmt: skip


def next_draft(store: Store, as_of: date, draft_id: int, *, tier: int | None = None, segment: str | None = None,
               owner: str | None = None) -> int | None:  # fmt: skip
    """The draft after this one in the worklist's order and filters; None at the end of the list.

    A draft that has left the list (sent, held for sending, rejected) still has a place in the
    order, so the next one is the first waiting draft that sorts after it.
    """
    rows = _filtered(cached(store, ("worklist", as_of), lambda: _worklist_rows(store, as_of)), tier, segment, owner)
    ids = [r["id"] for r in rows]
    if draft_id in ids:
        at = ids.index(draft_id)
        return ids[at + 1] if at + 1 < len(ids) else None
    here = _worklist_rows(store, as_of, only=draft_id)
    if not here:
        return ids[0] if ids else None
    key = priority_key(here[0])
    return next((r["id"] for r in rows if priority_key(r) > key), None)


def _worklist_rows(store: Store, as_of: date, only: int | None = None) -> list[dict]:
    # Aggregate the invoices per draft first, on narrow rows; the text columns join in afterwards.
    sql = """
        with agg as (
            select d.id as draft_id, sum(cast(i.open_balance as real)) as amount, min(i.due_date) as oldest_due,
                   min(i.currency) as cur_lo, max(i.currency) as cur_hi, count(i.number) as invoices
            from drafts d, json_each(d.invoice_numbers_json) j join invoices i on i.number = j.value
            where {which}
            group by d.id)
        select d.id, d.customer_id, c.name as customer_name, coalesce(d.segment, c.segment) as segment, c.risky,
               c.account_owner_email as owner, d.tier, d.kind, d.subject, d.contact_email, d.status, d.generator,
               coalesce(json_array_length(d.guardrail_flags_json), 0) as flags, d.plan_date, d.last_error,
               d.stale_at, d.stale_reason,
               agg.amount, cast(julianday(?) - julianday(agg.oldest_due) as integer) as days_past_due,
               case when agg.cur_lo = agg.cur_hi then agg.cur_lo end as currency, coalesce(agg.invoices, 0) as invoices
        from drafts d
        join customers c on c.id = d.customer_id
        left join agg on agg.draft_id = d.id
        where {which}
    """
    which, args = ("d.id = ?", [only]) if only is not None else ("d.status in ('draft', 'failed')", [])
    sql = sql.replace("{which}", which)
    cursor = store.db.execute(sql, [*args, as_of.isoformat(), *args])
    names = [c[0] for c in cursor.description]
    return sorted((dict(zip(names, r)) for r in cursor.fetchall()), key=priority_key)


def scope_customer_ids(store: Store, scope: AccountScope) -> set[str]:
    """The ids of the accounts in scope, for filtering rows computed (or cached) without a scope."""
    condition, args = scope.where("c.id")
    return {r[0] for r in store.db.execute(f"select c.id from customers c where {condition}", args)}


def _count(rows: list[dict], key: str) -> dict:
    out: dict = defaultdict(int)
    for row in rows:
        out[row[key]] += 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


# Pending replies are listed too (as unclassified) so a person can label one before the classifier runs.
INBOX_STATUSES = ("pending", "classified", "routed", "needs_review")


def inbox(store: Store, *, label: str | None = None, review: bool = False, frustrated: bool = False,
          limit: int = PAGE, scope: AccountScope = EVERYONE) -> dict:  # fmt: skip
    """Triaged replies, newest first, each with its current classification and the actions routing took."""
    in_scope, scope_args = scope.where("m.customer_id")
    where = ["m.direction = 'inbound'", "m.customer_id is not null", f"m.status in ({','.join('?' * len(INBOX_STATUSES))})",
             in_scope]  # fmt: skip
    args: list = [*INBOX_STATUSES, *scope_args]
    if label:
        where.append("k.label = ?")
        args.append(label)
    if review:
        where.append("(k.needs_review = 1 or m.status = 'needs_review')")
    if frustrated:
        where.append("k.frustrated = 1")
    sql = f"""
        select m.id, m.subject, m.from_addr, m.from_name, m.received_at, m.sent_at, m.status, m.customer_id,
               m.invoice_numbers_json, m.match_rule, c.name as customer_name,
               k.label, k.confidence, k.frustrated, k.needs_review, k.evidence, k.source
        from messages m
        left join classifications k on k.message_id = m.id and k.is_current = 1
        left join customers c on c.id = m.customer_id
        where {' and '.join(where)}
        order by coalesce(m.received_at, m.sent_at, m.created_at) desc, m.id desc
    """
    cursor = store.db.execute(sql + " limit ?", [*args, limit])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    total = store.db.execute(f"select count(*) from ({sql})", args).fetchone()[0]
    actions = message_actions(store, [r["id"] for r in rows])
    for row in rows:
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
        row["actions"] = actions.get(row["id"], [])
    return {"rows": rows, "total": total}


def message_actions(store: Store, message_ids: list[int]) -> dict[int, list[str]]:
    """What routing did for each reply: disputes, promises, tasks, alerts and the pauses they hold."""
    out: dict[int, list[str]] = defaultdict(list)
    if not message_ids:
        return out
    marks = ",".join("?" * len(message_ids))
    db = store.db
    for r in db.execute(f"select message_id, id, reason, status from disputes where message_id in ({marks})", message_ids):
        out[r[0]].append(f"dispute #{r[1]} ({r[2] or 'no reason'}, {r[3]})")
    for r in db.execute(f"select message_id, promised_date, amount, currency, status from promises where message_id in ({marks})",
                        message_ids):  # fmt: skip
        amount = f" {r[3]} {r[2]}" if r[2] else ""
        out[r[0]].append(f"promise{amount} by {r[1]} ({r[4]})")
    for r in db.execute(f"select message_id, kind, status from tasks where message_id in ({marks})", message_ids):
        out[r[0]].append(f"task: {r[1]} ({r[2]})")
    for r in db.execute(f"select message_id, kind, status from alerts where message_id in ({marks})", message_ids):
        out[r[0]].append(f"alert: {r[1]} ({r[2]})")
    sql = f"""
        select coalesce(d.message_id, pr.message_id, t.message_id, case when p.source_type = 'message'
               then cast(p.source_id as integer) end) as mid, p.reason, p.scope, p.invoice_number, p.until, p.lifted_at
        from pauses p
        left join disputes d on p.source_type = 'dispute' and d.id = cast(p.source_id as integer)
        left join promises pr on p.source_type = 'promise' and pr.id = cast(p.source_id as integer)
        left join tasks t on p.source_type = 'task' and t.id = cast(p.source_id as integer)
        where mid in ({marks})
    """
    for mid, reason, scope, invoice, until, lifted in db.execute(sql, message_ids):
        state = "lifted" if lifted else (f"until {until}" if until else "until lifted")
        out[mid].append(f"{scope} pause on {invoice or 'the account'} ({reason}, {state})")
    return out


def unmatched(store: Store, limit: int = PAGE, scope: AccountScope = EVERYONE) -> list[dict]:
    """Replies no rule tied to a customer, with their current label; disputes and frustration first, as they are urgent."""
    # Replies matched to no account belong to no account team: only collectors and admins see those.
    in_scope, args = scope.where("m.customer_id")
    cursor = store.conn.execute(
        "select m.*, c.label, c.confidence, c.frustrated, "
        "coalesce(c.label in ('dispute', 'frustration') or c.frustrated = 1, 0) as urgent "
        "from messages m left join classifications c on c.message_id = m.id and c.is_current = 1 "
        f"where m.direction = 'inbound' and (m.status = 'unmatched' or m.customer_id is null) and {in_scope} "
        "order by urgent desc, m.id desc limit ?", [*args, limit])  # fmt: skip
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def quarantined(store: Store, limit: int = PAGE, scope: AccountScope = EVERYONE) -> list[dict]:
    if not scope.everyone:
        return []  # quarantined mail was never matched to an account
    return list(store.db["quarantine"].rows_where("status = 'open'", select="id, mailbox, folder, uid, message_id, "
                                                  "subject, from_addr, error, size, created_at", order_by="id desc",
                                                  limit=limit))  # fmt: skip


AGE_BANDS = tuple(name for name, _, _ in DISPUTE_AGES)


def _age_band(days: int) -> str:
    return next(name for name, low, high in DISPUTE_AGES if days >= low and (high is None or days <= high))


# The same boundaries as cadence.bucket_for, evaluated inside SQLite so 10,000 invoices cost one scan.
_BUCKET_SQL = """case when days < 1 then ? when days <= 30 then '0-30' when days <= 60 then '31-60'
                     when days <= 90 then '61-90' else '90+' end"""


def aging_table(store: Store, policy: Policy, as_of: date, scope: AccountScope = EVERYONE) -> list[dict]:
    """Open receivables per bucket (the four buckets, then 'not due'): invoices, customers and exact totals per currency."""
    marks = ",".join("?" * len(OPEN_STATUSES))
    in_scope, scope_args = scope.where("customer_id")
    inner = f"""select {_BUCKET_SQL} as bucket, currency, customer_id,
                       cast(round(cast(open_balance as real) * 100) as integer) as cents
                from (select cast(julianday(?) - julianday(due_date) as integer) as days, * from invoices
                      where status in ({marks}) and cast(open_balance as real) > 0 and {in_scope})"""  # fmt: skip
    args = [NOT_DUE, as_of.isoformat(), *OPEN_STATUSES, *scope_args]
    rows = {name: {"name": name, "action": bucket_action(name, policy), "count": 0, "customers": 0, "totals": {}}
            for name in (*BUCKETS, NOT_DUE)}  # fmt: skip
    for bucket, currency, count, cents in store.db.execute(
            f"select bucket, currency, count(*), sum(cents) from ({inner}) group by bucket, currency", args):  # fmt: skip
        rows[bucket]["count"] += count
        rows[bucket]["totals"][currency] = Decimal(cents) / 100
    for bucket, customers in store.db.execute(f"select bucket, count(distinct customer_id) from ({inner}) group by bucket", args):
        rows[bucket]["customers"] = customers
    return list(rows.values())


def dashboard(store: Store, policy: Policy, as_of: date, scope: AccountScope = EVERYONE) -> dict:
    """Aging buckets with chart geometry, open disputes by reason and age, and recent alerts."""
    table = aging_table(store, policy, as_of, scope)
    dispute_scope, dispute_args = scope.where("customer_id")
    alert_scope, alert_args = scope.where("a.customer_id")
    overdue = table[: len(BUCKETS)]
    charts = []
    for cur in sorted({c for b in overdue for c in b["totals"]}):
        top = max(b["totals"].get(cur, Decimal(0)) for b in overdue) or Decimal(1)
        bars = [{"bucket": b["name"], "amount": b["totals"].get(cur, Decimal(0)),
                 "width": float(b["totals"].get(cur, Decimal(0)) / top * 100)} for b in overdue]  # fmt: skip
        charts.append({"currency": cur, "bars": bars})
    disputes: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AGE_BANDS, 0))
    for reason, opened in store.db.execute("select coalesce(reason, 'unspecified'), opened_at from disputes "
                                           f"where status = 'open' and {dispute_scope}", dispute_args):  # fmt: skip
        age = (as_of - datetime.fromisoformat(opened).date()).days if opened else 0
        disputes[reason][_age_band(age)] += 1
    alerts = list(store.db.execute(f"""select a.id, a.kind, a.status, a.subject, a.created_at, a.acknowledged_at,
        a.customer_id, c.name from alerts a left join customers c on c.id = a.customer_id where {alert_scope}
        order by a.id desc limit 15""", alert_args).fetchall())  # fmt: skip
    return {"aging": table, "charts": charts, "disputes": dict(sorted(disputes.items())), "age_bands": AGE_BANDS,
            "alerts": [dict(zip(("id", "kind", "status", "subject", "created_at", "acknowledged_at", "customer_id",
                                 "customer_name"), a)) for a in alerts]}  # fmt: skip


def sla_state(due_at: str | None, status: str, now: datetime) -> str:
    """Pure: 'resolved', 'breached', 'due soon' (within a day) or 'on track'."""
    if status != "open":
        return "resolved"
    if not due_at:
        return "no SLA"
    due = datetime.fromisoformat(due_at)
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    hours = (due - now).total_seconds() / 3600
    return "breached" if hours < 0 else "due soon" if hours <= 24 else "on track"


def disputes_list(store: Store, now: datetime, status: str = "open", scope: AccountScope = EVERYONE) -> list[dict]:
    in_scope, args = scope.where("d.customer_id")
    cursor = store.db.execute(f"""select d.*, c.name as customer_name from disputes d
        left join customers c on c.id = d.customer_id where (? = 'all' or d.status = ?) and {in_scope}
        order by d.status = 'open' desc, d.sla_due_at""", [status, status, *args])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["sla"] = sla_state(row["sla_due_at"], row["status"], now)
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
    return rows


def promises_list(store: Store, as_of: date, status: str = "open", scope: AccountScope = EVERYONE) -> list[dict]:
    in_scope, args = scope.where("p.customer_id")
    cursor = store.db.execute(f"""select p.*, c.name as customer_name, c.account_owner_email as owner,
        pl.instalments as plan_size, pl.status as plan_status from promises p
        left join customers c on c.id = p.customer_id left join payment_plans pl on pl.id = p.plan_id
        where (? = 'all' or p.status = ?) and {in_scope}
        order by p.status = 'open' desc, p.promised_date""", [status, status, *args])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
        due = row["grace_until"] or row["promised_date"]
        row["sla"] = ("kept" if row["status"] == "kept" else row["status"] if row["status"] != "open"
                      else "overdue" if due and due < as_of.isoformat() else "due today"
                      if row["promised_date"] == as_of.isoformat() else "waiting")  # fmt: skip
    return rows


def account_alerts(store: Store, scope: AccountScope, show: str = "open") -> list[dict]:
    """Alerts for the accounts in scope: those this person owns or sits on the team of (admins see all)."""
    in_scope, args = scope.where("a.customer_id")
    cursor = store.db.execute(f"""select a.*, c.name as customer_name, c.segment, c.arr, c.currency as arr_currency
        from alerts a join customers c on c.id = a.customer_id
        where {in_scope} and (? = 'all' or a.acknowledged_at is null)
        order by a.acknowledged_at is not null, a.id desc limit 500""", [*args, show])  # fmt: skip
    names = [x[0] for x in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def customers(store: Store, q: str = "", limit: int = 100, scope: AccountScope = EVERYONE) -> list[dict]:
    like = f"%{q.strip()}%"
    in_scope, args = scope.where("c.id")
    cursor = store.db.execute(f"""select c.id, c.name, c.segment, c.account_owner_email,
        (select count(*) from invoices i where i.customer_id = c.id and i.status in ('open','partially_paid')) as open_invoices
        from customers c where (c.id like ? or c.name like ?) and {in_scope} order by c.name limit ?""",
        [like, like, *args, limit])  # fmt: skip
    names = [x[0] for x in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]
