"""What may go out at send time: a hold for Undo is respected everywhere, hard-bounced CCs are left out,
and a collector's subject is an edit the send-time check never writes over."""

from datetime import date, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from copilot import clock
from copilot.cli import main
from copilot.config import Settings
from copilot.drafting.hold import hold_send, release_held
from copilot.drafting.outbox import HoldActive, SendRefused, send_auto_drafts, send_draft
from copilot.drafting.plan import plan_day
from copilot.drafting.review import approve_draft, edit_draft, get_draft, regenerate_draft
from copilot.drafting.sendcheck import edited
from copilot.mail.sender import FolderSender, SmtpSender
from copilot.migrations import MIGRATIONS
from copilot.policy.pauses import add_pause
from copilot.store import Store, dumps, loads
from tests.drafting.conftest import Ledger
from tests.drafting.test_outbox import planned, smtp_settings

DAY = date(2026, 11, 16)
HOLD = 600  # long enough that no slow machine reaches its end while a test runs


# -- 1. a hold for Undo ----------------------------------------------------------------------------


@pytest.fixture
def held(tmp_path: Path, policy, monkeypatch) -> tuple[Path, int, str]:
    """A file database with one draft approved in the web and held for Undo; the outbox folder is the sender."""
    monkeypatch.setenv("COPILOT_OUTBOX_DIR", str(tmp_path / "outbox"))
    db = tmp_path / "held.db"
    with Store.open(db) as store:
        draft = planned(store, Settings(outbox_dir=tmp_path / "outbox"), policy, thread=False)
        row = hold_send(store, draft, "user:casey", HOLD, policy=policy)
    return db, draft, row["send_after"]


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "--today", DAY.isoformat(), *args], catch_exceptions=False)


def sent_files(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "outbox").glob("*.eml"))


def test_the_cli_refuses_a_held_draft_and_names_when_its_hold_ends(held, tmp_path):
    db, draft, send_after = held
    out = cli(db, "drafts", "send", str(draft), "--user", "dana")
    ends = datetime.fromisoformat(send_after).isoformat(timespec="seconds")
    assert out.exit_code == 1
    assert f"Draft #{draft} not sent" in out.output and f"held for Undo until {ends}" in out.output
    assert f"copilot drafts send {draft} --now" in out.output
    assert sent_files(tmp_path) == []
    shown = cli(db, "drafts", "show", str(draft))
    assert shown.exit_code == 0 and f"held for Undo until {ends}" in shown.output
    with Store.open(db) as store:
        row = get_draft(store, draft)
        actions = [e["action"] for e in store.audit_events("draft", draft)]
    assert (row["status"], row["send_after"], row["message_id"]) == ("approved", send_after, None)
    assert "send_started" not in actions and "hold_cut_short" not in actions


def test_sending_every_approved_draft_leaves_a_held_one_to_its_hold(held, tmp_path):
    db, draft, _ = held
    out = cli(db, "drafts", "send", "--approved")
    assert out.exit_code == 0 and f"Draft #{draft} is held for Undo until" in out.output
    assert "Nothing to send" not in out.output and sent_files(tmp_path) == []


def test_tick_does_not_release_a_hold_that_has_not_ended(held, tmp_path):
    db, draft, _ = held
    out = cli(db, "tick")
    assert out.exit_code == 0 and "Held sends released" not in out.output
    assert sent_files(tmp_path) == []
    with Store.open(db) as store:
        assert get_draft(store, draft)["status"] == "approved"


def test_now_cuts_the_hold_short_and_the_audit_says_so(held, tmp_path):
    db, draft, send_after = held
    out = cli(db, "drafts", "send", str(draft), "--now", "--user", "dana")
    assert out.exit_code == 0 and f"Draft #{draft} sent as <" in out.output
    assert len(sent_files(tmp_path)) == 1
    with Store.open(db) as store:
        events = store.audit_events("draft", draft)
        assert get_draft(store, draft)["status"] == "sent"
    (cut,) = [e for e in events if e["action"] == "hold_cut_short"]
    assert cut["actor"] == "dana" and "before its Undo hold ended" in cut["reason"]
    assert loads(cut["before_json"]) == {"send_after": send_after}
    assert [e["action"] for e in events].index("hold_cut_short") < [e["action"] for e in events].index("send_started")


def test_the_library_refuses_a_held_draft_until_the_hold_ends_and_then_sends_it_plainly(store, policy, tmp_path):
    draft = planned(store, Settings(), policy, thread=False)
    row = hold_send(store, draft, "user:casey", HOLD, policy=policy)
    sender = FolderSender(tmp_path / "outbox")
    with pytest.raises(HoldActive, match="held for Undo until") as info:
        send_draft(store, draft, sender, Settings(), "dana", policy=policy)
    assert info.value.until == datetime.fromisoformat(row["send_after"])
    with pytest.raises(HoldActive):
        send_draft(store, draft, sender, Settings(), "auto-send", policy=policy, automatic=True)
    assert get_draft(store, draft)["status"] == "approved" and sent_files(tmp_path) == []

    clock.pin(datetime.fromisoformat(row["send_after"]) + timedelta(seconds=1))
    assert send_draft(store, draft, sender, Settings(), "dana", policy=policy)["status"] == "sent"
    assert "hold_cut_short" not in [e["action"] for e in store.audit_events("draft", draft)]


def test_auto_send_passes_over_a_draft_a_person_holds(store, ledger, policy, tmp_path):
    clock.pin(DAY)
    ledger.customer("L1", "long-tail")
    ledger.invoice("L1", DAY - timedelta(days=5))
    (draft,) = plan_day(store, policy, Settings(), DAY).auto_send
    hold_send(store, draft, "user:casey", HOLD, policy=policy)
    sender = FolderSender(tmp_path / "outbox")
    assert send_auto_drafts(store, sender, Settings(), policy, actor="user:casey") == []
    row = get_draft(store, draft)
    assert row["status"] == "approved" and row["auto_send"] == 1 and sent_files(tmp_path) == []


def test_the_webs_send_now_is_audited_as_a_hold_cut_short(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    hold_send(store, draft, "user:casey", HOLD, policy=policy)
    sent = release_held(store, draft, None, SmtpSender(settings.smtp), settings, "user:casey")
    assert sent["status"] == "sent" and len(smtp_server.messages) == 1
    assert "hold_cut_short" in [e["action"] for e in store.audit_events("draft", draft)]


# -- 2. hard-bounced recipients --------------------------------------------------------------------


def bounced_cc_draft(store: Store, settings: Settings, policy) -> int:
    """C1's draft copying a second billing contact of C1 and an address another customer's contact bounced."""
    clock.pin(DAY)
    ledger = Ledger(store)
    ledger.customer("C1", owner="owner@ourco.example", contacts=("ap@c1.example", "controller@c1.example"))
    ledger.customer("C2", contacts=("shared-ap@group.example",))
    ledger.invoice("C1", DAY - timedelta(days=70), amount="4200.00")
    (draft,) = plan_day(store, policy, settings, DAY).created
    cc = loads(get_draft(store, draft)["cc_json"])
    assert "controller@c1.example" in cc and "owner@ourco.example" in cc
    store.db["drafts"].update(draft, {"cc_json": dumps([*cc, "Shared-AP@group.example"])})
    return draft


def test_a_hard_bounced_cc_is_dropped_and_never_reaches_the_smtp_server(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = bounced_cc_draft(store, settings, policy)
    approve_draft(store, draft, "dana", policy=policy)
    # Bounces arrive after the draft was planned and approved: one of C1's contacts, and one address on C2.
    store.db.execute("update contacts set status = 'bouncing', status_reason = 'bounce in message 7' "
                     "where email in ('controller@c1.example', 'shared-ap@group.example')")  # fmt: skip

    sent = send_draft(store, draft, SmtpSender(settings.smtp), settings, "dana", policy=policy)

    assert sent["status"] == "sent"
    ((_, rcpts),) = smtp_server.handler.envelopes
    assert sorted(rcpts) == ["ap@c1.example", "owner@ourco.example"]
    header = [a for _, a in getaddresses([str(smtp_server.messages[0]["Cc"])])]
    assert header == ["owner@ourco.example"]
    assert sent["cc_dropped"] == ["controller@c1.example", "Shared-AP@group.example"]
    assert "hard-bounced" in sent["note"] and "controller@c1.example" in sent["note"]
    events = {e["action"]: e for e in store.audit_events("draft", draft)}
    dropped = loads(events["cc_dropped"]["after_json"])
    assert dropped == {"cc": ["owner@ourco.example"], "dropped": ["controller@c1.example", "Shared-AP@group.example"]}
    assert loads(events["send_sent"]["after_json"])["cc"] == ["owner@ourco.example"]
    outbound = next(store.db["messages"].rows_where("direction = 'outbound'"))
    assert loads(outbound["cc_json"]) == ["owner@ourco.example"]


def test_the_cli_says_which_cc_was_left_out(tmp_path, policy, smtp_server, monkeypatch):
    for name, value in {"HOST": smtp_server.host, "PORT": str(smtp_server.port), "SECURITY": "none",
                        "FROM_ADDRESS": "ar@ourco.example"}.items():  # fmt: skip
        monkeypatch.setenv(f"COPILOT_SMTP__{name}", value)
    db = tmp_path / "cc.db"
    with Store.open(db) as store:
        draft = bounced_cc_draft(store, Settings(), policy)
        approve_draft(store, draft, "dana", policy=policy)
        store.db.execute("update contacts set status = 'bouncing' where email = 'controller@c1.example'")
    out = cli(db, "drafts", "send", str(draft))
    assert out.exit_code == 0 and "Not copied to controller@c1.example: the address has hard-bounced." in out.output
    assert "controller@c1.example" not in smtp_server.handler.envelopes[0][1]


def test_a_to_address_that_bounced_anywhere_withdraws_the_draft(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    approve_draft(store, draft, "dana", policy=policy)
    # C1's contact is still "ok", but the same mailbox bounced as another customer's contact.
    Ledger(store).customer("C9", contacts=("AP@c1.example",))
    store.db.execute("update contacts set status = 'bouncing' where customer_id = 'C9'")

    out = send_draft(store, draft, SmtpSender(settings.smtp), settings, "dana", policy=policy)

    assert out["status"] == "superseded" and "ap@c1.example has hard-bounced" in out["superseded_reason"].lower()
    assert smtp_server.messages == [] and smtp_server.handler.envelopes == []


def test_a_cc_that_is_fine_is_kept(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = bounced_cc_draft(store, settings, policy)
    approve_draft(store, draft, "dana", policy=policy)
    sent = send_draft(store, draft, SmtpSender(settings.smtp), settings, "dana", policy=policy)
    assert "cc_dropped" not in sent and sent["note"] is None
    assert "controller@c1.example" in smtp_server.handler.envelopes[0][1]
    assert "cc_dropped" not in [e["action"] for e in store.audit_events("draft", draft)]


# -- 3. a subject is an edit too -------------------------------------------------------------------


@pytest.fixture
def two_invoice_draft(store: Store, ledger: Ledger, policy, settings) -> tuple[int, str, str]:
    clock.pin(DAY)
    ledger.customer("C1")
    old = ledger.invoice("C1", DAY - timedelta(days=65), amount="3000.00")
    new = ledger.invoice("C1", DAY - timedelta(days=10), amount="500.00")
    (draft,) = plan_day(store, policy, settings, DAY).created
    return draft, old, new


def test_a_subject_only_edit_is_not_rewritten_at_send(store, policy, settings, two_invoice_draft, tmp_path):
    draft, old, _ = two_invoice_draft
    written = get_draft(store, draft)
    assert written["original_subject"] == written["subject"]
    edit_draft(store, draft, "dana", subject="Our call on Tuesday, and the two open invoices", policy=policy)
    add_pause(store, "C1", "dispute", "router", invoice_number=old, note="wrong quantity")
    approve_draft(store, draft, "dana", policy=policy)

    with pytest.raises(SendRefused, match="edited"):
        send_draft(store, draft, FolderSender(tmp_path / "out"), settings, "dana", policy=policy)

    row = get_draft(store, draft)
    assert row["status"] == "draft" and row["subject"] == "Our call on Tuesday, and the two open invoices"
    assert row["body"] == written["body"] and not (tmp_path / "out").exists()


def test_an_untouched_draft_is_still_rewritten_at_send(store, policy, settings, two_invoice_draft, tmp_path):
    draft, old, new = two_invoice_draft
    add_pause(store, "C1", "dispute", "router", invoice_number=old, note="wrong quantity")
    approve_draft(store, draft, "dana", policy=policy)
    sent = send_draft(store, draft, FolderSender(tmp_path / "out"), settings, "dana", policy=policy)
    assert sent["status"] == "sent" and old not in sent["body"] and new in sent["body"]
    assert sent["original_subject"] == sent["subject"]


@pytest.mark.parametrize(
    ("subject", "body", "is_edit"),
    [
        ("Invoice INV-1 is overdue", "Hello,\nplease pay.", False),
        ("Invoice INV-1 is overdue  ", "Hello,  \r\nplease pay.\r\n", False),  # trailing spaces and CRLF
        ("  Invoice INV-1 is overdue\r\n", "Hello,\nplease pay.", False),
        ("Invoice INV-1 is overdue (call me)", "Hello,\nplease pay.", True),
        ("Invoice INV-1 is overdue", "Hello,\nplease pay today.", True),
    ],
)
def test_edited_reads_subject_and_body_with_the_same_tolerance(subject, body, is_edit):
    row = {"subject": subject, "body": body, "original_subject": "Invoice INV-1 is overdue",
           "original_body": "Hello,\nplease pay."}  # fmt: skip
    assert edited(row) is is_edit


def test_a_draft_stored_without_an_original_subject_is_judged_by_its_body():
    row = {"subject": "anything", "body": "b", "original_subject": None, "original_body": "b"}
    assert edited(row) is False and edited({**row, "body": "c"}) is True


def test_regenerating_starts_the_subject_afresh(store, policy, settings, two_invoice_draft):
    draft, _, _ = two_invoice_draft
    edit_draft(store, draft, "dana", subject="My own subject", policy=policy)
    assert edited(get_draft(store, draft))
    row = regenerate_draft(store, draft, "dana", "warmer", policy=policy, settings=settings)
    assert row["original_subject"] == row["subject"] and not edited(row)


def test_the_migration_recovers_the_written_subject_from_the_audit_log():
    db = sqlite_utils.Database(memory=True)
    names = [name for name, _ in MIGRATIONS]
    at = names.index("m_sendsafe_drafts_original_subject")
    latest = MIGRATIONS[at][1]
    for _, fn in MIGRATIONS[:at]:  # the schema as it stood just before this migration
        fn(db)

    def draft(subject: str) -> int:
        return db["drafts"].insert({"subject": subject, "body": "b", "original_body": "b", "status": "draft"}).last_pk

    def event(pk: int, action: str, before: dict) -> None:
        db["audit_events"].insert({"at": "2026-11-16T09:00:00+00:00", "actor": "dana", "entity_type": "draft",
                                   "entity_id": str(pk), "action": action, "before_json": dumps(before)})  # fmt: skip

    untouched, twice, rewritten, revived = draft("Written"), draft("Third"), draft("Mine again"), draft("Kept")
    event(twice, "edited", {"subject": "Written"})
    event(twice, "edited", {"subject": "Second"})
    event(rewritten, "edited", {"subject": "Written"})
    event(rewritten, "regenerated", {"subject": "Mine", "body": "b"})
    event(rewritten, "edited", {"subject": "Rewritten"})
    event(revived, "edited", {"subject": "Written"})
    event(revived, "revived", {"status": "expired"})  # revived without rewriting: the edit still stands
    latest(db)
    got = {r["id"]: r["original_subject"] for r in db["drafts"].rows}
    assert got == {untouched: "Written", twice: "Written", rewritten: "Rewritten", revived: "Written"}
