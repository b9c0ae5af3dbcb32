"""Promises kept and broken, paid claims, out-of-office snoozes: routing followed by payments import and ticks."""

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from copilot.cli import main
from copilot.ledger import importer
from copilot.policy.pauses import active_pauses, is_paused
from copilot.resources import demo_data_dir
from copilot.routing import on_payments, route_message, tick
from copilot.store import Store
from tests.routing.seed import classify, seed_reply

PAYMENT_HEADER = "payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"


def _payments_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "payments-new.csv"
    path.write_text(PAYMENT_HEADER + "".join(r + "\n" for r in rows))
    return path


def _promise(store: Store, policy, settings, **fields) -> int:
    mid = seed_reply(
        store,
        "C-1001",
        "We will pay the remaining USD 18,250.00 on 20 November.",
        invoices=("INV-2026-0343",),
        from_addr="ap@northwindharbor.example",
    )
    classify(store, mid, "promise_to_pay", **fields)
    route_message(store, mid, policy, settings)
    return mid


def test_kept_promise_through_the_payments_import_command(tmp_path, policy, settings, today):
    db = tmp_path / "copilot.db"
    with Store.open(db) as store:
        importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy)
        _promise(
            store, policy, settings, promise_date=date(2026, 11, 20), promise_amount="18250.00", promise_currency="USD"
        )
        assert is_paused(active_pauses(store, "C-1001", date(2026, 11, 23)), "INV-2026-0343")
    csv = _payments_csv(tmp_path, "PAY-9001,INV-2026-0343,C-1001,18250.00,USD,2026-11-19,wire,WT-1")

    result = CliRunner().invoke(main, ["--db", str(db), "--today", "2026-11-19", "import", "payments", str(csv)])

    assert result.exit_code == 0, result.output
    assert "promises kept: 1" in result.output
    with Store.open(db) as store:
        promise = store.db["promises"].get(1)
        assert promise["status"] == "kept"
        assert active_pauses(store, "C-1001", date(2026, 11, 19)) == []
        assert store.db["tasks"].count == 0
        assert tick(store, policy, settings, date(2026, 11, 25)).promises_broken == []


def test_partial_payment_does_not_keep_the_promise(ledger_store, policy, settings, tmp_path, today):
    store = ledger_store
    _promise(
        store, policy, settings, promise_date=date(2026, 11, 20), promise_amount="18250.00", promise_currency="USD"
    )
    result = importer.import_payments(
        store, _payments_csv(tmp_path, "PAY-9002,INV-2026-0343,C-1001,1000.00,USD,2026-11-19,,")
    )

    assert on_payments(store, result.affected_invoices, policy, date(2026, 11, 19)).promises_kept == []
    assert store.db["promises"].get(1)["status"] == "open"


def test_promise_with_no_date_kept_when_invoice_paid_on_tick(ledger_store, policy, settings, tmp_path, today):
    store = ledger_store
    _promise(store, policy, settings)
    promise = store.db["promises"].get(1)
    assert (promise["promised_date"], promise["date_was_given"], promise["grace_until"]) == (
        "2026-11-23",
        0,
        "2026-11-26",
    )
    # Payment recorded without the import hook (e.g. by another tool): the tick still notices.
    importer.import_payments(store, _payments_csv(tmp_path, "PAY-9003,INV-2026-0343,C-1001,18250.00,USD,2026-11-22,,"))

    report = tick(store, policy, settings, date(2026, 11, 23))

    assert report.promises_kept == [1] and store.db["promises"].get(1)["status"] == "kept"


def test_broken_promise_creates_task_and_returns_to_cadence(ledger_store, policy, settings, today):
    store = ledger_store
    _promise(
        store, policy, settings, promise_date=date(2026, 11, 20), promise_amount="18250.00", promise_currency="USD"
    )

    within_grace = tick(store, policy, settings, date(2026, 11, 23))
    assert within_grace.promises_broken == [] and store.db["promises"].get(1)["status"] == "open"
    assert is_paused(active_pauses(store, "C-1001", date(2026, 11, 23)), "INV-2026-0343")

    report = tick(store, policy, settings, date(2026, 11, 24))

    assert report.promises_broken == [1]
    assert store.db["promises"].get(1)["status"] == "broken"
    task = store.db["tasks"].get(report.tasks_created[0])
    assert (
        task["kind"] == "broken_promise" and "USD 18,250.00" in task["description"] and task["due_date"] == "2026-11-26"
    )
    assert active_pauses(store, "C-1001", date(2026, 11, 24)) == []
    assert (
        store.db["pauses"].get(1)["lift_reason"].startswith("promise #1 broken: USD 18,250.00 promised for 2026-11-20")
    )
    assert tick(store, policy, settings, date(2026, 11, 25)).counts() == {k: 0 for k in report.counts()}


def test_paid_claim_without_payment_resumes_with_task(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(store, "C-1003", "Paid by ACH today, remittance attached.", invoices=("INV-2026-0376",))
    classify(store, mid, "paid")
    route_message(store, mid, policy, settings)
    assert is_paused(active_pauses(store, "C-1003", date(2026, 11, 23)), "INV-2026-0376")

    assert tick(store, policy, settings, date(2026, 11, 23)).paid_claims_expired == []
    report = tick(store, policy, settings, date(2026, 11, 24))

    assert report.paid_claims_expired == [1]
    task = store.db["tasks"].get(report.tasks_created[0])
    assert task["kind"] == "payment_check" and "INV-2026-0376" in task["description"] and task["message_id"] == mid
    assert active_pauses(store, "C-1003", date(2026, 11, 24)) == []


def test_paid_claim_confirmed_by_payments_import(ledger_store, policy, settings, tmp_path, today):
    store = ledger_store
    mid = seed_reply(store, "C-1003", "Paid by ACH today.", invoices=("INV-2026-0376",))
    classify(store, mid, "paid")
    route_message(store, mid, policy, settings)
    result = importer.import_payments(
        store, _payments_csv(tmp_path, "PAY-9004,INV-2026-0376,C-1003,12500.00,USD,2026-11-18,ach,")
    )

    report = on_payments(store, result.affected_invoices, policy, date(2026, 11, 18))

    assert report.paid_claims_confirmed == [1]
    assert tick(store, policy, settings, date(2026, 11, 24)).tasks_created == []


def test_out_of_office_snoozes_until_return(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(
        store,
        "C-1001",
        "I am out of the office until Monday 23 November.",
        invoices=("INV-2026-0357",),
        auto_reply_kind="out_of_office",
    )
    classify(store, mid, "auto_reply", confidence=0.97, auto_reply_kind="out_of_office", return_date=date(2026, 11, 23))
    route_message(store, mid, policy, settings)

    assert is_paused(active_pauses(store, "C-1001", date(2026, 11, 20)), "INV-2026-0310")
    assert tick(store, policy, settings, date(2026, 11, 22)).snoozes_ended == []
    report = tick(store, policy, settings, date(2026, 11, 23))

    assert report.snoozes_ended == [1]
    assert active_pauses(store, "C-1001", date(2026, 11, 23)) == []
    assert "snooze ended" in store.db["pauses"].get(1)["lift_reason"]


def test_ticket_receipt_is_only_logged(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(
        store,
        "C-1006",
        "Your ticket #AP-58213 has been received.",
        invoices=("INV-2026-0373",),
        auto_reply_kind="ticket",
    )
    classify(store, mid, "auto_reply", auto_reply_kind="ticket")
    actions = route_message(store, mid, policy, settings)
    assert [type(a).__name__ for a in actions] == ["LogNote", "SetMessageStatus"]
    assert store.db["pauses"].count == 0 and store.db["tasks"].count == 0


def test_newer_promise_replaces_the_older_one(ledger_store, policy, settings, today):
    store = ledger_store
    _promise(store, policy, settings, promise_date=date(2026, 11, 18))
    _promise(store, policy, settings, promise_date=date(2026, 11, 27), promise_amount="18250.00")

    first, second = store.db["promises"].get(1), store.db["promises"].get(2)
    assert first["status"] == "cancelled" and store.db["pauses"].get(1)["lifted_at"] is not None
    assert (second["status"], second["currency"]) == ("open", "USD")  # the account's currency when none was said
    report = tick(store, policy, settings, date(2026, 11, 22))
    assert report.promises_broken == []
    assert is_paused(active_pauses(store, "C-1001", date(2026, 11, 22)), "INV-2026-0343")
