"""Hand stored replies to the classifier and the router, and link unmatched replies by hand."""

import logging
from collections.abc import Callable
from datetime import date, datetime

from copilot.classifications import save_classification
from copilot.errors import ClassifierError, InvalidTransition, NotFound
from copilot.labels import Classifier, Reply
from copilot.mailparse import ParsedMessage, parse_message
from copilot.store import Store, dumps, loads

log = logging.getLogger("copilot.triage")
Router = Callable[[Store, int], object]

__all__ = ["ParsedMessage", "link_message_to_customer", "parse_message", "reply_from_row", "triage_pending"]


def reply_from_row(row: dict) -> Reply:
    """The classifier's view of a stored message."""
    headers = {k: str(v) for k, v in (loads(row.get("headers_json"), {}) or {}).items()}
    text = row.get("text_reply") or row.get("text_full") or ""
    return Reply(
        subject=row.get("subject") or "",
        text=text,
        full_text=row.get("text_full"),
        sent_at=_day(row.get("sent_at")),
        headers=headers,
        from_addr=row.get("from_addr"),
    )


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def triage_pending(store: Store, classifier: Classifier, router: Router | None = None, actor: str = "triage") -> int:
    """Classify every pending inbound message, mark it classified, then route it; returns how many were classified."""
    ids = [r["id"] for r in store.db["messages"].rows_where("direction = 'inbound' and status = 'pending'", select="id", order_by="id")]
    done = 0
    for message_id in ids:
        row = store.db["messages"].get(message_id)
        try:
            result = classifier.classify(reply_from_row(row))
        except ClassifierError as exc:
            # Leave it pending: the next run retries, and one bad reply does not stop the rest.
            log.warning("message %s was not classified: %s", message_id, exc)
            continue
        with store.transaction():
            save_classification(store, message_id, result, actor)
            store.db["messages"].update(message_id, {"status": "classified"})
            store.audit(actor, "message", message_id, "status", reason=f"classified by {classifier.name}",
                        before={"status": "pending"}, after={"status": "classified"}, customer_id=row["customer_id"])  # fmt: skip
        done += 1
        if router is not None:
            router(store, message_id)
    return done


def link_message_to_customer(store: Store, message_id: int, customer_id: str, actor: str,
                             invoice_numbers: list[str] | None = None) -> dict:  # fmt: skip
    """Attach an inbound message to a customer by hand (match rule `manual`); an unmatched one becomes pending."""
    messages = store.db["messages"]
    row = next(messages.rows_where("id = ?", [message_id]), None)
    if row is None or row["direction"] != "inbound":
        raise NotFound(f"no inbound message with id {message_id}")
    if not store.db["customers"].count_where("id = ?", [customer_id]):
        raise NotFound(f"no customer with id {customer_id!r}")
    numbers = list(invoice_numbers or [])
    for number in numbers:
        inv = next(store.db["invoices"].rows_where("number = ?", [number]), None)
        if inv is None or inv["customer_id"] != customer_id:
            raise InvalidTransition(f"invoice {number} does not belong to customer {customer_id}")
    status = "pending" if row["status"] == "unmatched" else row["status"]
    change = {"customer_id": customer_id, "match_rule": "manual", "status": status,
              "invoice_numbers_json": dumps(numbers or loads(row["invoice_numbers_json"], []) or [])}  # fmt: skip
    with store.transaction():
        messages.update(message_id, change)
        store.audit(actor, "message", message_id, "linked", reason=f"linked to {customer_id} by hand",
                    before={k: row[k] for k in ("customer_id", "match_rule", "status")},
                    after={k: change[k] for k in ("customer_id", "match_rule", "status")}, customer_id=customer_id)  # fmt: skip
    return messages.get(message_id)
