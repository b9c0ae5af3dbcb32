"""The command-line flow a collector uses without the web UI: plan, list, show, edit, approve, reject, send."""

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from copilot.cli import main
from copilot.resources import demo_data_dir
from copilot.store import Store
from tests.drafting.conftest import Ledger


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["--db", "cli.db", "--today", "2026-11-16", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_review_and_send_from_the_command_line(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("COPILOT_OUTBOX_DIR", str(tmp_path / "outbox"))
    run("import", "invoices", str(demo_data_dir() / "invoices.csv"))
    run("import", "payments", str(demo_data_dir() / "payments.csv"))
    assert "14 draft(s) created" in run("plan")
    assert "0 draft(s) created" in run("plan")  # safe to run twice

    listing = run("drafts", "list")
    assert listing.count("\n") == 14 and "Final notice" in listing
    shown = run("drafts", "show", "1")
    assert "To: ap@northwindharbor.example" in shown and "Kind regards," in shown

    body = tmp_path / "body.txt"
    body.write_text(shown.split("\n\n", 1)[1].split("Kind regards,")[0].replace("USD 8,940.00", "USD 9,840.00"))
    assert "1 guardrail flag(s)" in run("drafts", "edit", "1", "--body-file", str(body))
    blocked = CliRunner().invoke(main, ["--db", "cli.db", "--today", "2026-11-16", "drafts", "approve", "1"])
    assert blocked.exit_code == 1 and "fails the guardrails" in blocked.output

    run("drafts", "approve", "2", "--user", "dana")
    run("drafts", "reject", "3", "--reason", "customer is on a payment plan")
    sent = run("drafts", "send", "2", "--user", "dana")
    assert "Draft #2 sent as <" in sent
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert "#2 " in run("drafts", "list", "--status", "sent")
    refused = CliRunner().invoke(main, ["--db", "cli.db", "drafts", "send", "3"])
    assert refused.exit_code == 1 and "rejected" in refused.output


def test_plan_can_auto_send_long_tail_tier_one(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("COPILOT_OUTBOX_DIR", str(tmp_path / "outbox"))
    with Store.open("cli.db") as db:
        seeded = Ledger(db)
        for cid, segment in (("L1", "long-tail"), ("M1", "mid-market")):
            seeded.customer(cid, segment)
            seeded.invoice(cid, date(2026, 11, 11))  # day 5 on the 16th: a Tier 1 touch
    out = run("plan", "--auto-send")
    assert "Auto-sent: 1; failed: none" in out
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    assert "To: ap@l1.example" in eml.read_text()
