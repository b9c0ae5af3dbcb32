"""Storing classifications: one current row per message, earlier ones kept for history and corrections."""

from typing import TYPE_CHECKING

from copilot import clock
from copilot.labels import Classification
from copilot.store import Store, dumps, loads
from copilot.wording import words

if TYPE_CHECKING:
    from copilot.classify.gist import Gist


def save_classification(store: Store, message_id: int, result: Classification, actor: str, reason: str | None = None,
                        gist: "Gist | None" = None) -> int:  # fmt: skip
    """Make `result` the message's current classification, keep the old one, and audit the change.

    `gist` is the reply's English gist when it is not written in English, stored so pages only read it.
    """
    # Plain SQL throughout: triage saves one of these per reply, and sqlite-utils' insert, update
    # and get each re-read the table schema first.
    with store.transaction():
        previous = current_classification(store, message_id)
        if previous is not None:
            store.conn.execute("update classifications set is_current = 0 where id = ?", [previous["id"]])
        row = {
            "message_id": message_id,
            "label": result.label.value,
            "frustrated": int(result.frustrated),
            "confidence": result.confidence,
            "needs_review": int(result.needs_review),
            "promise_date": result.promise_date.isoformat() if result.promise_date else None,
            "promise_amount": None if result.promise_amount is None else str(result.promise_amount),
            "promise_currency": result.promise_currency,
            "dispute_reason": result.dispute_reason,
            "request_kind": result.request_kind,
            "return_date": result.return_date.isoformat() if result.return_date else None,
            "evidence": result.evidence,
            "source": result.source,
            "model": result.model,
            "prompt_version": result.prompt_version,
            "detail_json": dumps({"auto_reply_kind": result.auto_reply_kind}),
            "gist": gist.text if gist else None,
            "gist_source": gist.source if gist else None,
            "is_current": 1,
            "created_by": actor,
            "created_at": clock.now_iso(),
        }
        pk = store.insert("classifications", row)
        owner = store.conn.execute("select customer_id from messages where id = ?", [message_id]).fetchone()
        store.audit(
            actor, "message", message_id, "classified" if previous is None else "reclassified",
            reason=reason or f"Classified as {words(result.label.value)} by {classifier_words(result.source)}"
                             f" (confidence {result.confidence:.2f}).",
            before=None if previous is None else {"label": previous["label"], "frustrated": bool(previous["frustrated"])},
            after={"label": result.label.value, "frustrated": result.frustrated, "confidence": result.confidence,
                   "source": result.source, **({"gist_source": gist.source} if gist else {})},
            customer_id=owner[0] if owner else None,
        )  # fmt: skip
    return pk


def classifier_words(source: str | None) -> str:
    """Who classified a reply, as a sentence says it: 'the local model', 'the mail headers', 'a person'."""
    who = words(source)
    return who if who.startswith("a ") else f"the {who}"


def current_classification(store: Store, message_id: int) -> dict | None:
    cursor = store.conn.execute("select * from classifications where message_id = ? and is_current = 1", [message_id])
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row))


def to_model(row: dict) -> Classification:
    """Rebuild the Classification a stored row came from."""
    detail = loads(row.get("detail_json"), {}) or {}
    return Classification(
        label=row["label"],
        frustrated=bool(row["frustrated"]),
        confidence=row["confidence"],
        needs_review=bool(row["needs_review"]),
        promise_date=row["promise_date"],
        promise_amount=row["promise_amount"],
        promise_currency=row["promise_currency"],
        dispute_reason=row["dispute_reason"],
        request_kind=row["request_kind"],
        return_date=row["return_date"],
        auto_reply_kind=detail.get("auto_reply_kind"),
        evidence=row["evidence"],
        source=row["source"],
        model=row["model"],
        prompt_version=row["prompt_version"],
    )
