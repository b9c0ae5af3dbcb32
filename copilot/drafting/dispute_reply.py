"""The reply that tells a customer how their dispute was resolved, drafted for a person to review.

It is an ordinary draft (kind `dispute_reply`) in the review queue, written from the same
ledger facts and checked by the same guardrails as a reminder. A credit or a void is stated
with the balance that remains once it is booked.
"""

from datetime import date, timedelta
from decimal import Decimal

from copilot import clock
from copilot.config import Settings
from copilot.drafting.facts import DisputeFact, build_facts
from copilot.drafting.guardrails import check_draft
from copilot.drafting.language import thread_language
from copilot.drafting.render import render_draft
from copilot.drafting.summary import insert_drafts
from copilot.policy.model import Policy
from copilot.store import Store, dumps, loads


def _contact(store: Store, case: dict) -> tuple[dict | None, dict | None]:
    """Who raised the dispute (and the message to answer), else the first deliverable billing contact."""
    message = None
    if case.get("message_id"):
        message = next(store.db["messages"].rows_where("id = ?", [case["message_id"]]), None)
    contacts = list(store.db["contacts"].rows_where("customer_id = ? and status = 'ok'", [case["customer_id"]],
                                                    order_by="id"))  # fmt: skip
    if message and message.get("from_addr"):
        known = [c for c in contacts if c["email"].lower() == message["from_addr"].lower()]
        return (known[0] if known else {"email": message["from_addr"], "name": message.get("from_name")}), message
    return (contacts[0] if contacts else None), message


def draft_dispute_reply(store: Store, case: dict, invoices: list[dict], credits: dict[str, Decimal], policy: Policy,
                        settings: Settings, actor: str, as_of: date | None = None) -> int | None:  # fmt: skip
    """Plan the reply for a resolved dispute; returns the draft id, or None when there is nobody to write to.

    `invoices` are the disputed invoice rows as they stood before the resolution; `credits`
    the amount credited on each (empty when the invoice stands).
    """
    as_of = as_of or clock.today()
    contact, message = _contact(store, case)
    if contact is None or not invoices:
        return None
    customer = store.db["customers"].get(case["customer_id"])
    outcome = case["resolution_kind"] or "stands"
    after = [{**inv, "open_balance": str(max(Decimal(inv["open_balance"]) - credits.get(inv["number"], Decimal(0)),
                                             Decimal("0.00")))} for inv in invoices]  # fmt: skip
    currency = invoices[0]["currency"] if len({i["currency"] for i in invoices}) == 1 else None
    credited = sum(credits.values(), Decimal("0"))
    remaining = sum((Decimal(i["open_balance"]) for i in after), Decimal("0"))
    shown = after if outcome != "void" else invoices
    fact = DisputeFact(outcome=outcome, reason=case.get("reason"), credit=credited if credits else None,
                       currency=currency, remaining=remaining if currency else None)  # fmt: skip
    language = thread_language(store, case["customer_id"], contact["email"])
    facts = build_facts(kind="dispute_reply", tier=0, customer=customer, contact=contact, invoices=shown, as_of=as_of,
                        policy=policy, settings=settings, dispute=fact, language=language)  # fmt: skip
    text = render_draft(facts)
    flags = [{**f.as_dict(), "source": "template"} for f in check_draft(text.subject, text.body, facts,
                                                                         policy.drafting.max_body_chars)]  # fmt: skip
    in_reply_to = message["message_id"] if message and message.get("message_id") else None
    references = [*(loads(message.get("references_json"), []) or []), in_reply_to] if in_reply_to else []
    now = clock.now()
    row = {
        "customer_id": case["customer_id"], "contact_email": contact["email"], "to_json": dumps([contact["email"]]),
        "cc_json": dumps([]), "kind": "dispute_reply", "reason": f"dispute #{case['id']} resolved: {outcome.replace('_', ' ')}",
        "tier": 0, "segment": customer["segment"],
        "template": text.template, "generator": "template", "subject": text.subject, "body": text.body,
        "original_subject": text.subject, "original_body": text.body, "invoice_numbers_json": dumps(facts.invoice_numbers()),
        "facts_json": facts.model_dump_json(), "guardrail_flags_json": dumps(flags), "plan_date": as_of.isoformat(),
        "status": "draft", "auto_send": 0, "in_reply_to": in_reply_to, "references_json": dumps(references),
        "attempts": 0, "expires_at": (now + timedelta(hours=policy.drafting.expiry_hours)).isoformat(timespec="seconds"),
        "created_at": now.isoformat(timespec="seconds"), "updated_at": now.isoformat(timespec="seconds"),
    }  # fmt: skip
    with store.transaction():
        pk = insert_drafts(store, [row])[0]
        store.audit(actor, "draft", pk, "planned", customer_id=case["customer_id"],
                    reason=f"reply to the customer about dispute #{case['id']} ({outcome.replace('_', ' ')})",
                    after={"kind": "dispute_reply", "invoices": facts.invoice_numbers(), "language": language})  # fmt: skip
    return pk
