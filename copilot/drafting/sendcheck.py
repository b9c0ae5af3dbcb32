"""The check at send time: a draft never contradicts the account's state at the moment it goes out.

A draft is planned from the state of the morning; by the time someone sends it the customer
may have disputed an invoice, promised to pay, paid, asked for something, gone on holiday,
written in anger, or their address may bounce. `rederive` looks at the current state with
the same rules the plan uses (open invoices as `snapshot.is_open` reads them, pauses as
`policy.pauses` reads them, deliverable contacts) and says which of the draft's invoices
may still be chased and why the others may not. `decide` turns that into one outcome:

- unchanged: send as it is;
- rewritten: the invoices that may no longer be chased are dropped, or balances moved, and
  the untouched draft is rendered again from the template with a note to the collector;
- refused: the collector edited the text and its invoices changed, so nothing is rewritten
  behind their back; the draft returns to review with the reason;
- superseded: nothing may be chased (or the account is held, or the contact bounces), so the
  draft is withdrawn with the reason and never sent.

The outbox calls this inside the transaction that moves the draft to `sending`, so nothing
can change between the check and the claim. Regenerating and reviving a draft use the same
function to write it from the current state.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from langchain_core.language_models.chat_models import BaseChatModel

from copilot import clock
from copilot.config import Settings
from copilot.drafting.compose import compose_draft
from copilot.drafting.facts import DraftFacts, build_facts
from copilot.drafting.plan import overdue_tier, recipients
from copilot.drafting.review import draft_facts, normalized_text
from copilot.drafting.snapshot import is_open
from copilot.mail.sender import PLACEHOLDER_DOMAINS, PLACEHOLDER_NAMES, placeholder_identity  # noqa: F401 (re-exported)
from copilot.policy.model import Policy
from copilot.policy.pauses import active_pauses, describe_pause, pause_for
from copilot.store import Store, dumps, loads


@dataclass
class Rederived:
    """The draft's invoices as the current state sees them."""

    keep: list[dict] = field(default_factory=list)  # current ledger rows that may still be chased, in the draft's order
    removed: dict[str, str] = field(default_factory=dict)  # invoice number -> why it may no longer be chased
    moved: dict[str, str] = field(default_factory=dict)  # invoice number -> how its open balance changed
    blocker: str | None = None  # why nothing at all may go out

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.moved)

    def reasons(self) -> str:
        parts = [f"{n}: {why}" for n, why in self.removed.items()] + [f"{n}: {why}" for n, why in self.moved.items()]
        return "; ".join(parts)


@dataclass
class Outcome:
    action: str  # unchanged | rewritten | refused | superseded
    reason: str | None = None
    change: dict = field(default_factory=dict)  # the draft's new text, facts and recipients when rewritten


def rederive(store: Store, row: dict, as_of: date, *, automatic: bool = False, rewriting: bool = False) -> Rederived:
    """Which of the draft's invoices may still be chased on `as_of`, by the rules the plan uses.

    `rewriting`: a person is writing the draft again now (regenerate, revive), so a frustrated reply
    that came after the old text is what they are answering, not a reason to stop.
    """
    out = Rederived()
    cid = row["customer_id"]
    contact = (row["contact_email"] or "").lower()
    bouncing = store.db.execute("select 1 from contacts where customer_id = ? and lower(email) = ? and status != 'ok'",
                                [cid, contact]).fetchone()  # fmt: skip
    if bouncing:
        out.blocker = f"the contact {row['contact_email']} is marked bouncing since the draft was planned"
        return out
    to = list(dict.fromkeys([row["contact_email"], *(loads(row.get("to_json"), []) or [])]))
    if to_bounced := hard_bounced(store, [a for a in to if a]):  # a To is never dropped (that would change who the mail is for)
        out.blocker = f"the recipient {', '.join(to_bounced)} has hard-bounced since the draft was planned"
        return out
    pauses = active_pauses(store, cid, as_of)
    dunning = row["kind"] != "request_reply"  # a reply to the customer's own question is not dunning (as in the plan)
    account = pause_for(pauses, None, "auto_send" if automatic else "dunning") if dunning or automatic else None
    if account is not None:
        out.blocker = f"the account is on hold: {describe_pause(account)}"
        return out
    stamp = row.get("written_at") or row.get("created_at")
    written = datetime.fromisoformat(stamp) if stamp else None
    for p in [] if rewriting else pauses:  # a frustrated reply after the text was written: a person reads it first
        if p["reason"] == "frustration" and (written is None or datetime.fromisoformat(p["created_at"]) >= written):
            out.blocker = f"the customer wrote in frustration after the draft was written ({describe_pause(p)})"
            return out
    numbers = loads(row["invoice_numbers_json"], []) or []
    current = {r["number"]: r for r in store.db["invoices"].rows_where(
        f"number in ({', '.join('?' * len(numbers))})", numbers)} if numbers else {}  # fmt: skip
    stated = {inv.number: inv for inv in draft_facts(row).invoices} if row.get("facts_json") else {}
    for number in numbers:
        inv = current.get(number)
        if inv is None or inv["customer_id"] != cid:
            out.removed[number] = "no longer in the ledger for this customer"
            continue
        if not is_open(inv):
            out.removed[number] = f"{inv['status'].replace('_', ' ')} since the draft was planned"
            continue
        hold = pause_for(pauses, number, "auto_send" if automatic else "dunning") if dunning or automatic else None
        if hold is not None:
            out.removed[number] = describe_pause(hold)
            continue
        fact = stated.get(number)
        if fact is not None and Decimal(inv["open_balance"]) != fact.open_balance:
            out.moved[number] = f"open balance now {inv['open_balance']} (was {fact.open_balance})"
        out.keep.append(inv)
    return out


def hard_bounced(store: Store, addresses: list[str]) -> list[str]:
    """The addresses among `addresses` that have hard-bounced: a contact with that address is marked bouncing.

    Judged by the address, whichever customer's contact carries the mark: a mailbox that no longer
    exists bounces for everyone who writes to it.
    """
    if not addresses:
        return []
    lowered = sorted({a.lower() for a in addresses})
    bad = {r[0] for r in store.db.execute(
        f"select lower(email) from contacts where status = 'bouncing' and lower(email) in ({', '.join('?' * len(lowered))})",
        lowered)}  # fmt: skip
    return [a for a in addresses if a.lower() in bad]


def edited(row: dict) -> bool:
    """Did a person change the subject or the body from what the product wrote?

    Line endings and trailing spaces are not edits (`normalized_text`), nor are spaces around the subject,
    which is saved stripped. A draft stored before subjects were kept as written has no original subject;
    only its body can tell.
    """
    if normalized_text(row["body"]) != normalized_text(row["original_body"]):
        return True
    original = row.get("original_subject")
    return original is not None and normalized_text(row["subject"]).strip() != normalized_text(original).strip()


def rewrite(store: Store, row: dict, keep: list[dict], policy: Policy, settings: Settings, as_of: date, *,
            tone: str | None = None, allow_llm: bool = False, chat_model: BaseChatModel | None = None) -> dict:  # fmt: skip
    """The draft written again over `keep`, with its facts, tier and recipients re-derived from the state now.

    From the template unless `allow_llm` (the send-time check never calls a model inside its transaction).
    """
    old = draft_facts(row)
    customer = store.db["customers"].get(row["customer_id"])
    contacts = list(store.db["contacts"].rows_where("customer_id = ? and status = 'ok'", [row["customer_id"]],
                                                    order_by="id"))  # fmt: skip
    contact = {"email": old.contact_email, "name": old.contact_name}
    tier = 0 if row["kind"] == "pre_due" else overdue_tier(keep, as_of, policy)
    facts: DraftFacts = build_facts(kind=row["kind"], tier=tier, customer=customer, contact=contact, invoices=keep,
                                    as_of=as_of, policy=policy, settings=settings, promise=old.promise,
                                    request=old.request)  # fmt: skip
    if not allow_llm:
        settings = settings.model_copy(update={"drafting": settings.drafting.model_copy(update={"generator": "template"})})
        chat_model = None
    text = compose_draft(store, facts, policy, settings, tone=tone or row.get("tone_hint") or "standard",
                         chat_model=chat_model)  # fmt: skip
    to, cc = recipients(customer, contact, contacts, tier, policy)
    return {
        "subject": text.subject, "original_subject": text.subject, "body": text.body, "original_body": text.body,
        "generator": text.generator,
        "template": text.template, "prompt_version": text.prompt_version, "tier": tier, "to_json": dumps(to), "cc_json": dumps(cc),
        "invoice_numbers_json": dumps(facts.invoice_numbers()), "facts_json": facts.model_dump_json(),
        "guardrail_flags_json": dumps(text.flags), "written_at": clock.now_iso(),
    }  # fmt: skip


def decide(store: Store, row: dict, policy: Policy, settings: Settings, as_of: date, *,
           automatic: bool = False) -> Outcome:  # fmt: skip
    """What to do with a draft that is about to be sent, given the state now."""
    found = rederive(store, row, as_of, automatic=automatic)
    if found.blocker:
        return Outcome("superseded", found.blocker)
    if not found.keep:
        return Outcome("superseded", f"nothing left to chase: {found.reasons()}")
    if not found.changed:
        return Outcome("unchanged")
    if edited(row):
        return Outcome("refused", f"its invoices changed since it was planned ({found.reasons()}) and the text was "
                                  "edited, so it was not rewritten: regenerate it from the current state, or reject it")  # fmt: skip
    change = rewrite(store, row, found.keep, policy, settings, as_of)
    flags = loads(change["guardrail_flags_json"], [])
    if flags:
        details = "; ".join(f["detail"] for f in flags)
        return Outcome("refused", f"rewritten without {', '.join(found.removed) or 'the old balances'}, but the new "
                                  f"text fails the guardrails ({details})", change)  # fmt: skip
    note = f"Rewritten at send time from the current state: {found.reasons()}."
    return Outcome("rewritten", note, {**change, "note": note})
