"""Fill a classification's facts from the reply text according to its label, keeping evidence an exact quote."""

from copilot.classify.clean import strip_reply
from copilot.classify.extract import (
    dispute_reason,
    extract_amounts,
    extract_promise_date,
    extract_return_date,
    first_line,
    request_kind,
)
from copilot.classify.gates import auto_reply_kind
from copilot.labels import Classification, Label, Reply
from copilot.mail.budget import checkpoint

_MAY_PROMISE = (Label.ACKNOWLEDGEMENT, Label.FRUSTRATION, Label.REQUEST, Label.DISPUTE)


def fill_facts(result: Classification, reply: Reply, evidence: str | None = None) -> Classification:
    """Add what the label calls for (date, amount, reason, kind) where missing; evidence stays a substring of the reply."""
    checkpoint("fact extraction")
    text = strip_reply(reply.text)
    updates: dict = {}
    if result.label is Label.PROMISE_TO_PAY and result.promise_date is None:
        updates["promise_date"] = extract_promise_date(text, reply.sent_at)
    elif result.label in _MAY_PROMISE and result.promise_date is None:
        # A promise inside an acknowledgement or an angry reply is still a date routing can use.
        updates["promise_date"] = extract_promise_date(text, reply.sent_at, require_cue=True)
    checkpoint("amount extraction")
    if result.label in (Label.PROMISE_TO_PAY, Label.PAID) and result.promise_amount is None:
        amounts = extract_amounts(text)
        if amounts:
            updates["promise_amount"], updates["promise_currency"] = amounts[0]
    if result.label is Label.DISPUTE and not result.dispute_reason:
        updates["dispute_reason"] = dispute_reason(text)
    if result.label is Label.REQUEST and not result.request_kind:
        updates["request_kind"] = request_kind(text)
    if result.label is Label.AUTO_REPLY:
        kind = result.auto_reply_kind or auto_reply_kind(text)
        updates["auto_reply_kind"] = kind
        if kind == "out_of_office" and result.return_date is None:
            updates["return_date"] = extract_return_date(text, reply.sent_at)
    quote = evidence if evidence is not None else result.evidence
    updates["evidence"] = quote if quote and quote in reply.text else first_line(reply.text)
    return result.model_copy(update=updates)
