"""End to end: seeded replies routed against the demo ledger, alerts delivered to a real SMTP server on loopback."""

from datetime import date

from copilot import clock
from copilot.mail.sender import SmtpSender
from copilot.policy.pauses import active_pauses, is_paused
from copilot.routing import (
    clear_frustration_pause,
    complete_task,
    resolve_dispute,
    route_message,
    tick,
)
from copilot.routing.alerts import deliver_pending_alerts
from copilot.store import loads
from tests.routing.conftest import BASE_URL
from tests.routing.seed import classify, seed_reply

ANGRY = (
    "You have billed us twice for the same licences, INV-2026-0371 and INV-2026-0373 carry the same PO.\n"
    "This is the third time this year and it is completely unacceptable. Fix it before you chase us again."
)


def _counts(store) -> dict[str, int]:
    return {t: store.db[t].count for t in ("pauses", "disputes", "promises", "tasks", "alerts", "audit_events")}


def test_frustrated_dispute_pauses_opens_case_alerts_once(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(
        store, "C-1006", ANGRY, invoices=("INV-2026-0371", "INV-2026-0373"), subject="Duplicate invoices!!"
    )
    classify(
        store,
        mid,
        "dispute",
        confidence=0.88,
        frustrated=True,
        dispute_reason="duplicate_billing",
        evidence="completely unacceptable",
    )

    route_message(store, mid, policy, smtp_settings)

    pauses = active_pauses(store, "C-1006", today)
    assert is_paused(pauses, "INV-2026-0371") and is_paused(pauses, "INV-2026-0373")
    assert not is_paused(pauses, "INV-2026-0321")  # the undisputed invoice stays in the cadence …
    assert is_paused(pauses, "INV-2026-0321", scope="auto_send")  # … but nothing goes out automatically
    case = store.db["disputes"].get(1)
    assert (case["status"], case["reason"], case["owner_email"]) == (
        "open",
        "duplicate_billing",
        "billing.lead@ourco.example",
    )
    assert case["sla_due_at"] == "2026-11-21" and loads(case["invoice_numbers_json"]) == [
        "INV-2026-0371",
        "INV-2026-0373",
    ]
    assert store.db["messages"].get(mid)["status"] == "routed"
    reasons = {e["reason"] for e in store.audit_events("dispute", 1)}
    assert any("classified as dispute" in r and "duplicate billing" in r for r in reasons)

    report = deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)

    assert report.sent == [1] and len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["To"] == "dana.reyes@ourco.example"
    assert "Solstice Analytics Inc." in sent["Subject"] and "mid-market" in sent["Subject"]
    body = sent.get_content()
    for expected in (
        "ARR: USD 85,000.00",
        "INV-2026-0321",
        "INV-2026-0371",
        "INV-2026-0373",
        "USD 21,249.99",
        "days past due",
        'Evidence: "completely unacceptable"',
        "confidence 0.88",
        "frustrated",
        "> This is the third time this year",
        f"{BASE_URL}/messages/{mid}",
    ):
        assert expected in body, expected
    assert smtp_server.handler.envelopes[0][1] == ["dana.reyes@ourco.example"]

    before = _counts(store)
    assert route_message(store, mid, policy, smtp_settings) == []
    again = deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)
    assert again.sent == [] and len(smtp_server.messages) == 1
    assert _counts(store) == before


def test_second_frustrated_reply_within_window_is_deduplicated(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    first = seed_reply(store, "C-1008", "We are going to cancel.", invoices=("INV-2026-0352",))
    classify(store, first, "frustration", frustrated=True)
    route_message(store, first, policy, smtp_settings)
    second = seed_reply(store, "C-1008", "Still waiting for an answer. Cancelling.")
    classify(store, second, "frustration", frustrated=True)
    route_message(store, second, policy, smtp_settings)

    deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)

    assert len(smtp_server.messages) == 1
    assert store.db["alerts"].get(1)["suppressed_count"] == 1
    assert store.db["pauses"].count_where("reason = 'frustration' and lifted_at is null") == 1
    assert store.db["messages"].get(second)["status"] == "routed"

    assert clear_frustration_pause(store, "C-1008", "lucy", "spoke to the customer") == 1
    assert not is_paused(active_pauses(store, "C-1008", today), None, scope="auto_send")


def test_unmatched_dispute_pauses_account_and_flags_until_resolved(ledger_store, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(
        store, "C-1005", "We dispute the charges on our account.", from_addr="purchase.ledger@ironbark-fab.example"
    )
    classify(store, mid, "dispute", dispute_reason="pricing")
    route_message(store, mid, policy, smtp_settings)

    assert is_paused(active_pauses(store, "C-1005", today), "INV-2026-0316")
    customer = store.db["customers"].get("C-1005")
    assert customer["flag"].startswith("dispute names no matched invoice") and customer["flag_source"] == "dispute:1"

    resolve_dispute(store, 1, "lucy", "credit note CN-17 issued for the price difference")

    assert active_pauses(store, "C-1005", today) == []
    assert store.db["customers"].get("C-1005")["flag"] is None
    assert store.db["disputes"].get(1)["resolved_by"] == "lucy"


def test_dispute_sla_breach_alerts_the_owner_once(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(store, "C-1005", "The quantity is wrong: 40 billed, PO says 25.", invoices=("INV-2026-0359",))
    classify(store, mid, "dispute", dispute_reason="wrong_quantity")
    route_message(store, mid, policy, smtp_settings)

    assert tick(store, policy, smtp_settings, date(2026, 11, 21)).sla_breaches == []
    report = tick(store, policy, smtp_settings, date(2026, 11, 22))
    assert report.sla_breaches == [1]
    assert tick(store, policy, smtp_settings, date(2026, 11, 23)).sla_breaches == []

    deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)
    assert [m["To"] for m in smtp_server.messages] == ["billing.lead@ourco.example"]
    assert "Dispute past its SLA" in smtp_server.messages[0]["Subject"]
    assert "(wrong quantity) has been open" in smtp_server.messages[0].get_content()
    assert is_paused(active_pauses(store, "C-1005", date(2026, 11, 23)), "INV-2026-0359")  # still held until resolved


def test_request_holds_invoice_until_task_done(ledger_store, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(store, "C-1011", "Please send your W-9 so we can pay INV-2026-0354.", invoices=("INV-2026-0354",))
    classify(store, mid, "request", request_kind="w9")
    route_message(store, mid, policy, smtp_settings)

    task = store.db["tasks"].get(1)
    assert task["kind"] == "w9" and "W-9" in task["description"] and "INV-2026-0354" in task["description"]
    assert is_paused(active_pauses(store, "C-1011", today), "INV-2026-0354")

    complete_task(store, 1, "omar", "W-9 sent")

    assert not is_paused(active_pauses(store, "C-1011", today), "INV-2026-0354")
    assert store.db["tasks"].get(1)["status"] == "done"


def test_bounce_marks_contact_and_alerts_collector(ledger_store, smtp_server, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(
        store,
        "C-1010",
        "Delivery to the following recipient failed permanently.",
        from_addr="MAILER-DAEMON@mail.ourco.example",
        invoices=("INV-2026-0299",),
        bounced=("books@tidewaterbikes.example",),
        auto_reply_kind="bounce",
    )
    classify(store, mid, "auto_reply", confidence=0.99, auto_reply_kind="bounce")
    route_message(store, mid, policy, smtp_settings)

    contact = next(store.db["contacts"].rows_where("email = 'books@tidewaterbikes.example'"))
    assert contact["status"] == "bouncing"
    assert store.db["tasks"].get(1)["kind"] == "bad_contact"
    deliver_pending_alerts(store, SmtpSender(smtp_settings.smtp), smtp_settings)
    assert smtp_server.messages[0]["To"] == "ar@ourco.example"
    assert "books@tidewaterbikes.example" in smtp_server.messages[0].get_content()


def test_other_and_low_confidence_go_to_review(ledger_store, smtp_settings, policy, today):
    store = ledger_store
    other = seed_reply(store, "C-1012", "Our winter newsletter is here!")
    classify(store, other, "other")
    unsure = seed_reply(store, "C-1012", "hmm ok, will see", invoices=("INV-2026-0289",))
    classify(store, unsure, "promise_to_pay", confidence=0.3)
    for mid in (other, unsure):
        route_message(store, mid, policy, smtp_settings)
        assert store.db["messages"].get(mid)["status"] == "needs_review"
    assert store.db["promises"].count == 0 and active_pauses(store, "C-1012", today) == []


def test_acknowledgement_keeps_cadence(ledger_store, smtp_settings, policy, today):
    store = ledger_store
    mid = seed_reply(store, "C-1002", "Die Rechnung liegt zur Freigabe vor.", invoices=("INV-2026-0297",))
    classify(store, mid, "acknowledgement")
    route_message(store, mid, policy, smtp_settings)
    assert active_pauses(store, "C-1002", today) == []
    assert any(e["action"] == "noted" for e in store.audit_events("message", mid))
    assert clock.today() == today
