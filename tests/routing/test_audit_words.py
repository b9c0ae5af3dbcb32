"""Every audit reason that triage, routing, the scheduled checks and alerts write is a sentence a collector reads:
no stored codes (words joined by underscores), no `user:` actors, no local model ids. The codes stay in the
events' before/after fields, where a program reads them."""

import re
from datetime import date
from decimal import Decimal

from copilot import clock
from copilot.errors import SendError
from copilot.labels import Classification, Reply
from copilot.policy.pauses import active_pauses
from copilot.routing import (
    acknowledge_alert,
    clear_frustration_pause,
    complete_task,
    deliver_pending_alerts,
    make_router,
    override_label,
    resolve_dispute,
    tick,
)
from copilot.routing.alerts import retry_alert
from copilot.routing.service import update_dispute
from copilot.routing.triage import link_message_to_customer, triage_pending
from copilot.store import loads
from tests.routing.seed import seed_reply

CODE = re.compile(r"[A-Za-z0-9]+_[A-Za-z0-9_]+|\buser:|\blocal-")

# (customer, text, invoices, extra message fields, the classification)
REPLIES: list[tuple[str | None, str, tuple[str, ...], dict, dict]] = [
    ("C-1006", "We were billed twice for the same licences.", ("INV-2026-0371",), {},
     {"label": "dispute", "dispute_reason": "duplicate", "frustrated": True}),
    ("C-1002", "Bitte senden Sie uns die Rechnung, wir haben sie nie erhalten.", (), {},
     {"label": "dispute", "dispute_reason": "not_delivered"}),
    ("C-1006", "We will pay 7,083.33 on 20 November.", ("INV-2026-0321",), {},
     {"label": "promise_to_pay", "promise_date": date(2026, 11, 20), "promise_amount": Decimal("7083.33"),
      "promise_currency": "USD"}),
    ("C-1001", "We will pay USD 4,000 on 1 December and the rest on 15 January.", ("INV-2026-0310",), {},
     {"label": "promise_to_pay", "promise_date": date(2026, 12, 1), "promise_amount": Decimal("4000")}),
    ("C-1002", "Die Zahlung ist bereits erfolgt.", ("INV-2026-0340",), {}, {"label": "paid"}),
    ("C-1002", "Please send a W-9 and your bank details.", ("INV-2026-0337",), {},
     {"label": "request", "request_kind": "bank_details"}),
    ("C-1002", "Please send a copy of the invoice.", (), {}, {"label": "request", "request_kind": "invoice_copy"}),
    ("C-1006", "Thanks, forwarded to our AP team.", (), {}, {"label": "acknowledgement"}),
    ("C-1006", "Stop chasing us, this is ridiculous.", (), {}, {"label": "frustration", "frustrated": True}),
    ("C-1006", "I am out of the office until 23 November.", (), {"auto_reply_kind": "out_of_office"},
     {"label": "auto_reply", "auto_reply_kind": "out_of_office", "return_date": date(2026, 11, 23)}),
    ("C-1006", "Your ticket 4411 was logged.", (), {"auto_reply_kind": "ticket"},
     {"label": "auto_reply", "auto_reply_kind": "ticket"}),
    ("C-1006", "Delivery failed.", (), {"auto_reply_kind": "bounce", "bounced": ("marcus.obi@solsticeanalytics.example",)},
     {"label": "auto_reply", "auto_reply_kind": "bounce"}),
    ("C-1006", "Newsletter: our spring catalogue.", (), {}, {"label": "other"}),
    ("C-1006", "Hmm, maybe.", (), {}, {"label": "promise_to_pay", "confidence": 0.2}),
    (None, "Who is this? We are not your customer.", (), {}, {"label": "other"}),
]  # fmt: skip


class Scripted:
    """A classifier that answers each stored reply with its scripted classification."""

    name = "auto"

    def __init__(self):
        self.by_text = {text: Classification(**{"confidence": 0.9, "source": "local", **c}) for _, text, _, _, c in REPLIES}

    def classify(self, reply: Reply) -> Classification:
        return self.by_text[reply.text]


class Failing:
    def send(self, msg) -> None:
        raise SendError("the mail server refused the connection")


def _walk(store, policy, settings) -> None:
    """Everything routing writes: each label routed, corrected, linked, checked by tick, resolved, alerted."""
    ids = [seed_reply(store, customer, text, invoices=invoices, status="pending" if customer else "unmatched",
                      **extra) for customer, text, invoices, extra, _ in REPLIES]  # fmt: skip
    assert triage_pending(store, Scripted(), make_router(policy, settings)) == len(REPLIES)
    override_label(store, ids[7], "dispute", "user:dana", None, policy, settings, dispute_reason="wrong_entity")
    override_label(store, ids[12], "request", "user:dana", None, policy, settings, request_kind="contact_change")
    link_message_to_customer(store, ids[-1], "C-1001", "user:dana")
    triage_pending(store, Scripted(), make_router(policy, settings))
    report = deliver_pending_alerts(store, Failing(), settings)
    assert report.retrying or report.failed
    failed = next(store.db["alerts"].rows_where(order_by="id"))
    store.db["alerts"].update(failed["id"], {"status": "failed"})
    retry_alert(store, failed["id"], "user:dana")
    acknowledge_alert(store, failed["id"], "user:dana")
    case = next(store.db["disputes"].rows_where("status = 'open'", order_by="id"))
    update_dispute(store, case["id"], "user:dana", reason="the quantity on the invoice is wrong")
    later = date(2026, 12, 20)
    clock.pin(later)
    tick(store, policy, settings, later)  # promises break, paid claims expire, snoozes end, dispute deadlines pass
    resolve_dispute(store, case["id"], "user:dana", "", outcome="partial_credit", amount=Decimal("100"))
    task = next(store.db["tasks"].rows_where("status = 'open'", order_by="id"))
    complete_task(store, task["id"], "user:dana")
    if any(p["reason"] == "frustration" for p in active_pauses(store, "C-1006", later)):
        clear_frustration_pause(store, "C-1006", "user:dana", "Called them; all is well again.")


def test_every_reason_routing_writes_is_plain_words(ledger_store, policy, settings, today):
    store = ledger_store
    first = store.db["audit_events"].count  # the ledger import's own events come first
    _walk(store, policy, settings)
    events = list(store.db["audit_events"].rows_where("id > ?", [first], order_by="id"))
    actions = {(e["entity_type"], e["action"]) for e in events}
    for expected in [("message", "classified"), ("message", "reclassified"), ("dispute", "created"), ("promise", "created"),
                     ("plan", "created"), ("task", "created"), ("pause", "paused"), ("pause", "lifted"), ("alert", "raised"),
                     ("alert", "duplicate_suppressed"), ("contact", "status_changed"), ("message", "noted"),
                     ("message", "routing_reversed"), ("promise", "broken"), ("dispute", "sla_breached"),
                     ("dispute", "resolved"), ("task", "done"), ("customer", "flagged"), ("message", "linked"),
                     ("alert", "requeued"), ("alert", "acknowledged"), ("credit", "pending"), ("dispute", "edited")]:  # fmt: skip
        assert expected in actions, f"the walk did not reach {expected}"
    coded = [(e["entity_type"], e["action"], e["reason"]) for e in events if e["reason"] and CODE.search(e["reason"])]
    assert coded == [], "\n".join(map(str, coded))
    missing = [(e["entity_type"], e["action"]) for e in events if not (e["reason"] or "").strip()]
    assert missing == []


def test_the_codes_stay_in_the_before_and_after_fields(ledger_store, policy, settings, today):
    _walk(ledger_store, policy, settings)
    events = ledger_store.audit_events("message")
    classified = [loads(e["after_json"]) for e in events if e["action"] == "classified"]
    assert {"label": "promise_to_pay", "source": "local"}.items() <= classified[2].items()
    corrected = next(e for e in events if e["action"] == "reclassified" and e["actor"] == "user:dana")
    assert (loads(corrected["before_json"])["label"], loads(corrected["after_json"])["label"]) == ("acknowledgement", "dispute")
    assert corrected["reason"] == "Dana corrected the label from acknowledgement to dispute."
    routed = [loads(e["after_json"]) for e in events if e["action"] == "status_changed"]
    assert {"status": "routed"} in routed and {"status": "needs_review"} in routed
    case = ledger_store.audit_events("dispute", 1)[0]
    assert loads(case["after_json"])["reason"] == "duplicate" and "(frustrated)" not in case["reason"]

