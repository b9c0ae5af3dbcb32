"""The daily plan against a seeded ledger: tiers, cadence, caps, quiet days, pauses, kinds and idempotence."""

from datetime import date, timedelta

import pytest

from copilot.drafting.plan import plan_day
from copilot.drafting.review import reject_draft
from copilot.policy.pauses import add_pause, lift_pause
from copilot.store import dumps, loads
from tests.drafting.conftest import pin, policy_with

MONDAY = date(2026, 11, 16)


def drafts(store, status: str | None = None) -> list[dict]:
    where = ("status = ?", [status]) if status else (None, [])
    return list(store.db["drafts"].rows_where(*where, order_by="id"))


def send_everything(store, day: date) -> None:
    """Stand-in for a collector who sends every planned draft the same day."""
    store.db.execute("update drafts set status = 'sent', sent_at = ? where status = 'draft'", [f"{day}T10:00:00+00:00"])


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("mid-market", [(5, 1), (10, 1), (15, 1), (20, 1), (30, 1), (35, 2), (45, 2), (55, 2), (65, 3), (75, 3),
                        (85, 3), (91, 4), (98, 4), (112, 4), (126, 4)]),
        ("strategic", [(7, 1), (21, 1), (35, 2), (50, 2), (65, 3), (75, 3), (85, 3), (91, 4), (98, 4), (112, 4),
                       (126, 4)]),
    ],
)  # fmt: skip
def test_walk_through_every_tier_touches_exactly_on_schedule(store, ledger, settings, no_quiet_policy, segment, expected):
    due = date(2026, 1, 1)
    ledger.customer("C1", segment)
    ledger.invoice("C1", due)
    seen = []
    for offset in range(-5, 131):
        day = pin(due + timedelta(days=offset))
        result = plan_day(store, no_quiet_policy, settings, day)
        for row in (r for r in drafts(store) if r["id"] in result.created):
            seen.append((offset, row["tier"]))
        send_everything(store, day)
    assert seen == expected


@pytest.mark.parametrize(
    ("days", "last_touch", "segment", "risky", "expected"),
    [
        (0, None, "mid-market", False, None),  # due today: not overdue yet
        (1, None, "mid-market", False, None),  # overdue, but the first touch is day 5
        (6, None, "mid-market", False, ("reminder", 1)),  # never touched: the missed day-5 touch is owed
        (4, -3, "mid-market", False, None),  # touched before due, day 5 not reached
        (5, -3, "mid-market", False, ("reminder", 1)),
        (30, 20, "mid-market", False, ("reminder", 1)),  # last Tier 1 day
        (31, 30, "mid-market", False, None),  # Tier 2 has begun but its first touch is day 35
        (35, 30, "mid-market", False, ("reminder", 2)),
        (60, 55, "mid-market", False, None),
        (61, 55, "mid-market", False, None),
        (65, 55, "mid-market", False, ("reminder", 3)),
        (90, 85, "mid-market", False, None),
        (91, 85, "mid-market", False, ("reminder", 4)),
        (104, 98, "mid-market", False, None),  # final-notice repeats every 14 days: next at 112
        (112, 98, "mid-market", False, ("reminder", 4)),
        (7, None, "strategic", False, ("reminder", 1)),
        (10, 7, "strategic", False, None),  # strategic accounts skip the day-10 touch
        (-3, None, "mid-market", True, ("pre_due", 0)),  # risky customer: courtesy note 3 days ahead
        (-4, None, "mid-market", True, None),
        (-3, None, "mid-market", False, None),  # not risky, segment not listed for pre-due notes
    ],
)
def test_one_invoice_on_a_given_day(store, ledger, settings, no_quiet_policy, days, last_touch, segment, risky, expected):
    today = pin(MONDAY)
    due = today - timedelta(days=days)
    ledger.customer("C1", segment, risky=risky)
    ledger.invoice("C1", due)
    if last_touch is not None:
        ledger.sent("C1", due + timedelta(days=last_touch))
    result = plan_day(store, no_quiet_policy, settings, today)
    got = [(r["kind"], r["tier"]) for r in drafts(store, "draft")]
    assert got == ([expected] if expected else [])
    if not expected:
        assert result.skipped and result.skipped[0][0] == "C1"


def test_quiet_day_defers_the_touch_to_the_next_working_day(store, ledger, settings, policy):
    saturday = date(2026, 11, 21)
    ledger.customer("C1")
    ledger.invoice("C1", saturday - timedelta(days=5))  # day 5 falls on Saturday
    ledger.sent("C1", saturday - timedelta(days=5))
    result = plan_day(store, policy, settings, pin(saturday))
    assert result.quiet_day and not result.created
    assert not plan_day(store, policy, settings, pin(saturday + timedelta(days=1))).created  # Sunday
    monday = plan_day(store, policy, settings, pin(saturday + timedelta(days=2)))
    assert len(monday.created) == 1
    assert drafts(store)[0]["tier"] == 1


def test_holiday_in_the_policy_is_quiet(store, ledger, settings, policy):
    christmas = date(2026, 12, 25)  # a Friday, listed in quiet_dates
    ledger.customer("C1")
    ledger.invoice("C1", christmas - timedelta(days=5))
    assert plan_day(store, policy, settings, pin(christmas)).quiet_day


@pytest.mark.parametrize(("weekly_cap", "touches_this_week"), [(1, 1), (2, 2), (3, 3), (7, 3)])
def test_weekly_account_cap_counts_sent_drafts(store, ledger, settings, weekly_cap, touches_this_week):
    policy = policy_with(caps={"quiet_weekdays": [], "quiet_dates": [], "per_account_per_week": weekly_cap})
    monday = MONDAY
    ledger.customer("C1")
    for offset in range(3):  # three invoices reach their day-5 touch on Monday, Tuesday and Wednesday
        ledger.invoice("C1", monday - timedelta(days=5 - offset))
    ledger.sent("C1", monday - timedelta(days=3))  # last touched the Friday before (outside this week)
    created = []
    for offset in range(5):
        day = pin(monday + timedelta(days=offset))
        result = plan_day(store, policy, settings, day)
        created += result.created
        if offset < 3 and not result.created:
            assert ("C1", "capped: contact or account cap reached") in result.skipped
        send_everything(store, day)
    assert len(created) == touches_this_week
    next_monday = pin(monday + timedelta(days=7))  # a new week: the next touch goes out again
    assert len(plan_day(store, policy, settings, next_monday).created) == 1


def test_cap_is_the_reason_when_a_touch_is_otherwise_due(store, ledger, settings):
    policy = policy_with(caps={"quiet_weekdays": [], "quiet_dates": [], "per_account_per_week": 1})
    today = pin(date(2026, 11, 19))
    ledger.customer("C1")
    ledger.invoice("C1", today - timedelta(days=45))  # day 45 is a Tier 2 touch
    ledger.sent("C1", today - timedelta(days=2))  # day 43: counts for the week, before day 45
    result = plan_day(store, policy, settings, today)
    assert not result.created
    assert result.skipped == [("C1", "capped: contact or account cap reached")]
    next_week = pin(date(2026, 11, 23))
    assert len(plan_day(store, policy, settings, next_week).created) == 1


@pytest.mark.parametrize(
    ("pause", "expected"),
    [
        ({"invoice": 0}, ["B"]),  # a pause on one invoice drops only that invoice
        ({"invoice": None}, None),  # a pause on the account drops the customer
        ({"invoice": 0, "lifted": True}, ["A", "B"]),
        ({"invoice": None, "until": -1}, ["A", "B"]),  # ended yesterday
        ({"invoice": None, "until": 0}, None),  # ends today: still in force
        ({"invoice": None, "scope": "auto_send"}, ["A", "B"]),  # stops only automatic sending
    ],
)
def test_pauses(store, ledger, settings, no_quiet_policy, pause, expected):
    today = pin(MONDAY)
    ledger.customer("C1")
    a = ledger.invoice("C1", today - timedelta(days=35), number="INV-0000A")
    b = ledger.invoice("C1", today - timedelta(days=20), number="INV-0000B")
    target = [a, b][pause["invoice"]] if pause["invoice"] is not None else None
    until = today + timedelta(days=pause["until"]) if "until" in pause else None
    pid = add_pause(store, "C1", "dispute", "test", invoice_number=target, until=until, scope=pause.get("scope", "dunning"))
    if pause.get("lifted"):
        lift_pause(store, pid, "test", "resolved")
    result = plan_day(store, no_quiet_policy, settings, today)
    rows = drafts(store)
    if expected is None:
        assert not rows and result.skipped[0][1].startswith("paused")
    else:
        assert [n[-1] for n in loads(rows[0]["invoice_numbers_json"])] == expected


def test_one_draft_consolidates_every_overdue_invoice(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    ages = ((70, "100.00"), (40, "250.50"), (12, "1000.00"))
    numbers = [ledger.invoice("C1", today - timedelta(days=d), amount=a) for d, a in ages]
    ledger.invoice("C1", today + timedelta(days=10))  # not due: left out
    plan_day(store, policy, settings, today)
    (row,) = drafts(store)
    assert loads(row["invoice_numbers_json"]) == numbers
    assert row["tier"] == 3
    for n in numbers:
        assert n in row["body"]
    assert "USD 1,350.50" in row["body"]  # the total
    assert "owner@ourco.example" in loads(row["cc_json"])  # Tier 3 copies the account owner


def test_running_twice_and_after_a_rejection_creates_nothing_new(store, ledger, settings, policy):
    today = pin(MONDAY)
    for cid in ("C1", "C2"):
        ledger.customer(cid)
        ledger.invoice(cid, today - timedelta(days=35))
    first = plan_day(store, policy, settings, today)
    assert len(first.created) == 2
    again = plan_day(store, policy, settings, today)
    assert again.created == [] and len(drafts(store)) == 2
    reject_draft(store, first.created[0], "dana", "customer called, paying today")
    assert plan_day(store, policy, settings, today).created == []
    assert len(drafts(store)) == 2


def test_stale_drafts_expire_and_the_customer_is_planned_again(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    ledger.invoice("C1", today - timedelta(days=35))
    plan_day(store, policy, settings, today)
    later = pin(today + timedelta(days=4))  # past the 72-hour expiry
    result = plan_day(store, policy, settings, later)
    assert result.expired == 1
    assert [r["status"] for r in drafts(store)] == ["expired", "draft"]
    assert store.audit_events("draft", drafts(store)[0]["id"])[-1]["action"] == "expired"


def _inbound(store, cid: str, sender: str, message_id: str, label: str | None = None, request_kind: str | None = None,
             invoices: list[str] | None = None) -> int:  # fmt: skip
    mid = store.db["messages"].insert({
        "direction": "inbound", "message_id": message_id, "dedupe_key": message_id, "subject": "About our invoice",
        "from_addr": sender, "customer_id": cid, "sent_at": "2026-11-10T09:00:00+00:00", "status": "classified",
        "references_json": dumps(["<reminder-1@ourco.example>"]), "invoice_numbers_json": dumps(invoices or []),
        "text_reply": "Wir zahlen nächste Woche.",
    }).last_pk  # fmt: skip
    if label:
        store.db["classifications"].insert({"message_id": mid, "label": label, "request_kind": request_kind,
                                            "is_current": 1, "confidence": 0.9})  # fmt: skip
    return mid


def test_broken_promise_gets_its_own_follow_up_in_the_thread(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    n = ledger.invoice("C1", today - timedelta(days=25), amount="900.00")
    msg = _inbound(store, "C1", "ap@c1.example", "<promise-1@c1.example>", "promise_to_pay")
    ledger.sent("C1", today - timedelta(days=10))
    store.db["promises"].insert({"customer_id": "C1", "message_id": msg, "promised_date": "2026-11-10", "amount": "900.00",
                                 "currency": "USD", "status": "broken", "invoice_numbers_json": dumps([n]),
                                 "resolved_at": "2026-11-14T00:00:00+00:00"})  # fmt: skip
    plan_day(store, policy, settings, today)
    (row,) = drafts(store, "draft")
    assert row["kind"] == "broken_promise"
    assert row["in_reply_to"] == "<promise-1@c1.example>"
    assert loads(row["references_json"]) == ["<reminder-1@ourco.example>", "<promise-1@c1.example>"]
    assert "10 November 2026" in row["body"] and "USD 900.00" in row["body"]
    assert loads(row["guardrail_flags_json"]) == []
    assert row["reason"] == "broken promise: USD 900.00 promised by 10 Nov 2026 was not paid"


def test_a_request_is_answered_even_while_its_invoice_is_paused(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1", contacts=("ap@c1.example", "buyer@c1.example"))
    n = ledger.invoice("C1", today - timedelta(days=3))
    _inbound(store, "C1", "buyer@c1.example", "<req-1@c1.example>", "request", "w9", invoices=[n])
    add_pause(store, "C1", "request", "router", invoice_number=n)
    plan_day(store, policy, settings, today)
    (row,) = drafts(store)
    assert (row["kind"], row["contact_email"], row["in_reply_to"]) == ("request_reply", "buyer@c1.example", "<req-1@c1.example>")
    assert row["subject"] == "Re: About our invoice"
    assert "W-9" in row["body"]
    assert plan_day(store, policy, settings, pin(today + timedelta(days=5))).by_kind.get("request_reply") is None


@pytest.mark.parametrize(
    ("segment", "days", "auto"),
    [("long-tail", 5, 1), ("mid-market", 5, 0), ("long-tail", 35, 0)],
)
def test_auto_send_only_for_tier_one_where_the_segment_allows(store, ledger, settings, policy, segment, days, auto):
    today = pin(MONDAY)
    ledger.customer("C1", segment)
    ledger.invoice("C1", today - timedelta(days=days))
    plan_day(store, policy, settings, today)
    assert drafts(store)[0]["auto_send"] == auto


def test_the_contact_who_wrote_last_is_addressed_and_the_rest_copied(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1", contacts=("ap@c1.example", "cfo@c1.example"))
    ledger.invoice("C1", today - timedelta(days=35))
    _inbound(store, "C1", "cfo@c1.example", "<hi@c1.example>")
    plan_day(store, policy, settings, today)
    row = drafts(store)[0]
    assert loads(row["to_json"]) == ["cfo@c1.example"]
    assert loads(row["cc_json"]) == ["ap@c1.example"]  # Tier 2: no account owner yet
    assert row["in_reply_to"] == "<hi@c1.example>"


def test_customer_without_a_deliverable_contact_is_reported(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    store.db.execute("update contacts set status = 'bouncing'")
    ledger.invoice("C1", today - timedelta(days=35))
    result = plan_day(store, policy, settings, today)
    assert result.skipped == [("C1", "no contact: no deliverable billing address")]


def test_the_plan_runs_the_scheduled_checks_first(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    ledger.invoice("C1", today - timedelta(days=25))
    ledger.sent("C1", today - timedelta(days=10))
    store.db["promises"].insert({"customer_id": "C1", "promised_date": "2026-11-06", "grace_until": "2026-11-09",
                                 "status": "open", "invoice_numbers_json": "[]",
                                 "created_at": "2026-11-02T09:00:00+00:00"})  # fmt: skip
    plan_day(store, policy, settings, today)
    (promise,) = store.db["promises"].rows
    assert promise["status"] == "broken"  # marked by routing's tick before planning
    assert store.db["tasks"].count_where("kind = 'broken_promise'") == 1
    assert drafts(store, "draft")[0]["kind"] == "broken_promise"


def test_a_request_from_someone_outside_the_billing_contacts_is_answered_to_them(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    ledger.invoice("C1", today - timedelta(days=3))
    _inbound(store, "C1", "controller@c1.example", "<req-2@c1.example>", "request", "statement")
    plan_day(store, policy, settings, today)
    (row,) = drafts(store)
    assert loads(row["to_json"]) == ["controller@c1.example"]
    assert "statement of everything currently open" in row["body"]


def test_pre_due_notes_for_a_segment_the_policy_lists(store, ledger, settings):
    policy = policy_with(pre_due={"segments": ["strategic"], "days_before": [7, 3]})
    today = pin(MONDAY)
    ledger.customer("S1", "strategic")
    ledger.customer("M1", "mid-market")
    for cid in ("S1", "M1"):
        ledger.invoice(cid, today + timedelta(days=7))
    result = plan_day(store, policy, settings, today)
    assert [(r["customer_id"], r["kind"], r["tier"]) for r in drafts(store)] == [("S1", "pre_due", 0)]
    assert "courtesy" in drafts(store)[0]["body"] and result.skipped == [("M1", "not scheduled: no touch falls due today")]


def test_several_currencies_are_totalled_apart_and_pass_the_guardrails(store, ledger, settings, policy):
    today = pin(MONDAY)
    ledger.customer("C1")
    ledger.invoice("C1", today - timedelta(days=35), amount="100.00", currency="EUR")
    ledger.invoice("C1", today - timedelta(days=36), amount="250.00", currency="EUR")
    ledger.invoice("C1", today - timedelta(days=40), amount="99.99", currency="GBP")
    plan_day(store, policy, settings, today)
    (row,) = drafts(store)
    assert "Total open in EUR: EUR 350.00" in row["body"] and "Total open in GBP: GBP 99.99" in row["body"]
    assert loads(row["guardrail_flags_json"]) == []
