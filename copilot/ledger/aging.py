"""The aging report: open receivables by bucket, with totals per currency and the action each bucket needs."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from copilot.policy.cadence import BUCKETS, NOT_DUE, bucket_action, bucket_for, days_past_due, tier_for
from copilot.policy.model import Policy
from copilot.store import Store

OPEN_STATUSES = ("open", "partially_paid")


@dataclass
class Bucket:
    name: str
    action: str
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "bucket": self.name,
            "count": self.count,
            "customers": len(self.customers),
            "totals": {cur: str(amount) for cur, amount in sorted(self.totals.items())},
            "action": self.action,
        }


@dataclass
class AgingReport:
    as_of: date
    buckets: list[Bucket]
    not_due: Bucket
    customer_tiers: dict[str, int]

    def as_dict(self) -> dict:
        tiers: dict[int, int] = defaultdict(int)
        for tier in self.customer_tiers.values():
            tiers[tier] += 1
        return {
            "as_of": self.as_of.isoformat(),
            "buckets": [b.as_dict() for b in self.buckets],
            "not_due": self.not_due.as_dict(),
            "customers_by_tier": {str(t): tiers.get(t, 0) for t in (0, 1, 2, 3, 4)},
        }


def build_report(invoices: Iterable[dict], as_of: date, policy: Policy) -> AgingReport:
    """Pure: bucket open invoices (rows with customer_id, due_date, open_balance, currency)."""
    buckets = {name: Bucket(name, bucket_action(name, policy)) for name in BUCKETS}
    not_due = Bucket(NOT_DUE, bucket_action(NOT_DUE, policy))
    customer_tiers: dict[str, int] = {}
    for inv in invoices:
        balance = Decimal(inv["open_balance"])
        if balance <= 0:
            continue
        days = days_past_due(date.fromisoformat(inv["due_date"]), as_of)
        bucket = buckets.get(bucket_for(days), not_due)
        bucket.count += 1
        bucket.totals[inv["currency"]] = bucket.totals.get(inv["currency"], Decimal("0")) + balance
        bucket.customers.add(inv["customer_id"])
        tier = tier_for(days, policy)
        customer_tiers[inv["customer_id"]] = max(tier, customer_tiers.get(inv["customer_id"], 0))
    return AgingReport(as_of, list(buckets.values()), not_due, customer_tiers)


def open_invoices(store: Store) -> list[dict]:
    marks = ",".join("?" * len(OPEN_STATUSES))
    return list(store.db["invoices"].rows_where(f"status in ({marks})", list(OPEN_STATUSES)))


def aging_report(store: Store, policy: Policy, as_of: date) -> AgingReport:
    return build_report(open_invoices(store), as_of, policy)
