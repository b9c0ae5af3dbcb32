"""Benchmark: worklist and dashboard latency on a large store, against a trivial page in the same run.

Builds a store with 10,000 invoices across 3,000 customers, 5,000 classified replies,
one draft per customer and a few hundred cases and alerts, then times requests through
the full app (session, CSRF, templates) with a signed-in collector.

    python bench/bench_web.py [--requests 200]

Target: p95 under 150 ms for the worklist and the dashboard.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402

from copilot import clock  # noqa: E402
from copilot.config import Settings  # noqa: E402
from copilot.ledger.daily import record_day  # noqa: E402
from copilot.ledger.metrics import compute_metrics  # noqa: E402
from copilot.policy.model import default_policy  # noqa: E402
from copilot.store import Store, dumps  # noqa: E402
from copilot.web.app import create_app  # noqa: E402
from copilot.web.users import create_user  # noqa: E402

TODAY = date(2026, 11, 16)
SEGMENTS = ("strategic", "mid-market", "long-tail")
LABELS = ("acknowledgement", "promise_to_pay", "paid", "dispute", "frustration", "request", "auto_reply", "other")


def build(path: Path, customers: int, invoices: int, replies: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    now = clock.now_iso()
    with Store.open(path) as store:
        db = store.db
        with store.transaction():
            db["customers"].insert_all({
                "id": f"C-{i:05d}", "name": f"Customer {i} Ltd", "segment": SEGMENTS[i % 3], "arr": str(5000 + i * 97),
                "currency": "USD", "account_owner_email": f"owner{i % 25}@ourco.example",
                "account_team_emails": dumps([f"team{i % 40}@ourco.example"]), "risky": int(i % 17 == 0),
                "created_at": now, "updated_at": now} for i in range(customers))  # fmt: skip
            db["contacts"].insert_all({"customer_id": f"C-{i:05d}", "email": f"ap@c{i}.example", "created_at": now}
                                      for i in range(customers))  # fmt: skip
            rows, per_customer = [], {}
            for n in range(invoices):
                cust = f"C-{n % customers:05d}"
                due = TODAY - timedelta(days=rnd.randint(-20, 200))
                amount = f"{rnd.randint(100, 90000)}.00"
                paid = rnd.random() < 0.2
                rows.append({"number": f"INV-{n:06d}", "customer_id": cust, "issue_date": (due - timedelta(days=30)).isoformat(),
                             "due_date": due.isoformat(), "amount": amount, "currency": "USD",
                             "open_balance": "0.00" if paid else amount, "status": "paid" if paid else "open",
                             "payment_link": f"https://pay.example/{n}", "created_at": now, "updated_at": now})  # fmt: skip
                if not paid:
                    per_customer.setdefault(cust, []).append(f"INV-{n:06d}")
            db["invoices"].insert_all(rows, batch_size=2000)
            db["payments"].insert_all({"id": f"P-{r['number']}", "invoice_number": r["number"], "customer_id": r["customer_id"],
                                       "amount": r["amount"], "currency": "USD", "paid_on": r["due_date"], "created_at": now}
                                      for r in rows if r["status"] == "paid")  # fmt: skip
            db["drafts"].insert_all({
                "customer_id": cust, "contact_email": f"ap@c{int(cust[2:])}.example", "to_json": dumps([f"ap@c{int(cust[2:])}.example"]),
                "cc_json": "[]", "kind": "reminder", "tier": rnd.randint(1, 4), "segment": SEGMENTS[int(cust[2:]) % 3],
                "generator": "template", "subject": f"Reminder for {cust}", "body": "Hello, a reminder.", "original_body": "x",
                "invoice_numbers_json": dumps(nums), "facts_json": "{}", "guardrail_flags_json": "[]",
                "plan_date": TODAY.isoformat(), "status": "draft", "created_at": now, "updated_at": now}
                for cust, nums in per_customer.items())  # fmt: skip
            for m in range(replies):
                cust = f"C-{rnd.randrange(customers):05d}"
                mid = db["messages"].insert({
                    "direction": "inbound", "message_id": f"<r{m}@bench>", "dedupe_key": f"r{m}", "subject": f"Re: invoice {m}",
                    "from_addr": f"ap@c{cust}.example", "sent_at": f"2026-11-{1 + m % 15:02d}T10:00:00+00:00",
                    "received_at": f"2026-11-{1 + m % 15:02d}T10:00:01+00:00", "text_full": "We will pay soon. " * 20,
                    "text_reply": "We will pay soon.", "customer_id": cust, "invoice_numbers_json": dumps(per_customer.get(cust, [])[:2]),
                    "match_rule": "invoice_number", "status": "routed", "created_at": now}).last_pk  # fmt: skip
                db["classifications"].insert({"message_id": mid, "label": LABELS[m % 8], "frustrated": int(m % 11 == 0),
                                              "confidence": 0.5 + (m % 50) / 100, "evidence": "pay soon", "source": "local",
                                              "is_current": 1, "created_by": "bench", "created_at": now})  # fmt: skip
                if m % 20 == 0:
                    db["disputes"].insert({"customer_id": cust, "message_id": mid, "reason": ("pricing", "quantity", "duplicate")[m % 3],
                                           "status": "open", "opened_at": f"2026-{9 + m % 3:02d}-01T00:00:00+00:00",
                                           "sla_due_at": "2026-11-20T00:00:00+00:00", "invoice_numbers_json": "[]"})  # fmt: skip
                if m % 15 == 0:
                    db["promises"].insert({"customer_id": cust, "message_id": mid, "promised_date": "2026-11-20", "status": "open",
                                           "invoice_numbers_json": "[]", "created_at": now})  # fmt: skip
                if m % 25 == 0:
                    db["alerts"].insert({"customer_id": cust, "message_id": mid, "kind": "frustration", "status": "sent",
                                         "subject": "Unhappy customer", "created_at": now, "sent_at": now})  # fmt: skip
        create_user(store, "bench", "bench-password", "collector")
        # What `copilot tick` and every import do: today's dashboard figures and the weekly history behind the trends.
        record_day(store, TODAY)


def timed(client: TestClient, path: str, n: int, change: Store | None = None) -> list[float]:
    """Request times in ms; with `change`, a collector's action is recorded before each request (not timed)."""
    client.get(path)  # warm templates
    out = []
    for i in range(n):
        if change is not None:
            with change.transaction():
                change.audit("bench", "draft", i, "edited")
        start = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--replies", type=int, default=5000)
    args = parser.parse_args()
    clock.pin(TODAY)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        start = time.perf_counter()
        build(db, args.customers, args.invoices, args.replies)
        print(f"store: {args.invoices} invoices, {args.customers} customers, {args.replies} replies "
              f"(built in {time.perf_counter() - start:.1f} s)")  # fmt: skip
        with Store.open(db) as store:
            start = time.perf_counter()
            compute_metrics(store, TODAY, 30, default_policy())
            metrics_ms = (time.perf_counter() - start) * 1000
        app = create_app(Settings(db_path=db, web={"secret_key": "b" * 40}))
        with TestClient(app) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
            results = {path: timed(client, path, args.requests) for path in
                       ("/static/app.css", "/customers?q=zzz", "/worklist", "/dashboard", "/inbox")}  # fmt: skip
            with Store.open(db) as writer:
                for path in ("/worklist", "/dashboard"):
                    results[f"{path} (changed)"] = timed(client, path, args.requests, change=writer)
    base = statistics.median(results["/customers?q=zzz"])
    print(f"{'route':<24} {'p50 ms':>8} {'p95 ms':>8} {'p50 / baseline':>15}")
    for path, values in results.items():
        p50, p95 = statistics.median(values), pct(values, 95)
        print(f"{path:<24} {p50:8.1f} {p95:8.1f} {p50 / base:15.1f}x")
    print("baseline: /customers?q=zzz, a signed-in page with one empty query (same session, store and templates)")
    print("(changed): the data changed just before each request: the worklist is recomputed every time; the dashboard's")
    print("           DSO/CEI/PTP figures are served from the previous calculation and recomputed in the background")
    print(f"full metrics calculation (compute_metrics, in the background after a change): {metrics_ms:.0f} ms")
    worst = max(pct(values, 95) for path, values in results.items() if path.startswith(("/worklist", "/dashboard")))
    print(f"target p95 < 150 ms for worklist and dashboard: {'met' if worst < 150 else 'NOT met'} (worst {worst:.1f} ms)")


if __name__ == "__main__":
    main()
