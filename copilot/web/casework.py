"""State changes for casework from the web UI: dispute edits and structured resolutions, notes and calls.

Like `copilot.web.services`, the routes call these functions and never write themselves;
each change is audited in the same transaction as the change.
"""

from decimal import Decimal, InvalidOperation

from copilot import clock
from copilot.config import Settings
from copilot.drafting.dispute_reply import draft_dispute_reply
from copilot.errors import CopilotError, NotFound
from copilot.policy.model import Policy
from copilot.routing.service import OUTCOMES, disputed_invoices, resolve_dispute, update_dispute
from copilot.store import Store
from copilot.web.deps import User

NOTE_KINDS: dict[str, str] = {"note": "Note", "call": "Call"}
CALL_OUTCOMES: dict[str, str] = {
    "reached": "Spoke to them",
    "voicemail": "Left a voicemail",
    "no_answer": "No answer",
    "promised": "They promised to pay",
    "wrong_number": "Wrong number",
}


def parse_amount(text: str) -> Decimal | None:
    """A positive amount typed by a person ('1,200.50' or '1200.50'); None when the field was left empty."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CopilotError(f"{text!r} is not an amount (write it like 1200.50)") from None
    if not value.is_finite() or value <= 0:
        raise CopilotError(f"the amount must be positive (got {text!r})")
    return value.quantize(Decimal("0.01"))


def edit_dispute(store: Store, dispute_id: int, user: User, reason: str | None, owner: str | None) -> None:
    """Correct the reason or hand the case to another person."""
    try:
        update_dispute(store, dispute_id, user.actor, reason=reason, owner_user=owner)
    except ValueError as exc:
        raise CopilotError(str(exc)) from None


def resolve_with_reply(store: Store, dispute_id: int, user: User, policy: Policy, settings: Settings, *,
                       outcome: str, amount: str = "", note: str = "") -> int | None:  # fmt: skip
    """Resolve a dispute with a structured outcome, then draft the reply to the customer; returns the draft id."""
    if outcome not in OUTCOMES:
        raise CopilotError(f"choose how the dispute ends: {', '.join(OUTCOMES.values())}")
    case = next(store.db["disputes"].rows_where("id = ?", [dispute_id]), None)
    if case is None:
        raise NotFound(f"no dispute with id {dispute_id}")
    before = disputed_invoices(store, case)
    resolved = resolve_dispute(store, dispute_id, user.actor, note.strip(), outcome=outcome,
                               amount=parse_amount(amount) if outcome in ("credit_note", "partial_credit") else None)  # fmt: skip
    credits: dict[str, Decimal] = {}
    for number, value in store.db.execute("select invoice_number, amount from pending_credits where dispute_id = ?",
                                          [dispute_id]):  # fmt: skip
        credits[number] = credits.get(number, Decimal(0)) + Decimal(value)
    return draft_dispute_reply(store, resolved, before, credits, policy, settings, user.actor, clock.today())


def add_note(store: Store, customer_id: str, user: User, kind: str, body: str, contact: str = "",
             outcome: str = "") -> int:  # fmt: skip
    """A note or a call-log entry on a customer's page."""
    if not store.db["customers"].count_where("id = ?", [customer_id]):
        raise NotFound(f"no customer with id {customer_id}")
    if kind not in NOTE_KINDS:
        raise CopilotError(f"a customer entry is a note or a call (got {kind!r})")
    if not body.strip():
        raise CopilotError("write what happened before saving the entry")
    if kind == "call" and outcome not in CALL_OUTCOMES:
        raise CopilotError(f"say how the call went: {', '.join(CALL_OUTCOMES.values())}")
    row = {"customer_id": customer_id, "kind": kind, "body": body.strip(), "contact": contact.strip() or None,
           "outcome": outcome if kind == "call" else None, "created_by": user.actor, "created_at": clock.now_iso()}  # fmt: skip
    with store.transaction():
        pk = store.db["customer_notes"].insert(row).last_pk
        store.audit(user.actor, kind, pk, "added", customer_id=customer_id,
                    after={k: v for k, v in row.items() if k not in ("customer_id", "created_by", "created_at")})  # fmt: skip
    return pk
