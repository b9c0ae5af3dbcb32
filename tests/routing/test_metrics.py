"""Metrics on a small ledger whose figures are worked out by hand in the comments."""

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.ledger import importer
from copilot.ledger.metrics import compute_metrics
from copilot.store import Store

AS_OF = date(2026, 11, 30)  # a 30-day period runs from 2026-10-31 (exclusive) to 2026-11-30

INVOICES = """customer_id,customer_name,segment,invoice_number,issue_date,due_date,amount,currency,open_balance,status
C-1,Acme,mid-market,A,2026-10-01,2026-10-31,1000.00,USD,1000.00,open
C-1,Acme,mid-market,B,2026-11-05,2026-12-05,2000.00,USD,2000.00,open
C-1,Acme,mid-market,C,2026-08-01,2026-08-31,500.00,USD,500.00,open
C-1,Acme,mid-market,D,2026-09-01,2026-10-01,1500.00,USD,1500.00,open
C-1,Acme,mid-market,V,2026-11-01,2026-11-20,900.00,USD,900.00,void
"""
# A is paid 10 days late (tier 1, no escalation); C is paid 76 days late (tier 3, the account owner was copied).
PAYMENTS = """payment_id,invoice_number,amount,currency,paid_on
P1,A,1000.00,USD,2026-11-10
P2,C,500.00,USD,2026-11-15
"""


def _seed(store: Store, policy, tmp_path: Path) -> None:
    (tmp_path / "inv.csv").write_text(INVOICES)
    (tmp_path / "pay.csv").write_text(PAYMENTS)
    importer.import_invoices(store, tmp_path / "inv.csv", policy)
    importer.import_payments(store, tmp_path / "pay.csv")
    db = store.db
    for status, resolved in (
        ("kept", "2026-11-20T10:00:00"),
        ("broken", "2026-11-21T10:00:00"),
        ("kept", "2026-10-01T10:00:00"),
        ("open", None),
    ):
        db["promises"].insert(
            {"customer_id": "C-1", "promised_date": "2026-11-01", "status": status, "resolved_at": resolved}
        )
    for reason, opened, status in (
        ("pricing", "2026-11-28T09:00:00", "open"),
        ("duplicate", "2026-10-15T09:00:00", "open"),
        ("pricing", "2026-10-15T09:00:00", "resolved"),
    ):
        db["disputes"].insert({"customer_id": "C-1", "reason": reason, "opened_at": opened, "status": status})
    for kind, status, sent in (
        ("frustration", "sent", "2026-11-20T10:00:00"),
        ("bounce", "sent", "2026-10-01T10:00:00"),
        ("frustration", "pending", None),
        ("sla_breach", "failed", None),
    ):
        db["alerts"].insert({"customer_id": "C-1", "kind": kind, "status": status, "sent_at": sent})


def test_metrics_on_a_hand_checked_ledger(store, policy, tmp_path):
    _seed(store, policy, tmp_path)

    m = compute_metrics(store, AS_OF, 30, policy)

    # Receivables: 3,000 at the start (A 1,000 + C 500 + D 1,500), 3,500 at the end (B 2,000 + D 1,500), 2,000 of it
    # not yet due; sales in the period 2,000 (B). The void invoice counts nowhere.
    assert m["dso_days"] == {"USD": "52.5"}  # 3,500 / 2,000 × 30
    assert m["cei_percent"] == {"USD": "50.0"}  # (3,000 + 2,000 − 3,500) / (3,000 + 2,000 − 2,000)
    assert m["promises"] == {"kept": 1, "broken": 1, "open": 1, "kept_rate": 0.5}
    assert m["disputes"] == {
        "open": 2,
        "by_reason": {"duplicate": 1, "pricing": 1},
        "by_age_days": {"0-7": 1, "8-30": 0, "31+": 1},
        "oldest_days": 46,
    }
    assert m["alerts"] == {"sent": 1, "by_kind": {"frustration": 1}, "pending": 1, "failed": 1}
    recovery = m["recovery_without_escalation"]
    assert (recovery["overdue_payments"], recovery["without_escalation"], recovery["rate"]) == (2, 1, 0.5)
    assert recovery["recovered"] == {"USD": "1500.00"} and recovery["recovered_without_escalation"] == {
        "USD": "1000.00"
    }


def test_a_longer_period_moves_the_figures(store, policy, tmp_path):
    _seed(store, policy, tmp_path)
    m = compute_metrics(store, AS_OF, 90, policy)
    assert m["period_start"] == "2026-09-01" and m["promises"]["kept"] == 2
    # Sales 3,000 (A and B; D was issued on 2026-09-01, the last day of the previous period): 3,500 / 3,000 × 90.
    assert m["dso_days"] == {"USD": "105.0"}


def test_period_must_be_positive(store):
    with pytest.raises(ValueError):
        compute_metrics(store, AS_OF, 0)


def test_aging_json_carries_the_metrics(tmp_path, policy):
    db = tmp_path / "copilot.db"
    with Store.open(db) as store:
        _seed(store, policy, tmp_path)
    result = CliRunner().invoke(main, ["--db", str(db), "--today", "2026-11-30", "aging", "--json", "--period-days", "30"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["as_of"] == "2026-11-30" and len(report["buckets"]) == 4
    assert report["metrics"]["cei_percent"] == {"USD": "50.0"}
    text = CliRunner().invoke(main, ["--db", str(db), "--today", "2026-11-30", "aging", "--period-days", "30"]).output
    assert "DSO: USD 52.5 days" in text and "kept rate 50%" in text and "Open disputes: 2" in text
