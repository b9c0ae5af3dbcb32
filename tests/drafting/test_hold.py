"""Approve-and-send with Undo: a held send goes out only when its hold ends, and Undo takes it back unsent."""

from datetime import timedelta

import pytest
from click.testing import CliRunner

from copilot import clock
from copilot.cli import main
from copilot.config import Settings
from copilot.drafting.hold import held_until, hold_send, release_due_holds, release_held, undo_send
from copilot.drafting.review import approve_draft, edit_draft, get_draft
from copilot.errors import InvalidTransition
from copilot.mail.sender import SmtpSender
from copilot.store import Store
from tests.drafting.test_outbox import planned, smtp_settings


def test_a_held_send_waits_for_its_hold_and_then_goes_out(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    row = hold_send(store, draft, "user:casey", 10, policy=policy)
    assert row["status"] == "approved" and held_until(row) > clock.now()
    sender = SmtpSender(settings.smtp)
    assert release_due_holds(store, sender, settings, "tick") == [] and smtp_server.messages == []
    (sent,) = release_due_holds(store, sender, settings, "tick", now=clock.now() + timedelta(seconds=11))
    assert sent["status"] == "sent" and sent["sent_by"] == "user:casey" and len(smtp_server.messages) == 1
    assert held_until(get_draft(store, draft)) is None


def test_undo_takes_the_draft_back_to_review_and_nothing_is_sent(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    row = hold_send(store, draft, "user:casey", 10, policy=policy)
    back = undo_send(store, draft, "user:casey")
    assert back["status"] == "draft" and back["send_after"] is None and back["approved_by"] is None
    # The timer set for the old hold fires later: it finds nothing to send.
    assert release_held(store, draft, row["send_after"], SmtpSender(settings.smtp), settings, "user:casey") is None
    assert release_due_holds(store, SmtpSender(settings.smtp), settings, "tick", now=clock.now() + timedelta(days=1)) == []
    assert smtp_server.messages == []
    assert "send_undone" in [e["action"] for e in store.audit_events("draft", draft)]


def test_undo_is_refused_once_the_mail_has_gone(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    row = hold_send(store, draft, "user:casey", 10, policy=policy)
    release_held(store, draft, row["send_after"], SmtpSender(settings.smtp), settings, "user:casey")
    with pytest.raises(InvalidTransition, match="too late"):
        undo_send(store, draft, "user:casey")


def test_a_timer_for_an_older_hold_does_not_send_a_newer_one_early(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    first = hold_send(store, draft, "user:casey", 10, policy=policy)
    undo_send(store, draft, "user:casey")
    edit_draft(store, draft, "user:casey", body=get_draft(store, draft)["body"] + "\n\nThanks.")
    second = hold_send(store, draft, "user:casey", 60, policy=policy)
    assert second["send_after"] != first["send_after"]
    assert release_held(store, draft, first["send_after"], SmtpSender(settings.smtp), settings, "user:casey") is None
    assert smtp_server.messages == []


def test_the_cli_approval_sets_no_hold(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    row = approve_draft(store, draft, "user:casey", policy=policy)
    assert row["send_after"] is None and held_until(row) is None
    assert release_due_holds(store, SmtpSender(settings.smtp), settings, "tick", now=clock.now() + timedelta(days=1)) == []


def test_editing_a_held_draft_cancels_the_hold(store, policy, smtp_server):
    settings = smtp_settings(smtp_server)
    draft = planned(store, settings, policy)
    hold_send(store, draft, "user:casey", 10, policy=policy)
    row = edit_draft(store, draft, "user:casey", body=get_draft(store, draft)["body"] + "\n\nThanks.")
    assert row["status"] == "draft" and row["send_after"] is None


def test_tick_sends_a_hold_that_a_stopped_server_left_behind(tmp_path, monkeypatch, policy):
    monkeypatch.setenv("COPILOT_OUTBOX_DIR", str(tmp_path / "outbox"))
    with Store.open(tmp_path / "t.db") as store:
        draft = planned(store, Settings(outbox_dir=tmp_path / "outbox"), policy, thread=False)
        hold_send(store, draft, "user:casey", 10, policy=policy)
        store.db["drafts"].update(draft, {"send_after": (clock.now() - timedelta(minutes=5)).isoformat()})
    out = CliRunner().invoke(main, ["--db", str(tmp_path / "t.db"), "--today", "2026-11-16", "tick"], catch_exceptions=False)
    assert out.exit_code == 0 and "Held sends released: 1" in out.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    with Store.open(tmp_path / "t.db") as store:
        row = get_draft(store, draft)
    assert row["status"] == "sent" and row["sent_by"] == "user:casey"
