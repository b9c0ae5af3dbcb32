"""The dashboard's totals in the reporting currency, its trends, the top debtors and collector activity.

Trends read the pre-aggregated `ledger_daily` rows (one per day, currency and bucket);
the figures for today come from the same table when an import or `tick` has written them.
`dashboard_figures` is wrapped in the stale-while-recompute cache by the route, so a
request after a change is answered from the previous figures while fresh ones are computed.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from copilot.config import ReportingSettings
from copilot.ledger.daily import AGING_BUCKETS, DSO_DAYS, _figures_now, history_days, period_start, read_series
from copilot.store import Store
from copilot.web import charts

WEEKS = 12
TOP_DEBTORS = 10
ACTIVITY_DAYS = 30
# Audit actions a person takes, grouped into what a team lead wants to count.
ACTIVITY: dict[str, tuple[str, ...]] = {
    "sent": ("send_sent",),
    "approved": ("approved",),
    "rejected": ("rejected",),
    "edited": ("edited", "regenerated"),
    "replies labelled": ("reclassified", "classified"),
    "notes and calls": ("added",),
    "disputes resolved": ("resolved",),
    "tasks done": ("done",),
}


class Converter:
    """Amounts into the reporting currency at the configured rates; what cannot be converted is kept aside."""

    def __init__(self, reporting: ReportingSettings):
        self.reporting = reporting
        self.missing: dict[str, Decimal] = defaultdict(Decimal)

    def __call__(self, amount: Decimal, currency: str) -> Decimal:
        rate = self.reporting.rate(currency)
        if rate is None:
            self.missing[currency] += amount
            return Decimal(0)
        return amount * rate

    def total(self, per_currency: dict[str, Decimal]) -> Decimal:
        return sum((self(v, c) for c, v in per_currency.items()), Decimal(0))


def _week_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def _aging_now(store: Store, as_of: date) -> dict[tuple[str, str], tuple[int, Decimal]]:
    series = read_series(store, [as_of]).get(as_of.isoformat())
    if series is None:  # nothing recorded today yet (no import or tick since midnight): read the ledger
        series = {k: (n, Decimal(c) / 100) for k, (n, c) in _figures_now(store, as_of).items()}
    return series


def dashboard_figures(store: Store, as_of: date, reporting: ReportingSettings) -> dict:
    """Everything the dashboard shows beyond the per-currency aging table, in the reporting currency."""
    conv = Converter(reporting)
    now = _aging_now(store, as_of)
    buckets = {b: sum((conv(v, cur) for (cur, bucket), (_, v) in now.items() if bucket == b), Decimal(0))
               for b in AGING_BUCKETS}  # fmt: skip
    open_total = sum(buckets.values(), Decimal(0))
    overdue = open_total - buckets[AGING_BUCKETS[0]]
    history = Converter(reporting)  # what cannot be converted is listed once, for today's totals
    days = [*history_days(as_of, WEEKS), as_of]
    series = read_series(store, days)
    series[as_of.isoformat()] = now
    over_time, dso = [], []
    for day in days:
        figures = series.get(day.isoformat())
        if figures is None:
            continue
        per_bucket = {b: sum((history(v, cur) for (cur, bucket), (_, v) in figures.items() if bucket == b), Decimal(0))
                      for b in AGING_BUCKETS}  # fmt: skip
        over_time.append((_week_label(day), per_bucket))
        sales = sum((history(v, cur) for (cur, bucket), (_, v) in figures.items() if bucket == "invoiced_90d"), Decimal(0))
        ar = sum(per_bucket.values(), Decimal(0))
        dso.append((_week_label(day), float(ar / sales * DSO_DAYS) if sales > 0 else None))
    cash = _cash_by_week(store, as_of, history)
    kept = _promise_rate_by_week(store, as_of)
    return {
        "currency": reporting.currency,
        "rates_date": reporting.rates_date,
        "rates": reporting.rates,
        "totals": {"open": open_total, "overdue": overdue, "not_due": buckets[AGING_BUCKETS[0]]},
        "buckets": buckets,
        "aging_chart": charts.hbars([(b, buckets[b]) for b in AGING_BUCKETS]),
        "over_time": charts.stacked(over_time, list(AGING_BUCKETS)),
        "dso": charts.line(dso),
        "dso_now": dso[-1][1] if dso else None,
        "cash": charts.columns(cash),
        "cash_total": sum((v for _, v in cash), Decimal(0)),
        "kept": charts.line(kept, fmt=lambda v: f"{v:.0f}%", top=100.0),
        "top_debtors": top_debtors(store, as_of, conv),
        "activity": collector_activity(store, as_of),
        "not_converted": dict(sorted(conv.missing.items())),
    }


def _cash_by_week(store: Store, as_of: date, conv: Converter) -> list[tuple[str, Decimal]]:
    """Payments received in each of the last weeks (ending on `as_of`), in the reporting currency."""
    start = as_of - timedelta(weeks=WEEKS) + timedelta(days=1)
    totals = [Decimal(0)] * WEEKS
    for paid_on, currency, cents in store.db.execute(
            "select paid_on, currency, sum(cast(round(cast(amount as real) * 100) as integer)) from payments "
            "where paid_on between ? and ? group by paid_on, currency", [start.isoformat(), as_of.isoformat()]):  # fmt: skip
        week = (date.fromisoformat(paid_on) - start).days // 7
        totals[week] += conv(Decimal(cents) / 100, currency)
    return [(_week_label(start + timedelta(weeks=w, days=6)), totals[w]) for w in range(WEEKS)]


def _promise_rate_by_week(store: Store, as_of: date) -> list[tuple[str, float | None]]:
    """Share of promises kept among those kept or broken in each week."""
    start = as_of - timedelta(weeks=WEEKS) + timedelta(days=1)
    kept, settled = [0] * WEEKS, [0] * WEEKS
    for resolved, status in store.db.execute(
            "select substr(resolved_at, 1, 10), status from promises where status in ('kept', 'broken') "
            "and substr(resolved_at, 1, 10) between ? and ?", [start.isoformat(), as_of.isoformat()]):  # fmt: skip
        week = (date.fromisoformat(resolved) - start).days // 7
        settled[week] += 1
        kept[week] += status == "kept"
    return [(_week_label(start + timedelta(weeks=w, days=6)), 100.0 * kept[w] / settled[w] if settled[w] else None)
            for w in range(WEEKS)]  # fmt: skip


def top_debtors(store: Store, as_of: date, conv: Converter, limit: int = TOP_DEBTORS) -> list[dict]:
    """The customers owing most, ranked in the reporting currency (inside SQLite), with their own-currency amounts."""
    rates = {conv.reporting.currency: Decimal(1), **conv.reporting.rates}
    values = ", ".join("(?, ?)" for _ in rates)
    args: list = [x for cur, rate in rates.items() for x in (cur, float(rate))]
    ranked = [r[0] for r in store.db.execute(
        f"""with r(cur, rate) as (values {values})
            select i.customer_id from invoices i left join r on r.cur = i.currency
            where i.status in ('open', 'partially_paid')
            group by i.customer_id order by sum(cast(i.open_balance as real) * coalesce(r.rate, 0)) desc, i.customer_id
            limit ?""", [*args, limit])]  # fmt: skip
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    per: dict[str, dict] = {}
    for cid, name, owner, currency, open_cents, overdue_cents, oldest in store.db.execute(
            f"""select i.customer_id, c.name, c.account_owner_email, i.currency,
                      sum(cast(round(cast(i.open_balance as real) * 100) as integer)),
                      sum(case when i.due_date < ? then cast(round(cast(i.open_balance as real) * 100) as integer)
                          else 0 end), min(i.due_date)
               from invoices i join customers c on c.id = i.customer_id
               where i.status in ('open', 'partially_paid') and i.customer_id in ({marks})
               group by i.customer_id, i.currency""", [as_of.isoformat(), *ranked]):  # fmt: skip
        row = per.setdefault(cid, {"id": cid, "name": name, "owner": owner, "amounts": {}, "overdue": {},
                                   "oldest_due": oldest})  # fmt: skip
        row["amounts"][currency] = Decimal(open_cents) / 100
        row["overdue"][currency] = Decimal(overdue_cents) / 100
        row["oldest_due"] = min(row["oldest_due"], oldest)
    quiet = Converter(conv.reporting)  # the aging totals already list what was not converted
    for row in per.values():
        row["reporting"] = quiet.total(row["amounts"])
        row["reporting_overdue"] = quiet.total(row["overdue"])
        row["days"] = (as_of - date.fromisoformat(row["oldest_due"])).days
    return sorted(per.values(), key=lambda r: (-r["reporting"], r["id"]))


def collector_activity(store: Store, as_of: date, days: int = ACTIVITY_DAYS) -> list[dict]:
    """What each person did in the last days: reminders sent, approvals, rejections, labels, notes, cases closed."""
    since = (as_of - timedelta(days=days - 1)).isoformat()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVITY, 0))
    lookup = {action: group for group, actions in ACTIVITY.items() for action in actions}
    for actor, entity, action, n in store.db.execute(
            "select actor, entity_type, action, count(*) from audit_events where at >= ? and actor like 'user:%' "
            "group by actor, entity_type, action", [since]):  # fmt: skip
        group = lookup.get(action)
        if group == "notes and calls" and entity not in ("note", "call"):
            continue
        if group == "disputes resolved" and entity != "dispute":
            continue
        if group == "tasks done" and entity != "task":
            continue
        if group:
            counts[actor][group] += n
    return [{"who": actor[5:], **values, "total": sum(values.values())}
            for actor, values in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))]  # fmt: skip


def _one_decimal(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def quick_metrics(store: Store, as_of: date, period_days: int = DSO_DAYS) -> dict | None:
    """DSO and CEI per currency, promises, alerts, from the daily figures and the small case tables.

    The same definitions as `copilot.ledger.metrics.compute_metrics` (which reads every invoice and
    payment), read from `ledger_daily`; None when the period's first or last day has no record.
    """
    start = period_start(as_of, period_days)
    series = read_series(store, [start, as_of])
    end, begin = series.get(as_of.isoformat()), series.get(start.isoformat())
    if end is None or begin is None or period_days != DSO_DAYS:
        return None

    def per(figures: dict, buckets: tuple[str, ...]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for (cur, bucket), (_, amount) in figures.items():
            if bucket in buckets:
                out[cur] += amount
        return out

    ending, current, opening = per(end, AGING_BUCKETS), per(end, (AGING_BUCKETS[0],)), per(begin, AGING_BUCKETS)
    sales = per(end, ("invoiced_90d",))
    dso = {cur: (_one_decimal(ending[cur] / sales[cur] * period_days) if sales.get(cur) else None) for cur in sorted(ending)}
    cei: dict[str, str | None] = {}
    for cur in sorted(set(opening) | set(sales) | set(ending)):
        available = opening.get(cur, Decimal(0)) + sales.get(cur, Decimal(0))
        denominator = available - current.get(cur, Decimal(0))
        cei[cur] = _one_decimal((available - ending.get(cur, Decimal(0))) / denominator * 100) if denominator > 0 else None
    db, first, last = store.db, start.isoformat(), as_of.isoformat()
    kept, broken = (db.execute("select count(*) from promises where status = ? and resolved_at is not null and "
                               "substr(resolved_at, 1, 10) > ? and substr(resolved_at, 1, 10) <= ?",
                               [status, first, last]).fetchone()[0] for status in ("kept", "broken"))  # fmt: skip
    sent = db.execute("select count(*) from alerts where sent_at is not null and substr(sent_at, 1, 10) > ? "
                      "and substr(sent_at, 1, 10) <= ?", [first, last]).fetchone()[0]  # fmt: skip
    return {
        "as_of": last, "period_days": period_days, "period_start": first, "dso_days": dso, "cei_percent": cei,
        "promises": {"kept": kept, "broken": broken, "open": db["promises"].count_where("status = 'open'"),
                     "kept_rate": round(kept / (kept + broken), 3) if kept + broken else None},
        "alerts": {"sent": sent, "pending": db["alerts"].count_where("status = 'pending'"),
                   "failed": db["alerts"].count_where("status = 'failed'")},
    }  # fmt: skip
