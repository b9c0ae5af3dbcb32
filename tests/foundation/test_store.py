"""The store migrates on open, keeps transactions whole and audits."""

import sqlite3

import pytest

from copilot.migrations import MIGRATIONS
from copilot.store import Store


def test_all_migrations_apply_once(tmp_path):
    path = tmp_path / "c.db"
    with Store.open(path) as store:
        assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert store.conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    with Store.open(path) as again:  # reopening applies nothing twice
        assert again.applied_migrations() == [name for name, _ in MIGRATIONS]


def test_required_tables(store):
    expected = {
        "customers", "contacts", "invoices", "payments", "messages", "classifications", "drafts", "promises",
        "disputes", "alerts", "mailbox_cursors", "audit_events", "pauses", "tasks", "quarantine",
    }  # fmt: skip
    assert expected <= set(store.db.table_names())


def test_migration_names_are_unique():
    names = [name for name, _ in MIGRATIONS]
    assert len(names) == len(set(names))


def test_transaction_rolls_back_everything(store):
    store.db["customers"].insert({"id": "C1", "name": "One", "segment": "long-tail"})
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.db["customers"].insert({"id": "C2", "name": "Two", "segment": "long-tail"})
            store.db["customers"].update("C1", {"name": "Changed"})  # sqlite-utils commits here on its own
            store.audit("test", "customer", "C1", "renamed")
            raise RuntimeError("boom")
    assert [r["name"] for r in store.db["customers"].rows] == ["One"]
    assert store.audit_events() == []


def test_nested_transaction_rolls_back_only_inner(store):
    with store.transaction():
        store.db["customers"].insert({"id": "C1", "name": "One", "segment": "long-tail"})
        with pytest.raises(ValueError):
            with store.transaction():
                store.db["customers"].insert({"id": "C2", "name": "Two", "segment": "long-tail"})
                raise ValueError
    assert [r["id"] for r in store.db["customers"].rows] == ["C1"]


def test_audit_event_fields(store):
    store.audit("alice", "invoice", "INV-1", "updated", reason="ledger import",
                before={"open_balance": "10.00"}, after={"open_balance": "0.00"}, customer_id="C1")  # fmt: skip
    (event,) = store.audit_events("invoice", "INV-1")
    assert event["actor"] == "alice" and event["action"] == "updated" and event["reason"] == "ledger import"
    assert '"10.00"' in event["before_json"] and '"0.00"' in event["after_json"]
    assert event["at"]


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.db["invoices"].insert({"number": "X", "customer_id": "nobody", "due_date": "2026-01-01", "amount": "1",
                                     "currency": "USD", "open_balance": "1", "status": "open"})  # fmt: skip
