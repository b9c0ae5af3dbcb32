"""Daily ledger figures per currency, kept so the dashboard's trends read a few rows, not the whole ledger.

`ledger_daily` holds, for each day and currency, the open balance and invoice count in each
aging bucket (the four overdue buckets and 'not due'), plus two flows: `invoiced_90d` (what
was invoiced in the 90 days up to that day, for DSO) and `collected` (payments received that
day). Imports rewrite today's row; `tick` writes it when missing. Days before the first
record are reconstructed once from the invoices and the payments recorded against them (an
invoice the ERP closed without a recorded payment counts as closed throughout).
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from copilot.policy.cadence import BUCKETS, NOT_DUE, bucket_for, days_past_due
from copilot.store import Store

AGING_BUCKETS: tuple[str, ...] = (NOT_DUE, *BUCKETS)
FLOWS: tuple[str, ...] = ("invoiced_90d", "collected")
DSO_DAYS = 90
HISTORY_WEEKS = 12


def _cents(value: str | Decimal) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _figures_now(store: Store, day: date) -> dict[tuple[str, str], list[int]]:
    """{(currency, bucket): [invoices, cents]} from the ledger as it stands."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = store.db.execute("select due_date, currency, open_balance from invoices "
                            "where status in ('open', 'partially_paid') and cast(open_balance as real) > 0")  # fmt: skip
    for due, currency, balance in rows:
        cell = out[(currency, bucket_for(days_past_due(date.fromisoformat(due), day)))]
        cell[0] += 1
        cell[1] += _cents(balance)
    _add_flows(store, day, out)
    return out


def _add_flows(store: Store, day: date, out: dict[tuple[str, str], list[int]]) -> None:
    start = (day - timedelta(days=DSO_DAYS - 1)).isoformat()
    for currency, count, cents in store.db.execute(
            "select currency, count(*), sum(cast(round(cast(amount as real) * 100) as integer)) from invoices "
            "where status != 'void' and coalesce(issue_date, due_date) between ? and ? group by currency",
            [start, day.isoformat()]):  # fmt: skip
        out[(currency, "invoiced_90d")] = [count, cents or 0]
    for currency, count, cents in store.db.execute(
            "select currency, count(*), sum(cast(round(cast(amount as real) * 100) as integer)) from payments "
            "where paid_on = ? group by currency", [day.isoformat()]):  # fmt: skip
        out[(currency, "collected")] = [count, cents or 0]


def _reconstruct(store: Store, days: list[date]) -> dict[date, dict[tuple[str, str], list[int]]]:
    """Aging on earlier days from invoices and their recorded payments, in one pass over the ledger."""
    paid: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for number, paid_on, amount in store.db.execute("select invoice_number, paid_on, amount from payments"):
        paid[number].append((paid_on, _cents(amount)))
    out: dict[date, dict[tuple[str, str], list[int]]] = {d: defaultdict(lambda: [0, 0]) for d in days}
    rows = store.db.execute("select number, issue_date, due_date, currency, amount, open_balance, status from invoices "
                            "where status != 'void'")  # fmt: skip
    for number, issued, due, currency, amount, balance, status in rows:
        due_day = date.fromisoformat(due)
        start = date.fromisoformat(issued) if issued else due_day  # as the collection metrics date an invoice
        closed_now = status not in ("open", "partially_paid")
        for day in days:
            if start > day:
                continue
            later = sum(c for on, c in paid.get(number, ()) if on > day.isoformat())
            if closed_now and not paid.get(number):
                continue  # closed by the ERP without a payment we know of: no date to place it at
            cents = (0 if closed_now else _cents(balance)) + later
            cents = min(cents, _cents(amount))
            if cents <= 0:
                continue
            cell = out[day][(currency, bucket_for(days_past_due(due_day, day)))]
            cell[0] += 1
            cell[1] += cents
    for day in days:
        _add_flows(store, day, out[day])
    return out


def _write(store: Store, day: date, figures: dict[tuple[str, str], list[int]]) -> None:
    store.db.execute("delete from ledger_daily where day = ?", [day.isoformat()])
    store.db["ledger_daily"].insert_all(
        ({"day": day.isoformat(), "currency": cur, "bucket": bucket, "invoices": n, "cents": cents}
         for (cur, bucket), (n, cents) in figures.items()), pk=("day", "currency", "bucket"))  # fmt: skip


def record_day(store: Store, day: date, *, only_if_missing: bool = False) -> bool:
    """Write the figures for `day` from the ledger as it stands (and the history before it, once). Returns whether written."""
    exists = store.db.execute("select 1 from ledger_daily where day = ? limit 1", [day.isoformat()]).fetchone()
    if exists and only_if_missing:
        return False
    with store.transaction():
        _write(store, day, _figures_now(store, day))
        ensure_history(store, day)
    return True


def history_days(day: date, weeks: int = HISTORY_WEEKS) -> list[date]:
    """Pure: the weekly points before `day` (same weekday), oldest first."""
    return [day - timedelta(weeks=w) for w in range(weeks, 0, -1)]


def period_start(day: date, period_days: int = DSO_DAYS) -> date:
    """Pure: the day a metrics period ending on `day` starts from (its receivables open CEI)."""
    return day - timedelta(days=period_days)


def ensure_history(store: Store, day: date, weeks: int = HISTORY_WEEKS) -> int:
    """Reconstruct the weekly points before `day`, and the period start, that have no record yet; returns how many."""
    wanted = sorted({*history_days(day, weeks), period_start(day)})
    have = {r[0] for r in store.db.execute("select distinct day from ledger_daily where day >= ?", [wanted[0].isoformat()])}
    missing = [d for d in wanted if d.isoformat() not in have]
    if not missing:
        return 0
    for d, figures in _reconstruct(store, missing).items():
        _write(store, d, figures)
    return len(missing)


def read_series(store: Store, days: list[date]) -> dict[str, dict[tuple[str, str], tuple[int, Decimal]]]:
    """{day: {(currency, bucket): (invoices, amount)}} for the days that have a record."""
    if not days:
        return {}
    marks = ",".join("?" * len(days))
    out: dict[str, dict[tuple[str, str], tuple[int, Decimal]]] = defaultdict(dict)
    for day, cur, bucket, n, cents in store.db.execute(
            f"select day, currency, bucket, invoices, cents from ledger_daily where day in ({marks})",
            [d.isoformat() for d in days]):  # fmt: skip
        out[day][(cur, bucket)] = (n, Decimal(cents) / 100)
    return dict(out)
