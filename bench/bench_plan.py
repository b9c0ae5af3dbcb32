"""Benchmark: plan the day and draft from templates for 10,000 open invoices across 3,000 customers.

Run by hand: `python bench/bench_plan.py [--customers N] [--invoices N]`. Target: under 10 s.
The baseline is a raw SQL read of the same open invoices in the same run, so the ratio
says how much the planning and drafting cost on top of merely loading the ledger.
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot import clock  # noqa: E402
from copilot.config import Settings  # noqa: E402
from copilot.drafting.plan import plan_day  # noqa: E402
from copilot.policy.model import default_policy  # noqa: E402
from copilot.store import Store, dumps  # noqa: E402

TODAY = date(2026, 11, 16)  # a Monday
SEGMENTS = ("strategic", "mid-market", "long-tail", "long-tail")


def seed(store: Store, customers: int, invoices: int, rng: random.Random) -> None:
    now = "2026-11-01T00:00:00+00:00"
    cust_rows, contact_rows, invoice_rows, sent_rows = [], [], [], []
    for i in range(customers):
        cid = f"C-{i:05d}"
        owner = f"owner{i % 9}@ourco.example"
        cust_rows.append((cid, f"Customer {i}", SEGMENTS[i % 4], "USD", owner, "[]", int(i % 17 == 0), now, now))
        contact_rows.append((cid, f"ap@c{i}.example", "ok", now, now))
        if i % 3 == 0:
            contact_rows.append((cid, f"cfo@c{i}.example", "ok", now, now))
        if i % 2 == 0:  # half the customers were touched some days ago
            sent = (TODAY - timedelta(days=rng.randint(1, 20))).isoformat()
            sent_rows.append((cid, f"ap@c{i}.example", "[]", "[]", "reminder", 1, "mid-market", "s", "b", "b", "sent", sent,
                              f"{sent}T09:00:00+00:00", "{}", "[]", now, now))
    for n in range(invoices):
        cid = f"C-{n % customers:05d}"
        due = TODAY - timedelta(days=rng.randint(-20, 160))
        amount = f"{rng.randint(100, 90000)}.{rng.randint(0, 99):02d}"
        number = f"INV-{n:07d}"
        issued = (due - timedelta(days=30)).isoformat()
        link = f"https://pay.example.test/i/{number}"
        invoice_rows.append((number, cid, issued, due.isoformat(), amount, "USD", amount, "open", link, None, now, now))
    with store.transaction():
        c = store.conn
        c.executemany("insert into customers (id, name, segment, currency, account_owner_email, account_team_emails, risky, "
                      "created_at, updated_at) values (?,?,?,?,?,?,?,?,?)", cust_rows)
        c.executemany("insert into contacts (customer_id, email, status, created_at, updated_at) "
                      "values (?,?,?,?,?)", contact_rows)
        c.executemany("insert into invoices (number, customer_id, issue_date, due_date, amount, currency, open_balance, status, "
                      "payment_link, po_number, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?,?)", invoice_rows)
        c.executemany("insert into drafts (customer_id, contact_email, to_json, cc_json, kind, tier, segment, subject, body, "
                      "original_body, status, plan_date, sent_at, facts_json, invoice_numbers_json, created_at, updated_at) "
                      "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", sent_rows)
    assert dumps([]) == "[]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    clock.pin(TODAY)
    policy = default_policy()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        seed(store, args.customers, args.invoices, random.Random(args.seed))
        settings = Settings(db_path=Path(tmp) / "bench.db")

        start = time.perf_counter()
        rows = store.conn.execute("select * from invoices where status in ('open', 'partially_paid')").fetchall()
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        result = plan_day(store, policy, settings, TODAY)
        planned = time.perf_counter() - start

        start = time.perf_counter()
        again = plan_day(store, policy, settings, TODAY)
        rerun = time.perf_counter() - start
        store.close()

    summary = result.summary()
    print(f"ledger: {args.customers} customers, {len(rows)} open invoices")
    print(f"baseline (raw SQL read of the open invoices): {baseline * 1000:.1f} ms")
    print(f"plan + template drafting: {planned:.2f} s for {len(result.created)} drafts "
          f"({planned / max(len(result.created), 1) * 1000:.2f} ms per draft); by tier {summary['by_tier']}; "
          f"flagged {summary['flagged']}")
    print(f"second run the same day: {rerun:.2f} s, {len(again.created)} new drafts")
    print(f"ratio plan/baseline: {planned / baseline:.0f}x; target under 10 s: {'met' if planned < 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
