"""The CLI without a server: poll a folder of .eml files, list quarantined mail, clear errors."""

from click.testing import CliRunner

from copilot.cli import main
from copilot.resources import demo_data_dir
from tests.intake import mailsamples as ms
from tests.intake.fakes import break_detector


def test_poll_once_from_a_folder_then_nothing_new(tmp_path):
    db = str(tmp_path / "c.db")
    first = CliRunner().invoke(main, ["--db", db, "poll", "--once", "--from-dir", str(demo_data_dir() / "mail")])
    assert first.exit_code == 0, first.output
    assert "24 stored (24 unmatched)" in first.output  # no ledger loaded, so nothing can match
    again = CliRunner().invoke(main, ["--db", db, "poll", "--once", "--from-dir", str(demo_data_dir() / "mail")])
    assert "0 stored" in again.output


def test_quarantine_lists_poison_mail(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(b"no headers at all\r\n")
    (inbox / "2.eml").write_bytes(ms.plain(msgid="<fine@x>"))
    db = str(tmp_path / "c.db")
    polled = CliRunner().invoke(main, ["--db", db, "poll", "--once", "--from-dir", str(inbox)])
    assert "1 stored" in polled.output and "1 quarantined" in polled.output
    listed = CliRunner().invoke(main, ["--db", db, "quarantine"])
    assert listed.exit_code == 0
    assert "uid 1" in listed.output and "message has no headers" in listed.output


def test_poll_without_an_account_says_what_to_set(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "c.db"), "poll", "--once"])
    assert result.exit_code == 1
    assert "COPILOT_IMAP__HOST" in result.output


def test_poll_routes_and_delivers_the_alerts_it_raises(tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("COPILOT_SMTP__HOST", smtp_server.host)
    monkeypatch.setenv("COPILOT_SMTP__PORT", str(smtp_server.port))
    monkeypatch.setenv("COPILOT_SMTP__SECURITY", "none")
    monkeypatch.setenv("COPILOT_SMTP__FROM_ADDRESS", "ar@ourco.example")  # the default is refused as a placeholder
    db = str(tmp_path / "c.db")
    args = ["--db", db, "--today", "2026-11-16"]
    assert CliRunner().invoke(main, [*args, "import", "invoices", str(demo_data_dir() / "invoices.csv")]).exit_code == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    angry = demo_data_dir() / "mail" / "06-dispute-duplicate-angry.eml"
    (inbox / angry.name).write_bytes(angry.read_bytes())
    result = CliRunner().invoke(main, [*args, "poll", "--once", "--from-dir", str(inbox)])
    assert result.exit_code == 0, result.output
    (alert,) = smtp_server.messages  # the account owner hears of it in the same run, without `copilot tick`
    assert "Solstice" in alert["Subject"] and "dispute" in alert.get_content().lower()


def test_quarantined_mail_is_read_again_once_the_cause_is_fixed(tmp_path, monkeypatch):
    from copilot.store import Store

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(ms.plain(subject="explode", msgid="<bad@x>"))
    (inbox / "2.eml").write_bytes(b"no headers at all\r\n")
    db = str(tmp_path / "c.db")
    run = CliRunner().invoke
    store = Store.open(tmp_path / "c.db")
    with monkeypatch.context() as broken:
        break_detector(broken)
        assert "2 quarantined" in run(main, ["--db", db, "poll", "--once", "--from-dir", str(inbox)]).output
        bug, headless = (r["id"] for r in store.db["quarantine"].rows_where(order_by="uid"))
        still = run(main, ["--db", db, "quarantine", "retry", str(bug), "--from-dir", str(inbox), "--by", "sam"])
        assert still.exit_code == 1 and "detector bug" in still.output
        assert store.db["quarantine"].get(bug)["status"] == "open" and store.db["messages"].count == 0

    # the bug is fixed
    fixed = run(main, ["--db", db, "quarantine", "retry", str(bug), "--from-dir", str(inbox), "--by", "sam"])
    assert fixed.exit_code == 0, fixed.output
    assert "stored (unmatched)" in fixed.output
    (stored,) = list(store.db["messages"].rows)
    assert stored["message_id"] == "<bad@x>" and stored["status"] != "pending"  # triaged in the same run
    assert store.db["quarantine"].get(bug)["status"] == "reprocessed"
    actions = [(e["actor"], e["action"]) for e in store.audit_events("quarantine", bug)]
    assert actions == [("intake", "quarantined"), ("sam", "retry_failed"), ("sam", "reprocessed")]
    twice = run(main, ["--db", db, "quarantine", "retry", str(bug), "--from-dir", str(inbox)])
    assert twice.exit_code == 1 and "already reprocessed" in twice.output

    refused = run(main, ["--db", db, "quarantine", "dismiss", str(headless), "--reason", " "])
    assert refused.exit_code == 1 and "say why" in refused.output
    dismissed = run(main, ["--db", db, "quarantine", "dismiss", str(headless), "--reason", "junk", "--by", "sam"])
    assert dismissed.exit_code == 0
    assert run(main, ["--db", db, "quarantine"]).output.strip() == "No quarantined mail."
    everything = run(main, ["--db", db, "quarantine", "list", "--all"]).output
    assert "[reprocessed]" in everything and "[dismissed]" in everything
    missing = run(main, ["--db", db, "quarantine", "retry", "999", "--from-dir", str(inbox)])
    assert missing.exit_code == 1 and "no quarantined message #999" in missing.output
