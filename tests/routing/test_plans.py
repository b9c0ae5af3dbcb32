"""Payment plans: one plan per reply, each instalment a promise kept or broken on its own."""

from datetime import date
from pathlib import Path

from copilot.ledger import importer
from copilot.policy.pauses import active_pauses, is_paused
from copilot.routing import on_payments, route_message, tick
from copilot.routing.service import override_label
from copilot.store import loads
from tests.routing.seed import classify, seed_reply
from tests.routing.test_schedule import _payments_csv

INVOICE = "INV-2026-0343"  # C-1001, USD 18,250.00 open


def _plan_reply(store, policy, settings, text: str) -> int:
    mid = seed_reply(store, "C-1001", text, invoices=(INVOICE,), from_addr="ap@northwindharbor.example")
    classify(store, mid, "promise_to_pay", promise_date=date(2026, 12, 1))
    route_message(store, mid, policy, settings)
    return mid


def _instalments(store) -> list[tuple]:
    return [(p["instalment"], p["promised_date"], p["amount"], p["plan_amount_before"], p["status"])
            for p in store.db["promises"].rows_where(order_by="id")]  # fmt: skip


def _pay(store, tmp_path: Path, pid: str, amount: str, day: str):
    result = importer.import_payments(store, _payments_csv(tmp_path, f"{pid},{INVOICE},C-1001,{amount},USD,{day},wire,"))
    return on_payments(store, result.affected_invoices, None, date.fromisoformat(day))


def test_a_plan_records_every_instalment_and_each_is_kept_or_broken_alone(ledger_store, policy, settings, tmp_path, today):
    store = ledger_store
    _plan_reply(store, policy, settings, "We can pay USD 8,000 on 1 December and the rest on 15 January.")
    plan = store.db["payment_plans"].get(1)
    assert (plan["status"], plan["instalments"], plan["currency"], plan["total"]) == ("open", 2, "USD", "18250.00")
    assert _instalments(store) == [(1, "2026-12-01", "8000", "0", "open"), (2, "2027-01-15", "10250.00", "8000", "open")]
    assert all(p["plan_id"] == 1 for p in store.db["promises"].rows)
    assert is_paused(active_pauses(store, "C-1001", date(2027, 1, 18)), INVOICE)  # until the last instalment's grace

    first = _pay(store, tmp_path, "PAY-8001", "8000.00", "2026-11-30")
    assert first.promises_kept == [1] and store.db["payment_plans"].get(1)["status"] == "open"
    assert is_paused(active_pauses(store, "C-1001", date(2026, 12, 20)), INVOICE)

    report = tick(store, policy, settings, date(2027, 1, 19))  # the second instalment never came
    assert report.promises_broken == [2] and [s for *_, s in _instalments(store)] == ["kept", "broken"]
    assert store.db["payment_plans"].get(1)["status"] == "broken"
    assert not is_paused(active_pauses(store, "C-1001", date(2027, 1, 19)), INVOICE)  # back in the cadence
    task = store.db["tasks"].get(report.tasks_created[0])
    assert task["kind"] == "broken_promise" and "USD 10,250.00 promised for 2027-01-15" in task["description"]
    actions = [e["action"] for e in store.audit_events("plan", 1)]
    assert actions == ["created", "broken"]


def test_a_count_based_plan_paid_at_once_keeps_every_instalment(ledger_store, policy, settings, tmp_path, today):
    store = ledger_store
    _plan_reply(store, policy, settings, "Because of our approval limits we will settle this in three monthly payments.")
    assert [(d, a) for _, d, a, _, _ in _instalments(store)] == [
        ("2026-12-01", "6083.33"), ("2027-01-01", "6083.33"), ("2027-02-01", "6083.34")]  # fmt: skip
    report = _pay(store, tmp_path, "PAY-8002", "18250.00", "2026-11-20")
    assert sorted(report.promises_kept) == [1, 2, 3]
    assert store.db["payment_plans"].get(1)["status"] == "kept"
    assert active_pauses(store, "C-1001", date(2026, 11, 21)) == []


def test_relabelling_the_reply_cancels_the_plan(ledger_store, policy, settings, today):
    store = ledger_store
    mid = _plan_reply(store, policy, settings, "USD 8,000 on 1 December and the rest on 15 January.")
    override_label(store, mid, "acknowledgement", "user:casey", "not a promise", policy, settings)
    assert store.db["payment_plans"].get(1)["status"] == "cancelled"
    assert {p["status"] for p in store.db["promises"].rows} == {"cancelled"}
    assert active_pauses(store, "C-1001", date(2026, 11, 20)) == []


def test_a_new_promise_replaces_the_plan(ledger_store, policy, settings, today):
    store = ledger_store
    _plan_reply(store, policy, settings, "USD 8,000 on 1 December and the rest on 15 January.")
    _plan_reply(store, policy, settings, "Update: we will pay the full amount on 1 December.")
    assert store.db["payment_plans"].get(1)["status"] == "cancelled"
    open_ones = list(store.db["promises"].rows_where("status = 'open'"))
    assert len(open_ones) == 1 and open_ones[0]["plan_id"] is None


def test_the_decision_lists_the_instalments(ledger_store, policy, settings, today):
    store = ledger_store
    _plan_reply(store, policy, settings, "USD 8,000 on 1 December and the rest on 15 January.")
    (decision,) = store.db["routing_decisions"].rows
    recorded = [a for a in loads(decision["actions_json"]) if a["type"] == "RecordPlan"]
    assert [i["due"] for i in recorded[0]["instalments"]] == ["2026-12-01", "2027-01-15"]
    assert recorded[0]["created"] == "plan:1"
