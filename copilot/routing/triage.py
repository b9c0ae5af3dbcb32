"""Hand stored replies to the classifier and the router, and link unmatched replies by hand."""

import logging
from collections.abc import Callable
from datetime import date, datetime

from copilot.classify.classifications import save_classification
from copilot.errors import ClassifierError, InvalidTransition, NotFound
from copilot.labels import Classifier, Reply
from copilot.mail.parse import ParsedMessage, parse_message
from copilot.store import Store, dumps, loads

log = logging.getLogger("copilot.routing.triage")
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


TRIAGE_CHUNK = 200  # replies classified before their results are saved in one transaction


def triage_pending(store: Store, classifier: Classifier, router: Router | None = None, actor: str = "triage") -> int:
    """Classify every pending inbound message, mark it classified, then route it; returns how many were classified.

    Unmatched replies not yet classified are classified too, so the unmatched queue shows what each one is,
    but they keep their status and are not routed: routing waits until a person links them to a customer.
    Replies are read and their results saved a chunk at a time (one query, one transaction per
    chunk); routing follows each chunk's commit, in message order.
    """
    done = 0
    after = 0
    while True:
        cursor = store.conn.execute(
            "select * from messages m where direction = 'inbound' and id > ? and (status = 'pending' or (status = 'unmatched' "
            "and not exists (select 1 from classifications c where c.message_id = m.id and c.is_current = 1))) order by id limit ?",
            [after, TRIAGE_CHUNK],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor.fetchall()]
        if not rows:
            return done
        after = rows[-1]["id"]
        results = []
        for row in rows:
            try:
                results.append((row, classifier.classify(reply_from_row(row))))
            except ClassifierError as exc:
                # Leave it pending: the next run retries, and one bad reply does not stop the rest.
                log.warning("message %s was not classified: %s", row["id"], exc)
        with store.transaction():
            for row, result in results:
                save_classification(store, row["id"], result, actor)
                if row["status"] != "pending":
                    continue  # unmatched: labelled for the queue, routed once linked
                store.conn.execute("update messages set status = 'classified' where id = ?", [row["id"]])
                store.audit(actor, "message", row["id"], "status", reason=f"classified by {classifier.name}",
                            before={"status": "pending"}, after={"status": "classified"}, customer_id=row["customer_id"])  # fmt: skip
        done += len(results)
        if router is not None:
            for row, _ in results:
                if row["status"] == "pending":
                    router(store, row["id"])


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
