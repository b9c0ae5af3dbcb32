"""Hand stored replies to the classifier and the router, and link unmatched replies by hand."""

import logging
from datetime import date, datetime

from copilot.classify.classifications import classifier_words, save_classification
from copilot.classify.extract import first_line
from copilot.classify.gist import Gist, Gister
from copilot.classify.injection import review_reason
from copilot.classify.message import MAX_REPLY_CHARS, MAX_SUBJECT_CHARS
from copilot.errors import ClassifierError, InvalidTransition, NotFound
from copilot.labels import Classification, Classifier, Label, Reply
from copilot.mail.budget import Budget, BudgetExceeded, BudgetFactory, within
from copilot.mail.parse import ParsedMessage, parse_message
from copilot.routing.isolation import Router, RoutingReport, route_isolated
from copilot.store import Store, dumps, loads

log = logging.getLogger("copilot.routing.triage")

__all__ = ["ParsedMessage", "link_message_to_customer", "parse_message", "reply_from_row", "triage_pending"]


def reply_from_row(row: dict) -> Reply:
    """The classifier's view of a stored message."""
    headers = {k: str(v) for k, v in (loads(row.get("headers_json"), {}) or {}).items()}
    text = row.get("text_reply") or row.get("text_full") or ""
    full = row.get("text_full")
    return Reply(
        subject=(row.get("subject") or "")[:MAX_SUBJECT_CHARS],
        text=text[:MAX_REPLY_CHARS],
        full_text=full[:MAX_REPLY_CHARS] if full else full,
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


def triage_pending(store: Store, classifier: Classifier, router: Router | None = None, actor: str = "triage",
                   budget: BudgetFactory = Budget, report: RoutingReport | None = None,
                   gister: Gister | None = None) -> int:  # fmt: skip
    """Classify every pending inbound message, mark it classified, then route it; returns how many were classified.

    Unmatched replies not yet classified are classified too, so the unmatched queue shows what each one is,
    but they keep their status and are not routed: routing waits until a person links them to a customer.
    Replies are read and their results saved a chunk at a time (one query, one transaction per
    chunk); routing follows each chunk's commit, in message order, one reply per transaction: a reply
    whose routing fails goes to review with the error (recorded in `report`) and the rest are routed. A
    non-English reply's English gist is written by `gister` (the local one when none is given) before the
    chunk's transaction, so no model call holds the database, and stored with its classification.
    """
    gister = gister or Gister()
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
                results.append((row, *classify_one(classifier, row, budget)))
            except ClassifierError as exc:
                # Leave it pending: the next run retries, and one bad reply does not stop the rest.
                log.warning("message %s was not classified: %s", row["id"], exc)
        gists = [gist_of(gister, row, result) for row, result, _ in results]
        with store.transaction():
            for (row, result, flag), gist in zip(results, gists, strict=True):
                save_classification(store, row["id"], result, actor, gist=gist)
                if row["status"] != "pending":
                    continue  # unmatched: labelled for the queue, routed once linked
                store.conn.execute("update messages set status = 'classified' where id = ?", [row["id"]])
                reason = f"Classified by {classifier_words(classifier.name)}" + (
                    f"; sent to a person because {flag}" if flag else "") + "."
                store.audit(actor, "message", row["id"], "status", reason=reason[:500],
                            before={"status": "pending"}, after={"status": "classified", "classifier": classifier.name},
                            customer_id=row["customer_id"])  # fmt: skip
        done += len(results)
        if router is not None:
            for row, _, _ in results:
                if row["status"] != "pending":
                    continue  # unmatched: routing waits until a person links the customer
                # One reply that cannot be routed is rolled back alone and waits for review; the rest go on.
                route_isolated(store, row["id"], router, actor, report)


def gist_of(gister: Gister, row: dict, result: Classification) -> Gist | None:
    """The reply's English gist; a gister that fails for any reason leaves the local one, never a stuck reply."""
    reply = reply_from_row(row)
    try:
        return gister.gist(reply, result)
    except Exception:  # noqa: BLE001 -- isolation boundary: a gist is never worth stopping triage for
        log.exception("message %s: the gist could not be written; the local one is stored", row["id"])
        return Gister().gist(reply, result)


def classify_one(classifier: Classifier, row: dict, budget: BudgetFactory = Budget) -> tuple[Classification, str | None]:
    """Classify one stored message within its time budget; the result and, when it must go to review, why.

    A reply that runs out of budget or makes the classifier fail unexpectedly is not left pending (it
    would fail again on every run and hold back the ones behind it): it gets label `other` for a
    person to look at. ClassifierError still propagates, for the caller to retry later.
    """
    reply = reply_from_row(row)
    flag = row.get("review_reason")
    try:
        with within(budget()):
            result = classifier.classify(reply)
    except ClassifierError:
        raise
    except BudgetExceeded as exc:
        flag = str(exc)
        result = _for_review(reply, "budget")
    except Exception as exc:  # noqa: BLE001 -- isolation boundary: one reply must never stop triage for the rest
        log.exception("message %s could not be classified", row["id"])
        flag = f"the classifier failed: {type(exc).__name__}: {exc}"
        result = _for_review(reply, "error")
    flag = flag or review_reason(reply)  # whichever classifier ran, instructions to the system go to a person
    if flag and not result.needs_review:
        result = result.model_copy(update={"needs_review": True})
    return result, flag


def _for_review(reply: Reply, source: str) -> Classification:
    return Classification(label=Label.OTHER, confidence=0.0, needs_review=True, evidence=first_line(reply.text), source=source)


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
