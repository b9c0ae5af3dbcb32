"""The daily plan: which customers need a touch today, and one draft for each.

For every customer with open invoices the plan takes the pure decisions in
`copilot.policy.cadence` (tier, scheduled touch since the last touch, pre-due notes, quiet
days, caps) and the pauses from `copilot.policy.pauses`. A dunning pause on an invoice
drops that invoice; one on the account drops the customer. The draft consolidates
all the customer's open overdue invoices and is addressed to one billing contact.

Kinds, most urgent first: `request_reply` (a classified request nobody has answered),
`broken_promise` (a promise that broke since the last touch), `reminder` (a scheduled
touch fell due), `pre_due` (a courtesy note before the due date). A customer gets at
most one draft a day.

Running the plan twice on a day creates nothing new: a customer with an open draft
(draft, approved, sending or failed) or a draft planned for that day is skipped.
Drafts past `drafting.expiry_hours` are expired first, and drafts marked stale (the
account's state changed after they were planned; see `copilot.drafting.stale`) are
withdrawn as superseded so the customer is planned again from the state now.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from langchain_core.language_models.chat_models import BaseChatModel

from copilot import clock
from copilot.config import Settings
from copilot.drafting.compose import compose_draft
from copilot.drafting.facts import PromiseFact, RequestFact, build_facts
from copilot.drafting.language import thread_language
from copilot.drafting.review import OPEN_STATUSES, expire_drafts
from copilot.drafting.snapshot import Snapshot, day_of, read_snapshot
from copilot.drafting.summary import insert_drafts, update_draft
from copilot.policy import cadence
from copilot.policy.model import Policy
from copilot.policy.pauses import is_paused
from copilot.routing.scheduler import tick
from copilot.store import Store, dumps, loads
from copilot.wording import words

ACTOR = "planner"
KIND_ORDER: tuple[str, ...] = ("request_reply", "broken_promise", "reminder", "pre_due")
CAPPED_KINDS = frozenset({"reminder", "pre_due", "broken_promise"})  # a reply to the customer's own request is not dunning

# Scheduled checks that must run before planning (routing's `tick` marks broken promises and
# lifts expired pauses). Each hook is called as hook(store, policy, settings, as_of).


@dataclass(frozen=True)
class Touch:
    kind: str
    tier: int
    invoices: list[dict]
    reason: str = ""  # why the customer is touched today, in words, kept on the draft for the worklist


def _day(value: date | str | None) -> str:
    if value is None:
        return "?"
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.day} {d:%b %Y}"


@dataclass
class PlanResult:
    as_of: date
    quiet_day: bool = False
    customers: int = 0  # customers with open invoices that were considered
    created: list[int] = field(default_factory=list)
    auto_send: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (customer_id, reason)
    expired: int = 0
    regenerated: list[int] = field(default_factory=list)  # stale drafts withdrawn so this plan writes them again
    by_kind: Counter = field(default_factory=Counter)
    by_tier: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        return {
            "date": self.as_of.isoformat(),
            "quiet_day": self.quiet_day,
            "customers_considered": self.customers,
            "drafts_created": len(self.created),
            "by_kind": dict(sorted(self.by_kind.items())),
            "by_tier": {str(k): v for k, v in sorted(self.by_tier.items())},
            "auto_send": len(self.auto_send),
            "flagged": len(self.flagged),
            "expired": self.expired,
            "stale_regenerated": len(self.regenerated),
            "skipped": dict(Counter(reason.split(":")[0] for _, reason in self.skipped).most_common()),
        }


# -- pure decisions -------------------------------------------------------------------------------


def due_touch(
    invoices: list[dict],
    pauses: list[dict],
    segment: str,
    risky: bool,
    last_touch: date | None,
    as_of: date,
    policy: Policy,
) -> Touch | None:
    """A reminder when any unpaused overdue invoice reached a scheduled touch since the last touch, else a pre-due note."""
    overdue: list[dict] = []
    pre_due: list[dict] = []
    reached = False
    tier = 0
    step: tuple[int, str] | None = None  # the furthest scheduled touch day reached, and its invoice
    for inv in invoices:
        if is_paused(pauses, inv["number"]):
            continue
        due = date.fromisoformat(inv["due_date"])
        days = cadence.days_past_due(due, as_of)
        last = None if last_touch is None else cadence.days_past_due(due, last_touch)
        if days >= 1:
            overdue.append(inv)
            tier = max(tier, cadence.tier_for(days, policy))
            hit = cadence.scheduled_touch(days, last, segment, policy)
            if hit is not None:
                reached = True
                if step is None or hit > step[0]:
                    step = (hit, inv["number"])
        elif cadence.pre_due_touch(days, last, segment, risky, policy) is not None:
            pre_due.append(inv)
    if reached and step is not None:
        return Touch("reminder", tier, overdue, f"cadence step: {step[1]} reached day {step[0]} past due (Tier {tier} reminder)")
    if pre_due:
        first = min(pre_due, key=lambda i: i["due_date"])
        return Touch("pre_due", 0, pre_due, f"courtesy note: {first['number']} falls due on {_day(first['due_date'])}")
    return None


def overdue_tier(invoices: list[dict], as_of: date, policy: Policy) -> int:
    days = [cadence.days_past_due(date.fromisoformat(i["due_date"]), as_of) for i in invoices]
    return max((cadence.tier_for(d, policy) for d in days), default=0)


def recipients(customer: dict, contact: dict, others: list[dict], tier: int, policy: Policy) -> tuple[list[str], list[str]]:
    """To the chosen contact; CC the other billing contacts, the account owner from the policy's tier, and the account team."""
    cc = [c["email"] for c in others if c["email"] != contact["email"]]
    if tier >= 1 and cadence.cc_account_owner(tier, policy) and customer.get("account_owner_email"):
        cc.append(customer["account_owner_email"])
    if tier >= 1 and cadence.involves_account_team(tier, customer["segment"], policy):
        cc += loads(customer.get("account_team_emails"), [])
    seen: set[str] = {contact["email"].lower()}
    unique = []
    for addr in cc:
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            unique.append(addr)
    return [contact["email"]], unique


# -- the plan ------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    customer: dict
    touch: Touch
    contact: dict
    promise: PromiseFact | None = None
    request: RequestFact | None = None
    reply_to: dict | None = None  # the inbound message this draft continues


def _contact_for(led: Snapshot, customer_id: str, prefer: str | None) -> dict | None:
    contacts = led.contacts.get(customer_id, [])
    for c in contacts:
        if prefer and c["email"].lower() == prefer.lower():
            return c
    return contacts[0] if contacts else None


def _decide(led: Snapshot, customer: dict, as_of: date, policy: Policy) -> _Candidate | str:
    """One customer's touch today, or the reason there is none."""
    cid = customer["id"]
    invoices = led.invoices.get(cid, [])
    pauses = led.pauses.get(cid, [])
    latest = led.latest_inbound.get(cid)
    if cid in led.busy:
        return "open draft: one is already waiting or was planned today"
    request = led.requests.get(cid)
    # A reply to the customer's own question is not dunning: it goes out even while reminders are paused.
    if request and invoices:
        # Answer the person who asked, whether or not they are a billing contact.
        known = [c for c in led.contacts.get(cid, []) if c["email"].lower() == (request["from_addr"] or "").lower()]
        contact = known[0] if known else {"email": request["from_addr"], "name": None}
        wanted = set(loads(request["invoice_numbers_json"], []))
        chosen = [i for i in invoices if i["number"] in wanted] or invoices
        asked = words(request["request_kind"]) if request["request_kind"] not in (None, "other") else "a question"
        why = f"request to answer: {asked} asked on {_day(day_of(request['sent_at']))}"
        return _Candidate(customer, Touch("request_reply", overdue_tier(chosen, as_of, policy), chosen, why), contact,
                          request=RequestFact(kind=request["request_kind"], subject=request["subject"],
                                              received_on=day_of(request["sent_at"])),
                          reply_to=request)  # fmt: skip
    if is_paused(pauses, None):
        return "paused: the account is on hold"
    last = led.last_touch.get(cid)
    touch: Touch | None = None
    promise = led.broken.get(cid)
    if promise and (last is None or promise["broken_on"] > last):
        own = [p for p in pauses if not (p["source_type"] == "promise" and p["source_id"] == str(promise["id"]))]
        overdue = [i for i in invoices if not is_paused(own, i["number"]) and date.fromisoformat(i["due_date"]) < as_of]
        if overdue:
            money = f"{promise['currency'] or ''} {Decimal(promise['amount']):,.2f} ".lstrip() if promise["amount"] else ""
            why = f"broken promise: {money}promised by {_day(promise['promised_date'])} was not paid"
            touch = Touch("broken_promise", overdue_tier(overdue, as_of, policy), overdue, why)
    if touch is None:
        touch = due_touch(invoices, pauses, customer["segment"], bool(customer.get("risky")), last, as_of, policy)
    if touch is None:
        if invoices and all(is_paused(pauses, i["number"]) for i in invoices):
            return "paused: every open invoice is on hold"
        return "not scheduled: no touch falls due today"
    contact = _contact_for(led, cid, latest["from_addr"] if latest else None)
    if contact is None:
        return "no contact: no deliverable billing address"
    if touch.kind in CAPPED_KINDS and not cadence.within_caps(
        led.contact_today[contact["email"]], led.account_week[cid], policy
    ):
        return "capped: contact or account cap reached"
    pfact = None
    if touch.kind == "broken_promise" and promise:
        pfact = PromiseFact(promised_date=day_of(promise["promised_date"]),
                            amount=Decimal(promise["amount"]) if promise["amount"] else None,
                            currency=promise["currency"])  # fmt: skip
    reply_to = latest if touch.kind == "broken_promise" or (latest and latest["from_addr"] == contact["email"]) else None
    return _Candidate(customer, touch, contact, promise=pfact, reply_to=reply_to)


def withdraw_stale(store: Store) -> list[int]:
    """Withdraw the waiting drafts marked stale so this plan writes them again from the state now.

    A draft a person edited is kept (still marked stale): rewriting it would drop their words,
    and the send-time check stops it from contradicting the account anyway.
    """
    from copilot.drafting.sendcheck import edited  # sendcheck builds on this module

    stale = [r for r in store.db["drafts"].rows_where("status in ('draft', 'approved') and stale_at is not null",
                                                      order_by="id") if not edited(r)]  # fmt: skip
    now = clock.now_iso()
    with store.transaction():
        for row in stale:
            reason = f"regenerated by the plan: {row['stale_reason']}"
            update_draft(store, row["id"], {"status": "superseded", "superseded_reason": reason, "updated_at": now})
            store.audit(ACTOR, "draft", row["id"], "superseded", reason=reason, customer_id=row["customer_id"],
                        before={"status": row["status"]}, after={"status": "superseded"})  # fmt: skip
    return [r["id"] for r in stale]


def plan_day(
    store: Store,
    policy: Policy,
    settings: Settings,
    as_of: date | None = None,
    *,
    chat_model: BaseChatModel | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanResult:
    """Create today's drafts; safe to run again the same day (it then creates none)."""
    as_of = as_of or clock.today()
    tick(store, policy, settings, as_of)  # promises due, paid claims and snoozes ending: before deciding who to touch
    result = PlanResult(as_of)
    result.expired = expire_drafts(store, ACTOR)
    result.regenerated = withdraw_stale(store)
    if cadence.is_quiet_day(as_of, policy):
        result.quiet_day = True
        return result
    led = read_snapshot(store, as_of, policy)
    result.customers = len(led.invoices)
    candidates: list[_Candidate] = []
    for cid in sorted(led.invoices):
        customer = led.customers[cid]
        decision = _decide(led, customer, as_of, policy)
        if isinstance(decision, str):
            result.skipped.append((cid, decision))
        else:
            candidates.append(decision)
    rows = []
    for cand in candidates:
        rows.append(_draft_row(store, cand, led, as_of, policy, settings, chat_model))
        if progress:
            progress(1)
    _insert(store, rows, as_of, result)
    return result


def _draft_row(store: Store, cand: _Candidate, led: Snapshot, as_of: date, policy: Policy, settings: Settings,
               chat_model: BaseChatModel | None) -> dict:  # fmt: skip
    customer, touch = cand.customer, cand.touch
    facts = build_facts(kind=touch.kind, tier=touch.tier, customer=customer, contact=cand.contact,
                        invoices=touch.invoices, as_of=as_of, policy=policy, settings=settings,
                        promise=cand.promise, request=cand.request,
                        language=thread_language(store, customer["id"], cand.contact["email"]))  # fmt: skip
    text = compose_draft(store, facts, policy, settings, chat_model=chat_model)
    to, cc = recipients(customer, cand.contact, led.contacts.get(customer["id"], []), touch.tier, policy)
    auto = (
        touch.kind == "reminder"
        and cadence.auto_send_allowed(touch.tier, customer["segment"], policy)
        and not any(is_paused(led.pauses.get(customer["id"], []), i["number"], "auto_send") for i in touch.invoices)
        and text.clean
    )
    in_reply_to, references = None, []
    if cand.reply_to and cand.reply_to.get("message_id"):
        in_reply_to = cand.reply_to["message_id"]
        references = [*loads(cand.reply_to.get("references_json"), []), in_reply_to]
    now = clock.now()
    return {
        "customer_id": customer["id"],
        "contact_email": cand.contact["email"],
        "to_json": dumps(to),
        "cc_json": dumps(cc),
        "kind": touch.kind,
        "tier": touch.tier,
        "segment": customer["segment"],
        "template": text.template,
        "generator": text.generator,
        "prompt_version": text.prompt_version,
        "subject": text.subject,
        "original_subject": text.subject,
        "body": text.body,
        "original_body": text.body,
        "invoice_numbers_json": dumps(facts.invoice_numbers()),
        "facts_json": facts.model_dump_json(),
        "reason": touch.reason or None,
        "guardrail_flags_json": dumps(text.flags),
        "plan_date": as_of.isoformat(),
        "status": "draft",
        "auto_send": int(auto),
        "in_reply_to": in_reply_to,
        "references_json": dumps(references),
        "attempts": 0,
        "expires_at": (now + timedelta(hours=policy.drafting.expiry_hours)).isoformat(timespec="seconds"),
        "created_at": now.isoformat(timespec="seconds"),
        "updated_at": now.isoformat(timespec="seconds"),
        "written_at": now.isoformat(timespec="seconds"),
    }


def _insert(store: Store, rows: list[dict], as_of: date, result: PlanResult) -> None:
    """Write the drafts in one transaction, re-checking that no other run planned the customer meanwhile."""
    marks = ", ".join("?" * len(OPEN_STATUSES))
    with store.transaction():
        busy = {r["customer_id"] for r in store.db.query(
            f"select distinct customer_id from drafts where status in ({marks}) or "
            "(plan_date = ? and status != 'superseded')",
            [*OPEN_STATUSES, as_of.isoformat()])}  # fmt: skip
        kept = []
        for row in rows:
            if row["customer_id"] in busy:
                result.skipped.append((row["customer_id"], "open draft: planned by another run"))
                continue
            busy.add(row["customer_id"])
            kept.append(row)
        for pk, row in zip(insert_drafts(store, kept), kept):
            store.audit(ACTOR, "draft", pk, "planned", customer_id=row["customer_id"],
                        after={"kind": row["kind"], "tier": row["tier"], "invoices": loads(row["invoice_numbers_json"]),
                               "generator": row["generator"], "auto_send": row["auto_send"]})  # fmt: skip
            result.created.append(pk)
            result.by_kind[row["kind"]] += 1
            result.by_tier[row["tier"]] += 1
            if row["auto_send"]:
                result.auto_send.append(pk)
            if loads(row["guardrail_flags_json"]):
                result.flagged.append(pk)
