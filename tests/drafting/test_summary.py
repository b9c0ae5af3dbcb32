"""Every draft carries the worklist's summary: one function writes drafts, and no other code inserts them."""

import ast
import re
from pathlib import Path

import pytest

import copilot
from copilot.drafting.summary import KIND_REASONS, insert_drafts, update_draft
from copilot.store import Store, dumps, loads

PACKAGE = Path(copilot.__file__).parent
HOME = PACKAGE / "drafting" / "summary.py"
INSERT_SQL = re.compile(r"\b(insert|replace)\s+(or\s+\w+\s+)?into\s+drafts\b", re.IGNORECASE)
UPDATE_SQL = re.compile(r"\bupdate\s+drafts\s+set\b", re.IGNORECASE)
WRITES = {"insert", "insert_all", "upsert", "upsert_all", "update", "delete"}
SUMMARY_INPUTS = ("invoice_numbers_json", "customer_id")


def _drafts_table(node: ast.AST) -> bool:
    """`x["drafts"]` or `x.table("drafts")`."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "drafts"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "table":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "drafts"
    return False


def draft_writes(path: Path) -> list[str]:
    """Where this module writes draft rows itself: table writes through sqlite-utils and INSERT/UPDATE SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES
                and _drafts_table(node.func.value)):  # fmt: skip
            found.append(f"{path.name}:{node.lineno} drafts.{node.func.attr}()")
        texts = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts
            texts.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
        for text in texts:
            if INSERT_SQL.search(text):
                found.append(f"{path.name}:{node.lineno} INSERT INTO drafts")
            if UPDATE_SQL.search(text) and any(c in text for c in SUMMARY_INPUTS):
                found.append(f"{path.name}:{node.lineno} UPDATE drafts of a summary input")
    return sorted(set(found))


def test_the_scanner_finds_draft_writes():
    # The scanner must see the writes in the one module allowed them, or the test below proves nothing.
    found = draft_writes(HOME)
    assert any("INSERT INTO drafts" in f for f in found) and any("drafts.update()" in f for f in found), found


def test_only_the_summary_module_writes_draft_rows():
    modules = [p for p in PACKAGE.rglob("*.py") if p != HOME and p.name != "migrations.py"]
    assert len(modules) > 50
    offenders = [f for p in modules for f in draft_writes(p)]
    assert offenders == [], ("write drafts through copilot.drafting.summary.insert_drafts / update_draft so the "
                             f"worklist's summary columns are filled: {offenders}")  # fmt: skip


def _row(customer: str, invoices: list[str], **extra) -> dict:
    return {"customer_id": customer, "contact_email": "ap@example.test", "to_json": dumps(["ap@example.test"]),
            "cc_json": "[]", "kind": "reminder", "tier": 2, "segment": "mid-market", "subject": "Hello", "body": "Hi",
            "original_body": "Hi", "invoice_numbers_json": dumps(invoices), "facts_json": "{}",
            "guardrail_flags_json": "[]", "plan_date": "2026-11-16", "status": "draft", **extra}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path):
    with Store.open(tmp_path / "s.db") as store:
        store.db["customers"].insert({"id": "C-1", "name": "One", "segment": "mid-market", "risky": 1})
        for number, balance, currency, due in (("A-1", "100.10", "EUR", "2026-09-01"), ("A-2", "50.05", "EUR", "2026-08-01"),
                                               ("A-3", "20.00", "USD", "2026-10-01")):  # fmt: skip
            store.db["invoices"].insert({"number": number, "customer_id": "C-1", "open_balance": balance, "amount": balance,
                                         "currency": currency, "due_date": due, "status": "open"})  # fmt: skip
        yield store


def test_insert_drafts_fills_the_summary_and_a_reason(db: Store):
    one, mixed, custom = insert_drafts(db, [_row("C-1", ["A-1", "A-2"]), _row("C-1", ["A-1", "A-3"]),
                                            _row("C-1", ["A-2"], kind="dispute_reply", reason="dispute #4 resolved")])  # fmt: skip
    first = db.db["drafts"].get(one)
    assert (first["open_amount"], first["open_currency"], first["oldest_due"], first["risky"]) == (
        "150.15", "EUR", "2026-08-01", 1)  # fmt: skip
    assert first["reason"] == KIND_REASONS["reminder"]
    second = db.db["drafts"].get(mixed)
    assert second["open_amount"] is None and loads(second["open_totals_json"]) == {"EUR": "100.10", "USD": "20.00"}
    assert db.db["drafts"].get(custom)["reason"] == "dispute #4 resolved"


def test_update_draft_refreshes_the_summary_when_the_invoices_change(db: Store):
    (pk,) = insert_drafts(db, [_row("C-1", ["A-1"])])
    update_draft(db, pk, {"subject": "Changed"})
    assert db.db["drafts"].get(pk)["open_amount"] == "100.10"
    update_draft(db, pk, {"invoice_numbers_json": dumps(["A-2"])})
    row = db.db["drafts"].get(pk)
    assert (row["open_amount"], row["oldest_due"]) == ("50.05", "2026-08-01")


def test_the_migration_fills_drafts_stored_without_a_summary(db: Store):
    from copilot.migrations import m_draftq_fill_draft_summaries

    pk = db.db["drafts"].insert(_row("C-1", ["A-1"], kind="dispute_reply")).last_pk  # as dispute replies once were
    assert db.db["drafts"].get(pk)["open_totals_json"] is None
    m_draftq_fill_draft_summaries(db.db)
    row = db.db["drafts"].get(pk)
    assert (row["open_amount"], row["oldest_due"], row["reason"]) == ("100.10", "2026-09-01", KIND_REASONS["dispute_reply"])
