"""Benchmark: what the send-time check adds to each send.

Run by hand: `python bench/bench_sendcheck.py [--customers N] [--invoices N]`. Plans the day over
the ledger `bench_plan.py` builds, then times `sendcheck.decide` on every draft: once with the state
unchanged, once after a dispute on one invoice of each multi-invoice draft (so each is rewritten
from the template). The baseline, measured in the same run, reads each draft row by id, which every
send does anyway; the ratios say what the check costs on top of that.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_plan import TODAY, seed  # noqa: E402

from copilot import clock  # noqa: E402
from copilot.config import Settings  # noqa: E402
from copilot.drafting.plan import plan_day  # noqa: E402
from copilot.drafting.review import get_draft  # noqa: E402
from copilot.drafting.sendcheck import decide  # noqa: E402
from copilot.policy.model import default_policy  # noqa: E402
from copilot.store import Store, loads  # noqa: E402


def timed(fn, ids: list[int]) -> tuple[float, list]:
    start = time.perf_counter()
    out = [fn(i) for i in ids]
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--invoices", type=int, default=10000)
    args = parser.parse_args()
    clock.pin(TODAY)
    policy, settings = default_policy(), Settings(drafting={"generator": "template"})
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        seed(store, args.customers, args.invoices, random.Random(7))
        ids = plan_day(store, policy, settings, TODAY).created
        base, rows = timed(lambda i: get_draft(store, i), ids)
        same, outcomes = timed(lambda i: decide(store, get_draft(store, i), policy, settings, TODAY), ids)
        assert {o.action for o in outcomes} == {"unchanged"}, {o.action for o in outcomes}
        multi = [r for r in rows if len(loads(r["invoice_numbers_json"], [])) > 1]
        with store.transaction():
            for r in multi:
                store.db["pauses"].insert({"customer_id": r["customer_id"], "scope": "dunning", "reason": "dispute",
                                           "invoice_number": loads(r["invoice_numbers_json"])[0],
                                           "created_at": "2026-11-16T09:00:00+00:00"})  # fmt: skip
        changed_ids = [r["id"] for r in multi]
        base_changed, _ = timed(lambda i: get_draft(store, i), changed_ids)
        moved, outcomes = timed(lambda i: decide(store, get_draft(store, i), policy, settings, TODAY), changed_ids)
        assert {o.action for o in outcomes} <= {"rewritten", "refused"}
    print(f"{len(ids)} drafts; baseline read {base * 1e3 / len(ids):.3f} ms/draft")
    print(f"check, state unchanged: {same * 1e3 / len(ids):.3f} ms/draft ({same / base:.1f}x the read)")
    if changed_ids:
        print(f"check, one invoice disputed, rewritten: {moved * 1e3 / len(changed_ids):.3f} ms/draft "
              f"({moved / base_changed:.1f}x the read) over {len(changed_ids)} drafts")  # fmt: skip


if __name__ == "__main__":
    main()
