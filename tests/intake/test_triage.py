"""triage_pending classifies pending replies and routes them; unmatched replies can be linked by hand."""

import pytest

from copilot.classify.classifications import current_classification
from copilot.errors import ClassifierError, InvalidTransition, NotFound
from copilot.labels import Classification, Label, Reply
from copilot.mail.inbound import IntakeContext
from copilot.mail.intake import sync_folder
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.resources import demo_data_dir
from copilot.routing.triage import link_message_to_customer, parse_message, triage_pending
from copilot.store import loads


class Recording:
    name = "recording"

    def __init__(self, fail_on: str | None = None):
        self.seen: list[Reply] = []
        self.fail_on = fail_on

    def classify(self, reply: Reply) -> Classification:
        if self.fail_on and self.fail_on in reply.subject:
            raise ClassifierError("model unavailable")
        self.seen.append(reply)
        return Classification(label=Label.ACKNOWLEDGEMENT, confidence=0.9, source="keyword")


@pytest.fixture
def loaded(demo_ledger):
    sync_folder(IntakeContext(demo_ledger), FolderMailbox(demo_data_dir() / "mail"), "INBOX")
    return demo_ledger


def test_pending_replies_are_classified_and_routed(loaded):
    routed: list[int] = []
    clf = Recording(fail_on="INV-2026-0366")
    done = triage_pending(loaded, clf, router=lambda store, mid: routed.append(mid))
    assert done == 23  # 24 replies, one whose classifier call failed; the unmatched one is labelled, not routed
    assert len(routed) == 22
    statuses = dict(loaded.db.execute("select status, count(*) from messages where direction='inbound' group by status").fetchall())
    assert statuses == {"classified": 22, "pending": 1, "unmatched": 1}
    quoted = next(r for r in clf.seen if "INV-2026-0294" in r.subject)
    assert "dispute" not in quoted.text.lower() and "dispute" in (quoted.full_text or "").lower()
    assert current_classification(loaded, routed[0])["label"] == "acknowledgement"
    assert triage_pending(loaded, Recording()) == 1  # the failed one is retried next run


def test_unmatched_replies_are_labelled_but_wait_for_a_link_to_be_routed(loaded):
    routed: list[int] = []
    triage_pending(loaded, Recording(), router=lambda store, mid: routed.append(mid))
    row = next(loaded.db["messages"].rows_where("status = 'unmatched'"))
    assert current_classification(loaded, row["id"])["label"] == "acknowledgement"  # the queue can show what it is
    assert row["id"] not in routed and row["status"] == "unmatched"
    assert triage_pending(loaded, Recording(), router=lambda store, mid: routed.append(mid)) == 0  # not labelled twice
    link_message_to_customer(loaded, row["id"], "C-1001", "collector")
    assert triage_pending(loaded, Recording(), router=lambda store, mid: routed.append(mid)) == 1
    assert routed[-1] == row["id"] and loaded.db["messages"].get(row["id"])["status"] == "classified"


def test_linking_an_unmatched_reply(loaded):
    row = next(loaded.db["messages"].rows_where("status = 'unmatched'"))
    with pytest.raises(NotFound):
        link_message_to_customer(loaded, row["id"], "C-9999", "collector")
    with pytest.raises(InvalidTransition):
        link_message_to_customer(loaded, row["id"], "C-1001", "collector", ["INV-2026-0299"])
    linked = link_message_to_customer(loaded, row["id"], "C-1001", "collector", ["INV-2026-0343"])
    assert (linked["customer_id"], linked["match_rule"], linked["status"]) == ("C-1001", "manual", "pending")
    assert loads(linked["invoice_numbers_json"]) == ["INV-2026-0343"]
    assert loaded.audit_events("message", row["id"])[-1]["action"] == "linked"


def test_parse_message_is_exported():
    assert parse_message(b"From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n").text_full == "body"
