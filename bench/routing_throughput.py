"""Routing throughput on the demo ledger, measured against saving the same classifications.

Run by hand from the repository root: `python -m bench.routing_throughput [replies]`. Routing reads the account's
state, decides and writes its actions in one transaction per reply; the baseline is
the transaction that stores each reply's classification just before routing.
"""

import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from copilot import clock
from copilot.classify.classifications import save_classification
from copilot.config import Settings
from copilot.labels import Classification, Label
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.routing import route_message
from copilot.routing.decide import decide
from copilot.routing.state import load_account_state
from copilot.store import Store, dumps


def main(count: int) -> None:
    clock.pin(date(2026, 11, 16))
    policy = default_policy()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db_path=Path(folder) / "bench.db")
        store = Store.open(settings.db_path)
        importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy)
        invoices = list(store.db["invoices"].rows_where("status != 'paid'"))
        ids, results = [], []
        for n in range(count):
            inv = rng.choice(invoices)
            ids.append(store.db["messages"].insert({
                "dedupe_key": f"bench-{n}", "customer_id": inv["customer_id"], "status": "classified",
                "invoice_numbers_json": dumps([inv["number"]]), "text_reply": "bench reply", "subject": "Re: reminder",
            }).last_pk)  # fmt: skip
            label = rng.choice(list(Label))
            results.append(Classification(label=label, frustrated=rng.random() < 0.1, confidence=rng.uniform(0.3, 1),
                                          promise_date=date(2026, 11, 20), return_date=date(2026, 11, 23),
                                          auto_reply_kind="out_of_office", request_kind="w9"))  # fmt: skip

        start = time.perf_counter()
        for mid, result in zip(ids, results, strict=True):
            save_classification(store, mid, result, actor="bench")
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        for mid in ids:
            route_message(store, mid, policy, settings)
        routing = time.perf_counter() - start

        states = [load_account_state(store, mid, settings, clock.today(), clock.now(), 24) for mid in ids]
        start = time.perf_counter()
        for state, result in zip(states, results, strict=True):
            decide(result, state, policy)
        pure = time.perf_counter() - start
        store.close()

    print(f"replies: {count}")
    print(f"save classification (baseline): {count / baseline:8.0f} replies/s")
    ratio = routing / baseline
    print(f"route_message:                  {count / routing:8.0f} replies/s  ({ratio:.2f}x the baseline's time)")
    print(f"decide alone (pure):            {count / pure:8.0f} replies/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
