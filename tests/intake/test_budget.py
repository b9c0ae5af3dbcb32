"""Bounded work per message: linear date search, capped inputs, and a time budget tested with an injected clock."""

from datetime import date

import pytest

from copilot.classify import dates
from copilot.classify.keyword import KeywordClassifier
from copilot.classify.message import MAX_REPLY_CHARS, reply_from_parsed
from copilot.labels import Classification, Label
from copilot.mail.budget import Budget, BudgetExceeded, checkpoint, within
from copilot.mail.inbound import IntakeContext, Location, store_inbound
from copilot.mail.parse import parse_message
from copilot.routing.triage import classify_one, triage_pending
from tests.intake import mailsamples as ms

DAY = date(2026, 11, 16)  # a Monday


class Ticking:
    """A clock that moves `step` seconds every time it is read."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


class CountingPattern:
    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def search(self, *args):
        self.calls += 1
        return self.pattern.search(*args)

    def finditer(self, *args):
        self.calls += 1
        return self.pattern.finditer(*args)


def test_promise_date_search_scans_sentence_ends_once_not_per_date_and_cue(monkeypatch):
    counting = CountingPattern(dates._SENTENCE_END)
    monkeypatch.setattr(dates, "_SENTENCE_END", counting)
    # 200 dates and 200 payment words: the old search ran one regex scan per pair (40,000 of them).
    assert dates.extract_promise_date("paid on friday " * 200, DAY) == date(2026, 11, 20)
    assert counting.calls <= 2


def test_promise_date_keeps_its_choices():
    text = "We dispute part of it. The rest we will pay on 30.11. and the remainder on the 15th."
    assert dates.extract_promise_date(text, DAY) == date(2026, 11, 30)
    assert dates.extract_promise_date("Friday we have a meeting.\n\nPayment goes out on 24.11.", DAY) == date(2026, 11, 24)
    assert dates.extract_promise_date("Thanks. We meet on Friday.", DAY, require_cue=True) is None


def test_date_search_reads_a_bounded_prefix():
    filler = "x" * dates.MAX_DATE_TEXT
    assert dates.find_dates("friday " + filler, DAY)
    assert dates.find_dates(filler + " friday", DAY) == []


def test_classifier_input_is_capped():
    parsed = parse_message(ms.plain(subject="paid " * 5000, body="we paid " * 20_000))
    reply = reply_from_parsed(parsed)
    assert len(reply.text) <= MAX_REPLY_CHARS and len(reply.full_text) <= MAX_REPLY_CHARS and len(reply.subject) <= 1000


def test_budget_raises_only_once_spent():
    budget = Budget(1.0, clock=Ticking(0.6))
    budget.check("first")  # 0.6 s
    with pytest.raises(BudgetExceeded, match="before second"):
        budget.check("second")  # 1.2 s
    with within(None):
        checkpoint("no budget set: never raises")


def test_parse_over_budget_keeps_the_text_and_says_why():
    raw = ms.plain(body="We paid INV-1 yesterday.\n\nOn Mon, Ann wrote:\n> please pay")
    with within(Budget(1.0, clock=Ticking(0.6))):  # spent after the MIME walk
        parsed = parse_message(raw)
    assert parsed.review_reason and "before turning HTML into text" in parsed.review_reason
    assert parsed.text_full.startswith("We paid INV-1 yesterday.")
    assert parsed.text_reply  # unsplit, but there for a person to read


def test_message_over_its_parse_budget_is_stored_flagged_and_sent_to_review(store):
    ctx = IntakeContext(store, budget=lambda: Budget(1.0, clock=Ticking(0.6)))
    with store.transaction():
        outcome = store_inbound(ctx, ms.plain(body="We paid INV-1 yesterday."), Location("m", "INBOX", 1, 1))
    row = store.db["messages"].get(outcome.row_id)
    assert outcome.kind == "stored" and "budget" in row["review_reason"]
    row["status"] = "pending"
    result, flag = classify_one(KeywordClassifier(), row)
    assert result.needs_review and flag == row["review_reason"]


class SlowThenFine:
    """Works past any budget on the reply that says 'slow', and fails outright on the one that says 'bug'."""

    name = "slow"

    def classify(self, reply):
        if "slow" in reply.text:
            checkpoint("step one")
            checkpoint("step two")
        if "bug" in reply.text:
            raise RuntimeError("classifier bug")
        return Classification(label=Label.PAID, confidence=0.99)


def test_triage_sends_a_reply_over_budget_or_failing_to_review_and_goes_on(store):
    ctx = IntakeContext(store)
    with store.transaction():
        for uid, body in enumerate(["slow reply", "bug reply", "fine reply"], start=1):
            store_inbound(ctx, ms.plain(body=body, msgid=f"<b{uid}@x>"), Location("m", "INBOX", 1, uid))
    store.conn.execute("update messages set status = 'pending'")
    done = triage_pending(store, SlowThenFine(), budget=lambda: Budget(1.0, clock=Ticking(0.6)))
    assert done == 3
    rows = store.conn.execute("select m.text_full, k.label, k.needs_review, k.source from messages m "
                              "join classifications k on k.message_id = m.id order by m.id").fetchall()  # fmt: skip
    assert rows == [("slow reply", "other", 1, "budget"), ("bug reply", "other", 1, "error"), ("fine reply", "paid", 0, "local")]
    reasons = [e["reason"] for e in store.audit_events("message") if e["action"] == "status"]
    assert any("over the 1 s budget" in r for r in reasons) and any("classifier bug" in r for r in reasons)


def test_the_local_classifier_checks_the_budget_between_its_stages():
    from copilot.classify.local import LocalClassifier, load_model

    classifier = LocalClassifier(load_model())
    reply = reply_from_parsed(parse_message(ms.plain(body="We will pay on Friday.")))
    with within(Budget(1.0, clock=Ticking(0.6))), pytest.raises(BudgetExceeded):
        classifier.classify(reply)


def test_a_reply_that_cannot_be_routed_does_not_stop_the_rest(store):
    ctx = IntakeContext(store)
    with store.transaction():
        for uid in (1, 2):
            store_inbound(ctx, ms.plain(body=f"fine reply {uid}", msgid=f"<r{uid}@x>"), Location("m", "INBOX", 1, uid))
    store.conn.execute("update messages set status = 'pending'")
    routed = []

    def router(store, message_id):
        if message_id == 1:
            raise RuntimeError("routing bug")
        routed.append(message_id)

    assert triage_pending(store, SlowThenFine(), router) == 2
    assert routed == [2]
    # The one that failed waits for a person with the error in words; the other went on to its router.
    rows = list(store.db["messages"].rows_where(order_by="id"))
    assert [r["status"] for r in rows] == ["needs_review", "classified"]
    assert "RuntimeError: routing bug" in rows[0]["review_reason"]
