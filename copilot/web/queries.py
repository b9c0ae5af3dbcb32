"""Read-only queries behind the list screens: worklist, inbox, dashboard, disputes, promises and alerts.

Each returns plain dicts for a template. Nothing here writes.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from copilot.aging import aging_report
from copilot.cadence import days_past_due
from copilot.metrics import DISPUTE_AGES
from copilot.policy import Policy
from copilot.store import Store, loads

SEGMENT_RANK = {"strategic": 0, "mid-market": 1, "long-tail": 2}
PAGE = 200


def priority_key(row: dict) -> tuple:
    """Pure: worklist order — larger amount first, then more days past due, then segment, then risky first."""
    return (-(row["amount"] or 0), -(row["days_past_due"] or 0), SEGMENT_RANK.get(row["segment"], 3), -(row["risky"] or 0))


def worklist(store: Store, as_of: date, *, tier: int | None = None, segment: str | None = None,
             owner: str | None = None, limit: int = PAGE) -> dict:  # fmt: skip
    """Drafts waiting for a person (and failed sends to retry), in priority order, with counts."""
    sql = """
        select d.id, d.customer_id, c.name as customer_name, coalesce(d.segment, c.segment) as segment, c.risky,
               c.account_owner_email as owner, d.tier, d.kind, d.subject, d.contact_email, d.status, d.generator,
               d.guardrail_flags_json, d.plan_date, d.last_error,
               sum(cast(i.open_balance as real)) as amount, min(i.due_date) as oldest_due,
               group_concat(distinct i.currency) as currency, count(i.number) as invoices
        from drafts d
        join customers c on c.id = d.customer_id
        left join json_each(d.invoice_numbers_json) j
        left join invoices i on i.number = j.value
        where d.status in ('draft', 'failed')
        group by d.id
    """
    rows = [dict(zip(("id", "customer_id", "customer_name", "segment", "risky", "owner", "tier", "kind", "subject",
                      "contact_email", "status", "generator", "guardrail_flags_json", "plan_date", "last_error",
                      "amount", "oldest_due", "currency", "invoices"), r)) for r in store.db.execute(sql).fetchall()]  # fmt: skip
    for row in rows:
        row["days_past_due"] = days_past_due(date.fromisoformat(row["oldest_due"]), as_of) if row["oldest_due"] else None
        row["flags"] = loads(row["guardrail_flags_json"], []) or []
    counts = {
        "total": len(rows),
        "tier": _count(rows, "tier"),
        "segment": _count(rows, "segment"),
        "status": _count(rows, "status"),
    }
    owners = sorted({r["owner"] for r in rows if r["owner"]})
    shown = [r for r in rows if (tier is None or r["tier"] == tier) and (not segment or r["segment"] == segment)
             and (not owner or r["owner"] == owner)]  # fmt: skip
    shown.sort(key=priority_key)
    return {"rows": shown[:limit], "matching": len(shown), "counts": counts, "owners": owners}


def _count(rows: list[dict], key: str) -> dict:
    out: dict = defaultdict(int)
    for row in rows:
        out[row[key]] += 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


# Pending replies are listed too (as unclassified) so a person can label one before the classifier runs.
INBOX_STATUSES = ("pending", "classified", "routed", "needs_review")


def inbox(store: Store, *, label: str | None = None, review: bool = False, frustrated: bool = False,
          limit: int = PAGE) -> dict:  # fmt: skip
    """Triaged replies, newest first, each with its current classification and the actions routing took."""
    where = ["m.direction = 'inbound'", "m.customer_id is not null", f"m.status in ({','.join('?' * len(INBOX_STATUSES))})"]
    args: list = list(INBOX_STATUSES)
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


def unmatched(store: Store, limit: int = PAGE) -> list[dict]:
    return list(store.db["messages"].rows_where("direction = 'inbound' and (status = 'unmatched' or customer_id is null)",
                                                order_by="id desc", limit=limit))  # fmt: skip


def quarantined(store: Store, limit: int = PAGE) -> list[dict]:
    return list(store.db["quarantine"].rows_where("status = 'open'", select="id, mailbox, folder, uid, message_id, "
                                                  "subject, from_addr, error, size, created_at", order_by="id desc",
                                                  limit=limit))  # fmt: skip


AGE_BANDS = tuple(name for name, _, _ in DISPUTE_AGES)


def _age_band(days: int) -> str:
    return next(name for name, low, high in DISPUTE_AGES if days >= low and (high is None or days <= high))


def dashboard(store: Store, policy: Policy, as_of: date) -> dict:
    """Aging buckets with chart geometry, open disputes by reason and age, and recent alerts."""
    report = aging_report(store, policy, as_of)
    currencies = sorted({c for b in report.buckets for c in b.totals})
    charts = []
    for cur in currencies:
        top = max((b.totals.get(cur, Decimal(0)) for b in report.buckets), default=Decimal(0)) or Decimal(1)
        bars = [{"bucket": b.name, "amount": b.totals.get(cur, Decimal(0)),
                 "width": float(b.totals.get(cur, Decimal(0)) / top * 100)} for b in report.buckets]  # fmt: skip
        charts.append({"currency": cur, "bars": bars})
    disputes: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AGE_BANDS, 0))
    for reason, opened in store.db.execute("select coalesce(reason, 'unspecified'), opened_at from disputes where status = 'open'"):
        age = (as_of - datetime.fromisoformat(opened).date()).days if opened else 0
        disputes[reason][_age_band(age)] += 1
    alerts = list(store.db.execute("""select a.id, a.kind, a.status, a.subject, a.created_at, a.acknowledged_at,
        a.customer_id, c.name from alerts a left join customers c on c.id = a.customer_id
        order by a.id desc limit 15""").fetchall())  # fmt: skip
    return {"report": report, "charts": charts, "disputes": dict(sorted(disputes.items())), "age_bands": AGE_BANDS,
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


def disputes_list(store: Store, now: datetime, status: str = "open") -> list[dict]:
    cursor = store.db.execute("""select d.*, c.name as customer_name from disputes d
        left join customers c on c.id = d.customer_id where (? = 'all' or d.status = ?)
        order by d.status = 'open' desc, d.sla_due_at""", [status, status])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["sla"] = sla_state(row["sla_due_at"], row["status"], now)
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
    return rows


def promises_list(store: Store, as_of: date, status: str = "open") -> list[dict]:
    cursor = store.db.execute("""select p.*, c.name as customer_name, c.account_owner_email as owner from promises p
        left join customers c on c.id = p.customer_id where (? = 'all' or p.status = ?)
        order by p.status = 'open' desc, p.promised_date""", [status, status])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
        due = row["grace_until"] or row["promised_date"]
        row["sla"] = ("kept" if row["status"] == "kept" else row["status"] if row["status"] != "open"
                      else "overdue" if due and due < as_of.isoformat() else "due today"
                      if row["promised_date"] == as_of.isoformat() else "waiting")  # fmt: skip
    return rows


def account_alerts(store: Store, email: str | None, everyone: bool, show: str = "open") -> list[dict]:
    """Alerts for the accounts this person owns or sits on the team of (admins see all)."""
    cursor = store.db.execute("""select a.*, c.name as customer_name, c.segment, c.arr, c.currency as arr_currency
        from alerts a join customers c on c.id = a.customer_id
        where (? or lower(c.account_owner_email) = lower(?)
               or exists (select 1 from json_each(c.account_team_emails) t where lower(t.value) = lower(?)))
          and (? = 'all' or a.acknowledged_at is null)
        order by a.acknowledged_at is not null, a.id desc limit 500""",
        [int(everyone), email or "", email or "", show])  # fmt: skip
    names = [x[0] for x in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def customers(store: Store, q: str = "", limit: int = 100) -> list[dict]:
    like = f"%{q.strip()}%"
    cursor = store.db.execute("""select c.id, c.name, c.segment, c.account_owner_email,
        (select count(*) from invoices i where i.customer_id = c.id and i.status in ('open','partially_paid')) as open_invoices
        from customers c where c.id like ? or c.name like ? order by c.name limit ?""", [like, like, limit])  # fmt: skip
    names = [x[0] for x in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]
