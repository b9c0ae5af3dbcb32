"""A waiting draft never contradicts the account's state when it goes out: scenarios through the CLI and mail on the demo.

Each test builds the demo (its database with the settings file beside it), changes the state
the way a customer or the ERP would (a reply read by `copilot poll --from-dir`, a payments
file), then approves and sends the waiting draft with `copilot drafts` and reads what reached
the demo's outbox folder.
"""

import shutil
import sqlite3
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot import clock
from copilot.cli import main
from copilot.demo import drafts, mail, users  # noqa: F401  (each registers its demo step)
from copilot.demo.runner import run_demo
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.store import Store, loads


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / ".copilot-demo"
    folder.mkdir()
    run_demo(folder / "demo.db", default_policy())
    clock.pin(None)
    return folder


@pytest.fixture
def demo(built_demo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo folder (database, its settings file, its outbox) for one test."""
    folder = tmp_path / ".copilot-demo"
    shutil.copytree(built_demo, folder)
    return folder / "demo.db"


def cli(db: Path, *args: str, ok: bool = True) -> str:
    """`copilot --db DB …` with no --today: the settings file beside the demo database pins its day."""
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


def waiting_draft(db: Path, customer_id: str) -> dict:
    with Store.open(db) as store:
        (row,) = store.db["drafts"].rows_where("customer_id = ? and status = 'draft'", [customer_id])
        return row


def reminders_sent(db: Path) -> list[EmailMessage]:
    """The reminder emails in the demo's outbox folder (alerts land there too; they carry no draft header)."""
    found = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((db.parent / "outbox").glob("*.eml"))]
    return [m for m in found if m["X-Copilot-Draft"]]


def draft_audit(db: Path, draft_id: int) -> list[dict]:
    with Store.open(db) as store:
        return store.audit_events("draft", draft_id)


def reply(folder: Path, sender: str, subject: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "reply.eml").write_text(
        f"From: {sender}\nTo: \"Our Co Accounts Receivable\" <ar@ourco.example>\nDate: Mon, 16 Nov 2026 10:12:00 +0000\n"
        f"Subject: {subject}\nMessage-ID: <reply-{abs(hash(body))}@customer.example>\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n",
        encoding="utf-8",
    )
    return folder


def test_a_dispute_on_one_invoice_keeps_it_out_of_the_waiting_final_notice(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1003")  # Quillfeather: "Final notice before suspension", three invoices
    assert loads(draft["invoice_numbers_json"]) == ["INV-2026-0294", "INV-2026-0319", "INV-2026-0350"]
    inbox = reply(tmp_path / "inbox", "payables@quillfeather.test", "Re: Final notice before suspension: INV-2026-0319",
                  "Hello,\n\nWe dispute invoice INV-2026-0319. The quantity is wrong: our purchase order was for 10 seats, "
                  "not 25, and we will not pay it until you send a corrected invoice or a credit note.\n\n"
                  "Regards,\nPayables, Quillfeather Media Group")  # fmt: skip
    polled = cli(demo, "poll", "--once", "--from-dir", str(inbox))
    assert "1 stored" in polled
    with Store.open(demo) as store:
        (case,) = store.db["disputes"].rows_where("customer_id = 'C-1003' and status = 'open'")
        assert loads(case["invoice_numbers_json"]) == ["INV-2026-0319"]
    assert " stale" in cli(demo, "drafts", "list")  # the worklist says the draft is out of date

    cli(demo, "drafts", "approve", str(draft["id"]))
    sent = cli(demo, "drafts", "send", str(draft["id"]))
    assert f"Draft #{draft['id']} sent" in sent and "INV-2026-0319" in sent  # the note says what changed

    (mail_out,) = reminders_sent(demo)
    text = f"{mail_out['Subject']}\n{mail_out.get_content()}"
    assert "INV-2026-0319" not in text
    assert "INV-2026-0294" in text and "INV-2026-0350" in text and "USD 25,000.00" in text
    assert mail_out["From"] == "Our Co Accounts Receivable <ar@ourco.example>"  # the demo's identity, from its settings
    (why,) = [e for e in draft_audit(demo, draft["id"]) if e["action"] == "rewritten_at_send"]
    assert "INV-2026-0319: disputed" in why["reason"]
    assert loads(why["after_json"])["invoices"] == ["INV-2026-0294", "INV-2026-0350"]


def test_a_whole_account_pause_lets_nothing_go_out(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1004")  # Maplecrest: three invoices, Tier 3
    inbox = reply(tmp_path / "inbox", "renee.tremblay@maplecrest.example", "Re: your reminder",
                  "Hello,\n\nWe dispute these charges: since the contract changed in August the account has been "
                  "billed at the old rate. Please review it and send corrected invoices; we will pay once they "
                  "arrive.\n\nThank you,\nRenée Tremblay")  # fmt: skip
    cli(demo, "poll", "--once", "--from-dir", str(inbox))
    with Store.open(demo) as store:
        held = list(store.db["pauses"].rows_where("customer_id = 'C-1004' and invoice_number is null and lifted_at is null"))
    assert held, "the dispute naming no invoice holds the whole account"

    cli(demo, "drafts", "approve", str(draft["id"]))
    out = cli(demo, "drafts", "send", str(draft["id"]))
    assert "withdrawn, not sent" in out and "the account is on hold" in out
    assert reminders_sent(demo) == []
    assert cli(demo, "drafts", "list", "--status", "superseded").count("C-1004") == 1
    (why,) = [e for e in draft_audit(demo, draft["id"]) if e["action"] == "superseded"]
    assert "disputed (the whole account" in why["reason"]


def test_a_payment_that_clears_one_invoice_drops_it_from_the_draft(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1004")
    assert "INV-2026-0305" in loads(draft["invoice_numbers_json"])
    payments = tmp_path / "payments.csv"
    payments.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"
                        "PAY-T-1,INV-2026-0305,C-1004,1210.00,CAD,2026-11-16,wire,MC-1116\n")  # fmt: skip
    cli(demo, "import", "payments", str(payments))
    assert f"#{draft['id']} " in cli(demo, "drafts", "list") and "stale" in cli(demo, "drafts", "show", str(draft["id"]))

    cli(demo, "drafts", "approve", str(draft["id"]))
    cli(demo, "drafts", "send", str(draft["id"]))
    (mail_out,) = reminders_sent(demo)
    text = mail_out.get_content()
    assert "INV-2026-0305" not in text and "1,210.00" not in text
    assert "INV-2026-0327" in text and "INV-2026-0364" in text
    (why,) = [e for e in draft_audit(demo, draft["id"]) if e["action"] == "rewritten_at_send"]
    assert "INV-2026-0305: paid since the draft was planned" in why["reason"]


def test_an_edited_draft_whose_invoices_changed_is_refused_not_rewritten(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1004")
    body = tmp_path / "body.txt"
    body.write_text("As promised on our call today:\n" + draft["body"])
    cli(demo, "drafts", "edit", str(draft["id"]), "--body-file", str(body))
    payments = tmp_path / "payments.csv"
    payments.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"
                        "PAY-T-2,INV-2026-0305,C-1004,1210.00,CAD,2026-11-16,wire,MC-1116\n")  # fmt: skip
    cli(demo, "import", "payments", str(payments))
    cli(demo, "drafts", "approve", str(draft["id"]))
    out = cli(demo, "drafts", "send", str(draft["id"]), ok=False)
    assert "was not sent" in out and "INV-2026-0305" in out and "regenerate" in out
    assert reminders_sent(demo) == []
    after = waiting_draft(demo, "C-1004")
    assert after["body"].startswith("As promised on our call today:") and after["status"] == "draft"  # the collector's words are kept
    assert [e["action"] for e in draft_audit(demo, draft["id"])][-1] == "send_refused"

    cli(demo, "drafts", "regenerate", str(draft["id"]), "--tone", "warmer")  # the collector decides: write it again
    assert "INV-2026-0305" not in waiting_draft(demo, "C-1004")["body"]


def test_the_next_plan_writes_stale_drafts_again(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1004")
    payments = tmp_path / "payments.csv"
    payments.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"
                        "PAY-T-3,INV-2026-0305,C-1004,1210.00,CAD,2026-11-16,wire,MC-1116\n")  # fmt: skip
    cli(demo, "import", "payments", str(payments))
    out = cli(demo, "plan")
    assert "1 draft(s) created" in out and "1 stale draft(s) written again" in out
    fresh = waiting_draft(demo, "C-1004")
    assert fresh["id"] != draft["id"] and "INV-2026-0305" not in loads(fresh["invoice_numbers_json"])
    assert fresh["stale_at"] is None
    assert "regenerated by the plan: payment recorded on INV-2026-0305" in cli(demo, "drafts", "show", str(draft["id"]))


def test_listing_drafts_on_the_real_clock_changes_nothing(tmp_path: Path):
    db = tmp_path / "ledger.db"  # no settings file beside it: the real clock
    run = CliRunner().invoke
    for args in (["import", "invoices", str(demo_data_dir() / "invoices.csv")],
                 ["import", "payments", str(demo_data_dir() / "payments.csv")], ["plan"]):  # fmt: skip
        assert run(main, ["--db", str(db), "--today", "2026-11-16", *args]).exit_code == 0
    with sqlite3.connect(db) as conn:  # expiry long past, whatever the real date is
        conn.execute("update drafts set expires_at = '2001-01-01T00:00:00+00:00'")

    def statuses() -> list[tuple]:
        with sqlite3.connect(db) as conn:
            return conn.execute("select id, status, updated_at from drafts order by id").fetchall()

    def audit_count() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("select count(*) from audit_events").fetchone()[0]

    before, events = statuses(), audit_count()
    assert len(before) == 14 and {s for _, s, _ in before} == {"draft"}
    for args in (["drafts", "list"], ["drafts", "show", "1"], ["aging"], ["aging", "--json"]):
        result = run(main, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
    assert statuses() == before and audit_count() == events

    assert run(main, ["--db", str(db), "tick", "--no-deliver"]).exit_code == 0  # expiry is tick's to record
    assert {s for _, s, _ in statuses()} == {"expired"}
    revived = run(main, ["--db", str(db), "--today", "2026-11-17", "drafts", "revive", "1"])
    assert revived.exit_code == 0 and "back in review" in revived.output
    assert statuses()[0][1] == "draft"


def test_an_invoice_voided_in_the_erp_is_dropped(demo: Path, tmp_path: Path):
    draft = waiting_draft(demo, "C-1004")
    voided = tmp_path / "invoices.csv"
    lines = (demo_data_dir() / "invoices.csv").read_text(encoding="utf-8").splitlines()
    voided.write_text("\n".join([lines[0], *(line.replace(",1210.00,open,", ",0.00,void,") for line in lines[1:]
                                             if "INV-2026-0305" in line)]) + "\n", encoding="utf-8")  # fmt: skip
    cli(demo, "import", "invoices", str(voided))
    assert "the ERP changed INV-2026-0305" in cli(demo, "drafts", "show", str(draft["id"]))
    cli(demo, "drafts", "approve", str(draft["id"]))
    cli(demo, "drafts", "send", str(draft["id"]))
    (mail_out,) = reminders_sent(demo)
    assert "INV-2026-0305" not in mail_out.get_content() and "INV-2026-0364" in mail_out.get_content()
    (why,) = [e for e in draft_audit(demo, draft["id"]) if e["action"] == "rewritten_at_send"]
    assert "INV-2026-0305: void since the draft was planned" in why["reason"]
