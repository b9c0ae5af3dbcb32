"""Human label corrections: old actions taken back where they can be, new ones applied, the correction kept."""

from datetime import date

import pytest

from copilot.classify.classifications import current_classification
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.policy.pauses import active_pauses, is_paused
from copilot.routing import override_label, route_message
from copilot.routing.service import applied_decision
from tests.routing.seed import classify, seed_reply


def test_override_acknowledgement_to_dispute_then_to_promise(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(store, "C-1005", "We received the invoice but the quantity is wrong.", invoices=("INV-2026-0359",))
    classify(store, mid, "acknowledgement", confidence=0.7)
    route_message(store, mid, policy, settings)
    assert active_pauses(store, "C-1005", today) == []

    override_label(
        store,
        mid,
        "dispute",
        "lucy",
        "the customer disputes the quantity",
        policy,
        settings,
        dispute_reason="wrong_quantity",
    )

    row = current_classification(store, mid)
    assert (row["label"], row["source"], row["created_by"], row["confidence"]) == ("dispute", "human", "lucy", 1.0)
    assert store.db["classifications"].count_where("message_id = ?", [mid]) == 2  # history kept for the eval export
    assert is_paused(active_pauses(store, "C-1005", today), "INV-2026-0359")
    assert store.db["disputes"].get(1)["status"] == "open"

    override_label(
        store,
        mid,
        "promise_to_pay",
        "lucy",
        "they will pay once the credit note lands",
        policy,
        settings,
        promise_date=date(2026, 11, 27),
    )

    case = store.db["disputes"].get(1)
    assert case["status"] == "cancelled" and case["resolved_by"] == "lucy"
    assert store.db["pauses"].get(1)["lifted_by"] == "lucy"
    promise = store.db["promises"].get(1)
    assert (promise["status"], promise["promised_date"], promise["grace_until"]) == ("open", "2026-11-27", "2026-11-30")
    pauses = active_pauses(store, "C-1005", today)
    assert [(p["reason"], p["invoice_number"]) for p in pauses] == [("promise", "INV-2026-0359")]
    decisions = list(store.db["routing_decisions"].rows_where("message_id = ?", [mid], order_by="id"))
    assert [d["status"] for d in decisions] == ["reversed", "reversed", "applied"]
    assert any(e["action"] == "routing_reversed" for e in store.audit_events("message", mid))


def test_override_of_false_frustration_keeps_the_sent_alert_but_lifts_the_hold(
    ledger_store, smtp_server, smtp_settings, policy, today
):
    from copilot.mail.sender import SmtpSender
    from copilot.routing.alerts import deliver_pending_alerts

    store = ledger_store
    mid = seed_reply(store, "C-1008", "Ha, we nearly cancelled over this, all good now.", invoices=("INV-2026-0352",))
    classify(store, mid, "frustration", frustrated=True)
    route_message(store, mid, policy, smtp_settings)
    deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)
    assert is_paused(active_pauses(store, "C-1008", today), None, scope="auto_send")

    override_label(store, mid, "acknowledgement", "omar", "not actually unhappy", policy, smtp_settings)

    assert current_classification(store, mid)["frustrated"] == 0
    assert active_pauses(store, "C-1008", today) == []
    assert store.db["alerts"].get(1)["status"] == "sent"
    reversal = next(e for e in store.audit_events("message", mid) if e["action"] == "routing_reversed")
    assert "already delivered" in reversal["after_json"]
    assert len(smtp_server.messages) == 1


def test_override_cancels_undelivered_alert_and_restores_contact(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(
        store, "C-1010", "Mail delivery failed", bounced=("books@tidewaterbikes.example",), auto_reply_kind="bounce"
    )
    classify(store, mid, "auto_reply", auto_reply_kind="bounce")
    route_message(store, mid, policy, settings)
    assert store.db["alerts"].get(1)["status"] == "pending"

    override_label(store, mid, "other", "lucy", "not a bounce of ours", policy, settings)

    assert store.db["alerts"].get(1)["status"] == "cancelled"
    assert store.db["tasks"].get(1)["status"] == "cancelled"
    contact = next(store.db["contacts"].rows_where("email = 'books@tidewaterbikes.example'"))
    assert contact["status"] == "ok"
    assert store.db["messages"].get(mid)["status"] == "needs_review"


def test_confirming_a_review_item_routes_it(ledger_store, policy, settings, today):
    store = ledger_store
    mid = seed_reply(store, "C-1011", "can u send the w9", invoices=("INV-2026-0354",))
    classify(store, mid, "request", confidence=0.3, request_kind="w9")
    route_message(store, mid, policy, settings)
    assert store.db["messages"].get(mid)["status"] == "needs_review"

    override_label(store, mid, "request", "omar", None, policy, settings)

    assert store.db["tasks"].get(1)["kind"] == "w9"
    assert store.db["messages"].get(mid)["status"] == "routed"
    assert applied_decision(store, mid)["label"] == "request"


def test_route_refuses_unknown_or_unclassified_messages(ledger_store, policy, settings, today):
    with pytest.raises(NotFound):
        route_message(ledger_store, 999, policy, settings)
    mid = seed_reply(ledger_store, "C-1001", "hello", status="pending")
    with pytest.raises(InvalidTransition, match="not been classified"):
        route_message(ledger_store, mid, policy, settings)
    with pytest.raises(CopilotError, match="unknown label 'angry'; use one of: acknowledgement"):
        override_label(ledger_store, mid, "angry", "lucy", None, policy, settings)


def test_unmatched_reply_waits_for_a_customer(ledger_store, policy, settings, today):
    mid = seed_reply(
        ledger_store, None, "Please send a statement.", from_addr="someone@quietmail.test", status="unmatched"
    )
    classify(ledger_store, mid, "request", request_kind="statement")
    route_message(ledger_store, mid, policy, settings)
    assert ledger_store.db["messages"].get(mid)["status"] == "unmatched"
    assert ledger_store.db["tasks"].count == 0
    assert route_message(ledger_store, mid, policy, settings) == []
    # Once a person links the customer, routing the same classification again acts on it.
    ledger_store.db["messages"].update(mid, {"customer_id": "C-1003", "status": "classified"})
    route_message(ledger_store, mid, policy, settings)
    assert ledger_store.db["tasks"].get(1)["kind"] == "statement"


def test_make_router_is_the_triage_callback(ledger_store, policy, settings, today):
    from copilot.routing import make_router

    mid = seed_reply(ledger_store, "C-1009", "Paid with the card link just now", invoices=("INV-2026-0307",))
    classify(ledger_store, mid, "paid")
    router = make_router(policy, settings)
    assert [type(a).__name__ for a in router(ledger_store, mid)] == ["Pause", "SetMessageStatus"]
    assert router(ledger_store, mid) == []
