"""Review actions: edit, approve (with the guardrails re-run), reject, regenerate, expiry and edit-distance feedback."""

from datetime import date, timedelta

import pytest

from copilot import clock
from copilot.drafting.outbox import send_draft
from copilot.drafting.plan import plan_day
from copilot.drafting.review import (
    GuardrailBlocked,
    approve_draft,
    edit_distance,
    edit_draft,
    expire_drafts,
    regenerate_draft,
    reject_draft,
    revive_draft,
)
from copilot.errors import InvalidTransition, NotFound
from copilot.mail.sender import FolderSender
from copilot.store import loads
from tests.drafting.conftest import pin

DAY = date(2026, 11, 16)


@pytest.fixture
def draft(store, ledger, settings, policy) -> dict:
    pin(DAY)
    ledger.customer("C1")
    ledger.invoice("C1", DAY - timedelta(days=35), amount="980.00")
    (draft_id,) = plan_day(store, policy, settings, DAY).created
    return store.db["drafts"].get(draft_id)


def test_edit_rechecks_the_guardrails_and_sends_an_approval_back_to_review(store, policy, draft):
    approve_draft(store, draft["id"], "dana", policy=policy)
    row = edit_draft(store, draft["id"], "dana", body=draft["body"].replace("USD 980.00", "USD 890.00"), policy=policy)
    assert row["status"] == "draft" and row["approved_by"] is None
    assert [f["check"] for f in loads(row["guardrail_flags_json"])] == ["amount"]
    assert store.audit_events("draft", draft["id"])[-1]["action"] == "edited"


def test_approval_is_blocked_by_a_failing_guardrail_unless_overridden(store, policy, draft):
    edit_draft(store, draft["id"], "dana", body=draft["body"] + "\nOtherwise we will suspend the account.", policy=policy)
    with pytest.raises(GuardrailBlocked, match="threatens"):
        approve_draft(store, draft["id"], "dana", policy=policy)
    row = approve_draft(store, draft["id"], "lead", policy=policy, override_reason="agreed with the CFO")
    assert row["status"] == "approved" and row["approved_by"] == "lead"
    assert store.audit_events("draft", draft["id"])[-1]["reason"] == "agreed with the CFO"


def test_reject_needs_a_reason_and_is_final(store, draft):
    with pytest.raises(ValueError, match="reason"):
        reject_draft(store, draft["id"], "dana", "  ")
    row = reject_draft(store, draft["id"], "dana", "customer paid by phone")
    assert (row["status"], row["reject_reason"]) == ("rejected", "customer paid by phone")
    with pytest.raises(InvalidTransition):
        edit_draft(store, draft["id"], "dana", body="x")


@pytest.mark.parametrize("tone", ["warmer", "firmer"])
def test_regenerate_with_a_tone_hint(store, policy, settings, draft, tone):
    edit_draft(store, draft["id"], "dana", subject="my own subject")
    row = regenerate_draft(store, draft["id"], "dana", tone, policy=policy, settings=settings)
    assert row["tone_hint"] == tone and row["status"] == "draft"
    assert row["body"] != draft["body"] and row["original_body"] == row["body"]
    assert row["subject"] == draft["subject"]
    assert loads(row["guardrail_flags_json"]) == []


def test_regenerate_refuses_an_unknown_tone(store, policy, settings, draft):
    with pytest.raises(ValueError, match="tone_hint"):
        regenerate_draft(store, draft["id"], "dana", "angrier", policy=policy, settings=settings)


def test_an_expired_draft_cannot_be_approved_until_revived(store, policy, settings, draft):
    later = DAY + timedelta(days=4)
    clock.pin(later)
    with pytest.raises(InvalidTransition, match="expired"):
        approve_draft(store, draft["id"], "dana", policy=policy)
    assert store.db["drafts"].get(draft["id"])["status"] == "draft"  # refused, but expiry is tick's and plan's to record
    assert expire_drafts(store, "scheduler") == 1
    assert store.db["drafts"].get(draft["id"])["status"] == "expired"

    row = revive_draft(store, draft["id"], "dana", policy=policy, settings=settings)
    assert row["status"] == "draft" and row["expires_at"] > later.isoformat()
    assert "39 days overdue" in row["body"]  # written again from the day it was revived, not the day it was planned
    assert store.audit_events("draft", draft["id"])[-1]["action"] == "revived"
    assert approve_draft(store, draft["id"], "dana", policy=policy)["status"] == "approved"


def test_edit_distance_ignores_line_endings_and_trailing_spaces(store, policy, settings, draft, tmp_path):
    browser_copy = draft["body"].replace("\n", "  \r\n") + "\r\n"  # what a textarea posts back, untouched
    assert edit_distance(draft["body"], browser_copy) == 0
    assert edit_draft(store, draft["id"], "dana", body=browser_copy, policy=policy) == draft  # not an edit
    assert edit_distance(draft["body"], draft["body"].replace("Hello", "Hi")) == 4


def test_edit_distance_between_draft_and_sent_text_is_recorded(store, policy, settings, draft, tmp_path):
    new_body = draft["body"].replace("Hello", "Hi")
    edit_draft(store, draft["id"], "dana", body=new_body, policy=policy)
    approve_draft(store, draft["id"], "dana", policy=policy)
    row = send_draft(store, draft["id"], FolderSender(tmp_path / "out"), settings, "dana")
    assert row["status"] == "sent" and row["edit_distance"] == 4  # "Hello" → "Hi"
    feedback = store.audit_events("draft", draft["id"])[-1]
    assert feedback["action"] == "feedback" and loads(feedback["after_json"])["edit_distance"] == 4
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1


def test_unknown_draft_is_reported(store):
    with pytest.raises(NotFound):
        reject_draft(store, 999, "dana", "nope")


def test_editing_a_failed_draft_needs_a_new_approval(store, policy, settings, draft, tmp_path):
    approve_draft(store, draft["id"], "dana", policy=policy)
    store.db["drafts"].update(draft["id"], {"status": "failed", "last_error": "SMTP delivery failed: 451"})
    row = edit_draft(store, draft["id"], "dana", body=draft["body"] + "\nThanks!", policy=policy)
    assert row["status"] == "draft"
    with pytest.raises(InvalidTransition, match="approve it"):
        send_draft(store, draft["id"], FolderSender(tmp_path / "out"), settings, "dana")


def test_an_edited_total_or_age_is_checked_like_a_written_one(store, ledger, settings, policy):
    pin(DAY)
    ledger.customer("C2")
    ledger.invoice("C2", DAY - timedelta(days=138), amount="4000.00", currency="GBP")
    ledger.invoice("C2", DAY - timedelta(days=3), amount="875.00", currency="GBP")
    (draft_id,) = plan_day(store, policy, settings, DAY).created
    row = store.db["drafts"].get(draft_id)
    assert "Total open: GBP 4,875.00" in row["body"] and "the oldest of these is 138 days overdue" in row["body"]
    edited = edit_draft(store, draft_id, "dana", policy=policy,
                        body=row["body"].replace("Total open: GBP 4,875.00", "Total open: GBP 4,000.00")
                        + "\nBoth invoices are now more than 90 days past due.")  # fmt: skip
    assert sorted(f["check"] for f in loads(edited["guardrail_flags_json"])) == ["age", "total"]
    with pytest.raises(GuardrailBlocked, match="GBP 4,875.00"):
        approve_draft(store, draft_id, "dana", policy=policy)


def test_an_expired_draft_can_be_regenerated_instead(store, policy, settings, draft):
    clock.pin(DAY + timedelta(days=4))
    assert expire_drafts(store, "scheduler") == 1
    row = regenerate_draft(store, draft["id"], "dana", "firmer", policy=policy, settings=settings)
    assert row["status"] == "draft" and row["expires_at"] > (DAY + timedelta(days=4)).isoformat()
    assert approve_draft(store, draft["id"], "dana", policy=policy)["status"] == "approved"
