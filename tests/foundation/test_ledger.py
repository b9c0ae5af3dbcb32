"""Ledger import: whole-file validation, idempotent upserts, payments, audit."""

from decimal import Decimal
from pathlib import Path

import pytest

from copilot.errors import ImportRejected
from copilot.ledger import importer
from copilot.resources import demo_data_dir

HEADER = ("customer_id,customer_name,segment,arr,account_owner_email,billing_emails,invoice_number,"
          "issue_date,due_date,amount,currency,open_balance,status,payment_link,po_number\n")  # fmt: skip
GOOD = "C-1,Acme Ltd,strategic,,owner@ourco.example,ap@acme.example,INV-1,2026-09-01,2026-10-01,1200.50,USD,1200.50,open,https://pay.example/INV-1,\n"
SAMPLE = demo_data_dir() / "invoices.csv"
SAMPLE_PAYMENTS = demo_data_dir() / "payments.csv"


def _snapshot(store) -> dict:
    return {t: list(store.db[t].rows) for t in ("customers", "contacts", "invoices", "payments")}


def _state(store) -> dict:
    strip = ("created_at", "updated_at")
    return {t: [{k: v for k, v in r.items() if k not in strip} for r in rows] for t, rows in _snapshot(store).items()}


def test_sample_ledger_twice_leaves_the_same_state(store, policy):
    first = importer.import_invoices(store, SAMPLE, policy)
    importer.import_payments(store, SAMPLE_PAYMENTS)
    after_first = _state(store)
    second = importer.import_invoices(store, SAMPLE, policy)
    importer.import_payments(store, SAMPLE_PAYMENTS)
    assert first.created and not second.created and not second.updated
    assert len(second.unchanged) == len(first.created)
    assert _state(store) == after_first
    imports = [e for e in store.audit_events("import") if e["action"] in ("import_invoices", "import_payments")]
    assert len(imports) == 4  # both imports of both files are logged


def test_reimport_records_what_changed(store, policy, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text(HEADER + GOOD)
    importer.import_invoices(store, path, policy)
    path.write_text(HEADER + GOOD.replace("1200.50,USD,1200.50", "1200.50,USD,200.50").replace(",open,", ",partially_paid,"))
    result = importer.import_invoices(store, path, policy)
    assert result.updated == ["INV-1"]
    (event,) = [e for e in store.audit_events("invoice", "INV-1") if e["action"] == "updated"]
    assert '"1200.50"' in event["before_json"] and '"200.50"' in event["after_json"]
    assert store.db["invoices"].get("INV-1")["open_balance"] == "200.50"


@pytest.mark.parametrize(
    ("row", "line", "reason"),
    [
        (GOOD.replace("2026-10-01", "2026-13-01"), 3, "due_date '2026-13-01' is not a date"),
        (GOOD.replace("1200.50,USD,1200.50", "-5.00,USD,0"), 3, "amount must be positive"),
        (GOOD.replace(",USD,", ",XYZ,"), 3, "unknown currency 'XYZ'"),
        (GOOD.replace("INV-1", ""), 3, "invoice_number is missing"),
        (GOOD.replace("INV-1,", "INV-0,"), 3, "invoice_number 'INV-0' appears again (first on line 2)"),
        (GOOD.replace("1200.50,USD,1200.50", "12O0.50,USD,1200.50"), 3, "'12O0.50' is not a decimal amount"),
        (GOOD.replace("ap@acme.example", "not-an-email"), 3, "'not-an-email' is not an email address"),
        (GOOD.replace("strategic", "enterprise"), 3, "unknown segment 'enterprise'"),
        (GOOD.replace(",open,", ",lost,"), 3, "unknown status 'lost'"),
        (GOOD.replace("1200.50,USD,1200.50", "100.00,USD,200.00"), 3, "larger than amount"),
    ],
)
def test_bad_row_refuses_the_whole_file(store, policy, tmp_path, row, line, reason):
    importer.import_invoices(store, SAMPLE, policy)
    before = _snapshot(store)
    path = tmp_path / "bad.csv"
    first = GOOD.replace("INV-1", "INV-0")
    path.write_text(HEADER + first + row)
    with pytest.raises(ImportRejected) as err:
        importer.import_invoices(store, path, policy)
    assert (line, reason) in [(ln, msg[: len(reason)]) for ln, msg in err.value.problems] or any(
        ln == line and reason in msg for ln, msg in err.value.problems
    ), err.value.problems
    assert f"line {line}:" in str(err.value)
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (HEADER.encode(), "the file has a header but no data rows"),
        ((HEADER + GOOD.replace("Acme Ltd", "Acm\xe9 Ltd")).encode("latin-1"), "the file is not UTF-8"),
        (b"customer_id,amount\nC-1,10\n", "missing column(s): customer_name, invoice_number, due_date, currency"),
    ],
)
def test_unreadable_files_are_refused(store, policy, tmp_path, content, reason):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as err:
        importer.import_invoices(store, path, policy)
    assert reason in str(err.value)
    assert store.db["invoices"].count == 0


def test_skip_invalid_imports_the_rest(store, policy, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + GOOD + GOOD.replace("INV-1", "INV-2").replace("2026-10-01", "01/10/2026"))
    result = importer.import_invoices(store, path, policy, skip_invalid=True)
    assert result.created == ["INV-1"]
    assert result.skipped[0][0] == 3
    assert store.db["invoices"].count == 1


def test_amounts_are_exact_decimals(store, policy, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text(HEADER + GOOD.replace("1200.50,USD,1200.50", "0.10,EUR,0.10"))
    importer.import_invoices(store, path, policy)
    row = store.db["invoices"].get("INV-1")
    assert row["amount"] == "0.10" and row["currency"] == "EUR"
    assert Decimal(row["amount"]) * 3 == Decimal("0.30")


def test_payments_mark_invoices_paid_or_partial(store, policy, tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text(HEADER + GOOD + GOOD.replace("INV-1", "INV-2"))
    importer.import_invoices(store, inv, policy)
    pay = tmp_path / "pay.csv"
    pay.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"
                   "P-1,INV-1,C-1,1200.50,USD,2026-11-01,wire,\nP-2,INV-2,,200.00,USD,2026-11-02,ach,\n")  # fmt: skip
    result = importer.import_payments(store, pay)
    assert sorted(result.affected_invoices) == ["INV-1", "INV-2"]
    assert store.db["invoices"].get("INV-1")["status"] == "paid"
    assert store.db["invoices"].get("INV-1")["open_balance"] == "0.00"
    assert store.db["invoices"].get("INV-2")["status"] == "partially_paid"
    assert store.db["invoices"].get("INV-2")["open_balance"] == "1000.50"
    again = importer.import_payments(store, pay)  # each payment applies once
    assert again.unchanged == ["P-1", "P-2"]
    assert store.db["invoices"].get("INV-2")["open_balance"] == "1000.50"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("P-1,INV-404,,10.00,USD,2026-11-01,,", "invoice 'INV-404' is not in the ledger"),
        ("P-1,INV-1,,10.00,EUR,2026-11-01,,", "currency EUR does not match invoice INV-1 (USD)"),
        ("P-1,INV-1,C-9,10.00,USD,2026-11-01,,", "customer_id 'C-9' does not own invoice INV-1"),
        ("P-1,INV-1,,0,USD,2026-11-01,,", "amount must be positive"),
    ],
)
def test_bad_payment_rows(store, policy, tmp_path, row, reason):
    inv = tmp_path / "inv.csv"
    inv.write_text(HEADER + GOOD)
    importer.import_invoices(store, inv, policy)
    pay = tmp_path / "pay.csv"
    pay.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n" + row + "\n")
    with pytest.raises(ImportRejected) as err:
        importer.import_payments(store, pay)
    assert reason in str(err.value)
    assert store.db["payments"].count == 0
    assert store.db["invoices"].get("INV-1")["open_balance"] == "1200.50"


def test_csv_format_is_documented():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for column in importer.INVOICE_COLUMNS + importer.PAYMENT_COLUMNS:
        assert f"`{column}`" in readme, column


def test_account_team_and_risk_flag(store, policy, tmp_path):
    path = tmp_path / "inv.csv"
    header = HEADER.rstrip("\n") + ",account_team_emails,risky\n"
    path.write_text(header + GOOD.rstrip("\n") + ",csm@ourco.example; vp@ourco.example,yes\n")
    importer.import_invoices(store, path, policy)
    customer = store.db["customers"].get("C-1")
    assert customer["account_team_emails"] == '["csm@ourco.example", "vp@ourco.example"]'
    assert customer["risky"] == 1
    path.write_text(HEADER + GOOD)  # a file without the columns leaves them as they were
    importer.import_invoices(store, path, policy)
    assert store.db["customers"].get("C-1")["risky"] == 1


@pytest.mark.parametrize(("team", "risky", "reason"), [("not-an-email", "", "'not-an-email' is not an email address"),
                                                       ("", "maybe", "risky")])  # fmt: skip
def test_bad_team_or_risk_values(store, policy, tmp_path, team, risky, reason):
    path = tmp_path / "inv.csv"
    path.write_text(HEADER.rstrip("\n") + ",account_team_emails,risky\n" + GOOD.rstrip("\n") + f",{team},{risky}\n")
    with pytest.raises(ImportRejected, match=reason):
        importer.import_invoices(store, path, policy)


def test_a_blank_required_amount_is_reported_as_missing(store, policy, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text(HEADER + GOOD.replace("1200.50,USD,1200.50", ",USD,"))
    with pytest.raises(ImportRejected, match="line 2: amount is missing"):
        importer.import_invoices(store, path, policy)
