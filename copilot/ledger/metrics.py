"""Collection metrics Finance reads: DSO, CEI, promise kept rate, disputes, alerts, recovery without escalation.

Balances on a past day are rebuilt from today's open balance plus the payments
recorded after that day, so the figures agree with the ledger as imported.
Money figures are kept per currency; nothing is converted.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from copilot.policy.cadence import days_past_due, tier_for
from copilot.policy.model import Policy, default_policy
from copilot.store import Store

DISPUTE_AGES = (("0-7", 0, 7), ("8-30", 8, 30), ("31+", 31, None))


def _issued(inv: dict) -> str:
    return inv["issue_date"] or inv["due_date"]


def _one_decimal(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class _Ledger:
    """Invoices and payments read once, with balances as they stood on any day."""

    def __init__(self, store: Store):
        self.invoices = [r for r in store.db["invoices"].rows if r["status"] != "void"]
        self.payments: dict[str, list[dict]] = defaultdict(list)
        for pay in store.db["payments"].rows:
            self.payments[pay["invoice_number"]].append(pay)

    def balance_at(self, inv: dict, day: date) -> Decimal:
        if _issued(inv) > day.isoformat():
            return Decimal("0")
        later = sum(
            (Decimal(p["amount"]) for p in self.payments[inv["number"]] if p["paid_on"] > day.isoformat()), Decimal("0")
        )
        return min(Decimal(inv["open_balance"]) + later, Decimal(inv["amount"]))

    def receivables(self, day: date, *, current_only: bool = False) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for inv in self.invoices:
            if current_only and inv["due_date"] < day.isoformat():
                continue
            totals[inv["currency"]] += self.balance_at(inv, day)
        return totals

    def sales(self, start: date, end: date) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for inv in self.invoices:
            if start.isoformat() < _issued(inv) <= end.isoformat():
                totals[inv["currency"]] += Decimal(inv["amount"])
        return totals


def _dso(ledger: _Ledger, start: date, as_of: date, days: int) -> dict[str, str | None]:
    """Days sales outstanding: receivables at the end of the period over the period's sales, times its days."""
    ending, sales = ledger.receivables(as_of), ledger.sales(start, as_of)
    return {cur: (_one_decimal(ending[cur] / sales[cur] * days) if sales.get(cur) else None) for cur in sorted(ending)}


def _cei(ledger: _Ledger, start: date, as_of: date) -> dict[str, str | None]:
    """Collection effectiveness: what was collected of what could have been, as a percentage."""
    begin, sales = ledger.receivables(start), ledger.sales(start, as_of)
    end_total, end_current = ledger.receivables(as_of), ledger.receivables(as_of, current_only=True)
    result: dict[str, str | None] = {}
    for cur in sorted(set(begin) | set(sales) | set(end_total)):
        available = begin.get(cur, Decimal(0)) + sales.get(cur, Decimal(0))
        denominator = available - end_current.get(cur, Decimal(0))
        numerator = available - end_total.get(cur, Decimal(0))
        result[cur] = _one_decimal(numerator / denominator * 100) if denominator > 0 else None
    return result


def _promises(store: Store, start: date, as_of: date) -> dict:
    counts: Counter[str] = Counter()
    for row in store.db["promises"].rows_where("status in ('kept', 'broken') and resolved_at is not null"):
        if start.isoformat() < row["resolved_at"][:10] <= as_of.isoformat():
            counts[row["status"]] += 1
    resolved = counts["kept"] + counts["broken"]
    return {
        "kept": counts["kept"],
        "broken": counts["broken"],
        "open": store.db["promises"].count_where("status = 'open'"),
        "kept_rate": round(counts["kept"] / resolved, 3) if resolved else None,
    }


def _disputes(store: Store, as_of: date) -> dict:
    by_reason: Counter[str] = Counter()
    by_age: Counter[str] = Counter({name: 0 for name, _, _ in DISPUTE_AGES})
    oldest = None
    for row in store.db["disputes"].rows_where("status = 'open'"):
        by_reason[row["reason"] or "unspecified"] += 1
        age = (as_of - date.fromisoformat(row["opened_at"][:10])).days
        oldest = age if oldest is None else max(oldest, age)
        name = next(n for n, low, high in DISPUTE_AGES if age >= low and (high is None or age <= high))
        by_age[name] += 1
    return {
        "open": sum(by_reason.values()),
        "by_reason": dict(sorted(by_reason.items())),
        "by_age_days": dict(by_age),
        "oldest_days": oldest,
    }


def _alerts(store: Store, start: date, as_of: date) -> dict:
    kinds: Counter[str] = Counter()
    for row in store.db["alerts"].rows_where("sent_at is not null"):
        if start.isoformat() < row["sent_at"][:10] <= as_of.isoformat():
            kinds[row["kind"]] += 1
    return {
        "sent": sum(kinds.values()),
        "by_kind": dict(sorted(kinds.items())),
        "pending": store.db["alerts"].count_where("status = 'pending'"),
        "failed": store.db["alerts"].count_where("status = 'failed'"),
    }


def _recovery(ledger: _Ledger, start: date, as_of: date, policy: Policy) -> dict:
    """Overdue money collected in the period, and how much came in before the tier that copies the account owner."""
    escalation_tier = min((t.tier for t in policy.tiers if t.cc_account_owner), default=4)
    by_number = {inv["number"]: inv for inv in ledger.invoices}
    recovered: dict[str, Decimal] = defaultdict(Decimal)
    early: dict[str, Decimal] = defaultdict(Decimal)
    count = early_count = 0
    for number, payments in ledger.payments.items():
        inv = by_number.get(number)
        if inv is None:  # a void invoice
            continue
        due = date.fromisoformat(inv["due_date"])
        for pay in payments:
            paid_on = date.fromisoformat(pay["paid_on"])
            overdue = days_past_due(due, paid_on)
            if not (start < paid_on <= as_of) or overdue < 1:
                continue
            count += 1
            recovered[pay["currency"]] += Decimal(pay["amount"])
            if tier_for(overdue, policy) < escalation_tier:
                early_count += 1
                early[pay["currency"]] += Decimal(pay["amount"])
    return {
        "overdue_payments": count,
        "without_escalation": early_count,
        "rate": round(early_count / count, 3) if count else None,
        "recovered": {c: str(v) for c, v in sorted(recovered.items())},
        "recovered_without_escalation": {c: str(v) for c, v in sorted(early.items())},
        "escalation_tier": escalation_tier,
    }


# A quarter: the usual window for DSO and CEI, long enough that one month's billing pattern does not swing them.
DEFAULT_PERIOD_DAYS = 90


def compute_metrics(store: Store, as_of: date, period_days: int = DEFAULT_PERIOD_DAYS, policy: Policy | None = None) -> dict:
    """All collection metrics for the period ending on `as_of`, ready for JSON."""
    if period_days < 1:
        raise ValueError("period_days must be at least 1")
    policy = policy or default_policy()
    start = as_of - timedelta(days=period_days)
    ledger = _Ledger(store)
    return {
        "as_of": as_of.isoformat(),
        "period_days": period_days,
        "period_start": start.isoformat(),
        "dso_days": _dso(ledger, start, as_of, period_days),
        "cei_percent": _cei(ledger, start, as_of),
        "promises": _promises(store, start, as_of),
        "disputes": _disputes(store, as_of),
        "alerts": _alerts(store, start, as_of),
        "recovery_without_escalation": _recovery(ledger, start, as_of, policy),
    }
