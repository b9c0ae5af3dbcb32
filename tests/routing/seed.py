"""Seeding helpers: replies and classifications written straight into the store, as intake and triage would."""

from decimal import Decimal

from copilot.classify.classifications import save_classification
from copilot.labels import Classification
from copilot.store import Store, dumps


def seed_reply(
    store: Store,
    customer_id: str | None,
    text: str,
    *,
    invoices: tuple[str, ...] = (),
    from_addr: str = "ap@solsticeanalytics.example",
    subject: str = "Re: Payment reminder",
    bounced: tuple[str, ...] = (),
    auto_reply_kind: str | None = None,
    status: str = "classified",
) -> int:
    """Store an inbound message as intake would after matching it."""
    n = store.db["messages"].count + 1
    return (
        store.db["messages"]
        .insert(
            {
                "direction": "inbound",
                "mailbox": "ar",
                "folder": "INBOX",
                "uid": n,
                "message_id": f"<reply-{n}@customer.example>",
                "dedupe_key": f"test-{n}",
                "subject": subject,
                "from_addr": from_addr,
                "sent_at": "2026-11-16T09:30:00+00:00",
                "text_full": text,
                "text_reply": text,
                "customer_id": customer_id,
                "invoice_numbers_json": dumps(list(invoices)),
                "bounced_recipients_json": dumps(list(bounced)),
                "is_auto_reply": int(auto_reply_kind is not None),
                "auto_reply_kind": auto_reply_kind,
                "status": status,
                "created_at": "2026-11-16T09:31:00+00:00",
            }
        )
        .last_pk
    )


def classify(store: Store, message_id: int, label: str, confidence: float = 0.9, **fields) -> int:
    """Save a classifier result for a seeded reply, as triage would."""
    if "promise_amount" in fields and fields["promise_amount"] is not None:
        fields["promise_amount"] = Decimal(str(fields["promise_amount"]))
    result = Classification(label=label, confidence=confidence, source="local", **fields)
    return save_classification(store, message_id, result, actor="triage")
