"""Collector corrections become data: human classifications joined with the message text, as a labelled set."""

from datetime import date
from pathlib import Path

from copilot.evaluation.dataset import MAX_PROMISE_DAYS, LabelledReply, write_dataset
from copilot.store import Store, loads

# The latest human classification of each inbound message, whether or not a later one replaced it.
_QUERY = """
select c.message_id, c.label, c.frustrated, c.promise_date, m.subject, m.text_reply, m.text_full,
       m.sent_at, m.headers_json
from classifications c join messages m on m.id = c.message_id
where c.source = 'human' and m.direction = 'inbound'
  and c.id = (select max(c2.id) from classifications c2 where c2.message_id = c.message_id and c2.source = 'human')
order by c.message_id
"""

# Only the headers classifiers look at travel with the text; the rest is noise or personal data.
KEPT_HEADERS = ("auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress", "content-type")


def correction_rows(store: Store) -> tuple[list[LabelledReply], int]:
    """Every human-corrected inbound message as a labelled reply; also how many were skipped for having no text."""
    rows, skipped = [], 0
    for r in store.db.query(_QUERY):
        text = r["text_reply"] if (r["text_reply"] or "").strip() else r["text_full"]
        if not (text or "").strip():
            skipped += 1
            continue
        sent = date.fromisoformat(r["sent_at"][:10]) if r["sent_at"] else None
        promise = date.fromisoformat(r["promise_date"]) if r["promise_date"] and r["label"] == "promise_to_pay" else None
        rows.append(
            LabelledReply(
                id=f"msg-{r['message_id']}", subject=r["subject"] or "", text=text, date=sent,
                headers=_kept_headers(r["headers_json"]), label=r["label"], frustrated=bool(r["frustrated"]) or r["label"] == "frustration",
                promise_date=promise if promise and _sane(promise, sent) else None,
            )
        )  # fmt: skip
    return rows, skipped


def _kept_headers(raw: str | None) -> dict[str, str]:
    value = loads(raw, {}) or {}
    pairs = value.items() if isinstance(value, dict) else value  # a dict, or a list of [name, value] pairs
    return {str(k): str(v) for k, v in pairs if str(k).lower() in KEPT_HEADERS}


def _sane(promise: date, sent: date | None) -> bool:
    # The dataset format refuses promise dates before the reply or over a year after it.
    return sent is None or 0 <= (promise - sent).days <= MAX_PROMISE_DAYS


def export_corrections(store: Store, out: Path) -> tuple[int, int]:
    """Write the corrections to `out` as JSONL; returns (written, skipped). Writes nothing when there are none."""
    rows, skipped = correction_rows(store)
    if rows:
        write_dataset(out, rows)
    return len(rows), skipped
